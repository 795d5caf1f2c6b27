"""LocalQuota and QuotaClaim: the reservation rule, expiry, names, settling and release,
with an injected clock."""

from __future__ import annotations

import logging

import pytest

from threadspipepy.quota import QuotaUsage
from threadspipepy.quota_reservations import Decision, LocalQuota, QuotaClaim, fits

LOG = logging.LoggerAdapter(logging.getLogger("threadspipepy.tests"), {})


def usage(posts_used: int = 0, replies_used: int = 0) -> QuotaUsage:
    return QuotaUsage(posts_used, 250, replies_used, 1000, 86400)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("used", "held", "need", "expected"),
    [
        ((249, 0), (0, 0), (1, 0), True),  # the last post
        ((249, 0), (1, 0), (1, 0), False),  # another call holds it
        ((250, 0), (0, 0), (0, 5), True),  # replies only: the post quota is not asked
        ((0, 990), (0, 6), (0, 4), True),
        ((0, 990), (0, 6), (0, 5), False),
        ((0, 1000), (0, 0), (1, 0), True),  # a single post needs no reply
    ],
)
def test_the_rule(
    used: tuple[int, int], held: tuple[int, int], need: tuple[int, int], expected: bool
) -> None:
    assert fits(usage(*used), *need, *held) is expected


def test_reservations_add_up_until_the_quota_is_full() -> None:
    quota = LocalQuota()
    assert quota.reserve("a", "one", 1, 3, usage(247, 990), 60) == Decision(True, 0, 0)
    assert quota.reserve("a", "two", 1, 3, usage(247, 990), 60) == Decision(True, 1, 3)
    assert quota.reserve("a", "three", 1, 5, usage(247, 990), 60) == Decision(False, 2, 6)
    assert quota.reserve("b", "three", 1, 5, usage(247, 990), 60).granted  # per account
    assert quota.pending("a") == (2, 6)


def test_settled_parts_and_released_claims_free_room() -> None:
    quota = LocalQuota()
    assert quota.reserve("a", "one", 1, 2, usage(), 60).granted
    quota.settle("a", "one", 1, 0)
    assert quota.pending("a") == (0, 2)
    quota.settle("a", "one", 0, 2)
    assert quota.pending("a") == (0, 0)
    quota.settle("a", "gone", 1, 1)  # nothing held: nothing to do
    assert quota.reserve("a", "two", 1, 2, usage(), 60).granted
    quota.release("a", "two")
    assert quota.pending("a") == (0, 0)


def test_reservations_expire() -> None:
    clock = Clock()
    quota = LocalQuota(clock=clock)
    assert quota.reserve("a", "dead", 1, 0, usage(249), 60).granted
    assert not quota.reserve("a", "next", 1, 0, usage(249), 60).granted
    clock.now += 61
    assert quota.pending("a") == (0, 0)
    assert quota.reserve("a", "next", 1, 0, usage(249), 60).granted


def test_a_name_replaces_its_own_reservation_even_when_refused() -> None:
    quota = LocalQuota()
    assert quota.reserve("a", "key", 1, 3, usage(0, 996), 60).granted
    assert quota.reserve("a", "key", 0, 3, usage(0, 996), 60) == Decision(True, 0, 0)
    assert quota.pending("a") == (0, 3)
    assert not quota.reserve("a", "key", 0, 5, usage(0, 996), 60).granted
    assert quota.pending("a") == (0, 0)


def test_a_claim_without_a_store_changes_nothing() -> None:
    claim = QuotaClaim.none()
    read = lambda: usage(3)  # noqa: E731
    assert claim.reserving(read, 1, 1) is read
    assert claim.recording(None) is None
    assert not claim.active
    claim.release()


def test_a_claim_reserves_settles_root_first_and_releases_once() -> None:
    quota = LocalQuota()
    claim = QuotaClaim(quota, "a", "key", LOG, ttl=60)
    seen = claim.reserving(lambda: usage(10, 20), 1, 2)()
    assert (seen.posts_used, seen.replies_used) == (10, 20)  # nobody else holds any
    assert quota.pending("a") == (1, 2)
    other = QuotaClaim(quota, "a", None, LOG, ttl=60)
    beside = other.reserving(lambda: usage(10, 20), 1, 1)()
    assert (beside.posts_reserved, beside.replies_reserved) == (1, 2)
    assert (beside.posts_used, beside.replies_used) == (11, 22)
    other.release()
    claim.settle_one()
    assert quota.pending("a") == (0, 2)
    claim.settle_one()
    assert quota.pending("a") == (0, 1)
    claim.release()
    claim.release()
    assert quota.pending("a") == (0, 0)


def test_a_keyed_claim_drops_what_its_dead_run_left_even_without_reserving() -> None:
    quota = LocalQuota()
    assert quota.reserve("a", "a/job-1", 0, 1, usage(), 60).granted  # a run killed after its
    # last part went live and before it settled it: the re-run finds the chain done
    QuotaClaim(quota, "a", "a/job-1", LOG).release()
    assert quota.pending("a") == (0, 0)
    assert quota.reserve("a", "other", 0, 1, usage(), 60).granted
    QuotaClaim(quota, "a", None, LOG).release()  # an unnamed claim that reserved nothing
    assert quota.pending("a") == (0, 1)
