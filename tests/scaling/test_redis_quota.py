"""RedisQuota against a real redis-server: the same decisions as LocalQuota (one rule, in Lua
there), atomic under concurrency, expiring with its window, namespaced, errors typed."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threadspipepy.quota import QuotaUsage
from threadspipepy.quota_reservations import (
    Decision,
    LocalQuota,
    QuotaReservationError,
    QuotaReservations,
)
from threadspipepy.redis_stores import RedisQuota

from .redis_server import free_port


def usage(posts_used: int = 0, replies_used: int = 0) -> QuotaUsage:
    return QuotaUsage(posts_used, 250, replies_used, 1000, 86400)


@pytest.fixture
def quota(redis_url: str) -> RedisQuota:
    return RedisQuota(redis_url, app="tests")


def test_it_is_a_reservation_store(quota: RedisQuota) -> None:
    assert isinstance(quota, QuotaReservations)


def test_reservations_add_up_settle_and_release(quota: RedisQuota) -> None:
    assert quota.reserve("a", "one", 1, 3, usage(247, 990), 60) == Decision(True, 0, 0)
    assert quota.reserve("a", "two", 1, 3, usage(247, 990), 60) == Decision(True, 1, 3)
    assert quota.reserve("a", "three", 1, 5, usage(247, 990), 60) == Decision(False, 2, 6)
    quota.settle("a", "one", 1, 1)
    assert quota.pending("a") == (1, 5)
    quota.settle("a", "one", 0, 2)
    quota.release("a", "two")
    assert quota.pending("a") == (0, 0)


def test_reservations_expire_on_redis_clock(quota: RedisQuota, redis_client: Any) -> None:
    assert quota.reserve("a", "dead", 1, 0, usage(249), 0.15).granted
    assert not quota.reserve("a", "next", 1, 0, usage(249), 60).granted
    time.sleep(0.2)
    assert quota.reserve("a", "next", 1, 0, usage(249), 60).granted
    ttl = redis_client.pttl("threadspipepy:tests:quota:a")
    assert 59_000 < ttl <= 60_000  # the account's key goes with its last reservation


def test_keys_per_app_and_account(redis_url: str, redis_client: Any) -> None:
    one, two = RedisQuota(redis_url, app="one"), RedisQuota(redis_url, app="two")
    assert one.reserve("111", "k", 1, 0, usage(249), 60).granted
    assert two.reserve("111", "k", 1, 0, usage(249), 60).granted  # another app's count
    assert sorted(k.decode() for k in redis_client.keys("*")) == [
        "threadspipepy:one:quota:111",
        "threadspipepy:two:quota:111",
    ]
    one.clear("111")
    assert one.pending("111") == (0, 0) and two.pending("111") == (1, 0)


def test_twenty_workers_racing_for_five_posts(redis_url: str) -> None:
    stores = [RedisQuota(redis_url, app="tests") for _ in range(20)]
    start = threading.Barrier(20)
    granted: list[bool] = [False] * 20

    def race(i: int) -> None:
        start.wait()
        granted[i] = stores[i].reserve("a", f"w{i}", 1, 0, usage(245), 60).granted

    threads = [threading.Thread(target=race, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 5
    assert stores[0].pending("a") == (5, 0)


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "settle", "release"]),
        st.sampled_from(["c1", "c2", "c3"]),
        st.integers(0, 2),
        st.integers(0, 6),
        st.integers(245, 250),
        st.integers(990, 1000),
    ),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(operations=OPERATIONS)
def test_the_same_decisions_as_the_local_store(redis_url: str, operations: Any) -> None:
    remote, local = RedisQuota(redis_url, app="prop"), LocalQuota()
    remote.clear("a")
    for op, claim, posts, replies, posts_used, replies_used in operations:
        if op == "reserve":
            seen = usage(posts_used, replies_used)
            decisions = [s.reserve("a", claim, posts, replies, seen, 600) for s in (remote, local)]
            assert decisions[0] == decisions[1]
        elif op == "settle":
            remote.settle("a", claim, posts, replies)
            local.settle("a", claim, posts, replies)
        else:
            remote.release("a", claim)
            local.release("a", claim)
        assert remote.pending("a") == local.pending("a")


def test_redis_failures_are_reservation_errors() -> None:
    quota = RedisQuota(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(QuotaReservationError, match="Redis failed while reserving"):
        quota.reserve("a", "k", 1, 0, usage(), 60)
