"""Discovery endpoints (threads-api.md §4.7-§4.11): keyword and tag search, profile lookup and
profile posts, location search and location nodes, oEmbed.

Sandbox choices where Meta is silent (each marked in the code):

- keyword_search pages like the other lists, cursors and links (Meta's examples show no
  paging; threads-go sends before/after anyway). It searches every public post in the sandbox
  (no carousel items, reposts, ghost posts, replies awaiting approval or private profiles).
  KEYWORD matches when every word of `q` occurs in the text (case-insensitive); TAG matches the
  post's topic_tag or a `#tag` in its text. TOP ranks by likes + reposts + quotes, RECENT by
  time, newest first. `media_type=TEXT` means TEXT_POST;
- over the 2,200 searches per rolling 24 h (counting only searches that found something) the
  answer is code 17, HTTP 400, as is profile discovery past 1,000 requests per 24 h;
- profile discovery covers public profiles with at least 100 followers; any other username
  (unknown, private, too small) is the same code 100 error, so the answer does not reveal which;
- location_search accepts `q` (the guide) and `query` (the reference). It is not paginated;
  latitude/longitude keep locations within 25 km, nearest first. Every search counts against
  the 500 per 24 h in threads_publishing_limit (`location_search_quota_usage`); over it, code 4.
  Result ids are JSON numbers, as in Meta's example; GET /{location-id} answers a string id;
- oEmbed needs no token (an app token `APP_ID|APP_SECRET` or a user token is accepted, and a
  bad token is still code 190); tokenless calls are limited to 1,000 per rolling hour (code 4).
  The post's author must be public and the post not geo-gated; the username in an `/@user/post/`
  URL must be the author's.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._errors import GraphError, invalid_param, no_such_object
from ._paging import (
    MIN_LIST_SINCE,
    nonexisting,
    time_range,
    user_rate_limit,
)
from ._readstore import HOUR, LOCATION_FIELDS, PROFILE_COUNT_FIELDS, Location
from ._records import Incoming
from ._state import REPOST, AccountState, Post
from ._text import Field, parse_fields

if TYPE_CHECKING:
    from ._reading import ReadingApp

KEYWORD_SEARCH_LIMIT = 2200
PROFILE_DISCOVERY_LIMIT = 1000
LOCATION_SEARCH_LIMIT = 500
OEMBED_TOKENLESS_LIMIT = 1000
MIN_DISCOVERY_FOLLOWERS = 100
LOCATION_RADIUS_KM = 25.0
SEARCH_TYPES = ("TOP", "RECENT")
SEARCH_MODES = ("KEYWORD", "TAG")
SEARCH_MEDIA_TYPES = {"TEXT": "TEXT_POST", "IMAGE": "IMAGE", "VIDEO": "VIDEO"}
PROFILE_FIELDS = (
    "username",
    "name",
    "profile_picture_url",
    "biography",
    "follower_count",
    "likes_count",
    "quotes_count",
    "replies_count",
    "reposts_count",
    "views_count",
    "is_verified",
)
OEMBED_MIN_WIDTH, OEMBED_MAX_WIDTH = 320, 658
_OEMBED_URL = re.compile(
    r"https?://(?:www\.)?threads\.(?:com|net)/"
    r"(?:@(?P<user>[\w.]+)/post/(?P<code>[\w-]+)|t/(?P<short>[\w-]+))/?(?:\?.*)?",
    re.IGNORECASE,
)
_USERNAME = re.compile(r"[\w.]+")


# keyword search ---------------------------------------------------------------------------
def keyword_search(app: ReadingApp, viewer: AccountState, params: dict[str, str]) -> Any:
    store, state = app.store, app.state
    query = params.get("q", "").strip()
    if not query:
        raise invalid_param("The parameter q is required")
    search_type = _choice(params, "search_type", SEARCH_TYPES, "TOP")
    mode = _choice(params, "search_mode", SEARCH_MODES, "KEYWORD")
    media_type = params.get("media_type")
    if media_type is not None and media_type not in SEARCH_MEDIA_TYPES:
        raise invalid_param(
            f"Param media_type must be one of {{TEXT, IMAGE, VIDEO}}; got {media_type!r}"
        )
    author = params.get("author_username")
    if author is not None and not _USERNAME.fullmatch(author):
        raise invalid_param(
            "Param author_username must be an exact username without @; got " + repr(author)
        )
    fields = app.fields(params)
    since, until = time_range(params, store.wall_now(), earliest=MIN_LIST_SINCE)
    log = store.log(store.keyword_log, viewer.user_id)
    if state.usage(log) >= KEYWORD_SEARCH_LIMIT:
        raise user_rate_limit("keyword searches", KEYWORD_SEARCH_LIMIT)

    words = query.lower().split()
    tag = query.lstrip("#").lower()

    def matches(post: Post) -> bool:
        text = (post.text or "").lower()
        if mode == "TAG":
            topic = (post.params.get("topic_tag") or "").lower()
            return topic == tag or re.search(rf"(?<!\w)#{re.escape(tag)}(?!\w)", text) is not None
        return all(word in text for word in words)

    candidates = [
        p
        for p in app.posts()
        if p.media_type != REPOST
        and not p.flag("is_ghost_post")
        and not store.is_private(p.owner)
        and store.approval_status(p) is None
        and (media_type is None or p.media_type == SEARCH_MEDIA_TYPES[media_type])
        and (author is None or state.accounts[p.owner].account.username == author)
        and matches(p)
    ]
    items = app.newest_first(candidates, since, until)
    if search_type == "TOP":
        items.sort(key=lambda p: -_popularity(app, p))  # stable: ties stay newest first
    body = app.listing(items, fields, viewer, params, omit=("owner",))
    now = state.now()
    if body["data"]:
        log.append(now)  # "queries with no results do not count"
    millis = int(store.wall_now().timestamp() * 1000)
    store.recent_keywords.setdefault(viewer.user_id, {})[query] = millis
    return body


def _popularity(app: ReadingApp, post: Post) -> int:
    return sum(app.store.media_metric(post, name) for name in ("likes", "reposts", "quotes"))


def _choice(params: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = params.get(name)
    if value is None or value == "":
        return default
    if value not in allowed:
        raise invalid_param(f"Param {name} must be one of {{{', '.join(allowed)}}}; got {value!r}")
    return value


# profile discovery ------------------------------------------------------------------------
def _discoverable(app: ReadingApp, viewer: AccountState, params: dict[str, str]) -> AccountState:
    username = params.get("username", "").strip()
    if not username:
        raise invalid_param("The parameter username is required")
    log = app.store.log(app.store.profile_log, viewer.user_id)
    if app.state.usage(log) >= PROFILE_DISCOVERY_LIMIT:
        raise user_rate_limit("profile discovery requests", PROFILE_DISCOVERY_LIMIT)
    found = app.store.account_named(username)
    if (
        found is None
        or app.store.is_private(found.user_id)
        or app.store.followers(found.user_id) < MIN_DISCOVERY_FOLLOWERS
    ):
        raise GraphError(
            f"(#100) The profile {username!r} cannot be found: profile discovery covers public "
            f"profiles with at least {MIN_DISCOVERY_FOLLOWERS} followers (exact username, no @)",
            code=100,
            subcode=33,
        )
    return found


def profile_lookup(app: ReadingApp, viewer: AccountState, params: dict[str, str]) -> Any:
    fields = _select_fields(params, PROFILE_FIELDS, ",".join(PROFILE_FIELDS), "ThreadsUser")
    found = _discoverable(app, viewer, params)
    store = app.store
    profile = store.profile(found.user_id)
    week_ago = store.wall_now().timestamp() - 7 * 86400
    recent = [
        p
        for p in app.posts()
        if p.owner == found.user_id and not p.reply_to_id and store.unix(p) >= week_ago
    ]
    counts = {
        f"{metric}_count": sum(store.media_metric(p, metric) for p in recent)
        for metric in ("likes", "quotes", "replies", "reposts", "views")
    }
    counts.update({k: v for k, v in profile.counts.items() if k in PROFILE_COUNT_FIELDS})
    values: dict[str, Any] = {
        "username": found.account.username,
        "name": profile.name or found.name,
        "profile_picture_url": f"https://scontent.sandbox.invalid/profile/{found.user_id}.jpg",
        "biography": profile.biography or "",
        "follower_count": profile.followers,
        "is_verified": profile.is_verified,
        **counts,
    }
    store.log(store.profile_log, viewer.user_id).append(app.state.now())
    return {f.name: values[f.name] for f in fields}


def profile_posts(app: ReadingApp, viewer: AccountState, params: dict[str, str]) -> Any:
    fields = app.fields(params)
    since, until = time_range(params, app.store.wall_now(), earliest=MIN_LIST_SINCE)
    found = _discoverable(app, viewer, params)
    items = [p for p in app.posts() if p.owner == found.user_id and not p.reply_to_id]
    body = app.listing(app.newest_first(items, since, until), fields, viewer, params, ("owner",))
    app.store.log(app.store.profile_log, viewer.user_id).append(app.state.now())
    return body


# locations --------------------------------------------------------------------------------
def location_search(app: ReadingApp, viewer: AccountState, params: dict[str, str]) -> Any:
    query = (params.get("q") or params.get("query") or "").strip()
    raw_lat, raw_lng = params.get("latitude"), params.get("longitude")
    if (raw_lat is None) != (raw_lng is None):
        raise invalid_param("Params latitude and longitude must be used together")
    if not query and raw_lat is None:
        raise invalid_param("Pass q (a search string) or latitude and longitude")
    point = None
    if raw_lat is not None and raw_lng is not None:
        point = (_coordinate("latitude", raw_lat, 90.0), _coordinate("longitude", raw_lng, 180.0))
    fields = _select_fields(params, LOCATION_FIELDS, "id", "ThreadsLocation")
    store = app.store
    log = store.log(store.location_log, viewer.user_id)
    if app.state.usage(log) >= LOCATION_SEARCH_LIMIT:
        raise GraphError(
            f"(#4) Application request limit reached: {LOCATION_SEARCH_LIMIT} location searches "
            "per 24 hours (threads_publishing_limit)",
            code=4,
        )
    log.append(app.state.now())
    words = query.lower().split()
    found: list[tuple[float, str, Location]] = []
    for location in store.locations.values():
        haystack = " ".join(
            v for v in (location.name, location.address, location.city, location.country) if v
        ).lower()
        if not all(word in haystack for word in words):
            continue
        distance = 0.0
        if point is not None:
            if location.latitude is None or location.longitude is None:
                continue
            distance = _km(point, (location.latitude, location.longitude))
            if distance > LOCATION_RADIUS_KM:
                continue
        found.append((distance, location.name, location))
    found.sort(key=lambda item: (item[0], item[1]))
    data = []
    for _, _, location in found:
        values = location.values()
        values["id"] = int(location.id)  # a number, as in Meta's example
        data.append({f.name: values[f.name] for f in fields if values[f.name] is not None})
    return {"data": data}


def location_node(app: ReadingApp, location: Location, params: dict[str, str]) -> Any:
    fields = _select_fields(params, LOCATION_FIELDS, "id", "ThreadsLocation")
    values = location.values()
    return {f.name: values[f.name] for f in fields if values[f.name] is not None}


def _coordinate(name: str, raw: str, bound: float) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise invalid_param(f"Param {name} must be a number; got {raw!r}") from None
    if not -bound <= value <= bound:
        raise invalid_param(f"Param {name} must be between {-bound:g} and {bound:g}")
    return value


def _km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# oEmbed -----------------------------------------------------------------------------------
def oembed(
    app: ReadingApp,
    req: Incoming,
    params: dict[str, str],
    authenticate: Callable[[Incoming, dict[str, str]], AccountState],
) -> Any:
    method = "GET" if req.method == "HEAD" else req.method
    if method != "GET":
        raise no_such_object("oembed", method)
    header = req.headers.get("Authorization") or ""
    token = header.partition(" ")[2].strip() if header else params.get("access_token", "")
    tokenless = not token
    if not tokenless and not _is_app_token(app, token):
        authenticate(req, params)
    url = params.get("url", "").strip()
    if not url:
        raise invalid_param("The parameter url is required")
    width = OEMBED_MAX_WIDTH
    raw_width = params.get("maxwidth")
    if raw_width is not None:
        try:
            width = int(raw_width)
        except ValueError:
            raise invalid_param(f"Param maxwidth must be an integer; got {raw_width!r}") from None
        if not OEMBED_MIN_WIDTH <= width <= OEMBED_MAX_WIDTH:
            raise invalid_param(
                f"Param maxwidth must be between {OEMBED_MIN_WIDTH} and {OEMBED_MAX_WIDTH}"
            )
    if tokenless:
        now = app.state.now()
        app.store.oembed_log[:] = [t for t in app.store.oembed_log if t > now - HOUR]
        if len(app.store.oembed_log) >= OEMBED_TOKENLESS_LIMIT:
            raise GraphError(
                f"(#4) Application request limit reached: {OEMBED_TOKENLESS_LIMIT} oEmbed "
                "requests per hour without an access token",
                code=4,
            )
        app.store.oembed_log.append(now)
    post = _embeddable(app, url)
    permalink = app.state.permalink(post)
    safe = html.escape(permalink, quote=True)
    markup = (
        f'<blockquote class="text-post-media" data-text-post-permalink="{safe}" '
        f'data-text-post-version="0" id="ig-tp-{post.shortcode}" style="background:#FFF; '
        f"border-width: 1px; border-style: solid; border-color: #00000026; border-radius: 16px; "
        f'max-width:{width}px; margin: 1px; min-width:270px; padding:0; width:99.375%;">'
        f'<a href="{safe}" style="background:#FFFFFF; line-height:0; padding:0 0; '
        f'text-align:center; text-decoration:none; width:100%;" target="_blank">'
        f"{html.escape(post.text or '')}</a></blockquote>"
        '<script async src="https://www.threads.com/embed.js"></script>'
    )
    return {
        "version": "1.0",
        "provider_name": "Threads",
        "provider_url": "https://www.threads.com/",
        "type": "rich",
        "width": width,
        "html": markup,
    }


def _is_app_token(app: ReadingApp, token: str) -> bool:
    oauth = app.graph.oauth
    return oauth is not None and token == f"{oauth.app.app_id}|{oauth.app.app_secret}"


def _embeddable(app: ReadingApp, url: str) -> Post:
    match = _OEMBED_URL.fullmatch(url)
    if match is None:
        raise invalid_param(
            "Param url must be a Threads post URL: https://www.threads.com/@{username}/post/"
            "{shortcode} or https://www.threads.com/t/{shortcode} (threads.net also works)"
        )
    code = match.group("code") or match.group("short")
    post = next(
        (
            p
            for p in app.state.media.values()
            if p.shortcode == code and p.parent_id is None and p.media_type != REPOST
        ),
        None,
    )
    user = match.group("user")
    if post is None or (
        user is not None and app.state.accounts[post.owner].account.username != user
    ):
        raise GraphError(f"(#100) No Threads post found at {url}", code=100, subcode=33)
    if app.store.is_private(post.owner):
        raise invalid_param("This post cannot be embedded: the account is private")
    if post.spec is not None and post.spec.country_codes:
        raise invalid_param("This post cannot be embedded: it is geo-gated")
    return post


# helpers ----------------------------------------------------------------------------------
def _select_fields(
    params: dict[str, str], allowed: tuple[str, ...], default: str, node_type: str
) -> tuple[Field, ...]:
    spec = params.get("fields", "").strip()
    fields = parse_fields(spec or default) or parse_fields(default)
    for f in fields:
        if f.name not in allowed:
            raise nonexisting(f.name, node_type)
    return fields
