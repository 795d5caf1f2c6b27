"""Insights: the current metric lists, request building and validation, and flattening.

Meta answers insights in three shapes (threads-api.md §5): time series (`values` with
`end_time`), total values (`total_value.value`, or a post's lifetime `values[0].value`) and link
totals (`link_total_values`); follower demographics come as `total_value.breakdowns`. An
insights result keeps Meta's JSON and also holds each metric's value under its own name:
a number, a list of `(end_time, value)`, or a dict (demographics, link clicks).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, TypedDict, get_args

from ._pacific import day_covered
from ._urls import path_of
from .errors import ThreadsPipeError, ValidationError
from .reading import GraphRequest
from .results import Result, error_details
from .shapes import DemographicBreakdown, PostMetric, UserMetric
from .validation import TimeLike, node_id, time_range

# The lists live as Literal types in shapes.py, for type checkers; these are their values.
POST_METRICS: tuple[str, ...] = get_args(PostMetric)
USER_METRICS: tuple[str, ...] = get_args(UserMetric)
BREAKDOWNS: tuple[str, ...] = get_args(DemographicBreakdown)
DEMOGRAPHICS = "follower_demographics"
# Metrics that are a value now rather than over a period: no since/until (threads-api.md §5.2).
CURRENT_METRICS: tuple[str, ...] = ("followers_count", DEMOGRAPHICS)
# Meta rejects user-insight times before this (Apr 13, 2024, Pacific midnight).
EARLIEST_INSIGHTS = 1712991600
EARLIEST_INSIGHTS_LABEL = "2024-04-13 (07:00 UTC)"
# Keys of the Graph JSON a metric value never overwrites: `'error' in result` stays meaningful.
_RESERVED = frozenset({"data", "paging", "error", "info", "message"})


class InsightRow(TypedDict):
    """One observation, the row of a tidy table (see `rows` and notebook.insights_frame).

    `end_time` is Meta's stamp: for a daily value, the end of the Pacific day it covers
    (`day_covered(end_time)` gives that day).
    """

    metric: str
    period: str | None
    end_time: str | None
    breakdown: str | None
    key: str | None
    value: Any


class InsightsResult(Result):
    """An insights result: Meta's JSON (`data`), plus `result['views']` etc. for each metric.

    `.metrics` gives just the metric values as a dict; `daily()`, `total()` and
    `breakdown()` give one metric's value with its type.
    """

    @property
    def metrics(self) -> dict[str, Any]:
        """Every metric's value by name: a number, a list of `(end_time, value)`, or a dict."""
        return flatten(self)

    def daily(self, metric: str) -> list[tuple[date, int]]:
        """A time series (`views`) as `(day covered, value)`: the Pacific day each value
        counts, not the `end_time` Meta stamps it with (the next midnight). Empty if the
        metric is absent or not a series."""
        value = self.get(metric) if metric not in _RESERVED else None
        if not isinstance(value, list):
            return []
        out = []
        for end_time, count in value:
            day = day_covered(str(end_time)) if end_time is not None else None
            if day is not None and isinstance(count, int | float):
                out.append((day, int(count)))
        return out

    def total(self, metric: str) -> int | None:
        """A metric that is one number (`likes`, `followers_count`, a post's `views`)."""
        value = self.get(metric) if metric not in _RESERVED else None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return int(value)

    def breakdown(self, metric: str) -> dict[str, int]:
        """A metric that is a dict (`follower_demographics` buckets, `clicks` by URL)."""
        value = self.get(metric) if metric not in _RESERVED else None
        if not isinstance(value, Mapping):
            return {}
        return {str(k): int(v) for k, v in value.items() if isinstance(v, int | float)}


def insights_failure(exc: ThreadsPipeError) -> InsightsResult:
    """A failed insights read: `{'error': {...}}`, as every getter's failure."""
    result = InsightsResult(error=error_details(exc))
    result._exception = exc
    return result


def insights_result(body: Mapping[str, Any]) -> InsightsResult:
    """Wrap an insights answer, adding each metric's value under its name."""
    result = InsightsResult(body)
    for name, value in flatten(body).items():
        if name not in _RESERVED and name not in result:
            result[name] = value
    return result


