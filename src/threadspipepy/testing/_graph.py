"""The fake Graph API (graph.threads.net): routing, authentication and JSON rendering.

Called with the state lock held. Every failure becomes Graph's `{"error": {...}}` envelope.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from ._errors import (
    GraphError,
    invalid_param,
    invalid_token,
    no_such_object,
    permission_denied,
    unknown_path,
)
from ._oauth import OAuthService
from ._reading import USER_EDGES, ReadingApp
from ._records import Incoming, Response
from ._state import DAY, REPOST, AccountState, Container, Post, SandboxState
from ._text import Field, iso_timestamp, parse_fields

API_VERSION = "v1.0"
_VERSION_RE = re.compile(r"v\d+(\.\d+)?")
_MISSING = object()

USER_FIELDS = (
    "id",
    "username",
    "name",
    "threads_profile_picture_url",
    "threads_biography",
    "is_verified",
    "is_eligible_for_geo_gating",
    "recently_searched_keywords",
)
CONTAINER_FIELDS = ("id", "status", "error_message")
MEDIA_EDGES = ("repost",)
QUOTA_FIELDS = (
    "quota_usage",
    "config",
    "reply_quota_usage",
    "reply_config",
    "delete_quota_usage",
    "delete_config",
    "location_search_quota_usage",
    "location_search_config",
)


class GraphApp:
    def __init__(self, state: SandboxState, oauth: OAuthService | None = None) -> None:
        self.state = state
        self.oauth = oauth  # tokens issued through OAuth (they expire and carry scopes)
        self.reading = ReadingApp(state, self)  # retrieval, moderation, insights, discovery

    def handle(self, req: Incoming) -> Response:
        try:
            status, payload = self._route(req)
        except GraphError as exc:
            return Response.json(exc.status, exc.body(), exc.headers)
        return Response.json(status, payload)

    # routing -----------------------------------------------------------------------------
    def _route(self, req: Incoming) -> tuple[int, Any]:
        segments = [s for s in req.path.split("/") if s]
        # Unversioned paths appear in Meta's own examples and default to v1.0.
        if segments and _VERSION_RE.fullmatch(segments[0]):
            if segments[0] != API_VERSION:
                raise unknown_path("/" + segments[0])
            segments = segments[1:]
        params = req.params()
        self.reading.request_url = self.state.base_url + req.raw_path
        if segments == ["oembed"]:  # the one endpoint that needs no token
            return self.reading.oembed(req, params, self._authenticate)
        acct = self._authenticate(req, params)
        params.pop("access_token", None)
        if not segments:
            raise unknown_path("/")
        node, edges = segments[0], segments[1:]
        if segments == ["debug_token"] and self.oauth is not None:
            self._require("GET" if req.method == "HEAD" else req.method, "GET", node)
            return 200, self.oauth.debug_token(acct, params)
        if len(edges) > 1:
            raise unknown_path("/" + "/".join(edges[1:]))
        method = "GET" if req.method == "HEAD" else req.method
        edge = edges[0] if edges else None

        user = self._user_node(acct, node)
        if user is not None:
            return self._user_route(user, method, edge, params, node)
        container = self.state.containers.get(node)
        if container is not None and container.owner == acct.user_id and edge is None:
            self._require(method, "GET", node)
            return 200, self._container_fields(container, params)
        handled = self.reading.route(acct, method, node, edge, params)
        if handled is not None:
            return handled
        post = self.state.media.get(node)
        if post is None:
            raise no_such_object(node, method)
        if edge is not None and edge not in MEDIA_EDGES:
            raise unknown_path("/" + edge)
        if edge == "repost":
            self._require(method, "POST", node)
            return 200, {"id": self.state.repost(acct, node).id}
        if method == "DELETE":
            self.state.delete(acct, node)
            return 200, {"success": True, "deleted_id": node}
        self._require(method, "GET", node)
        return 200, self._media(post, _fields(params, "id"), acct)

    def _user_route(
        self, user: AccountState, method: str, edge: str | None, params: dict[str, str], node: str
    ) -> tuple[int, Any]:
        handlers: dict[tuple[str | None, str], Callable[[], Any]] = {
            (name, "GET"): partial(self.reading.user_list, user, name, params)
            for name in USER_EDGES
        }
        handlers |= {
            (None, "GET"): lambda: self._profile(user, params),
            ("threads_insights", "GET"): lambda: self.reading.user_insights(user, params),
            ("threads", "POST"): lambda: {"id": self.state.create_container(user, params).id},
            ("threads_publish", "POST"): lambda: self._publish(user, params),
            ("threads_publishing_limit", "GET"): lambda: self._limits(user, params),
        }
        if edge is not None and edge not in {e for e, _ in handlers}:
            raise unknown_path("/" + edge)
        handler = handlers.get((edge, method))
        if handler is None:
            raise no_such_object(node if edge is None else f"{node}/{edge}", method)
        return 200, handler()

    def _require(self, method: str, allowed: str, node: str) -> None:
        if method != allowed:
            raise no_such_object(node, method)

    def _authenticate(self, req: Incoming, params: dict[str, str]) -> AccountState:
        header = req.headers.get("Authorization")
        token: str | None = None
        if header:
            scheme, _, value = header.strip().partition(" ")
            if scheme.lower() not in ("bearer", "oauth"):
                raise invalid_token()
            token = value.strip()
        else:
            token = params.get("access_token")
        acct = self.state.account_for_token(token)
        if acct is None and self.oauth is not None:
            acct = self.oauth.account_for_token(token, req)
        if acct is None:
            raise invalid_token()
        return acct

    def _user_node(self, acct: AccountState, node: str) -> AccountState | None:
        if node in ("me", acct.user_id):
            return acct
        if node in self.state.accounts:
            # Only the token's own user may be addressed (threads-api.md §4.8).
            raise permission_denied()
        return None

    # endpoints ---------------------------------------------------------------------------
    def _profile(self, user: AccountState, params: dict[str, str]) -> dict[str, Any]:
        account = user.account
        values: dict[str, Any] = {
            "id": account.user_id,
            "username": account.username,
            "name": user.name,
            "threads_profile_picture_url": (
                f"https://scontent.sandbox.invalid/profile/{account.user_id}.jpg"
            ),
            "threads_biography": f"Sandbox account {account.username}",
            "is_verified": False,
            "is_eligible_for_geo_gating": user.geo_gating_eligible,
            "recently_searched_keywords": self.reading.recent_keywords(user),
        }
        return _select(values, _fields(params, "id"), "ThreadsUser")

    def _container_fields(self, c: Container, params: dict[str, str]) -> dict[str, Any]:
        status, message = self.state.status(c)
        values: dict[str, Any] = {"id": c.id, "status": status}
        if message is not None:
            values["error_message"] = message
        selected = _fields(params, "id,status")
        for f in selected:
            if f.name not in CONTAINER_FIELDS:
                raise _nonexisting(f.name, "ThreadsMediaContainer")
        return {f.name: values[f.name] for f in selected if f.name in values}

    def _publish(self, user: AccountState, params: dict[str, str]) -> dict[str, Any]:
        creation_id = params.get("creation_id", "").strip()
        if not creation_id:
            raise invalid_param("The parameter creation_id is required")
        return {"id": self.state.publish(user, creation_id).id}

    def _limits(self, user: AccountState, params: dict[str, str]) -> dict[str, Any]:
        def config(total: int) -> dict[str, int]:
            return {"quota_total": total, "quota_duration": int(DAY)}

        state = self.state
        values: dict[str, Any] = {
            "quota_usage": state.usage(user.post_log),
            "config": config(user.quota_total),
            "reply_quota_usage": state.usage(user.reply_log),
            "reply_config": config(user.reply_quota_total),
            "delete_quota_usage": state.usage(user.delete_log),
            "delete_config": config(user.delete_quota_total),
            "location_search_quota_usage": self.reading.location_search_usage(user),
            "location_search_config": config(500),
        }
        return {"data": [_select(values, _fields(params, "quota_usage"), "ThreadsPublishingLimit")]}

    # media rendering ---------------------------------------------------------------------
    def _media(self, post: Post, fields: tuple[Field, ...], viewer: AccountState) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields:
            value = self._media_value(post, f, viewer)
            if value is not _MISSING:
                out[f.name] = value
        return out

    def _media_value(self, post: Post, f: Field, viewer: AccountState) -> Any:
        p = post.params
        spec = post.spec
        state = self.state
        name = f.name
        reply_to = post.reply_to_id
        own = post.owner == viewer.user_id
        parent = state.media.get(post.parent_id) if post.parent_id else None
        author = state.accounts[post.owner].account
        simple: dict[str, Any] = {
            "id": post.id,
            "media_product_type": "THREADS",
            "media_type": post.media_type,
            "username": author.username,
            "timestamp": state.timestamp(post.created_at),
            "shortcode": post.shortcode,
            "permalink": state.permalink(post),
            "is_quote_post": bool(spec is not None and spec.quote_post_id),
            "is_reply": bool(reply_to),
            "is_verified": False,
            "profile_picture_url": (
                f"https://scontent.sandbox.invalid/profile/{author.user_id}.jpg"
            ),
            "has_replies": any(m.reply_to_id == post.id for m in state.media.values()),
            "is_spoiler_media": post.flag("is_spoiler_media")
            or (parent is not None and parent.flag("is_spoiler_media")),
        }
        if name in simple:
            return simple[name]
        optional_params = {
            "text": "text",
            "alt_text": "alt_text",
            "link_attachment_url": "link_attachment",
            "topic_tag": "topic_tag",
            "location_id": "location_id",
        }
        if name in optional_params:
            return p.get(optional_params[name], _MISSING)
        if name == "media_url":
            return spec.media_url if spec is not None and spec.media_url else _MISSING
        if name == "thumbnail_url":
            if post.media_type != "VIDEO":
                return _MISSING
            return f"https://scontent.sandbox.invalid/thumbnail/{post.id}.jpg"
        if name == "children":
            if not post.children:
                return _MISSING
            sub = f.sub or (Field("id"),)
            return {"data": [self._media(state.media[c], sub, viewer) for c in post.children]}
        if name == "owner":
            return {"id": post.owner} if own and not reply_to else _MISSING
        if name in ("quoted_post", "replied_to", "root_post", "reposted_post"):
            target = {
                "quoted_post": spec.quote_post_id if spec is not None else None,
                "replied_to": reply_to,
                "root_post": self._root(post) if reply_to else None,
                "reposted_post": post.reposted_id,
            }[name]
            return {"id": target} if target else _MISSING
        if name == "is_reply_owned_by_me":
            return own if reply_to else _MISSING
        if name == "hide_status":
            return "NOT_HUSHED" if reply_to else _MISSING
        if name == "reply_audience":
            if not own or post.media_type == REPOST:
                return _MISSING
            return p.get("reply_control", "everyone").upper()
        if name == "allowlisted_country_codes":
            codes = spec.country_codes if spec is not None else ()
            return list(codes) if codes else _MISSING
        if name == "poll_attachment":
            return self._poll(post, f)
        if name == "text_entities":
            # Shape undocumented; TGO parses {"data": [...]} (threads-api.md §3.8).
            entities = spec.text_entities if spec is not None else None
            return {"data": [dict(e) for e in entities]} if entities else _MISSING
        if name == "gif_url":
            gif = spec.gif if spec is not None else None
            return f"https://media.giphy.com/media/{gif['gif_id']}/giphy.gif" if gif else _MISSING
        if name == "text_attachment":
            attachment = spec.text_attachment if spec is not None else None
            return attachment if attachment is not None else _MISSING
        if name == "location":
            location = p.get("location_id")
            return {"id": location} if location else _MISSING
        if name in ("ghost_post_status", "ghost_post_expiration_timestamp"):
            if not post.flag("is_ghost_post"):
                return _MISSING
            expires = post.created_at + DAY
            if name == "ghost_post_status":
                return "ACTIVE" if state.now() < expires else "ARCHIVED"
            return state.timestamp(expires)
        raise _nonexisting(name, "ThreadsMedia")

    def _root(self, post: Post) -> str:
        current = post
        seen = {post.id}
        while current.reply_to_id and current.reply_to_id in self.state.media:
            current = self.state.media[current.reply_to_id]
            if current.id in seen:
                break
            seen.add(current.id)
        return current.id

    def _poll(self, post: Post, f: Field) -> Any:
        poll = post.spec.poll if post.spec is not None else None
        if not poll:
            return _MISSING
        values: dict[str, Any] = dict(poll)
        for key in poll:
            values[f"{key}_votes_percentage"] = 0.0
        values["total_votes"] = 0
        values["expiration_timestamp"] = iso_timestamp(
            self.state.wall(post.created_at) + timedelta(days=1)
        )
        if f.sub is None:
            return values
        return {s.name: values[s.name] for s in f.sub if s.name in values}


def _fields(params: dict[str, str], default: str) -> tuple[Field, ...]:
    spec = params.get("fields", "").strip()
    return parse_fields(spec or default) or parse_fields(default)


def _select(values: dict[str, Any], fields: tuple[Field, ...], node_type: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in values:
            raise _nonexisting(f.name, node_type)
        out[f.name] = values[f.name]
    return out


def _nonexisting(name: str, node_type: str) -> GraphError:
    return invalid_param(f"Tried accessing nonexisting field ({name}) on node type ({node_type})")
