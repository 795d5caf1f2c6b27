"""The proof with real parts: 20 accounts, 200 chains (text and carousels of local files),
real RQ worker processes running the recipe of docs/16-scaling.md, killed with SIGKILL at
seeded random moments while they post, their jobs run again. Every chain is published exactly
once, no account goes over its quota and no chain is cut by it, each account's token is
refreshed once, nothing hosted is left, nothing stays reserved.

The same scenario runs with the SQLite journal (workers of one machine). THREADSPIPEPY_SCALE=full
runs 2,000 chains of 50 accounts on 6 workers with 30 kills (see fleet.Size.from_env).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadspipepy.redis_stores import RedisQuota
from threadspipepy.testing import ThreadsSandbox

from .fleet import (
    APP,
    Size,
    assert_each_chain_once,
    busiest_day,
    refreshes_per_account,
    run,
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and rq are POSIX")

NO_DELAYS = {"IMAGE": 0.0, "VIDEO": 0.0, "CAROUSEL": 0.0}


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox(processing_delays=NO_DELAYS) as sandbox:
        yield sandbox


@pytest.mark.parametrize("journal", ["redis", "sqlite"])
def test_many_accounts_on_workers_killed_mid_chain(
    sb: ThreadsSandbox, redis_url: str, tmp_path: Path, journal: str
) -> None:
    size = Size.from_env()
    sqlite = str(tmp_path / "journal.sqlite3") if journal == "sqlite" else None
    outcome = run(sb, redis_url, tmp_path, size, journal=sqlite)
    print(
        f"\n{journal}: {len(outcome.chains)} chains, {len(sb.posts)} posts, "
        f"{len(outcome.kills)} workers killed, {outcome.rounds} quota window(s), "
        f"{outcome.seconds:.1f} s"
    )
    assert len(outcome.kills) == size.kills  # the workers really died, mid-job
    assert_each_chain_once(sb, outcome)
    assert outcome.partial_quota_failures == []  # no chain started that could not finish
    accounts = sorted(outcome.quotas)
    quota = RedisQuota(redis_url, app=APP)
    for account, (posts_total, replies_total) in outcome.quotas.items():
        assert busiest_day(sb, account, replies=False) <= posts_total
        assert busiest_day(sb, account, replies=True) <= replies_total
        assert quota.pending(account) == (0, 0)
    if size.tight_accounts and size.chains_per_account > 6:  # more chains than a day holds
        assert outcome.rounds > 1  # the tight accounts really ran out of quota for a day
    assert refreshes_per_account(sb) == dict.fromkeys(accounts, 1)
    assert sb.github_files == {}  # nothing hosted left
