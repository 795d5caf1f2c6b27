"""The sandbox's state model: accounts, containers, posts, quotas, GitHub files, the clock.

No HTTP here. All mutation happens under `SandboxState.lock` (one RLock for everything), which
the server holds for the whole of each request's handling, so handlers see consistent state.
"""

from __future__ import annotations

import copy
import mimetypes
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

from ._errors import GraphError, invalid_param, no_such_object
from ._media_fetch import MediaFetch, MediaFetcher
from ._records import Account, RecordedRequest
from ._text import iso_timestamp
from ._validate import BOOL_PARAMS, CreateSpec, validate_create
from ._webhooks import WebhookSender

DAY = 86400.0
DEFAULT_DELAYS: dict[str, float] = {"TEXT": 0.0, "IMAGE": 0.3, "VIDEO": 1.5, "CAROUSEL": 0.2}
POST_MEDIA_TYPES = {
    "TEXT": "TEXT_POST",
    "IMAGE": "IMAGE",
    "VIDEO": "VIDEO",
    "CAROUSEL": "CAROUSEL_ALBUM",
}
REPOST = "REPOST_FACADE"
FAIL_STATUSES = ("ERROR", "EXPIRED")
# What "Meta" accepts when it fetches a media URL the sandbox serves (threads-api.md §3.12:
# JPEG or PNG images, MP4 or MOV videos).
ACCEPTED_CONTENT_TYPES = {
    "IMAGE": ("image/jpeg", "image/jpg", "image/png"),
    "VIDEO": ("video/mp4", "video/quicktime"),
}
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
    fetch_error: str | None = None  # set when the media URL failed at creation time


