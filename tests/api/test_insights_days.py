"""Daily insights are shown on the day they cover, not on the midnight Meta stamps them with.

Meta stamps a daily value with the end of its Pacific day: 1 June's views come as
`2024-06-02T07:00:00+0000` (T08:00 in winter). Frames get a `day` column, charts plot that day,
and their count axes start at zero.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from threadspipepy import ThreadsPipe, notebook
from threadspipepy.testing import ThreadsSandbox

pd = pytest.importorskip("pandas")
dates = pytest.importorskip("matplotlib.dates")

SUMMER = {"2024-06-01": 120, "2024-06-02": 95, "2024-06-03": 160}
WINTER = {"2024-12-30": 40, "2024-12-31": 30, "2025-01-01": 55}


@pytest.mark.parametrize("views", [SUMMER, WINTER], ids=["summer", "winter"])
def test_the_frame_has_the_day_each_value_covers(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, views: dict[str, int]
) -> None:
    sandbox.seed_user_insights(views=views)
    first, last = min(views), date.fromisoformat(max(views))
    result = tp.get_user_insights(
        since_date=first, until_date=last + timedelta(days=1), metrics="views"
    )
    frame = notebook.insights_frame(result)
    covered = [d.date().isoformat() for d in frame["day"]]
    assert covered == list(views)
    assert frame["value"].tolist() == list(views.values())
    # end_time keeps Meta's stamp: the next day's Pacific midnight, in UTC.
    assert [t.date() for t in frame["end_time"]] != [d.date() for d in frame["day"]]
    assert result.daily("views") == [(date.fromisoformat(d), v) for d, v in views.items()]


def test_totals_have_no_day(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_user_insights(likes=12, followers_count=200)
    result = tp.get_user_insights(metrics=["likes", "followers_count"])
    frame = notebook.insights_frame(result)
    assert frame["day"].isna().all()
    assert (result.total("likes"), result.total("followers_count")) == (12, 200)
    assert result.daily("likes") == [] and result.total("missing") is None


def test_the_chart_plots_the_days_covered_from_zero(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.seed_user_insights(views=SUMMER)
    result = tp.get_user_insights(since_date="2024-06-01", until_date="2024-06-04", metrics="views")
    figure = notebook.plot_insights(result, metric="views")
    (axes,) = figure.axes
    (line,) = axes.lines
    plotted = [dates.num2date(x).date() for x in dates.date2num(line.get_xdata())]
    assert plotted == [date(2024, 6, 1), date(2024, 6, 2), date(2024, 6, 3)]
    assert axes.get_ylim()[0] == 0 and axes.get_xlabel() == "day covered (Pacific time)"


def test_bars_start_at_zero_too(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_user_insights(
        likes=48, demographics={"country": {"US": 1200, "GB": 1150, "IN": 1100}}
    )
    demo = tp.get_user_insights(metrics="follower_demographics")
    assert notebook.plot_insights(demo).axes[0].get_xlim()[0] == 0
    assert demo.breakdown("follower_demographics") == {"US": 1200, "GB": 1150, "IN": 1100}
    likes = tp.get_user_insights(metrics="likes")
    assert notebook.plot_insights(likes).axes[0].get_ylim()[0] == 0
