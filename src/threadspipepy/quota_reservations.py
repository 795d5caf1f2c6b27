"""Quota reservations: workers posting for one account share its publishing quota.

Meta allows each account 250 posts and 1,000 replies per rolling 24 hours, and its
`threads_publishing_limit` counts only what is already live. Two workers that read it at once
both see room, and both start chains: the quota can then run out half way through one of them.
With `ThreadsPipe(quota_reservations=...)` a call reserves its chain's posts and replies in a
shared counter before anything is published; the check and the reservation are one atomic step:

    usage read from Meta + parts other calls reserved and have not published yet + this chain
    <= the account's quota

Each part is settled (taken off the reservation) once it is live, because from then on Meta's
count holds it, and the rest is released when the call ends, however it ends. So calls that
share a store never start a chain that cannot finish, and together never go over the quota.
Meta's read stays the baseline at every reservation, so posts made elsewhere (the app, another
tool) are counted too.

A reservation is named after the call's idempotency key when it has one, so the re-run of a
killed job replaces the reservation its dead run left; others expire after `ttl` (by default
the quota's own window, 24 hours, which errs on the safe side).

`LocalQuota` shares the counter between the threads of one process; `RedisQuota`
(`threadspipepy.redis_stores`) between processes and machines. Any object with `reserve`,
`settle` and `release` is a store (the `QuotaReservations` protocol).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from ._log import Log, logger_for
from .errors import QuotaReservationError as QuotaReservationError
from .errors import ThreadsPipeError
from .publishing import ChainRecorder, PublishedPost
from .quota import QuotaUsage


@dataclass(frozen=True)
class Decision:
    """What a reservation attempt found: whether it was granted, and how many posts and
    replies other calls hold reserved (and have not published) for the account."""

    granted: bool
    pending_posts: int = 0
    pending_replies: int = 0


@runtime_checkable
class QuotaReservations(Protocol):
    """Where reservations live. Implement these three to share them another way.

    - `reserve(account, claim, posts, replies, usage, ttl)`: atomically, if
      `usage.posts_used + posts other claims hold + posts <= usage.posts_total` (checked only
      when `posts`) and the same for replies, record `claim` as holding `posts` and `replies`
      for `ttl` seconds (replacing an earlier reservation of the same name) and say granted;
      otherwise record nothing (and drop an earlier reservation of that name). Either way
      report what the other claims hold.
    - `settle(account, claim, posts, replies)`: these parts are live: hold that many fewer.
    - `release(account, claim)`: drop whatever `claim` still holds.
    """

    def reserve(
        self, account: str, claim: str, posts: int, replies: int, usage: QuotaUsage, ttl: float
    ) -> Decision: ...

    def settle(self, account: str, claim: str, posts: int, replies: int) -> None: ...

    def release(self, account: str, claim: str) -> None: ...


def fits(usage: QuotaUsage, posts: int, replies: int, held_posts: int, held_replies: int) -> bool:
    """The reservation rule, in one place: Meta's count plus what others hold plus the chain."""
    return (not posts or usage.posts_used + held_posts + posts <= usage.posts_total) and (
        not replies or usage.replies_used + held_replies + replies <= usage.replies_total
    )