@dataclass
class Post:
    id: str
    owner: str
    media_type: str
    container_id: str | None  # None for reposts
    params: dict[str, str]
    created_at: float
    children: list[str]  # child media ids (carousels)
    parent_id: str | None = None  # the carousel a child belongs to
    spec: CreateSpec | None = None  # None for reposts
    reposted_id: str | None = None  # REPOST_FACADE: the post it reposts

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def reply_to_id(self) -> str | None:
        return self.params.get("reply_to_id") or None

    def flag(self, name: str) -> bool:
        return self.spec.flag(name) if self.spec is not None else False

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
        self.deleted: list[str] = []  # media ids deleted through the API, in order
        self.lost: set[str] = set()  # container ids removed by lose_container()
        self.publish_attempts = 0
        self.pending_failures: list[tuple[str, str | None, str | None]] = []
        self.hosted: dict[str, tuple[bytes, str]] = {}
        # URL -> the Content-Type the media probe answers (None: unreachable); set_media_type
        self.media_types: dict[str, str | None] = {}
        self.gh_token = random_token("ghp_", 36)
        self.gh_username = "sandbox-gh-user"
        self.gh_repo_name = "threadspipe-media"
        self.repos: dict[tuple[str, str], dict[str, bytes]] = {
            (self.gh_username, self.gh_repo_name): {}
        }
        # Set by start(): media URLs that point at the sandbox itself are checked for real.
        self.port = 0
        self.base_url = ""
        # Media URLs on other local servers, fetched for real when the fetcher covers them
        # (ThreadsSandbox(fetch_media_from=...)): every fetch, the latest per URL, and the
        # containers whose fetch at the end of processing is still to come.
        self.fetcher = MediaFetcher()
        self.media_fetches: list[MediaFetch] = []
        self._latest_fetch: dict[str, MediaFetch] = {}
        self._awaiting_fetch: dict[str, str] = {}
        self._fetching: set[str] = set()
        self._ids = {"user": 17841400000000000, "container": 18100000000000000}
        self._ids["media"] = 17900000000000000
        self._seq = 0
        self.log: list[tuple[int, RecordedRequest]] = []
        self.webhooks = WebhookSender(self)
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

    def set_usage(
        self,
        user_id: str | None,
        posts: int | None,
        replies: int | None,
        deletes: int | None = None,
    ) -> None:
        with self.lock:
            acct = self.account(user_id)
            now = self.now()
            logs = ((posts, acct.post_log), (replies, acct.reply_log), (deletes, acct.delete_log))
            for count, log in logs:
                if count is not None:
                    log[:] = [now] * count

    # containers --------------------------------------------------------------------------
    def create_container(self, acct: AccountState, params: dict[str, str]) -> Container:
        spec = validate_create(params)
        if spec.children:
            self._check_children(acct, spec.children)
        targets = (("reply_to_id", spec.reply_to_id), ("quote_post_id", spec.quote_post_id))
        for name, target in targets:
            if target and target not in self._postable_targets():
                raise invalid_param(f"Param {name} {target} is not a published post")
        if spec.country_codes and not acct.geo_gating_eligible:
            raise invalid_param(
                "THREADS_API__FEATURE_NOT_AVAILABLE: this account is not eligible for geo-gating "
                "(allowlisted_country_codes)",
                user_msg="THREADS_API__FEATURE_NOT_AVAILABLE",
            )
        auto_publish = spec.flag("auto_publish_text")
        if auto_publish:
            self._check_quota(acct, is_reply=spec.reply_to_id is not None)
        container = Container(
            id=self.next_id("container"),
            owner=acct.user_id,
            spec=spec,
            params=dict(params),
            created_at=self.now(),
        )
        if spec.media_url:
            # Meta starts fetching the media when the container is created ("We will cURL your
            # image/video"); the outcome shows once processing ends. A file removed before
            # processing ends fails too (checked again in _process).
            container.fetch_error = self._fetch_problem(spec.media_type, spec.media_url)
            if container.fetch_error is None and self.fetcher.covers(spec.media_url):
                self._awaiting_fetch[container.id] = spec.media_url
        for i, (status, message, media_type) in enumerate(self.pending_failures):
            if media_type is None or media_type == spec.media_type:
                container.pending_failure = (status, message)
                del self.pending_failures[i]
                break
        self.containers[container.id] = container
        if auto_publish:
            # auto_publish_text: published at creation, no threads_publish step (§3.1). What the
            # call returns is undocumented; the sandbox answers with the container id.
            self._make_post(acct, container)
        return container

    def _postable_targets(self) -> set[str]:
        """Posts that can be replied to or quoted: top-level media, not carousel children or
        repost facades."""
        return {
            pid
            for pid, post in self.media.items()
            if post.parent_id is None and post.media_type != REPOST
        }

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
        if c.id in self._awaiting_fetch:
            return  # processing ends once the media was fetched again (outside the lock)
        problem = c.fetch_error
        if problem is None and c.spec.media_url:
            problem = self._fetch_problem(c.spec.media_type, c.spec.media_url)
        if c.pending_failure:
            c.outcome, message = c.pending_failure
            c.error_message = message if c.outcome == "ERROR" else None
        elif problem is not None:
            c.outcome, c.error_message = "ERROR", problem
        else:
            c.outcome = "FINISHED"

    def _fetch_problem(self, media_type: str, url: str) -> str | None:
        """The error_message "Meta" would report after fetching this media URL, or None.

        Hosts ending in .invalid never resolve; the sandbox's own /raw and /media URLs are looked
        up, and URLs on the hosts given to fetch_media_from were fetched for real (missing or
        refused -> a download failure; not a JPEG/PNG image or MP4/MOV video -> a processing
        failure); other external hosts count as fine, since nothing leaves the machine.
        """
        download_error = "FAILED_DOWNLOADING_VIDEO" if media_type == "VIDEO" else "UNKNOWN"
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host == "invalid" or host.endswith(".invalid"):
            return download_error
        try:
            port = parts.port
        except ValueError:
            return download_error
        path = unquote(parts.path)
        if self.fetcher.covers(url) and port != self.port:
            fetched = self._latest_fetch.get(url)
            if fetched is None:  # reached without a request (the fetch runs in the server)
                return None
            if not fetched.ok:
                return download_error
            return _content_problem(media_type, fetched.content_type, path)
        if host not in ("127.0.0.1", "localhost") or not self.port or port != self.port:
            return None
        found = self.resolve_local(path)
        if found is None:
            return download_error
        return _content_problem(media_type, found[1], path)

    # media on other local servers, fetched outside the lock -------------------------------
    def record_fetch(self, fetch: MediaFetch) -> None:
        with self.lock:
            self.media_fetches.append(fetch)
            self._latest_fetch[fetch.url] = fetch

    def due_fetches(self) -> list[tuple[str, str]]:
        """Containers whose processing has ended and whose media must be fetched again now;
        each is handed out once (its fetch is then in flight)."""
        with self.lock:
            due: list[tuple[str, str]] = []
            for container_id, url in list(self._awaiting_fetch.items()):
                c = self.containers.get(container_id)
                if c is None:
                    del self._awaiting_fetch[container_id]
                elif container_id not in self._fetching and self.now() - c.created_at >= (
                    self.delays.get(c.spec.media_type, 0.0)
                ):
                    self._fetching.add(container_id)
                    due.append((container_id, url))
            return due

    def processing_fetched(self, container_id: str, fetch: MediaFetch | None) -> None:
        """The end-of-processing fetch is done (None: it could not run): settle normally."""
        with self.lock:
            if fetch is not None:
                self.media_fetches.append(fetch)
                self._latest_fetch[fetch.url] = fetch
            self._awaiting_fetch.pop(container_id, None)
            self._fetching.discard(container_id)

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

    def lose_container(self, container_id: str) -> None:
        with self.lock:
            if container_id not in self.containers:
                raise KeyError(f"no sandbox container {container_id}")
            del self.containers[container_id]
            self.lost.add(container_id)

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
            # Meta answers a second publish of one container with its "Duplicate Post" error
            # (code 506), so a client that sends a publish again learns it had landed.
            raise GraphError(
                f"(#506) Duplicate Post: the container {creation_id} has already been published",
                code=506,
                user_msg="Duplicate Post",
            )
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
        lost = [child for child in c.spec.children if child not in self.containers]
        if lost:
            raise GraphError(
                f"The requested resource does not exist (carousel item {lost[0]})",
                code=24,
                subcode=4279009,
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
            raise _quota_error(total, what)

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
            spec=c.spec,
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
                spec=child_c.spec,
            )
            child_c.published_media_id = child.id
            self.media[child.id] = child
            post.children.append(child.id)
        c.published_media_id = post.id
        self.media[post.id] = post
        self.post_order.append(post.id)
        (acct.reply_log if post.reply_to_id else acct.post_log).append(now)
        self.webhooks.post_created(post)
        return post

    # reposts and deletes -----------------------------------------------------------------
    def repost(self, acct: AccountState, media_id: str) -> Post:
        target = self.media.get(media_id)
        if target is None or target.parent_id is not None:
            raise no_such_object(media_id, "POST")
        if target.media_type == REPOST:
            raise invalid_param(f"The media {media_id} is a repost; reposts cannot be reposted")
        for other in self.media.values():
            if other.reposted_id == media_id and other.owner == acct.user_id:
                raise invalid_param(f"The media {media_id} is already reposted (repost {other.id})")
        post = Post(
            id=self.next_id("media"),
            owner=acct.user_id,
            media_type=REPOST,
            container_id=None,
            params={},
            created_at=self.now(),
            children=[],
            reposted_id=media_id,
        )
        self.media[post.id] = post
        self.post_order.append(post.id)
        return post

    def delete(self, acct: AccountState, media_id: str) -> None:
        post = self.media.get(media_id)
        if post is None or post.parent_id is not None:
            raise no_such_object(media_id, "DELETE")
        if post.owner != acct.user_id:
            # Choice: code 10 with HTTP 403, as for another user's id in the path.
            raise GraphError(
                f"(#10) Application does not have permission for this action: media {media_id} "
                "belongs to another user",
                code=10,
                status=403,
            )
        if self.usage(acct.delete_log) >= acct.delete_quota_total:
            raise _quota_error(acct.delete_quota_total, "deletes")
        self._remove(post)
        acct.delete_log.append(self.now())
        self.deleted.append(media_id)
        self.webhooks.post_deleted(post)

    def _remove(self, post: Post) -> None:
        """Drop a post, its carousel children and every repost of it."""
        for child_id in post.children:
            self.media.pop(child_id, None)
        for other in [m for m in self.media.values() if m.reposted_id == post.id]:
            self._remove(other)
        self.media.pop(post.id, None)
        if post.id in self.post_order:
            self.post_order.remove(post.id)

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

    def post_snapshot(self, post: Post, parent: Post | None = None) -> dict[str, Any]:
        spec = post.spec
        p = post.params
        snap: dict[str, Any] = dict(p)  # every raw parameter; the keys below are parsed
        spoiler = post.flag("is_spoiler_media") or (
            parent is not None and parent.flag("is_spoiler_media")
        )
        codes = spec.country_codes if spec is not None else ()
        snap.update(
            id=post.id,
            owner=post.owner,
            username=self.accounts[post.owner].account.username,
            media_type=post.media_type,
            text=post.text,
            url=spec.media_url if spec is not None else None,
            alt_text=p.get("alt_text"),
            reply_to_id=post.reply_to_id,
            quote_post_id=spec.quote_post_id if spec is not None else None,
            reposted_post={"id": post.reposted_id} if post.reposted_id else None,
            link_attachment_url=p.get("link_attachment"),
            topic_tag=p.get("topic_tag"),
            reply_audience=p.get("reply_control", "everyone").upper(),
            poll_attachment=dict(spec.poll) if spec is not None and spec.poll else None,
            text_entities=[dict(e) for e in spec.text_entities or ()] if spec is not None else [],
            gif_attachment=dict(spec.gif) if spec is not None and spec.gif else None,
            text_attachment=copy.deepcopy(spec.text_attachment) if spec is not None else None,
            is_spoiler_media=spoiler,
            location_id=p.get("location_id"),
            allowlisted_country_codes=list(codes),
            container_id=post.container_id,
            children=[self.post_snapshot(self.media[cid], post) for cid in post.children],
            timestamp=self.timestamp(post.created_at),
            shortcode=post.shortcode,
            permalink=self.permalink(post),
        )
        for name in BOOL_PARAMS:
            if name != "is_spoiler_media":
                snap[name] = post.flag(name)
        return snap

    def permalink(self, post: Post) -> str:
        username = self.accounts[post.owner].account.username
        return f"https://www.threads.com/@{username}/post/{post.shortcode}"


def _content_problem(media_type: str, content_type: str | None, path: str) -> str | None:
    """A processing failure when the fetched bytes are not an accepted image or video."""
    kind = (content_type or mimetypes.guess_type(path)[0] or "application/octet-stream").lower()
    kind = kind.split(";", 1)[0].strip()
    if kind not in ACCEPTED_CONTENT_TYPES.get(media_type, ()):
        return "FAILED_PROCESSING_VIDEO" if media_type == "VIDEO" else "UNKNOWN"
    return None


def _quota_error(total: int, what: str) -> GraphError:
    # Code 4 with HTTP 400 (chosen): Graph reports throttling codes with a 4xx other than 429,
    # so clients must classify by code; rate_limit() faults cover 429.
    return GraphError(
        f"(#4) Application request limit reached: {total} {what} per 24 hours "
        "(threads_publishing_limit)",
        code=4,
        user_msg="Delete limit reached" if what == "deletes" else "Publishing limit reached",
    )
