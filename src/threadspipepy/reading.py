"""Reading: request building for every getter, date parsing, lazy pagination, web intents.

Everything here is pure (values in, values out, no I/O, no clock) except `paginate`, which
calls the page function it is given. The argument checks live in `validation` (re-exported
here under their old names); the facade (`_reading_facade.ReadingMethods`) builds requests with
these functions, sends them through its GraphClient and shapes the result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, get_args
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit

from ._urls import path_of
from .errors import ValidationError, error_from_envelope
from .shapes import ApprovalStatus, SearchMediaType, SearchMode, SearchType
from .validation import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from .validation import Fields as Fields
from .validation import TimeLike as TimeLike
from .validation import choice as choice
from .validation import cursors as cursors
from .validation import fields_param as fields_param
from .validation import flag as flag
from .validation import item_limit as item_limit
from .validation import node_id as node_id
from .validation import page_limit as page_limit
from .validation import time_range as time_range
from .validation import to_unix as to_unix
from .validation import username as username

# Lists refuse `since` before Threads' launch week (threads-api.md §4.1).
EARLIEST_LIST_TIME = 1688540400
EARLIEST_LIST_LABEL = "2023-07-05 (07:00 UTC)"
DEFAULT_PAGE_SIZE = 25

# -- default `fields` per endpoint -------------------------------------------------------------
# 0.4.5's lists (without its duplicated is_quote_post), so a 0.4.5 script gets the same keys.
POST_FIELDS: tuple[str, ...] = (
    "id",
    "is_quote_post",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "owner",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "alt_text",
    "children",
    "link_attachment_url",
)
PROFILE_FIELDS: tuple[str, ...] = (
    "id",
    "username",
    "name",
    "threads_profile_picture_url",
    "threads_biography",
    "is_verified",
)
REPLY_FIELDS: tuple[str, ...] = (
    "id",
    "text",
    "timestamp",
    "media_product_type",
    "media_type",
    "media_url",
    "shortcode",
    "thumbnail_url",
    "children",
    "has_replies",
    "root_post",
    "replied_to",
    "is_reply",
    "hide_status",
    "username",
    "permalink",
)
USER_REPLY_FIELDS: tuple[str, ...] = (
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "children",
    "is_quote_post",
    "has_replies",
    "root_post",
    "replied_to",
    "is_reply",
    "is_reply_owned_by_me",
    "reply_audience",
)
PENDING_REPLY_FIELDS: tuple[str, ...] = (*REPLY_FIELDS, "reply_approval_status")
# Other people's posts: `owner` is only ever returned on your own top-level posts.
PUBLIC_POST_FIELDS: tuple[str, ...] = tuple(f for f in POST_FIELDS if f != "owner")
GHOST_POST_FIELDS: tuple[str, ...] = (
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "owner",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "ghost_post_status",
    "ghost_post_expiration_timestamp",
)
PROFILE_LOOKUP_FIELDS: tuple[str, ...] = (
    "username",
    "name",
    "profile_picture_url",
    "biography",
    "follower_count",
    "likes_count",
    "quotes_count",
    "reposts_count",
    "views_count",
    "is_verified",
)
LOCATION_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "address",
    "city",
    "country",
    "latitude",
    "longitude",
    "postal_code",
)
GEO_GATING_FIELDS = "id,is_eligible_for_geo_gating"
ALLOWLISTED_COUNTRY_FIELDS = "id,allowlisted_country_codes"

# The values of the Literal types in shapes.py.
SEARCH_TYPES: tuple[str, ...] = get_args(SearchType)
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)
SEARCH_MEDIA_TYPES: tuple[str, ...] = get_args(SearchMediaType)
APPROVAL_STATUSES: tuple[str, ...] = get_args(ApprovalStatus)
OEMBED_MIN_WIDTH, OEMBED_MAX_WIDTH = 320, 658

INTENT_POST_URL = "https://www.threads.com/intent/post"
INTENT_FOLLOW_URL = "https://www.threads.com/intent/follow"
# Reply controls the post intent accepts (threads-api.md §8): parent_post_author_only is not one.
INTENT_REPLY_CONTROLS = ("everyone", "accounts_you_follow", "mentioned_only", "followers_only")
INTENT_TAG_MAX = 50


@dataclass(frozen=True)
class GraphRequest:
    """One Graph request, built before anything is sent: `GET /{path}?{params}`."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)


