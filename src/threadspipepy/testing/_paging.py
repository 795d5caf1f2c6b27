"""Pure helpers for the reading endpoints: time parameters, `limit`, cursors, `fields`.

Written from threads-api.md §4.1 and §5.2:

- `since`/`until` take a Unix timestamp "or a date/time representation parseable by
  strtotime()". The sandbox understands Unix seconds, `YYYY-MM-DD`, `YYYY/MM/DD`, ISO-8601
  date-times (`Z`, `+00:00` or `+0000` offsets; naive means UTC), `now`, `today`, `yesterday`,
  `tomorrow`, and relative forms such as `-3 days`, `+1 week` or `2 hours ago`. Anything else is
  code 100;
- list endpoints require `since >= 1688540400`, insights `since >= 1712991600`; `since < until`
  and `until <= now` (the sandbox clock);
- `limit`: default 25, at most 100. A larger value is clamped to 100 (chosen: Meta documents a
  maximum, not an error); zero, negative or non-integer values are code 100;
- `before`/`after` are opaque cursors that cannot be passed together. Every page with items
  carries `paging.cursors.before` (its first item) and `paging.cursors.after` (its last item),
  the last page included, as Meta's do. The reference says list responses have no
  `next`/`previous` links, yet Meta's own sample app follows them and recorded responses carry
  them, so the sandbox adds them by default: absolute URLs repeating the request's parameters
  with `limit` and the cursor, `next` only while items follow and `previous` only while items
  precede (`ThreadsSandbox(paging_links=False)` leaves them out). An empty page is
  `{"data": []}`, with no `paging` at all.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from urllib.parse import urlencode

from ._errors import GraphError, invalid_param
from ._text import graph_bool

T = TypeVar("T")

MIN_LIST_SINCE = 1688540400  # 2023-07-05, threads-api.md §4.1
MIN_INSIGHTS_SINCE = 1712991600  # 2024-04-13, threads-api.md §5.2
DEFAULT_LIMIT = 25
MAX_LIMIT = 100

_UNITS = {
    "sec": 1,
    "second": 1,
    "min": 60,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "week": 7 * 86400,
}
_RELATIVE = re.compile(
    r"([+-]?)\s*(\d+)\s*(sec|second|min|minute|hour|day|week)s?(\s+ago)?", re.IGNORECASE
)
_INT = re.compile(r"-?\d+")
_OFFSET = re.compile(r"([+-])(\d{2})(\d{2})$")


def parse_when(name: str, value: str, now: datetime) -> int:
    """Unix seconds from a Graph time parameter (see the module docstring for the forms)."""
    text = value.strip()
    if _INT.fullmatch(text):
        return int(text)
    lowered = text.lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    named = {
        "now": now,
        "today": midnight,
        "midnight": midnight,
        "yesterday": midnight - timedelta(days=1),
        "tomorrow": midnight + timedelta(days=1),
    }
    if lowered in named:
        return int(named[lowered].timestamp())
    relative = _RELATIVE.fullmatch(lowered)
    if relative:
        sign, amount, unit, ago = relative.groups()
        seconds = int(amount) * _UNITS[unit]
        if (sign == "-") != bool(ago):
            seconds = -seconds
        return int((now + timedelta(seconds=seconds)).timestamp())
    iso = text.replace("/", "-") if re.fullmatch(r"\d{4}/\d{2}/\d{2}", text) else text
    iso = iso.replace("Z", "+00:00").replace("z", "+00:00")
    iso = _OFFSET.sub(r"\1\2:\3", iso) if "T" in iso or " " in iso else iso
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise invalid_param(
            f"Param {name} must be a Unix timestamp or a date/time string; got {value!r}"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def time_range(
    params: dict[str, str], now: datetime, *, earliest: int
) -> tuple[int | None, int | None]:
    """Validated `since`/`until` (Unix seconds, each None when absent)."""
    raw_since, raw_until = params.get("since", ""), params.get("until", "")
    since = parse_when("since", raw_since, now) if raw_since.strip() else None
    until = parse_when("until", raw_until, now) if raw_until.strip() else None
    if since is not None and since < earliest:
        raise invalid_param(f"Param since must be at or after {earliest} (Unix time); got {since}")
    if until is not None and until < earliest:
        raise invalid_param(f"Param until must be at or after {earliest} (Unix time); got {until}")
    if until is not None and until > now.timestamp():
        raise invalid_param(f"Param until must not be in the future; got {until}")
    if since is not None and until is not None and since >= until:
        raise invalid_param(f"Param since ({since}) must be earlier than until ({until})")
    return since, until


def parse_limit(params: dict[str, str]) -> int:
    raw = params.get("limit", "").strip()
    if not raw:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise invalid_param(f"Param limit must be an integer; got {raw!r}") from None
    if limit < 1:
        raise invalid_param("Param limit must be a positive integer")
    return min(limit, MAX_LIMIT)


def parse_flag(params: dict[str, str], name: str, default: bool) -> bool:
    """A Graph boolean parameter with a default when absent or empty (see graph_bool)."""
    raw = params.get(name)
    if raw is None or raw.strip() == "":
        return default
    return graph_bool(name, raw)


def required_flag(params: dict[str, str], name: str) -> bool:
    if params.get(name) is None or params.get(name, "").strip() == "":
        raise invalid_param(f"The parameter {name} is required")
    return parse_flag(params, name, False)


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(f"sandbox:{key}".encode()).decode().rstrip("=")


def decode_cursor(name: str, cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
    except ValueError:
        raise invalid_param(f"Param {name} is not a valid cursor") from None
    if not text.startswith("sandbox:"):
        raise invalid_param(f"Param {name} is not a valid cursor")
    return text[len("sandbox:") :]


@dataclass(frozen=True)
class Page:
    """One page of a list, with the cursors to hand back and what lies either side of it."""

    items: list[Any]
    before: str | None
    after: str | None
    limit: int = DEFAULT_LIMIT
    has_previous: bool = False  # items precede this page (newer ones, for a newest-first list)
    has_next: bool = False  # items follow it
    repeated_after: str | None = None  # the repeat_last_cursor quirk: echo this cursor


@dataclass(frozen=True)
class LinkBase:
    """What a `paging.next`/`previous` link is built from: the request's absolute URL (no
    query) and its parameters (the access token never goes into a link)."""

    url: str
    params: Mapping[str, str]

    def link(self, drop: Iterable[str] = (), **values: str | int) -> str:
        """The request's URL with its parameters, minus `drop`, plus `values`."""
        dropped = {"access_token", *drop, *values}
        query = {k: v for k, v in self.params.items() if k not in dropped}
        query.update({k: str(v) for k, v in values.items()})
        return f"{self.url}?{urlencode(query)}"


