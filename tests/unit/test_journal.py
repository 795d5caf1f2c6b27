"""The journal store: one owner per key, fenced writes, dead holders, retention, durability."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import ValidationError
from threadspipepy import journal as journal_mod
from threadspipepy.journal import (
    ChainEntry,
    JournalBusyError,
    JournalLeaseLostError,
    SqliteJournal,
    journal_store,
    new_owner,
)


@pytest.fixture
def store(tmp_path: Path) -> SqliteJournal:
    return SqliteJournal(tmp_path / "state" / "journal.sqlite3")


def test_one_owner_at_a_time_and_release(store: SqliteJournal) -> None:
    a, b = new_owner(), new_owner()
    assert store.acquire("k", a, 60)
    assert store.acquire("k", a, 60)  # the holder may take it again
    assert not store.acquire("k", b, 60)
    store.write("k", a, {"status": "in_progress", "posts": [1]})
    store.release("k", a)
    assert store.acquire("k", b, 60)
    assert store.read("k") == {"status": "in_progress", "posts": [1]}


def test_a_write_by_an_owner_that_lost_the_key_is_refused(
    store: SqliteJournal, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(journal_mod.time, "time", lambda: now[0])
    stalled, other = new_owner(), new_owner()
    assert store.acquire("k", stalled, 10)
    now[0] += 11  # the stalled owner's lease ran out...
    assert store.acquire("k", other, 10)  # ...and another took over
    with pytest.raises(JournalLeaseLostError):
        store.write("k", stalled, {"in_doubt": {"container_id": "1"}})
    store.write("k", other, {"status": "in_progress"})
    assert store.read("k") == {"status": "in_progress"}


def test_each_write_renews_the_lease(store: SqliteJournal, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(journal_mod.time, "time", lambda: now[0])
    owner, other = new_owner(), new_owner()
    assert store.acquire("k", owner, 10)
    for _ in range(5):
        now[0] += 8
        store.write("k", owner, {"n": 1})
        assert not store.acquire("k", other, 10)


def test_a_dead_holder_on_this_machine_is_taken_over_at_once(store: SqliteJournal) -> None:
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\n"
            "from threadspipepy.journal import SqliteJournal, new_owner\n"
            "assert SqliteJournal(sys.argv[1]).acquire('k', new_owner(), 3600)\n",
            str(store.path),
        ],
        check=True,
    )
    assert child.returncode == 0
    assert store.acquire("k", new_owner(), 3600)  # no waiting out the hour


def test_a_live_holder_in_another_process_is_respected(store: SqliteJournal) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from threadspipepy.journal import SqliteJournal, new_owner\n"
            "assert SqliteJournal(sys.argv[1]).acquire('k', new_owner(), 3600)\n"
            "print('held', flush=True)\n"
            "time.sleep(30)\n",
            str(store.path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not store.acquire("k", new_owner(), 3600)
    finally:
        holder.kill()
        holder.wait()
    assert store.acquire("k", new_owner(), 3600)


def test_complete_records_are_pruned_after_the_retention(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1_000_000.0]
    monkeypatch.setattr(journal_mod.time, "time", lambda: now[0])
    store = SqliteJournal(tmp_path / "j.sqlite3", retention_days=30)
    owner = new_owner()
    for key, status in (("done", "complete"), ("open", "in_progress")):
        assert store.acquire(key, owner, 60)
        store.write(key, owner, {"status": status})
        store.release(key, owner)
    now[0] += 31 * 86400
    assert store.acquire("another", owner, 60)  # acquiring prunes
    assert store.read("done") is None
    assert store.read("open") == {"status": "in_progress"}  # unfinished chains are kept


def test_records_outlive_the_connection_and_the_file_is_private(store: SqliteJournal) -> None:
    owner = new_owner()
    assert store.acquire("k", owner, 60)
    store.write("k", owner, {"posts": [{"id": "1"}]})
    assert SqliteJournal(store.path).read("k") == {"posts": [{"id": "1"}]}
    assert stat.S_IMODE(store.path.stat().st_mode) & 0o077 == 0
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_default_path_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADSPIPEPY_JOURNAL", str(tmp_path / "mine.sqlite3"))
    assert journal_store(None).path == tmp_path / "mine.sqlite3"  # type: ignore[attr-defined]
    monkeypatch.delenv("THREADSPIPEPY_JOURNAL")
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    if os.name != "nt":
        expected = tmp_path / "state" / "threadspipepy" / "journal.sqlite3"
        assert journal_mod.default_journal_path() == expected


def test_journal_option_must_be_a_path_or_a_store() -> None:
    with pytest.raises(ValidationError, match="JournalStore") as caught:
        journal_store(42)  # type: ignore[arg-type]
    assert caught.value.parameter == "journal"


def test_an_entry_refuses_another_chain_under_its_key(store: SqliteJournal) -> None:
    entry = ChainEntry.open(store, "u/k", "fingerprint-1", wait=0)
    entry.published({"id": "1", "text": "a"})
    entry.release()
    with pytest.raises(ValidationError) as caught:
        ChainEntry.open(store, "u/k", "fingerprint-2", wait=0)
    assert caught.value.parameter == "idempotency_key"
    again = ChainEntry.open(store, "u/k", "fingerprint-1", wait=0)  # released after refusing
    assert again.posts == [{"id": "1", "text": "a"}]


def test_an_entry_waits_a_bounded_time_for_a_busy_key(store: SqliteJournal) -> None:
    holder = ChainEntry.open(store, "u/k", "f", wait=0)
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    with pytest.raises(JournalBusyError, match="waited 2 s"):
        ChainEntry.open(store, "u/k", "f", wait=2, sleep=sleep, clock=lambda: now[0])
    assert 2 <= sum(sleeps) < 3
    holder.release()
    ChainEntry.open(store, "u/k", "f", wait=0).release()


class MemoryJournal:
    """A JournalStore in a dict: the protocol is all the library needs."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.owners: dict[str, str] = {}
        self.writes = 0

    def acquire(self, key: str, owner: str, lease_seconds: float) -> bool:
        if self.owners.get(key, owner) != owner:
            return False
        self.owners[key] = owner
        return True

    def write(self, key: str, owner: str, record: Any) -> None:
        if self.owners.get(key) != owner:
            raise JournalLeaseLostError("lost")
        self.records[key] = dict(record)
        self.writes += 1

    def read(self, key: str) -> dict[str, Any] | None:
        return self.records.get(key)

    def release(self, key: str, owner: str) -> None:
        if self.owners.get(key) == owner:
            del self.owners[key]


