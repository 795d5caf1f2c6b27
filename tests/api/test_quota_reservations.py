"""Quota reservations through the facade, against the sandbox: clients of one account that
share a `LocalQuota` never start a chain the quota cannot finish; without one, the same
interleaving cuts a chain half way (the failure reservations exist for)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.quota import QuotaUsage
from threadspipepy.quota_reservations import Decision, LocalQuota, QuotaReservations
from threadspipepy.testing import ThreadsSandbox

from .chain_checks import CREATE, PUBLISH, QUOTA, posts_of_chain
from .conftest import FakeTime

LONG = "A chain that needs four posts: one post and three replies to it, told slowly. " * 19
SHORT = "Another chain, of three posts: one post and two replies to it, told briefly. " * 13


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sandbox:
        sandbox.set_quota_usage(replies=996)  # room for 4 replies: either chain, not both
        yield sandbox


def client(sb: ThreadsSandbox, **options: Any) -> ThreadsPipe:
    return FakeTime(sb).install(sb.client(**options))


def parts_of(tp: ThreadsPipe, text: str) -> int:
    return len(tp.split_post(text))


def run_in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    thread = threading.Thread(target=lambda: out.append(call()))
    thread.start()
    return thread, out


def interleave(sb: ThreadsSandbox, first: ThreadsPipe, second: ThreadsPipe) -> tuple[Any, Any]:
    """`first` starts its chain and is held at its first publish; `second` runs its whole
    call meanwhile; then `first` goes on."""
    held = sb.hold("POST", PUBLISH)
    thread, out = run_in_thread(lambda: first.pipe(LONG))
    assert held.wait_arrived(10)
    other = second.pipe(SHORT)
    held.release()
    thread.join(30)
    return out[0], other


def test_the_chains_have_the_sizes_the_test_needs(sb: ThreadsSandbox) -> None:
    tp = sb.client()
    assert (parts_of(tp, LONG), parts_of(tp, SHORT)) == (4, 3)


def test_without_reservations_two_workers_cut_a_chain_half_way(sb: ThreadsSandbox) -> None:
    long_result, short_result = interleave(sb, client(sb), client(sb))
    assert short_result.ok  # it saw room for its two replies...
    assert not long_result.ok  # ...and took the room the first chain had counted on
    assert len(long_result["data"]["media_ids"]) == 3  # cut after three of four parts
    assert "limit" in str(long_result["error"]).lower()


def test_with_reservations_no_chain_starts_that_cannot_finish(sb: ThreadsSandbox) -> None:
    shared = LocalQuota()
    first, second = client(sb, quota_reservations=shared), client(sb, quota_reservations=shared)
    long_result, short_result = interleave(sb, first, second)
    assert long_result.ok and len(long_result["data"]["media_ids"]) == 4
    assert not short_result.ok
    assert short_result["message"] == "Rate limit exceeded!"
    reason = "999 of 1000 replies used (3 reserved by chains in progress), 2 needed"
    assert reason in str(short_result["error"])  # Meta's 996 + the first chain's 3
    assert short_result["data"]["media_ids"] == []
    assert len(posts_of_chain(sb, LONG[:30])) == 4
    assert [p for p in sb.posts if p["text"].startswith(SHORT[:30])] == []
    creates = [r for r in sb.requests_to("POST", CREATE) if r.params.get("text", "")[:30]]
    assert not any(r.params["text"].startswith(SHORT[:30]) for r in creates)
    assert shared.pending(sb.user_id) == (0, 0)  # all given back
    assert second.pipe(SHORT).ok is False  # the quota is really full now (Meta's count)


def test_each_part_is_settled_as_it_goes_live(sb: ThreadsSandbox) -> None:
    shared = LocalQuota()
    tp = client(sb, quota_reservations=shared)
    held = sb.hold("POST", PUBLISH, skip=2)  # the third part's publish
    thread, out = run_in_thread(lambda: tp.pipe(LONG))
    assert held.wait_arrived(10)
    assert shared.pending(sb.user_id) == (0, 2)  # the post and one reply are live
    held.release()
    thread.join(30)
    assert out[0].ok
    assert shared.pending(sb.user_id) == (0, 0)


def test_a_chain_that_stops_gives_back_what_it_did_not_publish(sb: ThreadsSandbox) -> None:
    shared = LocalQuota()
    tp = client(sb, quota_reservations=shared)
    sb.fail("POST", PUBLISH, skip=1, times=None)  # the second part never goes out
    result = tp.pipe(LONG)
    assert not result.ok and len(result["data"]["media_ids"]) == 1
    assert shared.pending(sb.user_id) == (0, 0)
    sb.clear_faults()
    assert tp.resume_pipe(result).ok  # and the resume reserves the rest again


def test_reservations_read_the_quota_even_when_the_check_is_off(sb: ThreadsSandbox) -> None:
    client(sb, check_rate_limit_before_post=False).pipe("no reservations: no read")
    assert sb.requests_to("GET", QUOTA) == []
    tp = client(sb, check_rate_limit_before_post=False, quota_reservations=LocalQuota())
    assert tp.pipe("with reservations: one read").ok
    assert len(sb.requests_to("GET", QUOTA)) == 1


class BrokenStore:
    def reserve(self, *args: Any) -> Decision:
        raise ConnectionError("the counter is down")

    def settle(self, *args: Any) -> None:
        raise AssertionError("nothing was reserved")

    def release(self, *args: Any) -> None:
        raise AssertionError("nothing was reserved")


def test_a_counter_that_cannot_reserve_publishes_nothing(sb: ThreadsSandbox) -> None:
    tp = client(sb, quota_reservations=BrokenStore())
    result = tp.pipe(LONG)
    assert not result.ok
    assert result["message"] == "Could not check the publishing quota"
    assert "the counter is down" in str(result["error"])
    assert sb.requests_to("POST", CREATE) == [] and sb.posts == []


class FlakyAfterReserving(LocalQuota):
    """Reserves, then fails every settle and release."""

    def settle(self, *args: Any) -> None:
        raise ConnectionError("gone")

    def release(self, *args: Any) -> None:
        raise ConnectionError("gone")


def test_a_counter_lost_mid_chain_does_not_stop_the_chain(
    sb: ThreadsSandbox, caplog: pytest.LogCaptureFixture
) -> None:
    tp = client(sb, quota_reservations=FlakyAfterReserving())
    result = tp.pipe(LONG)
    assert result.ok and len(result["data"]["media_ids"]) == 4
    assert "it is held until it expires" in caplog.text


def test_a_rerun_with_its_key_replaces_the_reservation_its_dead_run_left(
    sb: ThreadsSandbox, tmp_path: Any
) -> None:
    shared = LocalQuota()
    usage = QuotaUsage(0, 250, 996, 1000, 86400)
    # A run of this key was killed holding its chain's reservation (1 post, 3 replies).
    name = f"{sb.user_id}/job-9"
    assert shared.reserve(sb.user_id, name, 1, 3, usage, 86400) == Decision(True, 0, 0)
    tp = client(sb, quota_reservations=shared, journal=tmp_path / "journal.sqlite3")
    assert tp.pipe(LONG, idempotency_key="job-9").ok  # not refused by its own dead run
    assert shared.pending(sb.user_id) == (0, 0)


def test_the_option_is_checked(sb: ThreadsSandbox) -> None:
    with pytest.raises(ValidationError) as caught:
        sb.client(quota_reservations="redis://localhost")
    assert caught.value.parameter == "quota_reservations"
    assert isinstance(LocalQuota(), QuotaReservations)