class LocalQuota:
    """Reservations shared by the threads of this process (one client used from several
    threads, or several clients of one account). Use `RedisQuota` across processes."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # account -> claim -> [posts, replies, expires_at]
        self._held: dict[str, dict[str, list[float]]] = {}

    def __repr__(self) -> str:
        return "LocalQuota()"

    def reserve(
        self, account: str, claim: str, posts: int, replies: int, usage: QuotaUsage, ttl: float
    ) -> Decision:
        with self._lock:
            now = self._clock()
            claims = self._held.setdefault(account, {})
            for name in [n for n, held in claims.items() if held[2] <= now or n == claim]:
                del claims[name]
            held_posts = int(sum(h[0] for h in claims.values()))
            held_replies = int(sum(h[1] for h in claims.values()))
            granted = fits(usage, posts, replies, held_posts, held_replies)
            if granted:
                claims[claim] = [posts, replies, now + ttl]
            return Decision(granted, held_posts, held_replies)

    def settle(self, account: str, claim: str, posts: int, replies: int) -> None:
        with self._lock:
            held = self._held.get(account, {}).get(claim)
            if held is None:
                return
            held[0], held[1] = max(0, held[0] - posts), max(0, held[1] - replies)
            if not held[0] and not held[1]:
                del self._held[account][claim]

    def release(self, account: str, claim: str) -> None:
        with self._lock:
            self._held.get(account, {}).pop(claim, None)

    def pending(self, account: str) -> tuple[int, int]:
        """(posts, replies) reserved for `account` and not yet published."""
        with self._lock:
            now = self._clock()
            live = [h for h in self._held.get(account, {}).values() if h[2] > now]
            return int(sum(h[0] for h in live)), int(sum(h[1] for h in live))


class QuotaClaim:
    """One call's reservation: taken with the quota read, settled part by part as the chain
    goes live, released when the call ends. Without a store every method passes through, so
    a client without reservations behaves exactly as before."""

    def __init__(
        self,
        store: QuotaReservations | None,
        account: str,
        name: str | None,
        log: Log,
        *,
        ttl: float | None = None,
    ) -> None:
        self.store = store
        self.account = account
        self.name = name or f"call-{uuid.uuid4().hex}"
        # A claim named after an idempotency key speaks for every run of that key: it drops
        # what a dead run left even when it reserves nothing itself (its chain was done).
        self.named = store is not None and name is not None
        self.log = log
        self.ttl = ttl
        self.posts = self.replies = 0  # what this claim holds now
        self._reserved = False
        self._lock = threading.Lock()

    @classmethod
    def none(cls) -> QuotaClaim:
        """A claim that reserves nothing (a client without reservations)."""
        return cls(None, "", None, logger_for("quota"))

    @property
    def active(self) -> bool:
        return self.store is not None

    def reserving(
        self, read: Callable[[], QuotaUsage], posts: int, replies: int
    ) -> Callable[[], QuotaUsage]:
        """The quota read for `quota.ensure_room`: each read also tries to reserve the chain,
        and returns Meta's usage plus what other calls hold, so a chain that does not fit
        beside them is refused (or waited for) like one that does not fit Meta's count."""
        store = self.store
        if store is None:
            return read

        def read_and_reserve() -> QuotaUsage:
            usage = read()
            ttl = self.ttl if self.ttl is not None else float(usage.duration)
            try:
                decision = store.reserve(self.account, self.name, posts, replies, usage, ttl)
            except ThreadsPipeError:
                raise
            except Exception as exc:  # a store's own error: nothing may be published
                raise QuotaReservationError(
                    f"could not reserve the chain's quota: {type(exc).__name__}: {exc}"
                ) from None
            if decision.granted:
                with self._lock:
                    self.posts, self.replies, self._reserved = posts, replies, True
                self.log.debug(
                    "Reserved %d post(s) and %d reply(ies) of the quota (others hold %d, %d)",
                    posts,
                    replies,
                    decision.pending_posts,
                    decision.pending_replies,
                )
            return replace(
                usage,
                posts_used=usage.posts_used + decision.pending_posts,
                replies_used=usage.replies_used + decision.pending_replies,
                posts_reserved=decision.pending_posts,
                replies_reserved=decision.pending_replies,
            )

        return read_and_reserve

    def recording(self, inner: ChainRecorder | None) -> ChainRecorder | None:
        """The chain's recorder, also settling each part as it goes live."""
        if self.store is None:
            return inner
        return _SettlingRecorder(self, inner)

    def settle_one(self) -> None:
        """A part is live: the chain's root post first (it is always published first), then
        replies. A store error only leaves the reservation larger until release: safe."""
        with self._lock:
            if self.posts:
                self.posts -= 1
                kind = (1, 0)
            elif self.replies:
                self.replies -= 1
                kind = (0, 1)
            else:
                return
        self._quietly("settle", lambda store: store.settle(self.account, self.name, *kind))

    def release(self) -> None:
        """Give back what the call did not publish (nothing to do if it reserved nothing and
        has no key's name)."""
        with self._lock:
            held, self._reserved = self._reserved or self.named, False
            self.posts = self.replies = 0
        if held:
            self._quietly("release", lambda store: store.release(self.account, self.name))

    def _quietly(self, what: str, action: Callable[[QuotaReservations], None]) -> None:
        if self.store is None:
            return
        try:
            action(self.store)
        except Exception as exc:  # the chain's outcome must not depend on the counter
            self.log.warning(
                "Could not %s the quota reservation %s (%s: %s); it is held until it expires",
                what,
                self.name,
                type(exc).__name__,
                exc,
            )


class _SettlingRecorder:
    def __init__(self, claim: QuotaClaim, inner: ChainRecorder | None) -> None:
        self.claim = claim
        self.inner = inner

    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        if self.inner is not None:
            self.inner.sending(index, container_id, sent_at)

    def published(self, post: PublishedPost) -> None:
        try:
            if self.inner is not None:
                self.inner.published(post)
        finally:
            self.claim.settle_one()

    def unsent(self, index: int) -> None:
        if self.inner is not None:
            self.inner.unsent(index)