# -- validation and requests -------------------------------------------------------------------
def metric_names(metrics: str | Iterable[str] | None, allowed: Sequence[str]) -> list[str]:
    """`'all'` (or None) -> every allowed metric; else the names given, each checked."""
    if metrics is None or (isinstance(metrics, str) and metrics.strip().lower() == "all"):
        return list(allowed)
    items = metrics.split(",") if isinstance(metrics, str) else list(metrics)
    names = [str(m).strip().lower() for m in items if str(m).strip()]
    unknown = [m for m in names if m not in allowed]
    if not names or unknown:
        raise ValidationError(
            "metrics must be 'all' or names from "
            f"{', '.join(allowed)}" + (f"; unknown: {', '.join(unknown)}." if unknown else "."),
            parameter="metrics",
        )
    return list(dict.fromkeys(names))


def breakdown_name(value: str | None, *, required: bool) -> str | None:
    """A follower-demographics breakdown: country, city, age or gender."""
    if value is None:
        if required:
            raise ValidationError(
                "follower_demographics needs exactly one breakdown; set "
                f"follower_demographic_breakdown to one of {', '.join(BREAKDOWNS)}.",
                parameter="follower_demographic_breakdown",
            )
        return None
    name = value.strip().lower() if isinstance(value, str) else ""
    if name not in BREAKDOWNS:
        raise ValidationError(
            f"follower_demographic_breakdown={value!r} is not a breakdown; use one of "
            f"{', '.join(BREAKDOWNS)} (exactly one).",
            parameter="follower_demographic_breakdown",
        )
    return name


def post_insights_request(post_id: Any, metrics: str | Iterable[str] | None) -> GraphRequest:
    """`GET /{post_id}/insights?metric=...`."""
    node = node_id(post_id, "post_id")
    names = metric_names(metrics, POST_METRICS)
    return GraphRequest("GET", path_of(node, "insights"), {"metric": ",".join(names)})


def user_insights_requests(
    user_id: Any,
    since: TimeLike | None,
    until: TimeLike | None,
    breakdown: str | None,
    metrics: str | Iterable[str] | None,
) -> list[GraphRequest]:
    """`GET /{user_id|me}/threads_insights?metric=...[&since][&until][&breakdown]`.

    `breakdown` is sent only with `follower_demographics`; times before 2024-04-13 are refused.
    `followers_count` and `follower_demographics` are current values that take no
    `since`/`until` (Meta refuses the pair): with a time range they are asked for in a second
    request without it, and asking for only them with a range is a ValidationError.
    """
    node = "me" if user_id is None else node_id(user_id, "user_id")
    names = metric_names(metrics, USER_METRICS)
    wanted = breakdown_name(breakdown, required=DEMOGRAPHICS in names)
    low, high = time_range(
        since,
        until,
        earliest=EARLIEST_INSIGHTS,
        earliest_label=EARLIEST_INSIGHTS_LABEL,
    )
    ranged = low is not None or high is not None
    current = [name for name in names if name in CURRENT_METRICS]
    timed = [name for name in names if name not in CURRENT_METRICS]
    if ranged and current and not timed:
        raise ValidationError(
            f"{' and '.join(current)} take no since_date/until_date (a current value, not "
            "one over a period); leave the dates out, or add metrics that cover a period "
            "(views, likes, ...).",
            parameter="since_date" if low is not None else "until_date",
        )
    groups = [timed, current] if ranged and current else [names]
    path = path_of(node, "threads_insights")
    requests = []
    for group in groups:
        params: dict[str, Any] = {"metric": ",".join(group)}
        if group is not current or not ranged:
            if low is not None:
                params["since"] = low
            if high is not None:
                params["until"] = high
        if DEMOGRAPHICS in group:
            params["breakdown"] = wanted
        requests.append(GraphRequest("GET", path, params))
    return requests


def merge_bodies(bodies: Sequence[Mapping[str, Any]], names: Sequence[str]) -> dict[str, Any]:
    """One insights answer from several, metrics in the order they were asked for.

    The `paging` of the first answer that has one is kept: Meta's `previous`/`next` windows
    (the same range just before and just after) belong to the dated request, since the
    current values take no range.
    """
    if len(bodies) == 1:
        return dict(bodies[0])
    data = [item for body in bodies for item in body.get("data") or []]
    order = {name: i for i, name in enumerate(names)}
    data.sort(key=lambda item: order.get(str(item.get("name")), len(order)))
    merged: dict[str, Any] = {"data": data}
    paging = next((body["paging"] for body in bodies if body.get("paging")), None)
    if paging is not None:
        merged["paging"] = paging
    return merged


