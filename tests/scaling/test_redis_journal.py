"""RedisJournal against a real redis-server: the JournalStore guarantees of the SQLite default
(one owner per key, fenced writes, dead holders, retention), across processes, plus what a
shared store adds (Redis's own clock for leases, namespaces, pickling, errors without secrets)."""

from __future__ import annotations

import pickle
import socket
import subprocess
import sys
import threading
import time
from typing import Any

import pytest

from threadspipepy import ValidationError
from threadspipepy.journal import (
    ChainEntry,
    JournalBusyError,
    JournalError,
    JournalLeaseLostError,
    JournalSeenStore,
    JournalStore,
    new_owner,
)
from threadspipepy.redis_stores import RedisJournal
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.webhooks import Deduplicator, parse_payload

from .redis_server import free_port


@pytest.fixture
def store(redis_url: str) -> RedisJournal:
    return RedisJournal(redis_url, app="tests")


def test_it_is_a_journal_store(store: RedisJournal) -> None:
    assert isinstance(store, JournalStore)


def test_one_owner_at_a_time_and_release(store: RedisJournal) -> None:
    a, b = new_owner(), new_owner()
    assert store.acquire("u1/k", a, 60)
    assert store.acquire("u1/k", a, 60)  # the holder may take it again
    assert not store.acquire("u1/k", b, 60)
    store.write("u1/k", a, {"status": "in_progress", "posts": [1]})
    assert store.holder("u1/k") == a
    store.release("u1/k", a)
    assert store.holder("u1/k") is None
    assert store.acquire("u1/k", b, 60)
    assert store.read("u1/k") == {"status": "in_progress", "posts": [1]}


def test_a_release_by_another_owner_changes_nothing(store: RedisJournal) -> None:
    a, b = new_owner(), new_owner()
    assert store.acquire("u1/k", a, 60)
    store.release("u1/k", b)
    assert store.holder("u1/k") == a


def test_a_write_by_an_owner_that_lost_the_key_is_refused(store: RedisJournal) -> None:
    stalled, other = new_owner(), new_owner()
    assert store.acquire("u1/k", stalled, 0.15)
    time.sleep(0.2)  # the stalled owner's lease ran out (on Redis's clock)...
    assert store.acquire("u1/k", other, 60)  # ...and another took over
    with pytest.raises(JournalLeaseLostError, match="another run took over"):
        store.write("u1/k", stalled, {"in_doubt": {"container_id": "1"}})
    store.write("u1/k", other, {"status": "in_progress"})
    assert store.read("u1/k") == {"status": "in_progress"}


def test_each_write_renews_the_lease(store: RedisJournal) -> None:
    owner, other = new_owner(), new_owner()
    assert store.acquire("u1/k", owner, 0.2)
    for _ in range(4):
        time.sleep(0.1)
        store.write("u1/k", owner, {"n": 1})
        assert not store.acquire("u1/k", other, 60)
    assert store.holder("u1/k") == owner


def test_the_store_lease_overrides_the_callers(redis_url: str) -> None:
    short = RedisJournal(redis_url, app="tests", lease_seconds=0.15)
    first, second = new_owner(), new_owner()
    assert short.acquire("u1/k", first, 900)  # pipe() asks for 15 minutes
    time.sleep(0.2)
    assert short.acquire("u1/k", second, 900)


def test_a_dead_holder_on_this_machine_is_taken_over_at_once(
    store: RedisJournal, redis_url: str
) -> None:
    subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "from threadspipepy.journal import new_owner\n"
         "from threadspipepy.redis_stores import RedisJournal\n"
         "assert RedisJournal(sys.argv[1], app='tests').acquire('u1/k', new_owner(), 3600)\n",
         redis_url],
        check=True,
    )  # fmt: skip
    assert store.holder("u1/k") is not None  # the lease still runs...
    assert store.acquire("u1/k", new_owner(), 60)  # ...but its process is gone


def test_holders_that_may_be_alive_are_respected(redis_url: str) -> None:
    store = RedisJournal(redis_url, app="tests")
    here = new_owner()  # this process: alive
    elsewhere = "another-machine:1:feed"  # its pid means nothing here: wait for the lease
    assert store.acquire("u1/a", here, 60)
    assert store.acquire("u1/b", elsewhere, 60)
    assert not store.acquire("u1/a", new_owner(), 60)
    assert not store.acquire("u1/b", new_owner(), 60)
    strict = RedisJournal(redis_url, app="tests", take_over_dead_holders=False)
    dead = f"{socket.gethostname()}:99999999:feed"  # no such process
    assert strict.acquire("u1/c", dead, 60)
    assert not strict.acquire("u1/c", new_owner(), 60)
    assert store.acquire("u1/c", new_owner(), 60)  # the default takes it