# -- request builders --------------------------------------------------------------------------
def list_request(
    path: str,
    default_fields: Sequence[str] | str,
    *,
    fields: Fields = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    limit: int | None = None,
    before: str | None = None,
    after: str | None = None,
    since_name: str = "since_date",
    until_name: str = "until_date",
    extra: Mapping[str, Any] | None = None,
) -> GraphRequest:
    """A list endpoint's GET: fields, one `since`, one `until`, one `limit`, cursors."""
    low, high = time_range(
        since,
        until,
        since_name=since_name,
        until_name=until_name,
        earliest=EARLIEST_LIST_TIME,
        earliest_label=EARLIEST_LIST_LABEL,
    )
    params: dict[str, Any] = {"fields": fields_param(fields, default_fields)}
    params.update(extra or {})
    params.update(since=low, until=high, limit=page_limit(limit))
    params.update(cursors(before, after))
    return GraphRequest("GET", path, _drop_none(params))


def replies_request(
    post_id: Any,
    edge: str,
    default_fields: Sequence[str],
    *,
    reverse: Any,
    fields: Fields = None,
    limit: int | None = None,
    before: str | None = None,
    after: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> GraphRequest:
    """`GET /{post_id}/replies|conversation|pending_replies` with `reverse` always sent."""
    node = node_id(post_id, "post_id")
    params: dict[str, Any] = {
        "fields": fields_param(fields, default_fields),
        "reverse": flag(reverse, "reverse"),
    }
    params.update(extra or {})
    params.update(limit=page_limit(limit), **cursors(before, after))
    return GraphRequest("GET", path_of(node, edge), _drop_none(params))


def object_request(
    node: Any, parameter: str, default_fields: Sequence[str], fields: Fields
) -> GraphRequest:
    """`GET /{node}?fields=...` for one object (a post, a location)."""
    ident = node_id(node, parameter)
    return GraphRequest("GET", path_of(ident), {"fields": fields_param(fields, default_fields)})


def keyword_search_request(
    q: Any,
    search_type: str | None = None,
    search_mode: str | None = None,
    media_type: str | None = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    limit: int | None = None,
    author_username: str | None = None,
    fields: Fields = None,
    *,
    before: str | None = None,
    after: str | None = None,
) -> GraphRequest:
    """`GET /keyword_search` with every documented parameter (threads-api.md §4.7)."""
    if not isinstance(q, str) or not q.strip():
        raise ValidationError(
            "q must be a non-empty keyword (or the tag text with search_mode='TAG').",
            parameter="q",
        )
    extra = {
        "q": q.strip(),
        "search_type": choice(search_type, SEARCH_TYPES, "search_type", upper=True),
        "search_mode": choice(search_mode, SEARCH_MODES, "search_mode", upper=True),
        "media_type": choice(media_type, SEARCH_MEDIA_TYPES, "media_type", upper=True),
        "author_username": (
            None if author_username is None else username(author_username, "author_username")
        ),
    }
    return list_request(
        "keyword_search",
        PUBLIC_POST_FIELDS,
        fields=fields,
        since=since,
        until=until,
        limit=limit,
        before=before,
        after=after,
        since_name="since",
        until_name="until",
        extra=extra,
    )


def location_search_request(
    q: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    fields: Fields = None,
) -> GraphRequest:
    """`GET /location_search` by name (`q`), by coordinates, or both."""
    if q is not None and (not isinstance(q, str) or not q.strip()):
        raise ValidationError("q must be a non-empty place name or address.", parameter="q")
    if (latitude is None) != (longitude is None):
        raise ValidationError(
            "latitude and longitude go together: give both or neither.",
            parameter="latitude" if latitude is None else "longitude",
        )
    if q is None and latitude is None:
        raise ValidationError(
            "search_locations() needs q (a name or address) or latitude and longitude.",
            parameter="q",
        )
    params: dict[str, Any] = {"q": q.strip() if q is not None else None}
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not -bound <= value <= bound
        ):
            raise ValidationError(
                f"{name} must be a number from -{bound} to {bound}, got {value!r}.",
                parameter=name,
            )
        params[name] = float(value)
    params["fields"] = fields_param(fields, LOCATION_FIELDS)
    return GraphRequest("GET", "location_search", _drop_none(params))


