"""Redeliveries handled once: MemorySeenStore's bounds, the SeenStore protocol, Deduplicator
and dispatch giving a claim back when the handler fails."""

from __future__ import annotations

import threading

import pytest

from threadspipepy.errors import ValidationError
from threadspipepy.webhooks import (
    Deduplicator,
    MemorySeenStore,
    PublishEvent,
    SeenStore,
    WebhookEvent,
    dispatch,
)


def event(media_id: str, field: str = "publish") -> WebhookEvent:
    return PublishEvent(field=field, id=media_id)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_is_fresh_once() -> None:
    store = MemorySeenStore()
    assert store.claim("publish:1") is True
    assert store.claim("publish:1") is False
    assert store.claim("mentions:1") is True  # same id, other field: another event
    assert len(store) == 2 and "publish:1" in store


def test_release_makes_the_key_fresh_again() -> None:
    store = MemorySeenStore()
    store.claim("k")
    store.release("k")
    store.release("never-claimed")
    assert store.claim("k") is True


def test_the_least_recently_seen_keys_go_first() -> None:
    store = MemorySeenStore(max_keys=3)
    for key in "abc":
        store.claim(key)
    assert store.claim("a") is False  # seen again: now the most recent
    store.claim("d")  # evicts b, the least recently seen
    assert len(store) == 3
    assert "b" not in store and all(key in store for key in "acd")
    assert store.claim("b") is True


def test_keys_expire_after_the_ttl() -> None:
    clock = Clock()
    store = MemorySeenStore(ttl=60, clock=clock)
    store.claim("old")
    clock.now += 30
    store.claim("newer")
    clock.now += 30  # "old" is exactly 60 s old: gone
    assert "old" not in store and "newer" in store
    assert store.claim("old") is True
    clock.now += 61
    assert len(store) == 0


def test_concurrent_claims_of_one_key_let_exactly_one_through() -> None:
    store = MemorySeenStore()
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def claim() -> None:
        barrier.wait()
        results.append(store.claim("same"))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"max_keys": 0}, "max_keys"), ({"max_keys": 1.5}, "max_keys"), ({"ttl": 0}, "ttl")],
)
def test_bad_bounds_are_refused(kwargs: dict[str, float], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MemorySeenStore(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


def test_the_deduplicator_claims_by_field_and_id() -> None:
    dedupe = Deduplicator()
    assert isinstance(dedupe.store, MemorySeenStore)
    assert dedupe.claim(event("1")) and not dedupe.claim(event("1"))
    assert dedupe.claim(event("1", "mentions"))
    assert dedupe.new_events([event("1"), event("2"), event("2"), event("3")]) == [
        event("2"),
        event("3"),
    ]
    dedupe.release(event("2"))
    assert dedupe.new_events([event("2")]) == [event("2")]


def test_processing_gives_the_claim_back_when_the_block_fails() -> None:
    dedupe = Deduplicator()

    def crash(e: WebhookEvent) -> None:
        raise RuntimeError("handler crashed")

    with pytest.raises(RuntimeError):
        dispatch([event("7")], crash, dedupe)
    with dedupe.processing(event("7")) as fresh:
        assert fresh  # handled again, since the first attempt failed
    with dedupe.processing(event("7")) as fresh:
        assert not fresh
    with pytest.raises(RuntimeError), dedupe.processing(event("7")):
        raise RuntimeError("a duplicate failing must not free the original's claim")
    with dedupe.processing(event("7")) as fresh:
        assert not fresh


class DictStore:
    """A store written against the protocol only (as a journal or Redis store would be)."""

    def __init__(self) -> None:
        self.keys: set[str] = set()
        self.calls: list[tuple[str, str]] = []

    def claim(self, key: str) -> bool:
        self.calls.append(("claim", key))
        if key in self.keys:
            return False
        self.keys.add(key)
        return True

    def release(self, key: str) -> None:
        self.calls.append(("release", key))
        self.keys.discard(key)


def test_any_store_with_claim_and_release_plugs_in() -> None:
    store = DictStore()
    assert isinstance(store, SeenStore)
    handled: list[str | None] = []
    dedupe = Deduplicator(store)
    events = [event("1"), event("1"), event("2")]
    assert dispatch(events, lambda e: handled.append(e.id), dedupe) == 2
    assert handled == ["1", "2"]
    assert store.keys == {"publish:1", "publish:2"}


def test_dispatch_stops_at_a_failing_handler_and_frees_that_event() -> None:
    store = DictStore()
    dedupe = Deduplicator(store)
    seen: list[str | None] = []

    def handler(e: WebhookEvent) -> None:
        if e.id == "2" and "2" not in seen:
            seen.append("2")
            raise ValueError("boom")
        seen.append(e.id)

    events = [event("1"), event("2"), event("3")]
    with pytest.raises(ValueError, match="boom"):
        dispatch(events, handler, dedupe)
    assert store.keys == {"publish:1"} and ("release", "publish:2") in store.calls
    # Meta delivers the whole notification again: 1 is skipped, 2 and 3 are handled.
    assert dispatch(events, handler, dedupe) == 2
    assert seen == ["1", "2", "2", "3"]


def test_dispatch_without_dedupe_handles_everything() -> None:
    handled: list[str | None] = []
    assert dispatch([event("1"), event("1")], lambda e: handled.append(e.id)) == 2
    assert handled == ["1", "1"]
