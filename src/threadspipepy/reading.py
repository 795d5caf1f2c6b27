"""Reading: request building for every getter, date parsing, lazy pagination, web intents.

Everything here is pure (values in, values out, no I/O, no clock) except `paginate`, which
calls the page function it is given. The argument checks live in `validation` (re-exported
here under their old names); the facade (`_reading_facade.ReadingMethods`) builds requests with
these functions, sends them through its GraphClient and shapes the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar
from urllib.parse import SplitResult, parse_qsl, quote, urlencode, urlsplit

from . import validation
from ._urls import path_of
from .errors import error_from_envelope
from .shapes import Post, Reply
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

# The values of the Literal types in shapes.py (the checks live in validation).
SEARCH_TYPES = validation.SEARCH_TYPES
SEARCH_MODES = validation.SEARCH_MODES
SEARCH_MEDIA_TYPES = validation.SEARCH_MEDIA_TYPES
APPROVAL_STATUSES = validation.APPROVAL_STATUSES
OEMBED_MIN_WIDTH, OEMBED_MAX_WIDTH = validation.OEMBED_MIN_WIDTH, validation.OEMBED_MAX_WIDTH

INTENT_POST_URL = "https://www.threads.com/intent/post"
INTENT_FOLLOW_URL = "https://www.threads.com/intent/follow"
INTENT_REPLY_CONTROLS = validation.INTENT_REPLY_CONTROLS
INTENT_TAG_MAX = validation.INTENT_TAG_MAX

ItemT = TypeVar("ItemT")
# An endpoint option's check: the value given -> the value sent (None: not sent).
OptionCheck: TypeAlias = Callable[[Any], Any]


@dataclass(frozen=True)
class GraphRequest:
    """One Graph request, built before anything is sent: `GET /{path}?{params}`."""

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)


# -- the read endpoints, each described once -----------------------------------------------------
@dataclass(frozen=True)
class ReadSpec(Generic[ItemT]):
    """One read endpoint of the Graph API: everything a getter and its iterator need.

    `path` is the path under the version; `{id}` in it stands for the node the caller names,
    checked as the parameter `node` (`post_id`, ...). `fields` is the default `fields=`;
    `scope` the permission Meta asks for (threads-api.md §2.8); `paged` whether it answers
    pages (`limit=`, cursors, an `iter_*`); `dated` whether it takes a time range, named
    `time_names` in messages; `reverse` whether `reverse=` is always sent (reply lists);
    `options` its own parameters, each with the check (validation.py) that turns the value given
    into the value sent. `ItemT` is what its iterator yields.
    """

    path: str
    fields: Sequence[str] | str
    scope: str
    node: str | None = None
    paged: bool = True
    dated: bool = False
    time_names: tuple[str, str] = ("since_date", "until_date")
    reverse: bool = False
    options: Mapping[str, OptionCheck] = field(default_factory=dict)


_SEARCH_OPTIONS: Mapping[str, OptionCheck] = {
    "q": validation.keyword,
    "search_type": validation.search_type,
    "search_mode": validation.search_mode,
    "media_type": validation.search_media_type,
    "author_username": validation.author_username,
}

# Lists: paged, newest first (reply lists: oldest first unless reverse=True).
POSTS: ReadSpec[Post] = ReadSpec("me/threads", POST_FIELDS, "threads_basic", dated=True)
USER_REPLIES: ReadSpec[Reply] = ReadSpec(
    "me/replies", USER_REPLY_FIELDS, "threads_read_replies", dated=True
)
GHOST_POSTS: ReadSpec[Post] = ReadSpec(
    "me/ghost_posts", GHOST_POST_FIELDS, "threads_basic", dated=True
)
MENTIONS: ReadSpec[Post] = ReadSpec(
    "me/mentions", PUBLIC_POST_FIELDS, "threads_manage_mentions", dated=True
)
ALLOWLISTED_COUNTRIES: ReadSpec[dict[str, Any]] = ReadSpec(
    "me/threads", ALLOWLISTED_COUNTRY_FIELDS, "threads_basic"
)
REPLIES: ReadSpec[Reply] = ReadSpec(
    "{id}/replies", REPLY_FIELDS, "threads_read_replies", node="post_id", reverse=True
)
CONVERSATION: ReadSpec[Reply] = ReadSpec(
    "{id}/conversation", REPLY_FIELDS, "threads_read_replies", node="post_id", reverse=True
)
PENDING_REPLIES: ReadSpec[Reply] = ReadSpec(
    "{id}/pending_replies",
    PENDING_REPLY_FIELDS,
    "threads_read_replies",
    node="post_id",
    reverse=True,
    options={"approval_status": validation.approval_status},
)
KEYWORD_SEARCH: ReadSpec[Post] = ReadSpec(
    "keyword_search",
    PUBLIC_POST_FIELDS,
    "threads_keyword_search",
    dated=True,
    time_names=("since", "until"),
    options=_SEARCH_OPTIONS,
)
PROFILE_POSTS: ReadSpec[Post] = ReadSpec(
    "profile_posts",
    PUBLIC_POST_FIELDS,
    "threads_profile_discovery",
    dated=True,
    options={"username": validation.username},
)
# Objects: one answer, no pages.
POST: ReadSpec[Post] = ReadSpec("{id}", POST_FIELDS, "threads_basic", node="post_id", paged=False)
PROFILE: ReadSpec[dict[str, Any]] = ReadSpec("me", PROFILE_FIELDS, "threads_basic", paged=False)
PROFILE_LOOKUP: ReadSpec[dict[str, Any]] = ReadSpec(
    "profile_lookup",
    PROFILE_LOOKUP_FIELDS,
    "threads_profile_discovery",
    paged=False,
    options={"username": validation.username},
)
LOCATION: ReadSpec[dict[str, Any]] = ReadSpec(
    "{id}", LOCATION_FIELDS, "threads_basic", node="location_id", paged=False
)
READ_SPECS: Mapping[str, ReadSpec[Any]] = {
    "POSTS": POSTS,
    "USER_REPLIES": USER_REPLIES,
    "GHOST_POSTS": GHOST_POSTS,
    "MENTIONS": MENTIONS,
    "ALLOWLISTED_COUNTRIES": ALLOWLISTED_COUNTRIES,
    "REPLIES": REPLIES,
    "CONVERSATION": CONVERSATION,
    "PENDING_REPLIES": PENDING_REPLIES,
    "KEYWORD_SEARCH": KEYWORD_SEARCH,
    "PROFILE_POSTS": PROFILE_POSTS,
    "POST": POST,
    "PROFILE": PROFILE,
    "PROFILE_LOOKUP": PROFILE_LOOKUP,
    "LOCATION": LOCATION,
}


def request_for(
    spec: ReadSpec[Any],
    *,
    node: Any = None,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    reverse: Any = False,
    fields: Fields = None,
    limit: int | None = None,
    before: str | None = None,
    after: str | None = None,
    **options: Any,
) -> GraphRequest:
    """The GET a spec stands for, every argument checked (ValidationError names the culprit).

    Checked in this order: the node id, the spec's options, the time range, `fields`,
    `reverse`, the page size and the cursors. An option the spec does not take is a TypeError.
    """
    unknown = sorted(set(options) - set(spec.options))
    if unknown:
        raise TypeError(f"{spec.path} takes no option(s) {', '.join(unknown)}")
    path = spec.path
    if spec.node is not None:
        path = path.format(id=path_of(node_id(node, spec.node)))
    sent = {name: check(options.get(name)) for name, check in spec.options.items()}
    low, high = (None, None)
    if spec.dated:
        low, high = time_range(
            since,
            until,
            since_name=spec.time_names[0],
            until_name=spec.time_names[1],
            earliest=EARLIEST_LIST_TIME,
            earliest_label=EARLIEST_LIST_LABEL,
        )
    params: dict[str, Any] = {"fields": fields_param(fields, spec.fields)}
    if spec.reverse:
        params["reverse"] = flag(reverse, "reverse")
    params.update(sent)
    if spec.paged:
        params.update(since=low, until=high, limit=page_limit(limit))
        params.update(cursors(before, after))
    return GraphRequest("GET", path, _drop_none(params))


# -- the builders of 0.5 (kept: a spec made on the spot) -----------------------------------------
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
    given = dict(extra or {})
    spec: ReadSpec[Any] = ReadSpec(
        path,
        default_fields,
        "threads_basic",
        dated=True,
        time_names=(since_name, until_name),
        options=dict.fromkeys(given, _as_given),
    )
    return request_for(
        spec,
        since=since,
        until=until,
        fields=fields,
        limit=limit,
        before=before,
        after=after,
        **given,
    )


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
    given = dict(extra or {})
    spec: ReadSpec[Any] = ReadSpec(
        f"{{id}}/{path_of(edge)}",
        default_fields,
        "threads_read_replies",
        node="post_id",
        reverse=True,
        options=dict.fromkeys(given, _as_given),
    )
    return request_for(
        spec,
        node=post_id,
        reverse=reverse,
        fields=fields,
        limit=limit,
        before=before,
        after=after,
        **given,
    )


def object_request(
    node: Any, parameter: str, default_fields: Sequence[str], fields: Fields
) -> GraphRequest:
    """`GET /{node}?fields=...` for one object (a post, a location)."""
    spec: ReadSpec[Any] = ReadSpec(
        "{id}", default_fields, "threads_basic", node=parameter, paged=False
    )
    return request_for(spec, node=node, fields=fields)


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
    return request_for(
        KEYWORD_SEARCH,
        q=q,
        search_type=search_type,
        search_mode=search_mode,
        media_type=media_type,
        author_username=author_username,
        since=since,
        until=until,
        limit=limit,
        fields=fields,
        before=before,
        after=after,
    )


def _as_given(value: Any) -> Any:
    return value


# -- endpoints with checks of their own ----------------------------------------------------------
def location_search_request(
    q: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    fields: Fields = None,
) -> GraphRequest:
    """`GET /location_search` by name (`q`), by coordinates, or both (not paginated)."""
    params: dict[str, Any] = dict(validation.place_query(q, latitude, longitude))
    params["fields"] = fields_param(fields, LOCATION_FIELDS)
    return GraphRequest("GET", "location_search", _drop_none(params))


def oembed_request(url: Any, maxwidth: int | None = None) -> GraphRequest:
    """`GET /oembed?url=...[&maxwidth=320..658]` for a post's permalink."""
    params = {"url": validation.permalink(url), "maxwidth": validation.embed_width(maxwidth)}
    return GraphRequest("GET", "oembed", _drop_none(params))


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
    params: dict[str, str | None] = {
        "text": None if text is None else validation.intent_text(text, "text"),
        "url": None if link is None else validation.intent_link(link),
        "tag": None if tag is None else validation.intent_tag(tag),
        "reply_control": validation.intent_reply_control(reply_control),
    }
    for name, value in (
        ("reply_post_shortcode", reply_post_shortcode),
        ("quote_post_shortcode", quote_post_shortcode),
    ):
        params[name] = None if value is None else validation.shortcode(value, name)
    return _intent(INTENT_POST_URL, _drop_none(params))


def follow_intent_url(name: Any) -> str:
    """`https://www.threads.com/intent/follow?username=...`."""
    return _intent(INTENT_FOLLOW_URL, {"username": username(name)})


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