# -- flattening --------------------------------------------------------------------------------
def flatten(body: Mapping[str, Any]) -> dict[str, Any]:
    """`{metric name: value}` for every metric in an insights answer."""
    out: dict[str, Any] = {}
    for item in _items(body):
        out[str(item["name"])] = metric_value(item)
    return out


def metric_value(item: Mapping[str, Any]) -> Any:
    """One metric's value: a number, a list of `(end_time, value)`, or a dict."""
    links = item.get("link_total_values")
    if isinstance(links, list):
        return _link_totals(links)
    total = item.get("total_value")
    if isinstance(total, Mapping):
        breakdowns = total.get("breakdowns")
        if isinstance(breakdowns, list):
            return {key: value for _, key, value in _buckets(breakdowns)}
        if total.get("link_url") is not None:
            return {str(total["link_url"]): total.get("value")}
        value = total.get("value")
        return dict(value) if isinstance(value, Mapping) else value
    values = item.get("values")
    if not isinstance(values, list) or not values:
        return [] if isinstance(values, list) else None
    points = [v for v in values if isinstance(v, Mapping)]
    if any("end_time" in v for v in points):
        return [(v.get("end_time"), v.get("value")) for v in points]
    last = points[-1].get("value") if points else None
    return dict(last) if isinstance(last, Mapping) else last


def rows(body: Mapping[str, Any]) -> list[InsightRow]:
    """A tidy table of an insights answer: one row per metric, point in time or bucket."""
    out: list[InsightRow] = []
    for item in _items(body):
        name = str(item["name"])
        period = None if item.get("period") is None else str(item["period"])
        out.extend(
            InsightRow(
                metric=name,
                period=period,
                end_time=None if end_time is None else str(end_time),
                breakdown=breakdown,
                key=None if key is None else str(key),
                value=value,
            )
            for end_time, breakdown, key, value in _observations(item)
        )
    return out


def _observations(item: Mapping[str, Any]) -> list[tuple[Any, str | None, Any, Any]]:
    """`(end_time, breakdown, key, value)` for each observation in one metric."""
    links = item.get("link_total_values")
    if isinstance(links, list):
        return [(None, "link_url", url, v) for url, v in _link_totals(links).items()]
    total = item.get("total_value")
    if isinstance(total, Mapping):
        if isinstance(total.get("breakdowns"), list):
            return [(None, dim, key, v) for dim, key, v in _buckets(total["breakdowns"])]
        if total.get("link_url") is not None:
            return [(None, "link_url", total["link_url"], total.get("value"))]
        value = total.get("value")
        if isinstance(value, Mapping):
            return [(None, None, k, v) for k, v in value.items()]
        return [(None, None, None, value)]
    out: list[tuple[Any, str | None, Any, Any]] = []
    values = item.get("values")
    for point in values if isinstance(values, list) else []:
        if not isinstance(point, Mapping):
            continue
        value = point.get("value")
        if isinstance(value, Mapping):
            out.extend((point.get("end_time"), None, k, v) for k, v in value.items())
        else:
            out.append((point.get("end_time"), None, None, value))
    return out


def _items(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    data = body.get("data")
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, Mapping) and item.get("name")]


def _link_totals(links: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in links:
        if not isinstance(entry, Mapping):
            continue
        url = str(entry.get("link_url"))
        value = entry.get("value")
        previous = out.get(url)
        out[url] = value if previous is None else previous + value
    return out


def _buckets(breakdowns: list[Any]) -> list[tuple[str, str, Any]]:
    """`(dimension, bucket, value)` from `total_value.breakdowns` (Graph's demographics shape:
    `[{'dimension_keys': ['country'], 'results': [{'dimension_values': ['US'], 'value': 9}]}]`)."""
    out: list[tuple[str, str, Any]] = []
    for breakdown in breakdowns:
        if not isinstance(breakdown, Mapping):
            continue
        dimension = ",".join(str(k) for k in breakdown.get("dimension_keys") or [])
        for result in breakdown.get("results") or []:
            if not isinstance(result, Mapping):
                continue
            key = ",".join(str(v) for v in result.get("dimension_values") or [])
            out.append((dimension, key, result.get("value")))
    return out
