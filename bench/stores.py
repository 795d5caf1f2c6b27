#!/usr/bin/env python3
"""What the shared stores cost per part: RedisJournal (and RedisQuota, RedisTokenStore) side by
side with the SQLite journal, on this machine.

    python bench/stores.py            # about a minute; rewrites the measured section of
                                      # docs/16-scaling.md
    python bench/stores.py --no-doc   # print only

A real redis-server on a free port (loopback, no persistence: the round trip, not the disk),
the sandbox in this process with no latency. Two measurements:

- the stores alone: one chain's journal traffic (hold the key, read it, per part the write
  before its publish and the write after it, the final record, release) and its quota
  reservation (reserve, settle each part, release), timed over many chains; the figure is per
  part;
- pipe() of a 6-part text chain under an idempotency key against the sandbox: with the SQLite
  journal, with RedisJournal, and with RedisJournal + RedisQuota + RedisTokenStore; the figure
  is the median time per part, and the Redis commands per part (the server's own count).
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.scaling.redis_server import RedisServer  # noqa: E402

from threadspipepy import ThreadsPipe  # noqa: E402
from threadspipepy.journal import SqliteJournal, new_owner  # noqa: E402
from threadspipepy.quota import QuotaUsage  # noqa: E402
from threadspipepy.redis_stores import RedisJournal, RedisQuota, RedisTokenStore  # noqa: E402
from threadspipepy.testing import ThreadsSandbox  # noqa: E402

DOC = ROOT / "docs" / "16-scaling.md"
START, END = "<!-- bench/stores.py:start -->", "<!-- bench/stores.py:end -->"
PARTS = 6
TEXT = "A chain of six posts, timed with each store in turn. " * 50


def chain_traffic(store: Any, key: str, parts: int) -> None:
    """The journal calls one chain of `parts` parts makes (ChainEntry's, without the HTTP)."""
    owner = new_owner()
    assert store.acquire(key, owner, 900)
    store.read(key)
    record: dict[str, Any] = {"status": "in_progress", "posts": [], "in_doubt": None}
    for index in range(parts):
        record["in_doubt"] = {"index": index, "container_id": f"181{index}", "sent_at": 0}
        store.write(key, owner, record)
        record = {**record, "posts": [*record["posts"], {"id": f"179{index}"}], "in_doubt": None}
        store.write(key, owner, record)
    store.write(key, owner, {**record, "status": "complete", "result": {"data": {}}})
    store.release(key, owner)


def quota_traffic(quota: RedisQuota, key: str, parts: int) -> None:
    usage = QuotaUsage(0, 250, 0, 1000, 86400)
    assert quota.reserve("bench", key, 1, parts - 1, usage, 3600).granted
    quota.settle("bench", key, 1, 0)
    for _ in range(parts - 1):
        quota.settle("bench", key, 0, 1)
    quota.release("bench", key)


def per_part(action: Callable[[int], None], chains: int, parts: int) -> float:
    """Median over 5 batches of the seconds per part."""
    samples = []
    for batch in range(5):
        started = time.perf_counter()
        for n in range(chains):
            action(batch * chains + n)
        samples.append((time.perf_counter() - started) / (chains * parts))
    return statistics.median(samples)


class RoundTrips:
    """Counts the commands redis-py sends (a Lua script is one), in this process."""

    def __init__(self) -> None:
        import redis

        self.count = 0
        original = redis.Redis.execute_command

        def counted(client: Any, *args: Any, **options: Any) -> Any:
            self.count += 1
            return original(client, *args, **options)

        redis.Redis.execute_command = counted  # type: ignore[method-assign]


def pipe_runs(
    sb: ThreadsSandbox, trips: RoundTrips, make: Callable[[], ThreadsPipe], runs: int
) -> tuple[float, float]:
    """(median seconds per part, Redis round trips per part) of pipe() under a key."""
    tp = make()
    tp._sleep = lambda seconds: None
    times, counts = [], []
    for n in range(runs):
        before = trips.count
        started = time.perf_counter()
        result = tp.pipe(TEXT, idempotency_key=f"bench-{time.time_ns()}-{n}")
        times.append((time.perf_counter() - started) / PARTS)
        counts.append((trips.count - before) / PARTS)
        assert result.ok, result
        assert len(result["data"]["media_ids"]) == PARTS
    tp.close()
    return statistics.median(times), statistics.median(counts)


def measure(quick: bool) -> dict[str, Any]:
    chains, runs = (20, 5) if quick else (200, 30)
    trips = RoundTrips()
    with tempfile.TemporaryDirectory() as folder:
        server = RedisServer(Path(folder) / "redis")
        durable = RedisServer(
            Path(folder) / "aof", "--appendonly", "yes", "--appendfsync", "always"
        )
        try:
            sqlite = SqliteJournal(Path(folder) / "journal.sqlite3")
            rjournal = RedisJournal(server.url, app="bench")
            fsynced = RedisJournal(durable.url, app="bench")
            quota = RedisQuota(server.url, app="bench")
            stores = {
                "SQLite journal (synchronous=FULL)": per_part(
                    lambda n: chain_traffic(sqlite, f"u/s{n}", PARTS), chains, PARTS
                ),
                "RedisJournal (no persistence)": per_part(
                    lambda n: chain_traffic(rjournal, f"u/r{n}", PARTS), chains, PARTS
                ),
                "RedisJournal (appendfsync always)": per_part(
                    lambda n: chain_traffic(fsynced, f"u/f{n}", PARTS), chains, PARTS
                ),
                "Redis quota reservation": per_part(
                    lambda n: quota_traffic(quota, f"q{n}", PARTS), chains, PARTS
                ),
            }
            with ThreadsSandbox() as sb:
                RedisTokenStore(server.url, sb.user_id, app="bench").save(oauth_credentials(sb))

                def client(**stores: Any) -> Callable[[], ThreadsPipe]:
                    return lambda: ThreadsPipe(
                        sb.user_id, sb.access_token, threads_base_url=sb.url, **stores
                    )

                tokens = RedisTokenStore(server.url, sb.user_id, app="bench")
                piped = {
                    "SQLite journal": pipe_runs(sb, trips, client(journal=sqlite), runs),
                    "RedisJournal": pipe_runs(sb, trips, client(journal=rjournal), runs),
                    "RedisJournal + RedisQuota + RedisTokenStore": pipe_runs(
                        sb,
                        trips,
                        client(journal=rjournal, quota_reservations=quota, token_store=tokens),
                        runs,
                    ),
                }
        finally:
            server.stop()
            durable.stop()
    return {"stores": stores, "pipe": piped, "chains": chains * 5, "runs": runs}


def oauth_credentials(sb: ThreadsSandbox) -> Any:
    from threadspipepy import auth

    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri, "basic,publish")
    return auth.complete_authorization(
        sb.app_id, sb.app_secret, sb.redirect_uri, sb.authorize(url), state, base_url=sb.url
    )


def report(figures: dict[str, Any]) -> str:
    ms = 1000.0
    lines = [
        f"The stores alone ({figures['chains']} chains of {PARTS} parts, median of 5 batches):",
        "",
        "| Store | Per part |",
        "|---|---|",
    ]
    lines += [f"| {name} | {s * ms:.2f} ms |" for name, s in figures["stores"].items()]
    lines += [
        "",
        f"`pipe()` of a {PARTS}-part text chain under an idempotency key against the sandbox "
        f"(no latency; median of {figures['runs']} chains; the Graph requests included):",
        "",
        "| Stores | Per part | Redis round trips per part |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {s * ms:.2f} ms | {c:.1f} |" for name, (s, c) in figures["pipe"].items()]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-doc", action="store_true", help="print, leave the page alone")
    parser.add_argument("--quick", action="store_true", help="a smoke run, page left alone")
    args = parser.parse_args()
    text = report(measure(args.quick))
    print(text)
    if args.no_doc or args.quick:
        return
    page = DOC.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    assert pattern.search(page), f"{DOC} has no {START} ... {END} section"
    DOC.write_text(pattern.sub(f"{START}\n{text}\n{END}", page), encoding="utf-8")
    print(f"rewrote the measured section of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
