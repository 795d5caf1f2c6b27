"""Generate docs/img/insights-views.png, the chart of the Insights page, from sandbox data.

The offline sandbox is seeded with 30 days of profile views (June 2024: a weekday rhythm, a
slow climb and a spike on the day a post took off), the library reads them back with
`get_user_insights()` exactly as it would from Meta, and `threadspipepy.notebook.plot_insights`
draws the chart. The data is fixed, so the image only changes when the code does.

    python docs/scripts/insights_chart.py            # writes docs/img/insights-views.png
    python docs/scripts/insights_chart.py out.png    # or somewhere else

Needs the `notebook` extra (pandas, matplotlib).
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

from threadspipepy.notebook import insights_frame, plot_insights
from threadspipepy.testing import ThreadsSandbox

OUTPUT = Path(__file__).resolve().parents[1] / "img" / "insights-views.png"
FIRST_DAY = date(2024, 6, 1)
DAYS = 30
SPIKE_DAY = 17  # 18 June: the day a post took off


def daily_views() -> dict[date | str, int]:
    """Deterministic daily profile views: a weekly rhythm, growth, one spike and its tail."""
    views: dict[date | str, int] = {}
    for i in range(DAYS):
        day = FIRST_DAY + timedelta(days=i)
        value = 180 + 6 * i - (55 if day.weekday() >= 5 else 0)
        if i >= SPIKE_DAY:
            value += int(900 * 0.55 ** (i - SPIKE_DAY))
        views[day.isoformat()] = value
    return views


def main(output: Path = OUTPUT) -> Path:
    with ThreadsSandbox() as sb, sb.client(raise_on_error=True) as tp:
        sb.seed_user_insights(views=daily_views())
        result = tp.get_user_insights(
            since_date=FIRST_DAY,
            until_date=FIRST_DAY + timedelta(days=DAYS),
            metrics=["views"],
        )
    frame = insights_frame(result)
    assert len(frame) == DAYS, frame
    output.parent.mkdir(parents=True, exist_ok=True)
    plot_insights(result, metric="views", path=output, title="Daily profile views, June 2024")
    return output


if __name__ == "__main__":
    written = main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT)
    print(f"wrote {written}")
