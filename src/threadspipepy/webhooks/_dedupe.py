"""Redelivered notifications, handled once: a claim on each event's key in a `SeenStore`.

Meta retries a notification that was not answered with 200 for up to 36 hours, so the same
event can arrive again after it was handled (the answer got lost, the receiver timed out).
`Deduplicator` claims `event.dedupe_key` (field and media id) before the handler runs and
gives the claim back if the handler fails, so a failed event is handled again on the retry
and a handled one never twice.

`SeenStore` is the storage protocol: `MemorySeenStore` (bounded, per process) is the default;
a persistent store (a journal, Redis) implements the same two methods.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from ..errors import ValidationError
from ._events import WebhookEvent

# Meta retries for 36 hours; remembering a little longer covers its last attempt.
DEFAULT_TTL = 48 * 3600.0
DEFAULT_MAX_KEYS = 10_000


@runtime_checkable
class SeenStore(Protocol):
    """Where claimed event keys live. Both methods must be safe to call from several threads
    (and, for a shared store, several processes): `claim` is an atomic insert-if-absent."""

    def claim(self, key: str) -> bool:
        """Record `key`; True if it was not there yet (the caller handles the event)."""
        ...

    def release(self, key: str) -> None:
        """Forget `key` (its handling failed; the redelivery must be handled)."""
        ...


class MemorySeenStore:
    """Keys in memory, bounded twice: at most `max_keys` (the least recently seen go first)
    and each for `ttl` seconds. `clock` is injectable for tests (default time.monotonic)."""

    def __init__(
        self,
        max_keys: int = DEFAULT_MAX_KEYS,
        ttl: float = DEFAULT_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(max_keys, bool) or not isinstance(max_keys, int) or max_keys < 1:
            raise ValidationError("max_keys must be a positive integer", parameter="max_keys")
        if not ttl > 0:
            raise ValidationError("ttl must be a positive number of seconds", parameter="ttl")
        self.max_keys = max_keys
        self.ttl = float(ttl)
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()  # key -> last seen, oldest first
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        with self._lock:
            now = self._clock()
            self._expire(now)
            fresh = key not in self._seen
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_keys:
                self._seen.popitem(last=False)
            return fresh

    def release(self, key: str) -> None:
        with self._lock:
            self._seen.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._seen)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return key in self._seen

    def _expire(self, now: float) -> None:
        cutoff = now - self.ttl
        while self._seen:
            oldest_key, seen_at = next(iter(self._seen.items()))
            if seen_at > cutoff:
                return
            del self._seen[oldest_key]

    def __repr__(self) -> str:
        return f"MemorySeenStore(keys={len(self._seen)}, max_keys={self.max_keys}, ttl={self.ttl})"


class Deduplicator:
    """Claims events in a SeenStore so that each is handled once.

    ``with dedupe.processing(event) as fresh:`` runs the block's work only when `fresh`, and
    releases the claim if the block raises.
    """

    def __init__(self, store: SeenStore | None = None) -> None:
        self.store: SeenStore = store if store is not None else MemorySeenStore()

    def claim(self, event: WebhookEvent) -> bool:
        """True the first time this event (field and id) is seen."""
        return self.store.claim(event.dedupe_key)

    def release(self, event: WebhookEvent) -> None:
        """Forget the event, so that its next delivery is handled."""
        self.store.release(event.dedupe_key)

    @contextmanager
    def processing(self, event: WebhookEvent) -> Iterator[bool]:
        """Claim `event` for the block: yields True when it is new; a block that raises gives
        the claim back (and the exception goes on)."""
        fresh = self.claim(event)
        try:
            yield fresh
        except BaseException:
            if fresh:
                self.release(event)
            raise

    def new_events(self, events: Iterable[WebhookEvent]) -> list[WebhookEvent]:
        """The events seen for the first time, claimed (release() any you fail to handle)."""
        return [event for event in events if self.claim(event)]

    def __repr__(self) -> str:
        return f"Deduplicator({self.store!r})"