def test_any_object_with_the_four_methods_is_a_store() -> None:
    store = MemoryJournal()
    assert journal_store(store) is store
    entry = ChainEntry.open(store, "u/k", "f", wait=0)
    entry.hosting(["a.png"])
    entry.sending(0, "181", 1.0)
    entry.published({"id": "179"})
    entry.hosted_cleaned()
    entry.finish({"info": "success"}, 1)
    entry.release()
    record = store.records["u/k"]
    assert record["status"] == "complete" and record["posts"] == [{"id": "179"}]
    assert record["in_doubt"] is None and record["hosted"] == []
    assert store.writes == 5 and store.owners == {}


def test_webhook_events_seen_in_a_journal_survive_a_restart(tmp_path: Path) -> None:
    from threadspipepy.journal import JournalSeenStore

    path = tmp_path / "journal.sqlite3"
    first = JournalSeenStore(path)
    assert first.claim("mentions:179") is True
    assert first.claim("mentions:179") is False
    restarted = JournalSeenStore(path)  # a new process on the same journal
    assert restarted.claim("mentions:179") is False
    assert restarted.claim("replies:180") is True
    restarted.release("replies:180")  # its handler failed: the redelivery is handled
    assert first.claim("replies:180") is True


def test_a_deduplicator_on_the_journal_handles_each_event_once(tmp_path: Path) -> None:
    from threadspipepy.journal import JournalSeenStore
    from threadspipepy.webhooks import Deduplicator, parse_payload

    payload = {
        "app_id": "1",
        "topic": "interaction",
        "target_id": "17841400000000001",
        "time": 1796560000,
        "values": {"field": "mentions", "value": {"id": "179", "text": "@me hi"}},
    }
    events = parse_payload(payload)
    handled = []
    for _ in range(2):  # Meta redelivers; a second worker process shares the journal
        dedupe = Deduplicator(JournalSeenStore(tmp_path / "journal.sqlite3"))
        for event in dedupe.new_events(events):
            handled.append(event)
    assert len(handled) == 1
