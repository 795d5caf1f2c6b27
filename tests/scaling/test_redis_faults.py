"""The Redis journal's own faults, with a real redis-server: Redis dies while a chain is being
published (the publish in flight lands, the journal cannot record it), comes back from its
append-only file, and the same idempotency key finishes the chain with every part once."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from threadspipepy.redis_stores import RedisJournal
from threadspipepy.testing import ThreadsSandbox

from ..api.chain_checks import PUBLISH, assert_published_once
from .redis_server import RedisServer

TEXT = ("A chain whose journal lives on Redis, which dies half way through it. " * 20).strip()
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")  # as docs/16-scaling.md advises


@pytest.mark.parametrize("dies_at", [1, 2], ids=["middle part", "last part"])
def test_redis_dying_mid_chain_stops_it_and_the_key_finishes_it_once(
    tmp_path: Path, dies_at: int
) -> None:
    server = RedisServer(tmp_path / "redis", *DURABLE)
    try:
        with ThreadsSandbox() as sb:
            # A short lease: the dead run could not release the key, so the next run waits
            # for its lease to run out (a queue's retry comes later than that anyway).
            journal = RedisJournal(server.url, app="tests", lease_seconds=2)
            tp = sb.client(journal=journal)
            parts = tp.split_post(TEXT)
            assert len(parts) == 3
            held = sb.hold("POST", PUBLISH, skip=dies_at)  # this part's publish
            outcome: dict[str, Any] = {}
            worker = threading.Thread(
                target=lambda: outcome.update(result=tp.pipe(TEXT, idempotency_key="k"))
            )
            worker.start()
            assert held.wait_arrived(30)
            server.kill()  # the part is in flight; the journal's next write has nowhere to go
            held.release()
            worker.join(60)
            failed = outcome["result"]

            # The publish in flight landed; the result says so, and nothing was sent after it.
            assert not failed.ok and "Redis" in failed["error"]["message"]
            assert len(sb.posts) == dies_at + 1
            assert failed["data"]["media_ids"] == [post["id"] for post in sb.posts]
            states = [part["state"] for part in failed["data"]["parts"]]
            assert states == ["published"] * (dies_at + 1) + ["not_sent"] * (2 - dies_at)

            server = RedisServer(tmp_path / "redis", *DURABLE, port=server.port)  # from its AOF
            done = tp.pipe(TEXT, idempotency_key="k")
            assert done.ok, done
            assert_published_once(sb, done, parts)
            assert sb.publish_attempts == 3  # the landed part was recognised, not sent again
    finally:
        server.stop()
