"""Notebook helpers: insights and posts as pandas DataFrames, insights as a matplotlib chart.

Needs the `notebook` extra (pandas and matplotlib: `pip install ".[notebook]"` from a checkout
of this library, or `pip install pandas matplotlib`): they are imported only when these
functions are called, so the library itself works without them.

    result = tp.get_user_insights(since_date="2024-06-01", until_date="2024-06-30")
    insights_frame(result)                 # metric, period, end_time, breakdown, key, value
    posts_frame(tp.iter_posts(limit=50), insights=tp.get_post_insights)
    plot_insights(result, metric="views", path="views.png")
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from . import insights as insights_mod
from ._pacific import day_covered
from .insights import POST_METRICS
from .reading import raise_if_error

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# The name threadspipepy on the package index is ThreadsPipe-py 0.4.5, not this library.
INSTALL_HINT = (
    'pip install pandas matplotlib (or pip install ".[notebook]" in a checkout of this library; '
    'not pip install "threadspipepy[notebook]": that name on the package index is '
    "ThreadsPipe-py 0.4.5, which has no notebook module)"
)
INSIGHT_COLUMNS = ("metric", "period", "end_time", "day", "breakdown", "key", "value")
# Post fields that hold one object `{'id': ...}`: their column holds the id.
_ID_OBJECTS = ("owner", "root_post", "replied_to", "quoted_post", "reposted_post")
# Bars shown for a dict metric (demographics, link clicks), largest first.
MAX_BARS = 15

InsightsSource = Mapping[str, Mapping[str, Any]] | Callable[[str], Mapping[str, Any]]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as exc:
        raise ImportError(
            f"threadspipepy.notebook needs pandas, which is not installed: {INSTALL_HINT}"
        ) from exc
    return pandas


def _matplotlib() -> tuple[type[Figure], Any, Any]:
    try:
        from matplotlib import dates
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            f"threadspipepy.notebook needs matplotlib, which is not installed: {INSTALL_HINT}"
        ) from exc
    return Figure, FigureCanvasAgg, dates


def insights_frame(result: Mapping[str, Any]) -> Any:
    """A tidy DataFrame of an insights result: one row per metric, day or bucket.

    Columns: `metric`, `period`, `end_time` (UTC timestamps, as Meta stamps them; NaT for
    totals), `day` (the Pacific day a dated value covers, a date without time: Meta stamps a
    daily value with the day's end, so `end_time` 2 June 07:00 UTC is `day` 1 June),
    `breakdown` (`country`, `age`, ... for demographics, `link_url` for clicks, else None),
    `key` (the bucket or the URL) and `value`. A failed result raises its typed error.

    Args:
        result: What `get_user_insights()` or `get_post_insights()` returned.

    Example:
        frame = insights_frame(tp.get_user_insights(since_date="2024-06-01"))
        daily = frame[frame["metric"] == "views"].set_index("day")["value"]
    """
    pd = _pandas()
    raise_if_error(result)
    table = insights_mod.rows(result)
    records = [{**row, "day": _day_or_none(row["end_time"])} for row in table]
    frame = pd.DataFrame(records, columns=list(INSIGHT_COLUMNS))
    frame["end_time"] = pd.to_datetime(frame["end_time"], utc=True, format="ISO8601")
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def posts_frame(
    posts: Mapping[str, Any] | Iterable[Mapping[str, Any]],
    insights: InsightsSource | None = None,
) -> Any:
    """A DataFrame with one row per post and one column per field.

    `timestamp` becomes a UTC datetime; `owner`, `root_post`, `replied_to`, `quoted_post` and
    `reposted_post` hold the id they point to. A failed result raises its typed error.

    Args:
        posts: A getter's result (`tp.get_posts()`) or any iterable of posts
            (`tp.iter_posts(limit=200)`).
        insights: Each post's metrics to join as columns (`views`, `likes`, ...): a function
            such as `tp.get_post_insights`, or a mapping of post id to an insights result.

    Example:
        frame = posts_frame(tp.iter_posts(limit=50), insights=tp.get_post_insights)
    """
    pd = _pandas()
    if isinstance(posts, Mapping):
        raise_if_error(posts)
        items: Iterable[Mapping[str, Any]] = posts.get("data") or []
    else:
        items = posts
    records = [_post_record(post) for post in items]
    metric_columns: list[str] = []
    if insights is not None:
        for record in records:
            values = _post_metrics(insights, str(record.get("id")))
            for name, value in values.items():
                column = f"{name}_insight" if name in record else name
                record[column] = value
                if column not in metric_columns:
                    metric_columns.append(column)
    columns: list[str] = []
    for record in records:
        columns.extend(c for c in record if c not in columns and c not in metric_columns)
    ordered = sorted(metric_columns, key=_metric_order)
    frame = pd.DataFrame.from_records(records, columns=(columns or ["id"]) + ordered)
    if "timestamp" in frame.columns:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True, format="ISO8601")
    return frame


def plot_insights(
    result: Mapping[str, Any],
    metric: str | None = None,
    path: str | os.PathLike[str] | None = None,
    *,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Chart one metric of an insights result and return the matplotlib Figure.

    A time series (`views`) is a line over the days its values cover (the Pacific day before
    each `end_time` Meta stamps), a dict (demographics, link clicks) horizontal bars (largest
    15), a single number one bar; count axes start at zero. Drawing uses matplotlib's Agg
    canvas and never touches pyplot or the notebook's backend.

    Args:
        result: What `get_user_insights()` or `get_post_insights()` returned.
        metric: The metric to draw (default: the first time series in the result).
        path: Also write the chart there as a PNG.
        ax: Draw into this matplotlib Axes instead of a new figure.
        title: The chart's title (default: the metric's name).

    Example:
        figure = plot_insights(tp.get_user_insights(metrics=["views"]), title="Views")
    """
    figure_type, canvas_type, dates = _matplotlib()
    raise_if_error(result)
    values = insights_mod.flatten(result)
    if not values:
        raise ValueError("this insights result holds no metrics to plot")
    name = metric or next((k for k, v in values.items() if isinstance(v, list)), next(iter(values)))
    if name not in values:
        raise ValueError(f"metric {name!r} is not in this result; it holds: {', '.join(values)}.")
    if ax is None:
        figure = figure_type(figsize=(8, 4), layout="constrained")
        canvas_type(figure)
        axes = figure.add_subplot()
    else:
        axes = ax
        owner = axes.figure
        figure = owner if isinstance(owner, figure_type) else owner.figure
    value = values[name]
    if isinstance(value, list):
        points = [(_day(t), v) for t, v in value if t is not None and v is not None]
        days: Any = [d for d, _ in points]  # matplotlib plots dates; its stubs omit them
        axes.plot(days, [v for _, v in points], marker="o")
        locator = dates.AutoDateLocator()
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator))
        axes.set_xlabel("day covered (Pacific time)")
        axes.set_ylim(bottom=0)
    elif isinstance(value, Mapping):
        top = sorted(value.items(), key=lambda kv: kv[1] or 0, reverse=True)[:MAX_BARS]
        axes.barh([str(k) for k, _ in reversed(top)], [v or 0 for _, v in reversed(top)])
        axes.set_xlabel(name)
        axes.set_xlim(left=0)
    else:
        axes.bar([name], [value or 0])
        axes.set_ylim(bottom=0)
    axes.set_ylabel(name if not isinstance(value, Mapping) else "")
    axes.set_title(title or name.replace("_", " ").capitalize())
    axes.grid(True, alpha=0.3)
    if path is not None:
        figure.savefig(os.fspath(path), format="png", dpi=100)
    return figure


def _post_record(post: Mapping[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for key, value in post.items():
        if key in _ID_OBJECTS and isinstance(value, Mapping):
            record[key] = value.get("id")
        elif key == "children" and isinstance(value, Mapping):
            data = value.get("data") or []
            record[key] = [c.get("id") for c in data if isinstance(c, Mapping)]
        else:
            record[key] = value
    return record


def _post_metrics(source: InsightsSource, post_id: str) -> dict[str, Any]:
    result = source(post_id) if callable(source) else source.get(post_id)
    if result is None:
        return {}
    raise_if_error(result)
    return insights_mod.flatten(result)


def _metric_order(column: str) -> tuple[int, str]:
    name = column.removesuffix("_insight")
    return (POST_METRICS.index(name) if name in POST_METRICS else len(POST_METRICS), column)


def _day_or_none(end_time: str | None) -> date | None:
    return day_covered(end_time) if end_time is not None else None


def _day(value: Any) -> date:
    """The Pacific day a value stamped `value` (Meta's end_time) covers."""
    day = day_covered(str(value))
    if day is None:
        raise ValueError(f"unreadable end_time {value!r} in this insights result")
    return day