def paginate(
    items: Sequence[T],
    key: Callable[[T], str],
    params: dict[str, str],
    *,
    repeat_last_cursor: bool = False,
) -> Page:
    """Cut one page out of `items` (already filtered and ordered) per limit/before/after."""
    limit = parse_limit(params)
    before, after = params.get("before", ""), params.get("after", "")
    if before and after:
        raise invalid_param("Params before and after cannot be passed at the same time")
    keys = [key(item) for item in items]
    if after:
        anchor = decode_cursor("after", after)
        start = keys.index(anchor) + 1 if anchor in keys else len(keys)
        end = min(start + limit, len(keys))
    elif before:
        anchor = decode_cursor("before", before)
        end = keys.index(anchor) if anchor in keys else 0
        start = max(0, end - limit)
    else:
        start, end = 0, min(limit, len(keys))
    page = list(items[start:end])
    if not page:
        if repeat_last_cursor and after and start >= len(keys) and keys:
            return Page([], None, None, limit, repeated_after=after)
        return Page([], None, None, limit)
    return Page(
        page,
        encode_cursor(keys[start]),
        encode_cursor(keys[end - 1]),
        limit,
        has_previous=start > 0,
        has_next=end < len(keys),
    )


def page_body(page: Page, data: list[Any], links: LinkBase | None = None) -> dict[str, Any]:
    """`{"data": [...], "paging": {"cursors": {...}, "next": ..., "previous": ...}}` for a page
    (no paging when empty; links only with `links` and only in a direction with items)."""
    body: dict[str, Any] = {"data": data}
    if page.repeated_after is not None:
        cursor = page.repeated_after
        body["paging"] = {"cursors": {"before": cursor, "after": cursor}}
        return body
    if not page.items:
        return body
    paging: dict[str, Any] = {"cursors": {"before": page.before, "after": page.after}}
    if links is not None:
        cursors = ("before", "after")
        if page.has_next and page.after is not None:
            paging["next"] = links.link(cursors, limit=page.limit, after=page.after)
        if page.has_previous and page.before is not None:
            paging["previous"] = links.link(cursors, limit=page.limit, before=page.before)
    body["paging"] = paging
    return body


def nonexisting(name: str, node_type: str) -> GraphError:
    """Graph's answer to a `fields=` entry the node type does not have (code 100)."""
    return invalid_param(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")


def user_rate_limit(what: str, total: int, window: str = "24 hours") -> GraphError:
    """Code 17 ("User request limit reached"), HTTP 400: a per-user limit across all apps."""
    return GraphError(f"(#17) User request limit reached: {total} {what} per {window}", code=17)
