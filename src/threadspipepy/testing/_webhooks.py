"""The sandbox sends webhooks: subscriptions, the payloads Meta would send, signed, delivered
from a background thread with retries.

Written from threads-api.md §9 and Meta's Graph webhooks convention (the Threads page leaves
the handshake and the signature header unconfirmed):

- subscribing performs the verification request first, ``GET callback?hub.mode=subscribe&
  hub.challenge=N&hub.verify_token=T``, and keeps the subscription only if the answer is 200
  with exactly the challenge as its body (as Meta's dashboard does);
- each notification is a POST of ``{"app_id", "topic", "target_id", "time",
  "subscription_id", "has_uid_field": false, "values": {"value": {...}, "field": F}}``, one
  value per POST (the documented shape), signed with the app secret in
  ``X-Hub-Signature-256: sha256=<hex>`` (and the legacy ``X-Hub-Signature: sha1=<hex>``);
- an answer other than 2xx, a refused connection or a timeout is retried: twice at once
  (after 0.05 s and 0.25 s of real time, as Meta "immediately" tries again), then with
  decreasing frequency over 36 hours of the sandbox clock (1 min, 10 min, 1 h, 4 h, 12 h,
  24 h, 36 h after the first attempt; `advance()` brings them due), then dropped.

Event sites (`SandboxState` publishing and deleting, the seeding methods) call
`post_created`/`post_deleted` with the state lock held: those only build payloads and queue
them. The worker thread never takes the state lock, so a receiver that calls back into the
sandbox (a bot replying through `pipe`) cannot deadlock it.

Sandbox choices where Meta is silent: `target_id` is the thread's root post for replies and
the post itself for publish and delete; a user's replies to their own posts are not `replies`
events (their `publish` events report them); replies and mentions awaiting reply approval send
nothing (nor does approving them later); events go to the subscribed `user_ids` (default: the
default account); `seed_profile(posts=N)` sends nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:  # imported by _state: nothing from the state modules at runtime
    from ._readstore import ReadStore
    from ._state import Post, SandboxState

log = logging.getLogger("threadspipepy.testing")

TOPIC_OF = {
    "replies": "moderate",
    "delete": "moderate",
    "mentions": "interaction",
    "publish": "interaction",
}
WEBHOOK_FIELDS = tuple(TOPIC_OF)
HOUR = 3600.0
# When each retry is due, in sandbox-clock seconds after the first attempt.
RETRY_OFFSETS = (0.05, 0.25, 60.0, 600.0, HOUR, 4 * HOUR, 12 * HOUR, 24 * HOUR, 36 * HOUR)
IMMEDIATE = 1.0  # a retry due sooner than this is part of the attempt (wait_for_webhooks waits)
POLL = 0.05  # how often the worker looks at the clock while retries are scheduled
MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class WebhookAttempt:
    """One POST of a notification: when (sandbox clock), the HTTP status (0: no answer) and,
    without an answer, what went wrong."""

    at: float
    status: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class WebhookDelivery:
    """A notification the sandbox sent (or is still sending): the payload and its exact body,
    the headers, every attempt, and the state: pending, delivered, or failed (all retries
    used, dropped as Meta drops it after 36 hours)."""

    id: int
    url: str
    field: str
    topic: str
    user_id: str
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    attempts: tuple[WebhookAttempt, ...]
    state: str
    next_attempt_at: float | None

    @property
    def delivered(self) -> bool:
        return self.state == "delivered"

    @property
    def media_id(self) -> str:
        return str(self.payload["values"]["value"]["id"])


@dataclass
class _Subscription:
    topic: str
    url: str
    verify_token: str = dataclasses.field(repr=False)
    fields: frozenset[str]
    user_ids: tuple[str, ...]
    subscription_ids: dict[str, str]
    timeout: float


@dataclass
class _Job:
    id: int
    url: str
    field: str
    topic: str
    user_id: str
    payload: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    timeout: float
    due: float
    attempts: list[WebhookAttempt] = dataclasses.field(default_factory=list)
    state: str = "pending"
    in_flight: bool = False

    def snapshot(self) -> WebhookDelivery:
        return WebhookDelivery(
            id=self.id,
            url=self.url,
            field=self.field,
            topic=self.topic,
            user_id=self.user_id,
            payload=json.loads(self.body),
            body=self.body,
            headers=dict(self.headers),
            attempts=tuple(self.attempts),
            state=self.state,
            next_attempt_at=self.due if self.state == "pending" else None,
        )


def tags(text: str | None, username: str) -> bool:
    """Whether `text` mentions @username (GET /mentions applies the same rule)."""
    pattern = rf"(?<![\w@])@{re.escape(username)}(?!\w|\.\w)"
    return bool(text) and re.search(pattern, text or "", re.IGNORECASE) is not None


def sign(body: bytes, secret: str) -> dict[str, str]:
    """The signature headers Meta's Graph webhooks carry (SHA-256, and the legacy SHA-1)."""
    key = secret.encode("utf-8")
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
        "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
    }