def oembed_request(url: Any, maxwidth: int | None = None) -> GraphRequest:
    """`GET /oembed?url=...[&maxwidth=320..658]` for a post's permalink."""
    if not isinstance(url, str) or not re.match(r"(?i)^https?://[^\s/]+/\S+$", url.strip()):
        raise ValidationError(
            "url must be a Threads post permalink such as "
            f"'https://www.threads.com/@user/post/SHORTCODE', got {url!r}.",
            parameter="url",
        )
    if maxwidth is not None and (
        isinstance(maxwidth, bool)
        or not isinstance(maxwidth, int)
        or not OEMBED_MIN_WIDTH <= maxwidth <= OEMBED_MAX_WIDTH
    ):
        raise ValidationError(
            f"maxwidth must be an integer from {OEMBED_MIN_WIDTH} to {OEMBED_MAX_WIDTH} "
            f"(pixels), got {maxwidth!r}.",
            parameter="maxwidth",
        )
    return GraphRequest("GET", "oembed", _drop_none({"url": url.strip(), "maxwidth": maxwidth}))


def _drop_none(params: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if value is not None}


# -- web intents -------------------------------------------------------------------------------
def post_intent_url(
    text: str | None = None,
    link: str | None = None,
    *,
    tag: str | None = None,
    reply_control: str | None = None,
    reply_post_shortcode: str | None = None,
    quote_post_shortcode: str | None = None,
) -> str:
    """`https://www.threads.com/intent/post?...`, every parameter percent-encoded."""
    params: dict[str, str] = {}
    if text is not None:
        params["text"] = _intent_text(text, "text")
    if link is not None:
        if not isinstance(link, str) or not re.match(r"(?i)^https?://[^\s/]+", link.strip()):
            raise ValidationError(f"link must be an http(s) URL, got {link!r}.", parameter="link")
        params["url"] = link.strip()
    if tag is not None:
        topic = _intent_text(tag, "tag").strip().removeprefix("#")
        if not 1 <= len(topic) <= INTENT_TAG_MAX or re.search(r"[\n\r\t.&]", topic):
            raise ValidationError(
                f"tag must be 1-{INTENT_TAG_MAX} characters without newlines, tabs, '.' or "
                f"'&', got {tag!r}.",
                parameter="tag",
            )
        params["tag"] = topic
    control = choice(reply_control, INTENT_REPLY_CONTROLS, "reply_control", upper=False)
    if control is not None:
        params["reply_control"] = control
    for name, value in (
        ("reply_post_shortcode", reply_post_shortcode),
        ("quote_post_shortcode", quote_post_shortcode),
    ):
        if value is not None:
            if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9_-]+$", value.strip()):
                raise ValidationError(
                    f"{name} must be a post's shortcode (the part after /post/ in its "
                    f"permalink), got {value!r}.",
                    parameter=name,
                )
            params[name] = value.strip()
    return _intent(INTENT_POST_URL, params)


def follow_intent_url(name: Any) -> str:
    """`https://www.threads.com/intent/follow?username=...`."""
    return _intent(INTENT_FOLLOW_URL, {"username": username(name)})


