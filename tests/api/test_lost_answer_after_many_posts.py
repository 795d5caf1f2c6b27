"""A part whose publish answer was lost is found even after many other posts of the account:
what a queue does when it retries a dead worker's job after the rest of the queue (the RQ fleet
test met it: ten newest were not enough)."""

from __future__ import annotations

from threadspipepy.testing import ThreadsSandbox

from .chain_checks import PUBLISH, posts_of_chain
from .conftest import FakeTime

TEXT = "A chain whose second part's answer was lost while the account kept posting. " * 8
REPLIES = "/v1.0/*/replies"


def test_the_lost_part_is_found_behind_more_newer_replies_than_ten(sandbox: ThreadsSandbox) -> None:
    tp = FakeTime(sandbox).install(sandbox.client())
    sandbox.drop("POST", PUBLISH, skip=1, after=True, times=None)  # published, answer lost
    sandbox.fail("GET", REPLIES, times=None)  # and not found back in this run
    failed = tp.pipe(TEXT)
    assert not failed.ok
    assert [p["state"] for p in failed["data"]["parts"]] == ["published", "in_doubt"]
    sandbox.clear_faults()
    other = FakeTime(sandbox).install(sandbox.client())
    first = other.pipe("Meanwhile another worker posts a long thread of its own. " * 150)
    assert (
        first.ok and len(first["data"]["media_ids"]) > 10
    )  # more newer replies than the ten once searched
    sent = len(sandbox.requests_to("POST", PUBLISH))
    done = tp.resume_pipe(failed)
    assert done.ok, done
    chain = posts_of_chain(sandbox, TEXT[:30])
    assert done["data"]["media_ids"] == [p["id"] for p in chain] and len(chain) == 2
    assert len(sandbox.requests_to("POST", PUBLISH)) == sent  # nothing published again
