"""pipe(idempotency_key=...) and the journal, in one process: what is written before each
request, what a second call with the key does, and what it refuses."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import JournalStore, SqliteJournal, ThreadsPipe, ValidationError
from threadspipepy.testing import HeldRequest, ThreadsSandbox

from ..media_samples import png
from .chain_checks import GITHUB, PUBLISH, assert_nothing_hosted, assert_published_once
from .conftest import FakeTime

TEXT = ("Posted under a key, one part after another, never twice. " * 20).strip()


@pytest.fixture
def journal(tmp_path: Path) -> SqliteJournal:
    return SqliteJournal(tmp_path / "journal.sqlite3")


@pytest.fixture
def keyed(sandbox: ThreadsSandbox, fake_time: FakeTime, journal: SqliteJournal) -> ThreadsPipe:
    return fake_time.install(sandbox.client(journal=journal))


def record(journal: JournalStore, sb: ThreadsSandbox, key: str) -> dict[str, Any]:
    found = journal.read(f"{sb.user_id}/{key}")
    assert found is not None
    return found


def read_while_held(
    held: HeldRequest, journal: JournalStore, sb: ThreadsSandbox, key: str
) -> tuple[threading.Thread, dict[str, Any]]:
    """Read the journal while the held request waits, then let it go: what was written
    before that request was sent."""
    seen: dict[str, Any] = {}

    def look() -> None:
        assert held.wait_arrived(10)
        seen.update(record(journal, sb, key))
        held.release()

    watcher = threading.Thread(target=look)
    watcher.start()
    return watcher, seen


@pytest.mark.parametrize("key", ["", "   ", 42, "x" * 201, "tab\there"])
def test_a_bad_key_is_refused_before_any_request(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe, key: Any
) -> None:
    with pytest.raises(ValidationError) as caught:
        keyed.pipe("Hello", idempotency_key=key)
    assert caught.value.parameter == "idempotency_key"
    assert sandbox.requests == []


def test_a_complete_key_returns_its_result_and_sends_nothing(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe
) -> None:
    first = keyed.pipe(TEXT, idempotency_key="k")
    assert first.ok and first["data"]["idempotency_key"] == "k"
    sandbox.clear_requests()
    again = keyed.pipe(TEXT, idempotency_key="k")
    assert again.ok and again["data"]["media_ids"] == first["data"]["media_ids"]
    assert sandbox.requests == []
    assert_published_once(sandbox, again, keyed.split_post(TEXT))


def test_other_content_under_a_used_key_is_refused(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe
) -> None:
    assert keyed.pipe(TEXT, idempotency_key="k").ok
    sandbox.clear_requests()
    for changed in (
        {"post": TEXT + " More."},
        {"post": TEXT, "who_can_reply": "mentioned_only"},
        {"post": TEXT, "files": ["https://cdn.example.com/x.jpg"]},
    ):
        with pytest.raises(ValidationError, match="different chain") as caught:
            keyed.pipe(**changed, idempotency_key="k")
        assert caught.value.parameter == "idempotency_key"
    assert sandbox.requests == []


def test_the_part_in_doubt_is_written_before_its_publish_is_sent(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe, journal: SqliteJournal
) -> None:
    held = sandbox.hold("POST", PUBLISH, skip=1)  # the second part's publish
    watcher, seen = read_while_held(held, journal, sandbox, "k")
    result = keyed.pipe(TEXT, idempotency_key="k")
    watcher.join()
    assert result.ok
    form = sandbox.requests_to("POST", PUBLISH)[1].form
    assert seen["in_doubt"]["index"] == 1
    assert seen["in_doubt"]["container_id"] == form["creation_id"]
    assert [p["id"] for p in seen["posts"]] == result["data"]["media_ids"][:1]
    done = record(journal, sandbox, "k")
    assert done["status"] == "complete" and done["in_doubt"] is None


def test_hosted_names_are_written_before_the_uploads(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe, journal: SqliteJournal
) -> None:
    held = sandbox.hold("PUT", GITHUB)
    watcher, seen = read_while_held(held, journal, sandbox, "k")
    result = keyed.pipe("With photos", files=[png(1), png(2)], idempotency_key="k")
    watcher.join()
    assert result.ok
    uploaded = {r.path.rsplit("/", 1)[-1] for r in sandbox.requests_to("PUT", GITHUB)}
    assert set(seen["hosted"]) == uploaded
    assert record(journal, sandbox, "k")["hosted"] == []  # cleared once deleted
    assert_nothing_hosted(sandbox)


def test_a_failed_call_is_finished_by_the_same_call_or_by_resume(
    sandbox: ThreadsSandbox, keyed: ThreadsPipe, journal: SqliteJournal
) -> None:
    sandbox.fail("POST", PUBLISH, after=True, skip=1)  # lands, answer lost...
    sandbox.fail("GET", "/v1.0/181*", times=None)  # ...status unreadable (text is not polled)
    failed = keyed.pipe(TEXT, idempotency_key="k")
    assert [p["state"] for p in failed["data"]["parts"]] == ["published", "in_doubt", "not_sent"]
    assert record(journal, sandbox, "k")["in_doubt"]["index"] == 1
    sandbox.clear_faults()
    done = keyed.resume_pipe(failed)  # goes through the journal
    assert done.ok and done["data"]["idempotency_key"] == "k"
    assert_published_once(sandbox, done, keyed.split_post(TEXT))
    again = keyed.pipe(TEXT, idempotency_key="k")
    assert again["data"]["media_ids"] == done["data"]["media_ids"]
    assert sandbox.publish_attempts == 3


def test_keys_are_per_account(sandbox: ThreadsSandbox, journal: SqliteJournal) -> None:
    other = sandbox.add_account()
    first = sandbox.client(journal=journal)
    second = sandbox.client(journal=journal, user_id=other.user_id, access_token=other.access_token)
    assert first.pipe("Same key", idempotency_key="shared").ok
    assert second.pipe("Same key", idempotency_key="shared").ok
    assert len(sandbox.posts) == 2