def http_call(
    method: str, url: str, body: bytes | None, headers: dict[str, str], timeout: float
) -> tuple[int, bytes]:
    """One request to a callback URL: (status, start of the body). No proxy, no redirects,
    as a webhook sender is not a browser. Raises OSError or HTTPException without an answer."""
    parts = urlsplit(url)
    connection_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname or "", parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read(MAX_ANSWER_BYTES)
    finally:
        connection.close()


def check_callback_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"callback_url must be an http(s) URL with a host; got {url!r}")


class WebhookSender:
    """Subscriptions and deliveries of one sandbox (owned by SandboxState)."""

    def __init__(self, state: SandboxState) -> None:
        self._state = state
        self._cond = threading.Condition()
        self._topics: dict[str, _Subscription] = {}
        self._jobs: list[_Job] = []
        self._pending: list[_Job] = []
        self._store: ReadStore | None = None
        self._app_id = ""
        self._app_secret = ""
        self._thread: threading.Thread | None = None
        self._stopping = False

    # subscriptions ---------------------------------------------------------------------------
    def subscribe(
        self,
        topic: str,
        subscription: _Subscription,
        *,
        store: ReadStore,
        app_id: str,
        app_secret: str,
    ) -> None:
        with self._cond:
            self._store, self._app_id, self._app_secret = store, app_id, app_secret
            self._topics[topic] = subscription

    def unsubscribe(self, fields: Iterable[str]) -> None:
        with self._cond:
            for name in fields:
                sub = self._topics.get(TOPIC_OF[name])
                if sub is None:
                    continue
                sub.fields = sub.fields - {name}
                if not sub.fields:
                    del self._topics[sub.topic]

    def subscriptions(self) -> list[dict[str, Any]]:
        with self._cond:
            return [
                {
                    "topic": sub.topic,
                    "callback_url": sub.url,
                    "fields": sorted(sub.fields),
                    "user_ids": list(sub.user_ids),
                }
                for sub in self._topics.values()
            ]

    def _subscribers(self, name: str) -> tuple[str, ...]:
        sub = self._topics.get(TOPIC_OF[name])
        return sub.user_ids if sub is not None and name in sub.fields else ()

    # event sites (state lock held) ---------------------------------------------------------------
    def posts_created(self, posts: Iterable[Post]) -> None:
        for post in posts:
            self.post_created(post)

    def post_created(self, post: Post) -> None:
        """A post was published (through the API or seeded): publish, replies and mentions."""
        with self._cond:
            store = self._store
            if not self._topics or store is None:
                return
            if post.parent_id is not None or post.spec is None:  # carousel item or repost
                return
            if post.owner in self._subscribers("publish"):
                self._queue("publish", post.owner, post.id, self._publish_value(post))
            if store.approval_status(post) is not None:  # awaiting approval: not visible yet
                return
            if post.reply_to_id:
                self._reply_to_subscriber(post, store)
            if not store.is_private(post.owner):  # Meta sends no mention from a private account
                for user_id in self._subscribers("mentions"):
                    username = self._state.accounts[user_id].account.username
                    if user_id != post.owner and tags(post.text, username):
                        self._queue("mentions", user_id, user_id, self._mention_value(post))

    def _reply_to_subscriber(self, post: Post, store: ReadStore) -> None:
        """A `replies` event when the thread's root belongs to a subscribed, public user."""
        root = store.root_of(post)
        if root.owner == post.owner or store.is_private(root.owner):
            return
        if root.owner in self._subscribers("replies"):
            self._queue("replies", root.owner, root.id, self._reply_value(post, root))

    def post_deleted(self, post: Post) -> None:
        """The owner deleted a post: a delete event."""
        with self._cond:
            if self._store is None or post.owner not in self._subscribers("delete"):
                return
            value = {
                "id": post.id,
                "owner": {"owner_id": post.owner},
                "deleted_at": self._state.timestamp(self._state.now()),
                "timestamp": self._state.timestamp(post.created_at),
                "username": self._username(post),
            }
            self._queue("delete", post.owner, post.id, value)

    # payloads ---------------------------------------------------------------------------------
    def _username(self, post: Post) -> str:
        return self._state.accounts[post.owner].account.username

    def _verified(self, post: Post) -> bool:
        store = self._store
        profile = store.profiles.get(post.owner) if store is not None else None
        return bool(profile and profile.is_verified)

    def _publish_value(self, post: Post) -> dict[str, Any]:
        return {
            "id": post.id,
            "media_type": post.media_type,
            "permalink": self._state.permalink(post),
            "timestamp": self._state.timestamp(post.created_at),
            "username": self._username(post),
        }

    def _post_value(self, post: Post) -> dict[str, Any]:
        return {
            "id": post.id,
            "username": self._username(post),
            "text": post.text or "",
            "media_type": post.media_type,
            "permalink": self._state.permalink(post),
            "shortcode": post.shortcode,
            "timestamp": self._state.timestamp(post.created_at),
            "is_verified": self._verified(post),
        }

    def _thread_fields(self, post: Post, root: Post) -> dict[str, Any]:
        return {
            "replied_to": {"id": post.reply_to_id},
            "root_post": {
                "id": root.id,
                "owner_id": root.owner,
                "username": self._username(root),
            },
        }

    def _reply_value(self, post: Post, root: Post) -> dict[str, Any]:
        return {**self._post_value(post), **self._thread_fields(post, root)}

    def _mention_value(self, post: Post) -> dict[str, Any]:
        value = {**self._post_value(post), "is_reply": bool(post.reply_to_id)}
        value["has_replies"] = False  # it was just published
        value["is_quote_post"] = post.spec is not None and bool(post.spec.quote_post_id)
        store = self._store
        if post.reply_to_id and store is not None:
            value.update(self._thread_fields(post, store.root_of(post)))
        return value

    def _queue(self, name: str, user_id: str, target_id: str, value: dict[str, Any]) -> None:
        topic = TOPIC_OF[name]
        sub = self._topics[topic]
        now = self._state.now()
        payload = {
            "app_id": self._app_id,
            "topic": topic,
            "target_id": target_id,
            "time": int(self._state.wall(now).timestamp()),
            "subscription_id": sub.subscription_ids[user_id],
            "has_uid_field": False,
            "values": {"value": value, "field": name},
        }
        body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", **sign(body, self._app_secret)}
        job = _Job(
            id=len(self._jobs) + 1,
            url=sub.url,
            field=name,
            topic=topic,
            user_id=user_id,
            payload=payload,
            body=body,
            headers=headers,
            timeout=sub.timeout,
            due=now,
        )
        self._jobs.append(job)
        self._pending.append(job)
        self._start_worker()
        self._cond.notify_all()

    # delivery -----------------------------------------------------------------------------------
    def _start_worker(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping = False
            self._thread = threading.Thread(
                target=self._run, name="threads-sandbox-webhooks", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while True:
            with self._cond:
                job = self._next_job()
                if job is None:
                    return
            attempt = self._attempt(job)
            with self._cond:
                self._settle(job, attempt)
                self._cond.notify_all()

    def _next_job(self) -> _Job | None:
        """The next due delivery (marked in flight), waiting for one; None when stopping."""
        while not self._stopping:
            now = self._state.now()
            due = [j for j in self._pending if not j.in_flight and j.due <= now]
            if due:
                job = min(due, key=lambda j: (j.due, j.id))
                job.in_flight = True
                return job
            # Retries wait on the sandbox clock, which advance() moves without telling us.
            self._cond.wait(POLL if self._pending else None)
        return None

    def _attempt(self, job: _Job) -> WebhookAttempt:
        at = self._state.now()
        try:
            status, _ = http_call("POST", job.url, job.body, job.headers, job.timeout)
        except (OSError, http.client.HTTPException) as exc:
            log.debug("webhook %s to %s: no answer (%s)", job.field, job.url, exc)
            return WebhookAttempt(at, 0, f"{type(exc).__name__}: {exc}")
        log.debug("webhook %s to %s: HTTP %d", job.field, job.url, status)
        return WebhookAttempt(at, status)

    def _settle(self, job: _Job, attempt: WebhookAttempt) -> None:
        job.in_flight = False
        job.attempts.append(attempt)
        retries = len(job.attempts) - 1
        if attempt.ok:
            job.state = "delivered"
        elif retries < len(RETRY_OFFSETS):
            job.due = max(job.attempts[0].at + RETRY_OFFSETS[retries], self._state.now())
            return
        else:
            job.state = "failed"
        self._pending.remove(job)

    # for the sandbox's methods ----------------------------------------------------------------
    def deliveries(self) -> list[WebhookDelivery]:
        with self._cond:
            return [job.snapshot() for job in self._jobs]

    def wait(self, timeout: float) -> None:
        """Block until no delivery is in flight or due within IMMEDIATE seconds."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._settled():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    busy = [f"{j.field} #{j.id}" for j in self._pending if not self._idle(j)]
                    raise TimeoutError(
                        f"webhook deliveries still under way after {timeout} s: {busy}"
                    )
                self._cond.wait(min(remaining, POLL))

    def _idle(self, job: _Job) -> bool:
        return not job.in_flight and job.due - self._state.now() > IMMEDIATE

    def _settled(self) -> bool:
        return all(self._idle(job) for job in self._pending)

    def close(self) -> None:
        """Stop the worker (pending deliveries stay pending)."""
        with self._cond:
            self._stopping = True
            thread = self._thread
            self._cond.notify_all()
        if thread is not None:
            thread.join(timeout=2.0)
        with self._cond:
            self._thread = None


def new_subscription(
    topic: str,
    url: str,
    verify_token: str,
    fields: frozenset[str],
    user_ids: tuple[str, ...],
    timeout: float,
) -> _Subscription:
    ids = {uid: str(17000000000000000 + secrets.randbelow(10**15)) for uid in user_ids}
    return _Subscription(topic, url, verify_token, fields, user_ids, ids, timeout)


def verify_callback(url: str, verify_token: str, timeout: float) -> None:
    """Meta's verification request; ValueError unless the answer is 200 with the challenge."""
    challenge = str(1000000000 + secrets.randbelow(9 * 10**9))
    query = urlencode(
        {"hub.mode": "subscribe", "hub.challenge": challenge, "hub.verify_token": verify_token}
    )
    separator = "&" if urlsplit(url).query else "?"
    try:
        status, body = http_call("GET", url + separator + query, None, {}, timeout)
    except (OSError, http.client.HTTPException) as exc:
        raise ValueError(
            f"the callback URL could not be verified: no answer from {url} ({exc})"
        ) from None
    received = body.decode("utf-8", "replace")[:200].replace(verify_token, "***")
    if status != 200:
        raise ValueError(
            f"the callback URL could not be verified: {url} answered HTTP {status} to the "
            f"verification request ({received!r})"
        )
    if received != challenge:
        raise ValueError(
            "the callback URL could not be verified: the response does not match the "
            f"challenge (expected {challenge!r}, received {received!r}); answer with the "
            "bare hub.challenge value"
        )