def test_many_racers_one_winner(redis_url: str) -> None:
    stores = [RedisJournal(redis_url, app="tests") for _ in range(8)]
    start = threading.Barrier(8)
    won: list[bool] = [False] * 8

    def race(i: int) -> None:
        start.wait()
        won[i] = stores[i].acquire("u1/race", new_owner(), 60)

    threads = [threading.Thread(target=race, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won.count(True) == 1


def test_finished_records_expire_and_unfinished_ones_stay(
    redis_url: str, redis_client: Any
) -> None:
    store = RedisJournal(redis_url, app="tests", retention_days=2)
    owner = new_owner()
    for key in ("u1/done", "u1/open"):
        assert store.acquire(key, owner, 60)
    store.write("u1/done", owner, {"status": "complete", "result": {}})
    store.write("u1/open", owner, {"status": "in_progress"})
    ttl = redis_client.pttl("threadspipepy:tests:journal:u1/done")
    assert 2 * 86_400_000 - 60_000 < ttl <= 2 * 86_400_000
    assert redis_client.pttl("threadspipepy:tests:journal:u1/open") == -1  # no expiry
    quick = RedisJournal(redis_url, app="tests", retention_days=0.2 / 86400)
    assert quick.acquire("u1/brief", owner, 60)
    quick.write("u1/brief", owner, {"status": "complete"})
    time.sleep(0.3)
    assert quick.read("u1/brief") is None


def test_a_key_released_without_a_record_leaves_nothing(
    store: RedisJournal, redis_client: Any
) -> None:
    owner = new_owner()
    assert store.acquire("u1/k", owner, 60)
    store.release("u1/k", owner)
    assert redis_client.keys("*") == []


def test_keys_are_namespaced_per_app_and_account(redis_url: str, redis_client: Any) -> None:
    one, two = RedisJournal(redis_url, app="one"), RedisJournal(redis_url, app="two")
    owner = new_owner()
    assert one.acquire("111/daily", owner, 60) and two.acquire("111/daily", owner, 60)
    assert one.acquire("222/daily", owner, 60)
    one.write("111/daily", owner, {"status": "in_progress", "n": 1})
    two.write("111/daily", owner, {"status": "in_progress", "n": 2})
    one.write("222/daily", owner, {"status": "in_progress", "n": 3})
    assert [one.read("111/daily"), two.read("111/daily")] == [
        {"status": "in_progress", "n": 1},
        {"status": "in_progress", "n": 2},
    ]
    assert sorted(k.decode() for k in redis_client.keys("*")) == [
        "threadspipepy:one:journal:111/daily",
        "threadspipepy:one:journal:222/daily",
        "threadspipepy:two:journal:111/daily",
    ]


def test_an_entry_waits_a_bounded_time_for_a_busy_key(store: RedisJournal) -> None:
    assert store.acquire("u1/k", new_owner(), 60)
    waited: list[float] = []
    now = [0.0]

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    with pytest.raises(JournalBusyError, match="another run is publishing"):
        ChainEntry.open(store, "u1/k", "fp", wait=1.0, sleep=sleep, clock=lambda: now[0])
    assert 0.9 < sum(waited) < 1.5


def test_a_store_from_a_url_travels_by_pickle(store: RedisJournal, redis_client: Any) -> None:
    owner = new_owner()
    assert store.acquire("u1/k", owner, 60)
    store.write("u1/k", owner, {"status": "in_progress"})
    copy = pickle.loads(pickle.dumps(store))
    assert copy.read("u1/k") == {"status": "in_progress"}
    with pytest.raises(TypeError, match="build it from a URL"):
        pickle.dumps(RedisJournal(redis_client, app="tests"))


def test_redis_failures_are_journal_errors_without_the_password() -> None:
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"  # nothing listens there
    store = RedisJournal(url, app="tests")
    assert "hunter2" not in repr(store)
    with pytest.raises(JournalError) as caught:
        store.acquire("u1/k", new_owner(), 60)
    assert "hunter2" not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        RedisJournal("http://localhost:6379")
    assert caught.value.parameter == "redis"
    with pytest.raises(ValidationError) as caught:
        RedisJournal("redis://localhost:6379/0", app="my app")
    assert caught.value.parameter == "app"
    with pytest.raises(ValidationError) as caught:
        RedisJournal("redis://localhost:6379/0", lease_seconds=0)
    assert caught.value.parameter == "lease_seconds"


def test_without_redis_py_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ImportError, match=r'pip install redis \(or pip install "\.\[redis\]"'):
        RedisJournal("redis://localhost:6379/0")


def test_webhook_events_are_handled_once_across_workers(redis_url: str) -> None:
    payload = {
        "app_id": "1",
        "topic": "interaction",
        "target_id": "17841400000000001",
        "time": 1796560000,
        "values": {"field": "mentions", "value": {"id": "179", "text": "@me hi"}},
    }
    events = parse_payload(payload)
    handled = []
    for _ in range(2):  # Meta redelivers to another worker, with its own connection
        dedupe = Deduplicator(JournalSeenStore(RedisJournal(redis_url, app="tests")))
        handled.extend(dedupe.new_events(events))
    assert handled == list(events)


# -- through the facade ---------------------------------------------------------------------------
def test_a_chain_under_a_key_is_published_once_across_clients(redis_url: str) -> None:
    with ThreadsSandbox() as sb:
        text = "One chain, two workers that both got the job. " * 14
        first = sb.client(journal=RedisJournal(redis_url, app="tests"))
        second = sb.client(journal=RedisJournal(redis_url, app="tests"))
        done = first.pipe(text, idempotency_key="job-17")
        sb.clear_requests()
        again = second.pipe(text, idempotency_key="job-17")
        assert done.ok and again.ok
        assert again["data"]["media_ids"] == done["data"]["media_ids"]
        assert len(done["data"]["media_ids"]) == 2 and len(sb.posts) == 2
        assert sb.requests == []  # the second worker sent nothing
