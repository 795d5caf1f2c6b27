"""The reading side of the fake Graph API (threads-api.md §4-§6): lists, replies and
conversations, reply moderation, media rendering with `fields=`, and the hooks that send
discovery (`_discovery`) and insights (`_insights`) requests on.

`GraphApp` owns one `ReadingApp` and calls it with the state lock held:

- `route()` for top-level nodes (`keyword_search`, `profile_lookup`, `profile_posts`,
  `location_search`, location ids) and for media nodes and their read/moderation edges;
- `user_list()` for the list edges of a user node, all in one table (`USER_EDGES`: what each
  lists and the permission it needs; GraphApp routes them and OAuthService checks the scope
  from it), and `user_insights()` for `threads_insights`;
- `oembed()` before authentication (the oEmbed endpoint needs no token).

Field selection: every media endpoint accepts the fields of the ThreadsMedia node (Graph
validates `fields=` per node type; unknown names are code 100). Endpoints differ in what comes
back: `owner` only on your own top-level posts and never from search or profile_posts,
`hide_status` only on replies, `reply_approval_status` only on replies awaiting approval, and
`username`/`permalink` not for other users' private profiles. Nested selections
(`root_post{id,text}`, `location{name}`, `children{media_type}`, ...) are applied one level
deep; selections nested further are accepted and rendered with their plain value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import _discovery, _insights
from ._errors import invalid_param, no_such_object, permission_denied, unknown_path
from ._paging import (
    MIN_LIST_SINCE,
    LinkBase,
    nonexisting,
    page_body,
    paginate,
    parse_flag,
    required_flag,
    time_range,
)
from ._readstore import LOCATION_FIELDS, ReadStore
from ._records import Incoming
from ._state import AccountState, Post, SandboxState
from ._text import Field, parse_fields

if TYPE_CHECKING:
    from ._graph import GraphApp

MEDIA_NODE = "ThreadsMedia"
MEDIA_FIELDS = frozenset(
    {
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
        "children",
        "is_quote_post",
        "quoted_post",
        "reposted_post",
        "alt_text",
        "link_attachment_url",
        "gif_url",
        "poll_attachment",
        "topic_tag",
        "is_spoiler_media",
        "text_entities",
        "text_attachment",
        "ghost_post_status",
        "ghost_post_expiration_timestamp",
        "is_verified",
        "profile_picture_url",
        "location_id",
        "location",
        "allowlisted_country_codes",
        "has_replies",
        "is_reply",
        "is_reply_owned_by_me",
        "root_post",
        "replied_to",
        "hide_status",
        "reply_audience",
        "reply_approval_status",
    }
)
REFERENCE_FIELDS = ("root_post", "replied_to", "quoted_post", "reposted_post")
OWNER_FIELDS = ("id", "username")
TOP_LEVEL_NODES = ("keyword_search", "profile_lookup", "profile_posts", "location_search")
MEDIA_GET_EDGES = ("replies", "conversation", "pending_replies", "insights")
MEDIA_POST_EDGES = ("manage_reply", "manage_pending_reply")
# What a nested selection may name, checked up front (even when the value is absent).
NESTED_MENUS: dict[str, tuple[frozenset[str] | tuple[str, ...], str]] = {
    **dict.fromkeys((*REFERENCE_FIELDS, "children"), (MEDIA_FIELDS, MEDIA_NODE)),
    "owner": (OWNER_FIELDS, "ThreadsUser"),
    "location": (LOCATION_FIELDS, "ThreadsLocation"),
}
_MISSING = object()


@dataclass(frozen=True)
class UserEdge:
    """A list edge of a user node, GET /{user-id}/{edge}: the posts it lists (any order; the
    listing sorts them newest first) and the permission it needs (threads-api.md §2.8)."""

    select: Callable[[ReadingApp, AccountState], list[Post]]
    scope: str


# Every list edge of a user node. Add an edge here and it is routed and scope-checked.
USER_EDGES: dict[str, UserEdge] = {
    "threads": UserEdge(lambda app, user: app.own_posts(user, replies=False), "threads_basic"),
    "replies": UserEdge(
        lambda app, user: app.own_posts(user, replies=True), "threads_read_replies"
    ),
    "mentions": UserEdge(lambda app, user: app.mentions_of(user), "threads_manage_mentions"),
    "ghost_posts": UserEdge(
        lambda app, user: [p for p in app.own_posts(user) if p.flag("is_ghost_post")],
        "threads_basic",
    ),
}


class ReadingApp:
    def __init__(self, state: SandboxState, graph: GraphApp) -> None:
        self.state = state
        self.graph = graph
        self.store = ReadStore(state)
        # The absolute URL (no query) of the request being answered: GraphApp sets it before
        # routing, with the state lock held, so paging links can repeat it.
        self.request_url: str | None = None

    # hooks called by GraphApp ------------------------------------------------------------
    def route(
        self,
        acct: AccountState,
        method: str,
        node: str,
        edge: str | None,
        params: dict[str, str],
    ) -> tuple[int, Any] | None:
        """Handle a node (and edge) the reading side owns; None lets GraphApp go on."""
        if node in TOP_LEVEL_NODES:
            if edge is not None:
                raise unknown_path("/" + edge)
            _require(method, "GET", node)
            handler: Callable[[AccountState, dict[str, str]], Any] = {
                "keyword_search": lambda a, p: _discovery.keyword_search(self, a, p),
                "profile_lookup": lambda a, p: _discovery.profile_lookup(self, a, p),
                "profile_posts": lambda a, p: _discovery.profile_posts(self, a, p),
                "location_search": lambda a, p: _discovery.location_search(self, a, p),
            }[node]
            return 200, handler(acct, params)
        if node in self.store.locations and node not in self.state.media:
            if edge is not None:
                raise unknown_path("/" + edge)
            _require(method, "GET", node)
            return 200, _discovery.location_node(self, self.store.locations[node], params)
        post = self.state.media.get(node)
        if post is None:
            return None
        if edge is None:
            if method != "GET":
                return None  # DELETE and the rest stay with GraphApp
            return 200, self.render(post, self.fields(params), acct)
        if edge in MEDIA_GET_EDGES:
            _require(method, "GET", f"{node}/{edge}")
            if edge == "insights":
                return 200, _insights.media_insights(self, post, acct, params)
            if edge == "pending_replies":
                return 200, self.pending_replies(post, acct, params)
            return 200, self.replies(post, acct, params, all_levels=edge == "conversation")
        if edge in MEDIA_POST_EDGES:
            _require(method, "POST", f"{node}/{edge}")
            if edge == "manage_reply":
                return 200, self.manage_reply(post, acct, params)
            return 200, self.manage_pending_reply(post, acct, params)
        return None

    def user_list(self, user: AccountState, edge: str, params: dict[str, str]) -> dict[str, Any]:
        """GET /{user-id}/{edge} for an edge of USER_EDGES, newest first."""
        fields = self.fields(params)
        since, until = time_range(params, self.store.wall_now(), earliest=MIN_LIST_SINCE)
        items = USER_EDGES[edge].select(self, user)
        return self.listing(self.newest_first(items, since, until), fields, user, params)

    def user_insights(self, user: AccountState, params: dict[str, str]) -> dict[str, Any]:
        return _insights.user_insights(self, user, params)

    def oembed(
        self,
        req: Incoming,
        params: dict[str, str],
        authenticate: Callable[[Incoming, dict[str, str]], AccountState],
    ) -> tuple[int, Any]:
        return 200, _discovery.oembed(self, req, params, authenticate)

    def recent_keywords(self, user: AccountState) -> list[dict[str, Any]]:
        """`recently_searched_keywords` for GET /me: newest first, Unix milliseconds."""
        seen = self.store.recent_keywords.get(user.user_id, {})
        ordered = sorted(seen.items(), key=lambda item: item[1], reverse=True)
        return [{"query": query, "timestamp": ms} for query, ms in ordered]

    def location_search_usage(self, user: AccountState) -> int:
        return self.state.usage(self.store.log(self.store.location_log, user.user_id))

    # lists -------------------------------------------------------------------------------
    def posts(self) -> Iterable[Post]:
        media = self.state.media
        return (media[pid] for pid in self.state.post_order if pid in media)

    def newest_first(
        self, items: Iterable[Post], since: int | None, until: int | None
    ) -> list[Post]:
        unix = self.store.unix
        kept = [
            p
            for p in items
            if (since is None or unix(p) >= since) and (until is None or unix(p) <= until)
        ]
        kept.sort(key=lambda p: (p.created_at, int(p.id)), reverse=True)
        return kept

    def listing(
        self,
        items: list[Post],
        fields: tuple[Field, ...],
        viewer: AccountState,
        params: dict[str, str],
        omit: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        page = paginate(
            items, lambda p: p.id, params, repeat_last_cursor=self.store.repeat_last_cursor
        )
        data = [self.render(p, fields, viewer, omit=omit) for p in page.items]
        return page_body(page, data, self.link_base(params))

    def link_base(self, params: dict[str, str]) -> LinkBase | None:
        """What paging links are built from, or None when the sandbox leaves them out."""
        if not self.store.paging_links or not self.request_url:
            return None
        return LinkBase(self.request_url, dict(params))

    def own_posts(self, user: AccountState, *, replies: bool = False) -> list[Post]:
        """The user's top-level posts (reposts and ghost posts included), or their replies."""
        return [
            p for p in self.posts() if p.owner == user.user_id and bool(p.reply_to_id) == replies
        ]

    def mentions_of(self, user: AccountState) -> list[Post]:
        """Public posts by others whose text tags @username (threads-api.md §4.3)."""
        pattern = re.compile(
            rf"(?<![\w@])@{re.escape(user.account.username)}(?!\w|\.\w)", re.IGNORECASE
        )
        return [
            p
            for p in self.posts()
            if p.owner != user.user_id
            and not self.store.is_private(p.owner)
            and self.store.approval_status(p) is None
            and pattern.search(p.text or "")
        ]

    # replies and conversations -----------------------------------------------------------
    def children_of(self, post_id: str) -> list[Post]:
        return [m for m in self.posts() if m.reply_to_id == post_id]

    def replies(
        self, post: Post, viewer: AccountState, params: dict[str, str], *, all_levels: bool
    ) -> dict[str, Any]:
        """/replies: direct replies; /conversation: every level, flattened. Replies awaiting
        approval are left out. `reverse` (default true) puts the newest first."""
        fields = self.fields(params)
        reverse = parse_flag(params, "reverse", True)
        found: list[Post] = []
        queue = [post.id]
        while queue:
            for child in self.children_of(queue.pop()):
                if self.store.approval_status(child) is not None:
                    continue
                found.append(child)
                if all_levels:
                    queue.append(child.id)
        return self.listing(_chronological(found, reverse), fields, viewer, params)

    def pending_replies(
        self, post: Post, viewer: AccountState, params: dict[str, str]
    ) -> dict[str, Any]:
        fields = self.fields(params)
        wanted = params.get("approval_status")
        if wanted is not None and wanted not in ("pending", "ignored"):
            raise invalid_param(
                f"Param approval_status must be one of {{pending, ignored}}; got {wanted!r}"
            )
        reverse = parse_flag(params, "reverse", True)
        if post.owner != viewer.user_id:
            raise permission_denied()
        found = []
        queue = [post.id]
        while queue:
            for child in self.children_of(queue.pop()):
                status = self.store.approval_status(child)
                if status is not None and wanted in (None, status):
                    found.append(child)
                queue.append(child.id)
        return self.listing(_chronological(found, reverse), fields, viewer, params)

    def manage_reply(
        self, reply: Post, viewer: AccountState, params: dict[str, str]
    ) -> dict[str, Any]:
        """POST /{reply-id}/manage_reply: hide or unhide a top-level reply to your post."""
        hide = required_flag(params, "hide")
        parent = self.state.media.get(reply.reply_to_id or "")
        if parent is None:
            raise invalid_param(f"The media {reply.id} is not a reply")
        if parent.reply_to_id:
            raise invalid_param(
                f"The reply {reply.id} is not a top-level reply: only replies made directly to "
                "the root post can be hidden; nested replies are hidden with them"
            )
        if parent.owner != viewer.user_id:
            raise permission_denied()
        if self.store.approval_status(reply) is not None:
            raise invalid_param(f"The reply {reply.id} is awaiting approval (pending_replies)")
        self.store.hide[reply.id] = "HIDDEN" if hide else "UNHUSHED"
        return {"success": True}

    def manage_pending_reply(
        self, reply: Post, viewer: AccountState, params: dict[str, str]
    ) -> dict[str, Any]:
        """POST /{reply-id}/manage_pending_reply: approve (true) or ignore (false)."""
        approve = required_flag(params, "approve")
        if not reply.reply_to_id:
            raise invalid_param(f"The media {reply.id} is not a reply")
        if self.store.root_of(reply).owner != viewer.user_id:
            raise permission_denied()
        if self.store.approval_status(reply) is None:
            raise invalid_param(f"The reply {reply.id} is not awaiting approval")
        self.store.approval[reply.id] = "approved" if approve else "ignored"
        return {"success": True}

    # rendering ---------------------------------------------------------------------------
    def fields(self, params: dict[str, str], default: str = "id") -> tuple[Field, ...]:
        spec = params.get("fields", "").strip()
        fields = parse_fields(spec or default) or parse_fields(default)
        for f in fields:
            if f.name not in MEDIA_FIELDS:
                raise nonexisting(f.name, MEDIA_NODE)
            menu, node_type = NESTED_MENUS.get(f.name, (None, ""))
            for s in f.sub or ():
                if menu is not None and s.name not in menu:
                    raise nonexisting(s.name, node_type)
        return fields

    def render(
        self,
        post: Post,
        fields: tuple[Field, ...],
        viewer: AccountState,
        *,
        omit: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            if f.name not in MEDIA_FIELDS:
                raise nonexisting(f.name, MEDIA_NODE)
            if f.name in omit:
                continue
            value = self._value(post, f, viewer)
            if value is not _MISSING:
                out[f.name] = value
        return out

    def _value(self, post: Post, f: Field, viewer: AccountState) -> Any:
        store = self.store
        name = f.name
        hidden_author = post.owner != viewer.user_id and store.is_private(post.owner)
        if name in ("username", "permalink") and hidden_author:
            return _MISSING
        if name == "hide_status":
            return store.hide_status(post) or _MISSING
        if name == "reply_approval_status":
            return store.approval_status(post) or _MISSING
        if name == "is_verified":
            return store.profile(post.owner).is_verified
        if name == "has_replies":
            return any(store.approval_status(c) is None for c in self.children_of(post.id))
        if name == "location":
            return self._location(post, f)
        base = self.graph._media(post, (Field(name),), viewer)
        if name not in base:
            return _MISSING
        if f.sub is not None and name in REFERENCE_FIELDS:
            target = self.state.media.get(str(base[name]["id"]))
            if target is None:
                return base[name]
            return self.render(target, tuple(Field(s.name) for s in f.sub), viewer)
        if f.sub is not None and name == "owner":
            owner = self.state.accounts[post.owner].account
            values = {"id": owner.user_id, "username": owner.username}
            for s in f.sub:
                if s.name not in OWNER_FIELDS:
                    raise nonexisting(s.name, "ThreadsUser")
            return {s.name: values[s.name] for s in f.sub}
        if f.sub is not None and name in ("children", "poll_attachment"):
            return self.graph._media(post, (f,), viewer).get(name, _MISSING)
        return base[name]

    def _location(self, post: Post, f: Field) -> Any:
        location_id = post.params.get("location_id")
        if not location_id:
            return _MISSING
        location = self.store.locations.get(location_id)
        values = location.values() if location is not None else {"id": location_id}
        sub = f.sub or (Field("id"),)
        out = {}
        for s in sub:
            if s.name not in LOCATION_FIELDS:
                raise nonexisting(s.name, "ThreadsLocation")
            if s.name in values and values[s.name] is not None:
                out[s.name] = values[s.name]
        return out


def _chronological(posts: list[Post], reverse: bool) -> list[Post]:
    return sorted(posts, key=lambda p: (p.created_at, int(p.id)), reverse=reverse)


def _require(method: str, allowed: str, node: str) -> None:
    if method != allowed:
        raise no_such_object(node, method)
