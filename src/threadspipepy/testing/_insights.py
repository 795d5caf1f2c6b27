"""Insights (threads-api.md §5): GET /{media-id}/insights and GET /{user-id}/threads_insights.

The three response shapes:

- lifetime values (media): `{"name", "period": "lifetime", "values": [{"value": n}], "title",
  "description", "id": "<media-id>/insights/<name>/lifetime"}`;
- time series (user `views`): `{"name": "views", "period": "day", "values": [{"value": n,
  "end_time": "2026-12-02T08:00:00+0000"}, ...], ...}`, one value per Pacific day
  (America/Los_Angeles, daylight saving included), each stamped with the end of the day it
  covers: Pacific midnight, `T07:00:00+0000` in summer and `T08:00:00+0000` in winter;
- total value (user likes, replies, reposts, quotes, followers_count):
  `{"name", "period": "day", "total_value": {"value": n}, ...}`; link totals (`clicks`):
  `{"name": "clicks", "period": "day", "link_total_values": [{"value": n, "link_url": u}], ...}`.

`follower_demographics` is a total value whose buckets Meta never shows (threads-api.md §5.2
[UNCONFIRMED]). The sandbox uses the Instagram Graph API's breakdown shape:
`"total_value": {"breakdowns": [{"dimension_keys": ["country"], "results":
[{"dimension_values": ["US"], "value": 40}, ...]}]}`, results largest first.

Rules: `metric` is required and every name must be known (code 100); `followers_count` and
`follower_demographics` take no `since`/`until` (code 100, as threads-go refuses them
client-side); `follower_demographics` needs exactly one `breakdown` of country, city, age or
gender and at least 100 followers (code 100, THREADS_API__FEATURE_NOT_AVAILABLE); a `breakdown`
without `follower_demographics` is code 100. `since`/`until` are at or after 1712991600,
`since < until`, `until <= now`; without them the range is yesterday (Pacific midnight) until
now. The days of a range are the Pacific days that begin inside it (a `since` at UTC midnight
does not add the Pacific day already under way), or the day containing `since` when none begins
inside it (a sandbox choice: Meta does not say which days a range covers).

User insights carry `paging.previous` and `paging.next` (with the sandbox's paging links on):
the request's URL with the window of the same length just before and just after the one
answered, each clamped to what Meta accepts (not before 1712991600, not after now) and left
out when there is nothing that side. Answers with `followers_count` or
`follower_demographics`, which take no `since`/`until`, have no paging.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ._errors import invalid_param, permission_denied
from ._pacific import day_end, day_start, pacific_date
from ._paging import MIN_INSIGHTS_SINCE, LinkBase, time_range
from ._readstore import BREAKDOWNS, MEDIA_METRICS
from ._state import REPOST, AccountState, Post
from ._text import iso_timestamp

if TYPE_CHECKING:
    from ._reading import ReadingApp

USER_METRICS = (
    "views",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "clicks",
    "followers_count",
    "follower_demographics",
)
STATIC_METRICS = ("followers_count", "follower_demographics")
MIN_DEMOGRAPHIC_FOLLOWERS = 100

MEDIA_TEXT = {
    "views": ("Views", "The number of times your post was played or displayed."),
    "likes": ("Likes", "The number of likes on your post."),
    "replies": ("Replies", "The number of replies on your post."),
    "reposts": ("Reposts", "The number of times your post was reposted."),
    "quotes": ("Quotes", "The number of times your post was quoted."),
    "shares": ("Shares", "The number of times your post was shared."),
}
USER_TEXT = {
    "views": "The number of times your profile was viewed.",
    "likes": "The number of likes on your posts.",
    "replies": "The number of replies on your posts.",
    "reposts": "The number of times your posts were reposted.",
    "quotes": "The number of times your posts were quoted.",
    "clicks": "The number of clicks on links in your posts.",
    "followers_count": "Your total number of followers on Threads.",
    "follower_demographics": "The demographic characteristics of your followers.",
}


def metrics(params: dict[str, str], allowed: tuple[str, ...]) -> list[str]:
    raw = params.get("metric", "")
    names = [name.strip() for name in raw.split(",") if name.strip()]
    if not names:
        raise invalid_param("The parameter metric is required")
    for name in names:
        if name not in allowed:
            raise invalid_param(
                f"Param metric must be a comma-separated list of {{{', '.join(allowed)}}}; "
                f"got {name!r}"
            )
    return list(dict.fromkeys(names))


def media_insights(
    app: ReadingApp, post: Post, viewer: AccountState, params: dict[str, str]
) -> dict[str, Any]:
    names = metrics(params, MEDIA_METRICS)
    if post.owner != viewer.user_id:
        raise permission_denied()
    if post.media_type == REPOST:
        return {"data": []}  # REPOST_FACADE media have no insights (since Jun 25, 2024)
    data = []
    for name in names:
        title, description = MEDIA_TEXT[name]
        data.append(
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": app.store.media_metric(post, name)}],
                "title": title,
                "description": description,
                "id": f"{post.id}/insights/{name}/lifetime",
            }
        )
    return {"data": data}


def user_insights(app: ReadingApp, user: AccountState, params: dict[str, str]) -> dict[str, Any]:
    store = app.store
    names = metrics(params, USER_METRICS)
    now = store.wall_now()
    since, until = time_range(params, now, earliest=MIN_INSIGHTS_SINCE)
    static = [name for name in names if name in STATIC_METRICS]
    if static and (since is not None or until is not None):
        raise invalid_param(f"The metric {static[0]} does not support the since and until params")
    breakdown = _breakdown(params, names)
    if breakdown is not None and store.followers(user.user_id) < MIN_DEMOGRAPHIC_FOLLOWERS:
        raise invalid_param(
            "THREADS_API__FEATURE_NOT_AVAILABLE: follower_demographics needs at least "
            f"{MIN_DEMOGRAPHIC_FOLLOWERS} followers",
            user_msg="THREADS_API__FEATURE_NOT_AVAILABLE",
        )
    today = pacific_date(now.timestamp())
    start = since if since is not None else day_start(today - timedelta(days=1))
    end = until if until is not None else int(now.timestamp())
    days = _days(start, end)
    uid = user.user_id
    data = []
    for name in names:
        item: dict[str, Any] = {"name": name, "period": "day"}
        if name == "views":
            item["values"] = [
                {"value": store.daily_value(uid, name, day), "end_time": _end_time(day)}
                for day in days
            ]
        elif name == "clicks":
            pairs = store.clicks(uid)
            item["link_total_values"] = [{"value": n, "link_url": url} for url, n in pairs]
        elif name == "followers_count":
            item["total_value"] = {"value": store.followers(uid)}
        elif name == "follower_demographics":
            assert breakdown is not None
            buckets = sorted(store.demographics(uid, breakdown).items(), key=lambda kv: -kv[1])
            results = [{"dimension_values": [key], "value": value} for key, value in buckets]
            item["total_value"] = {
                "breakdowns": [{"dimension_keys": [breakdown], "results": results}]
            }
        else:
            series = store.series(uid)
            if series is not None and name in series.totals:
                total = series.totals[name]
            else:
                total = sum(store.daily_value(uid, name, day) for day in days)
            item["total_value"] = {"value": total}
        item["title"] = name
        item["description"] = USER_TEXT[name]
        item["id"] = f"{uid}/insights/{name}/day"
        data.append(item)
    body: dict[str, Any] = {"data": data}
    links = app.link_base(params)
    if links is not None and not static:
        paging = _windows(links, start, end, int(now.timestamp()))
        if paging:
            body["paging"] = paging
    return body


def _windows(links: LinkBase, start: int, end: int, now: int) -> dict[str, str]:
    """`previous`/`next`: the windows as long as [start, end) either side of it."""
    span = end - start
    paging: dict[str, str] = {}
    if start > MIN_INSIGHTS_SINCE:
        paging["previous"] = links.link(since=max(start - span, MIN_INSIGHTS_SINCE), until=start)
    if end < now:
        paging["next"] = links.link(since=end, until=min(end + span, now))
    return paging


def _breakdown(params: dict[str, str], names: list[str]) -> str | None:
    raw = params.get("breakdown", "")
    wants = "follower_demographics" in names
    if raw.strip() and not wants:
        raise invalid_param(
            "Param breakdown is only supported with the follower_demographics metric"
        )
    if not wants:
        return None
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if len(parts) != 1:
        raise invalid_param(
            "The metric follower_demographics requires exactly one breakdown: "
            f"one of {{{', '.join(BREAKDOWNS)}}}"
        )
    if parts[0] not in BREAKDOWNS:
        raise invalid_param(
            f"Param breakdown must be one of {{{', '.join(BREAKDOWNS)}}}; got {parts[0]!r}"
        )
    return parts[0]


def _days(start: int, end: int) -> list[date]:
    """The Pacific days that begin in [start, end), or the day containing `start` if none."""
    first = pacific_date(start)
    if day_start(first) < start:
        first += timedelta(days=1)
    last = pacific_date(max(start, end - 1))
    days = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    return days or [pacific_date(start)]


def _end_time(day: date) -> str:
    """Meta's stamp for a day's value: the end of that Pacific day, in UTC."""
    return iso_timestamp(datetime.fromtimestamp(day_end(day), timezone.utc))
