"""The sandbox's state model: accounts, containers, posts, quotas, GitHub files, the clock.

No HTTP here. All mutation happens under `SandboxState.lock` (one RLock for everything), which
the server holds for the whole of each request's handling, so handlers see consistent state.
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from ._errors import GraphError, invalid_param
from ._records import Account, RecordedRequest
from ._text import iso_timestamp
from ._validate import CreateSpec, validate_create

DAY = 86400.0
DEFAULT_DELAYS: dict[str, float] = {"TEXT": 0.0, "IMAGE": 0.3, "VIDEO": 1.5, "CAROUSEL": 0.2}
POST_MEDIA_TYPES = {
    "TEXT": "TEXT_POST",
    "IMAGE": "IMAGE",
    "VIDEO": "VIDEO",
    "CAROUSEL": "CAROUSEL_ALBUM",
}
FAIL_STATUSES = ("ERROR", "EXPIRED")
_ALNUM = string.ascii_letters + string.digits
_SHORTCODE_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def random_token(prefix: str, length: int) -> str:
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length))


@dataclass
class AccountState:
    account: Account
    name: str
    quota_total: int
    reply_quota_total: int
    delete_quota_total: int
    geo_gating_eligible: bool
    # Sandbox-clock times of publishes/replies/deletes; entries older than 24 h roll off.
    post_log: list[float] = field(default_factory=list)
    reply_log: list[float] = field(default_factory=list)
    delete_log: list[float] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return self.account.user_id


@dataclass
class Container:
    id: str
    owner: str
    spec: CreateSpec
    params: dict[str, str]
    created_at: float
    pending_failure: tuple[str, str | None] | None = None
    forced: tuple[str, str | None] | None = None
    outcome: str | None = None  # FINISHED, ERROR or EXPIRED once processed
    error_message: str | None = None
    published_media_id: str | None = None


@dataclass
class Post:
    id: str
    owner: str
    media_type: str
    container_id: str
    params: dict[str, str]
    created_at: float
    children: list[str]  # child media ids (carousels)
    parent_id: str | None = None  # the carousel a child belongs to

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def reply_to_id(self) -> str | None:
        return self.params.get("reply_to_id") or None

    @property
    def shortcode(self) -> str:
        number, code = int(self.id), ""
        while number:
            number, digit = divmod(number, 64)
            code = _SHORTCODE_ALPHABET[digit] + code
        return "D" + code[-10:]


class SandboxState:
    def __init__(self, processing_delays: dict[str, float] | None = None) -> None:
        self.lock = threading.RLock()
        self.delays = dict(DEFAULT_DELAYS)
        if processing_delays is not None:
            self.delays.update({k.upper(): float(v) for k, v in processing_delays.items()})
        self._offset = 0.0
        self._base_mono = time.monotonic()
        self._base_wall = datetime.now(timezone.utc)
        self.accounts: dict[str, AccountState] = {}
        self._tokens: dict[str, str] = {}
        self.containers: dict[str, Container] = {}
        self.media: dict[str, Post] = {}
        self.post_order: list[str] = []
        self.publish_attempts = 0
        self.pending_failures: list[tuple[str, str | None, str | None]] = []
        self.hosted: dict[str, tuple[bytes, str]] = {}
        self.gh_token = random_token("ghp_", 36)
        self.gh_username = "sandbox-gh-user"
        self.gh_repo_name = "threadspipe-media"
        self.repos: dict[tuple[str, str], dict[str, bytes]] = {
            (self.gh_username, self.gh_repo_name): {}
        }
        # Set by start(): media URLs that point at the sandbox itself are checked for real.
        self.port = 0
        self.base_url = ""
        self._ids = {"user": 17841400000000000, "container": 18100000000000000}
        self._ids["media"] = 17900000000000000
        self._seq = 0
        self.log: list[tuple[int, RecordedRequest]] = []
        default = self.add_account(username="sandbox_user")
        self.default_user_id = default.user_id

    # clock -------------------------------------------------------------------------------
    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        with self.lock:
            self._offset += seconds

    def wall(self, moment: float) -> datetime:
        return self._base_wall + timedelta(seconds=moment - self._base_mono)

    def timestamp(self, moment: float) -> str:
        return iso_timestamp(self.wall(moment))

    def next_id(self, kind: str) -> str:
        self._ids[kind] += 1
        return str(self._ids[kind])

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    # accounts ----------------------------------------------------------------------------
    def add_account(
        self,
        user_id: str | None = None,
        access_token: str | None = None,
        username: str | None = None,
        *,
        quota_total: int = 250,
        reply_quota_total: int = 1000,
        delete_quota_total: int = 100,
        geo_gating_eligible: bool = True,
    ) -> Account:
        with self.lock:
            uid = user_id or self.next_id("user")
            if uid in self.accounts:
                raise ValueError(f"account {uid} already exists")
            token = access_token or random_token("THAA", 60)
            if token in self._tokens:
                raise ValueError("that access token is already in use")
            name = username or f"sandbox_user_{len(self.accounts) + 1}"
            account = Account(user_id=uid, access_token=token, username=name)
            self.accounts[uid] = AccountState(
                account=account,
                name=name.replace("_", " ").title(),
                quota_total=quota_total,
                reply_quota_total=reply_quota_total,
                delete_quota_total=delete_quota_total,
                geo_gating_eligible=geo_gating_eligible,
            )
            self._tokens[token] = uid
            return account

    def account_for_token(self, token: str | None) -> AccountState | None:
        if not token:
            return None
        uid = self._tokens.get(token)
        return self.accounts[uid] if uid else None

    def account(self, user_id: str | None) -> AccountState:
        uid = user_id or self.default_user_id
        if uid not in self.accounts:
            raise KeyError(f"no sandbox account {uid}")
        return self.accounts[uid]

    def usage(self, log: list[float]) -> int:
        cutoff = self.now() - DAY
        log[:] = [t for t in log if t > cutoff]
        return len(log)

    def set_usage(self, user_id: str | None, posts: int | None, replies: int | None) -> None:
        with self.lock:
            acct = self.account(user_id)
            now = self.now()
            if posts is not None:
                acct.post_log[:] = [now] * posts
            if replies is not None:
                acct.reply_log[:] = [now] * replies

    # containers --------------------------------------------------------------------------
    def create_container(self, acct: AccountState, params: dict[str, str]) -> Container:
        spec = validate_create(params)
        if spec.children:
            self._check_children(acct, spec.children)
        if spec.reply_to_id and spec.reply_to_id not in self._top_level_posts():
            raise invalid_param(f"Param reply_to_id {spec.reply_to_id} is not a published post")
        if spec.quote_post_id and spec.quote_post_id not in self._top_level_posts():
            raise invalid_param(f"Param quote_post_id {spec.quote_post_id} is not a published post")
        if spec.country_codes and not acct.geo_gating_eligible:
            raise invalid_param(
                "THREADS_API__FEATURE_NOT_AVAILABLE: this account is not eligible for geo-gating "
                "(allowlisted_country_codes)",
                user_msg="THREADS_API__FEATURE_NOT_AVAILABLE",
            )
        container = Container(
            id=self.next_id("container"),
            owner=acct.user_id,
            spec=spec,
            params=dict(params),
            created_at=self.now(),
        )
        for i, (status, message, media_type) in enumerate(self.pending_failures):
            if media_type is None or media_type == spec.media_type:
                container.pending_failure = (status, message)
                del self.pending_failures[i]
                break
        self.containers[container.id] = container
        return container

    def _top_level_posts(self) -> set[str]:
        return {pid for pid, post in self.media.items() if post.parent_id is None}

    def _check_children(self, acct: AccountState, children: tuple[str, ...]) -> None:
        for child_id in children:
            child = self.containers.get(child_id)
            if child is None or child.owner != acct.user_id:
                raise invalid_param(f"Param children: {child_id} is not a container of this user")
            if not child.spec.is_carousel_item:
                raise invalid_param(f"Param children: {child_id} is not a carousel item container")
            status, _ = self.status(child)
            if status != "FINISHED":
                raise invalid_param(
                    f"Param children: container {child_id} is {status}, not FINISHED"
                )

    def status(self, c: Container) -> tuple[str, str | None]:
        """The container's status now; processing is settled lazily on first look."""
        if c.published_media_id:
            return "PUBLISHED", None
        if c.forced:
            return c.forced
        elapsed = self.now() - c.created_at
        if c.outcome is None and elapsed >= self.delays.get(c.spec.media_type, 0.0):
            self._process(c)
        if c.outcome in (None, "FINISHED") and elapsed >= DAY:
            return "EXPIRED", None
        if c.outcome is None:
            return "IN_PROGRESS", None
        return c.outcome, c.error_message

    def _process(self, c: Container) -> None:
        default_error = "FAILED_DOWNLOADING_VIDEO" if c.spec.media_type == "VIDEO" else "UNKNOWN"
        if c.pending_failure:
            c.outcome, message = c.pending_failure
            c.error_message = message if c.outcome == "ERROR" else None
        elif c.spec.media_url and not self._fetchable(c.spec.media_url):
            c.outcome, c.error_message = "ERROR", default_error
        else:
            c.outcome = "FINISHED"

    def _fetchable(self, url: str) -> bool:
        """Whether "Meta" could download this media URL (checked when processing ends)."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host == "invalid" or host.endswith(".invalid"):
            return False
        try:
            port = parts.port
        except ValueError:
            return False
        if host in ("127.0.0.1", "localhost") and self.port and port == self.port:
            return self.resolve_local(unquote(parts.path)) is not None
        return True  # other external hosts count as reachable: no network here

    def resolve_local(self, path: str) -> tuple[bytes, str | None] | None:
        """Bytes served at a /raw/... or /media/... path of the sandbox, if any."""
        if path.startswith("/media/"):
            hosted = self.hosted.get(path[len("/media/") :])
            return (hosted[0], hosted[1]) if hosted else None
        if path.startswith("/raw/"):
            pieces = path[len("/raw/") :].split("/", 3)
            if len(pieces) == 4 and pieces[2] == "main":
                data = self.repos.get((pieces[0], pieces[1]), {}).get(pieces[3])
                return (data, None) if data is not None else None
        return None

    def fail_container(self, container_id: str, status: str, message: str | None) -> None:
        if status not in FAIL_STATUSES:
            raise ValueError(f"status must be one of {FAIL_STATUSES}")
        with self.lock:
            c = self.containers[container_id]
            c.forced = (status, message if status == "ERROR" else None)

    def fail_next(self, status: str, message: str | None, media_type: str | None) -> None:
        if status not in FAIL_STATUSES:
            raise ValueError(f"status must be one of {FAIL_STATUSES}")
        with self.lock:
            kind = media_type.upper() if media_type else None
            self.pending_failures.append((status, message, kind))

    # publishing --------------------------------------------------------------------------
    def publish(self, acct: AccountState, creation_id: str) -> Post:
        c = self.containers.get(creation_id)
        if c is None or c.owner != acct.user_id:
            raise GraphError("The requested resource does not exist", code=24, subcode=4279009)
        if c.spec.is_carousel_item:
            raise invalid_param(
                f"Param creation_id {creation_id} is a carousel item; publish its CAROUSEL "
                "container instead"
            )
        status, message = self.status(c)
        if status == "PUBLISHED":
            raise invalid_param(f"The container {creation_id} has already been published")
        if status == "IN_PROGRESS":
            # Meta documents no error for this on Threads; this mirrors the Instagram Graph
            # API's "media not ready" error (code 9007, subcode 2207027).
            raise GraphError(
                "The media is not ready for publishing, please wait for a moment",
                code=9007,
                subcode=2207027,
                user_msg="Media Not Ready",
            )
        if status == "ERROR":
            # Mirrors Instagram's "create media fail, re-create media" (9007/2207032).
            raise GraphError(
                f"Media processing failed ({message}); re-create the container",
                code=9007,
                subcode=2207032,
            )
        if status == "EXPIRED":
            # Mirrors Instagram's "media has expired, upload again" (9007/2207020).
            raise GraphError(
                "The media container has expired; create it again", code=9007, subcode=2207020
            )
        self._check_quota(acct, is_reply=c.spec.reply_to_id is not None)
        return self._make_post(acct, c)

    def _check_quota(self, acct: AccountState, *, is_reply: bool) -> None:
        log, total, what = (
            (acct.reply_log, acct.reply_quota_total, "replies")
            if is_reply
            else (acct.post_log, acct.quota_total, "posts")
        )
        if self.usage(log) >= total:
            # Code 4 with HTTP 400 (chosen): Graph reports throttling codes with a 4xx other
            # than 429, so clients must classify by code; rate_limit() faults cover 429.
            raise GraphError(
                f"(#4) Application request limit reached: {total} {what} per 24 hours "
                "(threads_publishing_limit)",
                code=4,
                user_msg="Publishing limit reached",
            )

    def _make_post(self, acct: AccountState, c: Container) -> Post:
        now = self.now()
        post = Post(
            id=self.next_id("media"),
            owner=acct.user_id,
            media_type=POST_MEDIA_TYPES[c.spec.media_type],
            container_id=c.id,
            params=dict(c.params),
            created_at=now,
            children=[],
        )
        for child_id in c.spec.children:
            child_c = self.containers[child_id]
            child = Post(
                id=self.next_id("media"),
                owner=acct.user_id,
                media_type=POST_MEDIA_TYPES[child_c.spec.media_type],
                container_id=child_id,
                params=dict(child_c.params),
                created_at=now,
                children=[],
                parent_id=post.id,
            )
            child_c.published_media_id = child.id
            self.media[child.id] = child
            post.children.append(child.id)
        c.published_media_id = post.id
        self.media[post.id] = post
        self.post_order.append(post.id)
        (acct.reply_log if post.reply_to_id else acct.post_log).append(now)
        return post

    # snapshots ---------------------------------------------------------------------------
    def container_snapshot(self, c: Container) -> dict[str, Any]:
        status, message = self.status(c)
        return {
            "id": c.id,
            "owner": c.owner,
            "media_type": c.spec.media_type,
            "status": status,
            "error_message": message,
            "params": dict(c.params),
            "created_at": c.created_at,
            "published_media_id": c.published_media_id,
            "is_carousel_item": c.spec.is_carousel_item,
            "children": list(c.spec.children),
        }

    def post_snapshot(self, post: Post) -> dict[str, Any]:
        snap: dict[str, Any] = dict(post.params)
        snap.update(
            id=post.id,
            owner=post.owner,
            username=self.accounts[post.owner].account.username,
            media_type=post.media_type,
            text=post.text,
            reply_to_id=post.reply_to_id,
            container_id=post.container_id,
            children=[self.post_snapshot(self.media[cid]) for cid in post.children],
            timestamp=self.timestamp(post.created_at),
            shortcode=post.shortcode,
            permalink=self.permalink(post),
        )
        return snap

    def permalink(self, post: Post) -> str:
        username = self.accounts[post.owner].account.username
        return f"https://www.threads.com/@{username}/post/{post.shortcode}"
