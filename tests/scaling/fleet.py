"""Many accounts, many chains, real RQ workers killed at random: the scenario of the scaling
tests, and what it found.

The sandbox plays Meta and GitHub (in this process); a real redis-server is the queue and the
shared stores; real `rq worker` processes (SimpleWorker, so each reuses one client per account)
run the posting task of docs/16-scaling.md, written out from the page. Workers are killed with
SIGKILL at seeded random moments while they are posting. RQ retries a dead worker's job once its
heartbeat has run out (a minute or more); the fleet does that maintenance at once, by marking
the dead worker's entry in RQ's started registry as run out and letting RQ's own cleanup retry
the job. Chains the quota has no room for end as failed jobs; once every job has settled, the
sandbox's clock moves past the quota's 24-hour window and they are queued again.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from threadspipepy import Credentials, auth
from threadspipepy.redis_stores import RedisTokenStore
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import png

ROOT = Path(__file__).resolve().parents[2]
DOCS_PAGE = ROOT / "docs" / "16-scaling.md"
PACKAGE_ROOT = str(ROOT / "src")
QUEUE = "posting"
VERBOSE = bool(os.environ.get("THREADSPIPEPY_SCALE_VERBOSE"))
APP = "fleet"
REFRESH = "/refresh_access_token"
# read_replies: a part whose publish answer was lost is looked for among the replies.
SCOPES = "basic,publish,read_replies,manage_replies"
FILLER = (
    "Every worker may die at any moment, and the chain still goes out once. ",
    "A queue delivers at least once; the journal makes it exactly once. ",
    "Twenty accounts, ten chains each, and workers that keep getting killed. ",
)


WORKER_LOGGING = """import logging, os
handler = logging.StreamHandler()
handler.setFormatter(logging.Formatter(f"%(asctime)s {os.getpid()} %(name)s %(message)s"))
logging.getLogger("threadspipepy").addHandler(handler)
logging.getLogger("threadspipepy").setLevel(logging.INFO)
"""


def recipe(name: str) -> str:
    """The ```python file=NAME block of docs/16-scaling.md."""
    page = DOCS_PAGE.read_text(encoding="utf-8")
    found = re.search(rf"^```python file={re.escape(name)}\n(.*?)^```", page, re.S | re.M)
    assert found, f"docs/16-scaling.md has no {name} block"
    return found.group(1)


@dataclass(frozen=True)
class Size:
    accounts: int = 20
    chains_per_account: int = 10
    workers: int = 3
    kills: int = 6
    tight_accounts: int = 4  # their quota holds about six of their ten chains a day
    seed: int = 14

    @classmethod
    def from_env(cls) -> Size:
        """The CI size, or THREADSPIPEPY_SCALE=full (2,000 chains, 30 kills), or each number
        from THREADSPIPEPY_SCALE_{ACCOUNTS,CHAINS,WORKERS,KILLS,SEED}."""
        base = cls(50, 40, 6, 30, 10) if os.environ.get("THREADSPIPEPY_SCALE") == "full" else cls()
        numbers = {
            "accounts": "THREADSPIPEPY_SCALE_ACCOUNTS",
            "chains_per_account": "THREADSPIPEPY_SCALE_CHAINS",
            "workers": "THREADSPIPEPY_SCALE_WORKERS",
            "kills": "THREADSPIPEPY_SCALE_KILLS",
            "seed": "THREADSPIPEPY_SCALE_SEED",
        }
        given = {k: int(os.environ[v]) for k, v in numbers.items() if os.environ.get(v)}
        return cls(**{**base.__dict__, **given})


@dataclass(frozen=True)
class Chain:
    account: str
    key: str
    text: str
    files: tuple[str, ...]
    parts: int  # how many posts the chain is

    @property
    def head(self) -> str:
        return self.text[:24]


@dataclass
class Outcome:
    chains: list[Chain]
    quotas: dict[str, tuple[int, int]]
    rounds: int = 0
    kills: list[str] = field(default_factory=list)  # the job each killed worker was running
    partial_quota_failures: list[str] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    seconds: float = 0.0


def oauth_token(sb: ThreadsSandbox, user_id: str) -> Credentials:
    url, state = auth.authorization_url(sb.app_id, sb.redirect_uri, SCOPES)
    redirect = sb.authorize(url, user_id=user_id)
    return auth.complete_authorization(
        sb.app_id, sb.app_secret, sb.redirect_uri, redirect, state, base_url=sb.url
    )


def make_accounts(sb: ThreadsSandbox, redis_url: str, size: Size) -> dict[str, tuple[int, int]]:
    """Accounts (-> their post and reply quotas) with OAuth tokens 8 days old (due for their
    refresh), saved in Redis."""
    accounts = {}
    for n in range(size.accounts):
        quotas = (6, 12) if n < size.tight_accounts else (250, 1000)
        account = sb.add_account(quota_total=quotas[0], reply_quota_total=quotas[1])
        accounts[account.user_id] = quotas
    tokens = {user: oauth_token(sb, user) for user in accounts}
    sb.advance(8 * 86400)  # Meta sees them 8 days old...
    for user, creds in tokens.items():  # ...and so does the store
        aged = creds.issued_at - timedelta(days=8) if creds.issued_at else None
        stored = Credentials(
            user_id=user,
            access_token=creds.access_token,
            scopes=creds.scopes,
            issued_at=aged,
            expiration=aged + timedelta(days=60) if aged else None,
        )
        RedisTokenStore(redis_url, user, app=APP).save(stored)
    return accounts


def make_chains(sb: ThreadsSandbox, accounts: list[str], size: Size, media: Path) -> list[Chain]:
    """Text chains of 2 to 4 posts and carousels (2 or 3 local images) of 1 or 2 posts."""
    rng = random.Random(size.seed)
    planner = sb.client(gh_base_url=sb.github_url)
    chains = []
    for n in range(size.accounts * size.chains_per_account):
        account = accounts[n % len(accounts)]
        carousel = rng.random() < 0.3
        sentences = rng.randint(5, 9) if carousel else rng.randint(8, 22)
        body = "".join(rng.choice(FILLER) for _ in range(sentences))
        text = f"c{n:04d} {account[-4:]}: {body}".strip()
        files: tuple[str, ...] = ()
        if carousel:
            for i in range(rng.randint(2, 3)):
                path = media / f"c{n:04d}-{i}.png"
                path.write_bytes(png(n * 10 + i))
                files += (str(path),)
        plan = planner.pipe(text, files=list(files), dry_run=True)
        chains.append(Chain(account, f"chain-{n:04d}", text, files, len(plan["data"]["posts"])))
    planner.close()
    return chains


class Fleet:
    """The rq workers: started, killed, replaced, stopped; and RQ's queue seen from outside."""

    def __init__(self, redis_url: str, folder: Path, env: dict[str, str], size: Size) -> None:
        from redis import Redis
        from rq import Queue

        self.redis = Redis.from_url(redis_url)
        self.queue = Queue(QUEUE, connection=self.redis)
        self.url = redis_url
        self.folder = folder
        self.env = env
        self.size = size
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.started = 0
        (folder / "rq_tasks.py").write_text(recipe("rq_tasks.py"), encoding="utf-8")
        # The library's own log lines in each worker's log file, for a failure's post-mortem.
        (folder / "sitecustomize.py").write_text(WORKER_LOGGING, encoding="utf-8")

    def start_worker(self) -> None:
        self.started += 1
        log = open(self.folder / f"worker-{self.started}.log", "wb")  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-c", "from rq.cli import main; main()", "worker",
             "--worker-class", "rq.worker.SimpleWorker", "--url", self.url,
             "--name", f"w{self.started}", "--quiet", QUEUE],
            cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        self.procs[proc.pid] = proc

    def busy_workers(self) -> dict[int, str]:
        """pid -> the job id, for our live workers that are running a job."""
        from rq import Worker

        busy = {}
        for worker in Worker.all(queue=self.queue):
            job = worker.get_current_job_id()
            proc = self.procs.get(int(worker.pid or 0))
            if job and proc is not None and proc.poll() is None:
                busy[proc.pid] = job
        return busy

    def kill(self, pid: int, job_id: str) -> None:
        """SIGKILL one of our workers, then what RQ does once the dead one's heartbeat has run
        out: its job is retried (Retry) or failed. A new worker takes the dead one's place."""
        from rq.registry import StartedJobRegistry

        proc = self.procs.pop(pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        registry = StartedJobRegistry(queue=self.queue)
        for member in self.redis.zrange(registry.key, 0, -1):
            if member.decode().split(":")[0] == job_id:
                self.redis.zadd(registry.key, {member: 0}, xx=True)
        registry.cleanup()
        self.start_worker()

    def statuses(self, job_ids: list[str]) -> dict[str, str]:
        from rq.job import Job

        jobs = Job.fetch_many(job_ids, connection=self.redis)
        return {j.id: str(getattr(j.get_status(refresh=False), "value", "")) for j in jobs if j}

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.procs.clear()


def settled(status: str) -> bool:
    return status.endswith(("finished", "failed"))


def run(
    sb: ThreadsSandbox,
    redis_url: str,
    folder: Path,
    size: Size,
    *,
    journal: str | None = None,
    deadline: float = 600.0,
) -> Outcome:
    """The whole scenario; `journal` a SQLite path for the one-machine variant."""
    from rq import Retry
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    started = time.monotonic()
    rng = random.Random(size.seed + 1)
    quotas = make_accounts(sb, redis_url, size)
    accounts = list(quotas)
    media = folder / "media"
    media.mkdir()
    chains = make_chains(sb, accounts, size, media)
    env = worker_env(sb, redis_url, journal, folder)
    fleet = Fleet(redis_url, folder, env, size)
    outcome = Outcome(chains, quotas)
    # One chain per account first (each account's token is refreshed then), the rest shuffled.
    order = chains[: len(accounts)] + rng.sample(
        chains[len(accounts) :], len(chains) - len(accounts)
    )
    for chain in order:
        fleet.queue.enqueue(
            "rq_tasks.post_chain_job",
            chain.account, chain.key, chain.text, list(chain.files),
            job_id=chain.key, retry=Retry(max=3), job_timeout=120, result_ttl=3600,
        )  # fmt: skip
    for _ in range(size.workers):
        fleet.start_worker()
    ids = [c.key for c in chains]
    # Kill when this many jobs have settled (and a seeded moment later), all in the first
    # round, so that every kill finds workers in the middle of chains.
    kill_points = sorted(rng.sample(range(len(ids) // 10, len(ids) * 8 // 10 + 1), size.kills))
    try:
        for round_number in range(1, 7):
            outcome.rounds = round_number
            while True:
                assert time.monotonic() - started < deadline, "the fleet did not finish in time"
                statuses = fleet.statuses(ids)
                done = sum(settled(statuses.get(i, "")) for i in ids)
                if VERBOSE:
                    print(round_number, Counter(statuses.values()), kill_points, flush=True)
                if kill_points and done >= kill_points[0]:
                    time.sleep(rng.uniform(0.0, 0.2))
                    busy = fleet.busy_workers()
                    if busy:
                        kill_points.pop(0)
                        pid = rng.choice(sorted(busy))
                        fleet.kill(pid, busy[pid])
                        outcome.kills.append(busy[pid])
                        continue
                if done == len(ids):
                    break
                time.sleep(0.05)
            failed = [i for i, s in statuses.items() if s.endswith("failed")]
            outcome.partial_quota_failures += partial_quota_failures(sb, chains, failed, fleet)
            if not failed:
                break
            sb.advance(86400 + 60)  # the quota's window rolls over
            registry = FailedJobRegistry(queue=fleet.queue)
            for job_id in failed:
                registry.requeue(job_id)
    finally:
        fleet.stop()
    for job in Job.fetch_many(ids, connection=fleet.redis):
        if job is not None and str(getattr(job.get_status(), "value", "")) == "finished":
            outcome.reports[job.id] = job.return_value()
    outcome.seconds = time.monotonic() - started
    return outcome


def worker_env(
    sb: ThreadsSandbox, redis_url: str, journal: str | None, folder: Path
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THREADS", "GH_", "GITHUB_"))}
    env.update(
        PYTHONPATH=os.pathsep.join(
            filter(None, [str(folder), PACKAGE_ROOT, env.get("PYTHONPATH")])
        ),
        THREADSPIPEPY_REDIS_URL=redis_url,
        THREADSPIPEPY_APP=APP,
        THREADS_API_BASE_URL=sb.url,
        GITHUB_API_BASE_URL=sb.github_url,
        GH_USERNAME=sb.gh_username,
        GH_REPO_NAME=sb.gh_repo_name,
        GH_BEARER_TOKEN=sb.gh_token,
    )
    if journal is not None:
        env["THREADSPIPEPY_JOURNAL"] = journal
    return env


def live_chains(sb: ThreadsSandbox) -> dict[str, list[dict[str, Any]]]:
    """Each live chain by its first characters: its root, then each reply in turn."""
    by_parent: dict[str | None, list[dict[str, Any]]] = {}
    for post in sb.posts:
        by_parent.setdefault(post["reply_to_id"], []).append(post)
    chains: dict[str, list[dict[str, Any]]] = {}
    for root in by_parent.get(None, []):
        head = root["text"][:24]
        assert head not in chains, f"the chain {head!r} was started twice"
        chain = [root]
        while by_parent.get(chain[-1]["id"]):
            children = by_parent[chain[-1]["id"]]
            assert len(children) == 1, f"post {chain[-1]['id']} has {len(children)} next parts"
            chain.append(children[0])
        chains[head] = chain
    return chains


def partial_quota_failures(
    sb: ThreadsSandbox, chains: list[Chain], failed: list[str], fleet: Fleet
) -> list[str]:
    """Chains that Meta's quota stopped with some of their parts live: what reservations must
    prevent (a chain started that the quota could not finish). The library's own refusal
    before anything more is sent ("Publishing quota exceeded") is not one."""
    from rq.job import Job

    live = live_chains(sb)
    by_key = {c.key: c for c in chains}
    found = []
    for job in Job.fetch_many(failed, connection=fleet.redis):
        if job is None:
            continue
        chain = by_key[job.id]
        result = job.latest_result()
        error = (result.exc_string if result is not None else None) or ""
        parts = len(live.get(chain.head, []))
        if "request limit reached" in error and 0 < parts < chain.parts:
            found.append(job.id)
    return found


def assert_each_chain_once(sb: ThreadsSandbox, outcome: Outcome) -> None:
    """Every chain live exactly once, in order, each part replying to the one before, and the
    job's report listing those ids with every part published."""
    live = live_chains(sb)
    assert len(sb.posts) == sum(c.parts for c in outcome.chains)
    assert len(live) == len(outcome.chains)
    for chain in outcome.chains:
        posts = live.get(chain.head, [])
        assert len(posts) == chain.parts, f"{chain.key}: {len(posts)} of {chain.parts} live"
        if chain.files:
            assert posts[0]["media_type"] == "CAROUSEL_ALBUM"
        report = outcome.reports[chain.key]
        assert report["ok"] and report["media_ids"] == [p["id"] for p in posts]
        assert [p["state"] for p in report["parts"]] == ["published"] * chain.parts


def refreshes_per_account(sb: ThreadsSandbox) -> Counter[str]:
    """Token refreshes Meta received, by the account whose token was refreshed."""
    owners: Counter[str] = Counter()
    for request in sb.requests_to("GET", REFRESH):
        info = sb.token_info(request.query["access_token"])
        owners[info["user_id"] if info else "?"] += 1
    return owners


def busiest_day(sb: ThreadsSandbox, account: str, replies: bool) -> int:
    """The most posts (or replies) of `account` in any 24 hours."""
    times = sorted(
        datetime.strptime(p["timestamp"], "%Y-%m-%dT%H:%M:%S%z").timestamp()
        for p in sb.posts
        if p["owner"] == account and (p["reply_to_id"] is not None) == replies
    )
    return max((bisect_right(times, t + 86399) - i for i, t in enumerate(times)), default=0)
