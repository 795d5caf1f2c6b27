"""The notebook helpers on sandbox data: tidy insights, posts with insights, a PNG chart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from threadspipepy import ThreadsAPIError, ThreadsPipe, notebook
from threadspipepy.insights import POST_METRICS
from threadspipepy.testing import ThreadsSandbox

pd = pytest.importorskip("pandas")
pytest.importorskip("matplotlib")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_insights_frame_is_tidy(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.seed_user_insights(
        views=[5, 6, 7],
        likes=12,
        clicks={"https://example.com/": 3},
        followers_count=200,
        demographics={"country": {"US": 120, "GB": 80}},
    )
    result = tp.get_user_insights()
    frame = notebook.insights_frame(result)
    assert list(frame.columns) == [
        "metric",
        "period",
        "end_time",
        "day",
        "breakdown",
        "key",
        "value",
    ]
    assert str(frame["end_time"].dtype).startswith("datetime64") and "UTC" in str(
        frame["end_time"].dt.tz
    )
    views = frame[frame["metric"] == "views"]
    assert len(views) == len(result["views"]) and views["end_time"].notna().all()
    likes = frame[frame["metric"] == "likes"]
    assert likes["value"].tolist() == [12] and likes["end_time"].isna().all()
    demo = frame[frame["metric"] == "follower_demographics"]
    assert set(demo["breakdown"]) == {"country"}
    assert dict(zip(demo["key"], demo["value"], strict=True)) == {"US": 120, "GB": 80}
    clicks = frame[frame["metric"] == "clicks"]
    assert clicks[["breakdown", "key", "value"]].values.tolist() == [
        ["link_url", "https://example.com/", 3]
    ]


def test_insights_frame_of_a_post(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    (post,) = sandbox.seed_posts(1)
    sandbox.seed_insights(post["id"], views=100, likes=9)
    frame = notebook.insights_frame(tp.get_post_insights(post["id"]))
    assert frame["metric"].tolist() == list(POST_METRICS)
    assert set(frame["period"]) == {"lifetime"}
    assert frame.set_index("metric").loc["views", "value"] == 100


def test_posts_frame_with_insights_joined(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    posts = sandbox.seed_posts(5)
    for i, post in enumerate(posts):
        sandbox.seed_insights(post["id"], views=100 * (i + 1), likes=i)
    frame = notebook.posts_frame(tp.iter_posts(), insights=tp.get_post_insights)
    assert len(frame) == 5
    assert list(frame.columns[: len(frame.columns) - len(POST_METRICS)]) == [
        "id",
        "is_quote_post",
        "media_product_type",
        "media_type",
        "permalink",
        "owner",
        "username",
        "text",
        "timestamp",
        "shortcode",
    ]
    assert list(frame.columns[-len(POST_METRICS) :]) == list(POST_METRICS)
    assert "UTC" in str(frame["timestamp"].dt.tz)
    assert set(frame["owner"]) == {sandbox.user_id}
    by_id = frame.set_index("id")
    assert by_id.loc[posts[4]["id"], "views"] == 500 and by_id.loc[posts[0]["id"], "likes"] == 0

    plain = notebook.posts_frame(tp.get_posts(fields=["id", "text"]))
    assert list(plain.columns) == ["id", "text"] and len(plain) == 5
    mapped = notebook.posts_frame(
        [{"id": posts[0]["id"]}],
        insights={posts[0]["id"]: tp.get_post_insights(posts[0]["id"], metrics="views")},
    )
    assert list(mapped.columns) == ["id", "views"]
    assert list(notebook.posts_frame([]).columns) == ["id"]


def test_failed_results_raise(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    failure = tp.get_post_insights("17999999999999999")
    with pytest.raises(ThreadsAPIError):
        notebook.insights_frame(failure)
    with pytest.raises(ThreadsAPIError):
        notebook.plot_insights(failure)
    with pytest.raises(ThreadsAPIError):
        notebook.posts_frame([{"id": "17999999999999999"}], insights=tp.get_post_insights)


def test_plot_insights_writes_a_png(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    sandbox.seed_user_insights(views=[3, 9, 4, 12, 8, 15, 11], followers_count=300)
    result = tp.get_user_insights(
        since_date=sandbox.seed_posts(1)[0]["timestamp"][:10], metrics="views"
    )
    target = tmp_path / "views.png"
    figure = notebook.plot_insights(result, metric="views", path=target)
    assert target.read_bytes().startswith(PNG_MAGIC)
    (axes,) = figure.axes
    assert axes.get_title() == "Views"
    assert list(axes.lines[0].get_ydata()) == [value for _, value in result["views"]]

    demo = tp.get_user_insights(
        metrics="follower_demographics", follower_demographic_breakdown="age"
    )
    bars = notebook.plot_insights(demo, path=tmp_path / "ages.png")
    assert (tmp_path / "ages.png").read_bytes().startswith(PNG_MAGIC)
    assert len(bars.axes[0].patches) == len(demo["follower_demographics"])
    with pytest.raises(ValueError, match="not in this result"):
        notebook.plot_insights(result, metric="likes")


def test_plot_into_an_existing_axes(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    axes = figure.add_subplot()
    result = tp.get_user_insights(metrics=["views", "likes"])
    assert notebook.plot_insights(result, ax=axes, title="Profile views") is figure
    assert axes.get_title() == "Profile views"


def test_importing_without_pandas_works_and_calls_name_the_extra() -> None:
    script = (
        "import sys\n"
        "sys.modules['pandas'] = None\n"
        "sys.modules['matplotlib'] = None\n"
        "import threadspipepy\n"
        "from threadspipepy import notebook\n"
        "from threadspipepy.threadspipe import ThreadsPipe\n"
        "for call in (lambda: notebook.insights_frame({'data': []}),\n"
        "             lambda: notebook.posts_frame([]),\n"
        "             lambda: notebook.plot_insights({'data': []})):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as exc:\n"
        "        print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert all('pip install "threadspipepy[notebook]"' in line for line in lines)
    assert "pandas" in lines[0] and "matplotlib" in lines[2]