def _intent_text(value: Any, parameter: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{parameter} must be a string, got {value!r}.", parameter=parameter)
    return value


def _intent(base: str, params: Mapping[str, str]) -> str:
    if not params:
        return base
    return f"{base}?{urlencode(params, quote_via=quote, safe='')}"


# -- pagination --------------------------------------------------------------------------------
PageFetcher: TypeAlias = Callable[[str | None, int], Mapping[str, Any]]
# Follows a `paging.next` URL for a page of `size`; None when it will not (another host).
LinkFollower: TypeAlias = Callable[[str, int], "Mapping[str, Any] | None"]


def paginate(
    fetch_page: PageFetcher,
    limit: int | None = None,
    *,
    page_size: int = MAX_PAGE_SIZE,
    follow_link: LinkFollower | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the items of every page, lazily: `fetch_page(after, size)` returns one page.

    Pages look like `{'data': [...], 'paging': {'cursors': {'before': ..., 'after': ...},
    'next': URL, 'previous': URL}}`, with or without the links: Meta's reference documents
    only the cursors, its sample app follows `next`. The first call gets `after=None`; `size`
    is `page_size` (Meta's largest, 100, by default), or fewer when `limit` items are nearly
    reached. After each page:

    - a page with `paging.next` is followed by `follow_link(next, size)` when given (falling
      back to the `after` cursor when it returns None);
    - a page with links but no `next` is the last one (its `after` cursor is not asked for);
    - a page without links is followed by its `after` cursor (the last page keeps one, so the
      end is the empty page after it).

    Iteration stops after `limit` items, at a page without data, and before asking for a
    cursor already asked for (a server that repeats itself cannot make this loop forever).
    A page that is an error result (`'error' in page`) raises its typed exception.
    """
    cap = item_limit(limit)
    size = min(page_limit(page_size, "page_size") or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    return _pages(fetch_page, follow_link, cap, size)


def _pages(
    fetch_page: PageFetcher, follow_link: LinkFollower | None, cap: int | None, size: int
) -> Iterator[dict[str, Any]]:
    if cap == 0:
        return
    yielded = 0
    asked: set[str] = set()
    page: Mapping[str, Any] | None = fetch_page(None, size if cap is None else min(size, cap))
    while page is not None:
        raise_if_error(page)
        items = page.get("data")
        if not isinstance(items, list) or not items:
            return
        for item in items:
            yield item
            yielded += 1
            if cap is not None and yielded >= cap:
                return
        step = next_page(page)
        if step is None:
            return
        want = size if cap is None else min(size, cap - yielded)
        page = _fetch_next(step, fetch_page, follow_link, want, asked)


@dataclass(frozen=True)
class NextPage:
    """Where the page after one is: its `paging.next` link and its `after` cursor."""

    link: str | None
    cursor: str | None


def next_page(page: Mapping[str, Any]) -> NextPage | None:
    """The way to the next page, or None when this page is the last one it can tell of."""
    paging = page.get("paging")
    if not isinstance(paging, Mapping):
        return None
    link = _nonempty(paging.get("next"))
    if link is None and _nonempty(paging.get("previous")) is not None:
        return None  # links, and none of them is `next`: the end
    cursor = next_cursor(page)
    if link is None and cursor is None:
        return None
    return NextPage(link, cursor)


def _fetch_next(
    step: NextPage,
    fetch_page: PageFetcher,
    follow_link: LinkFollower | None,
    size: int,
    asked: set[str],
) -> Mapping[str, Any] | None:
    """The next page by its link, else by its cursor; None rather than ask for one twice."""
    if step.link is not None and follow_link is not None:
        key = link_cursor(step.link) or step.link
        if key in asked:
            return None
        fetched = follow_link(step.link, size)
        if fetched is not None:
            asked.add(key)
            return fetched
    if step.cursor is None or step.cursor in asked:
        return None
    asked.add(step.cursor)
    return fetch_page(step.cursor, size)


def next_cursor(page: Mapping[str, Any]) -> str | None:
    """The page's `paging.cursors.after` (or the older top-level `paging.after`), if any."""
    paging = page.get("paging")
    if not isinstance(paging, Mapping):
        return None
    found = paging.get("cursors")
    cursor = found.get("after") if isinstance(found, Mapping) else paging.get("after")
    return _nonempty(cursor)


def link_cursor(url: str) -> str | None:
    """The `after` cursor a `paging.next` URL carries, if any."""
    return _nonempty(dict(parse_qsl(urlsplit(url).query)).get("after"))


def link_request(url: str, base_url: str, limit: int | None = None) -> GraphRequest | None:
    """The GET a `paging.next` URL stands for, as a path under the configured `base_url`
    (version included, so send it unversioned) and its parameters; `limit`, when given,
    replaces the page size the link asks for.

    None when the URL is anywhere else: another scheme, host or port, credentials in the URL,
    or a path outside the base URL's. The access token must never travel to a host the user
    did not configure, so such a link is not followed (page by the cursor instead). An
    `access_token` in the link is dropped: the client sends its own, in a header.
    """
    try:
        link, base = urlsplit(url.strip()), urlsplit(base_url)
        same_origin = (
            link.scheme.lower() == base.scheme.lower()
            and link.hostname is not None
            and link.hostname == base.hostname
            and _port(link) == _port(base)
        )
    except ValueError:  # a malformed port
        return None
    prefix = base.path.rstrip("/") + "/"
    if not same_origin or link.username is not None or not link.path.startswith(prefix):
        return None
    params: dict[str, Any] = dict(parse_qsl(link.query, keep_blank_values=True))
    params.pop("access_token", None)
    if limit is not None:
        params["limit"] = limit
    return GraphRequest("GET", link.path[len(prefix) :], params)


def _port(parts: SplitResult) -> int | None:
    return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())


def _nonempty(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def raise_if_error(page: Mapping[str, Any]) -> None:
    """Raise the typed exception behind a failed result (`'error' in page`); else nothing."""
    if "error" not in page:
        return
    raise_for_error = getattr(page, "raise_for_error", None)
    if callable(raise_for_error):
        raise_for_error()
    error = page.get("error")
    raise error_from_envelope({"error": error} if isinstance(error, Mapping) else None, None)
