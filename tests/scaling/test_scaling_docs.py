"""The examples of docs/16-scaling.md, run as written: the Redis stores example against the
sandbox and a real redis-server; the RQ recipe with a real rq worker; the Celery recipe in
eager mode and with a real celery worker on the Redis broker, also with its prefork child
killed mid-chain."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadspipepy.redis_stores import RedisTokenStore
from threadspipepy.testing import ThreadsSandbox

from .fleet import DOCS_PAGE, PACKAGE_ROOT, oauth_token, recipe

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the workers are POSIX")


def block(tag: str) -> str:
    page = DOCS_PAGE.read_text(encoding="utf-8")
    found = re.search(rf"^```python {re.escape(tag)}\n(.*?)^```", page, re.S | re.M)
    assert found, f"docs/16-scaling.md has no ```python {tag} block"
    return found.group(1)


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def env(
    sb: ThreadsSandbox, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """The environment the examples read, pointed at the sandbox; the account's token (from
    the OAuth flow) in the token store; the recipe modules importable."""
    values = {
        "REDIS_URL": redis_url,
        "THREADSPIPEPY_APP": "agency",
        "THREADS_USER_ID": sb.user_id,
        "THREADS_API_BASE_URL": sb.url,
        "GITHUB_API_BASE_URL": sb.github_url,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    RedisTokenStore(redis_url, sb.user_id, app="agency").save(oauth_token(sb, sb.user_id))
    for name in ("rq_tasks.py", "celery_tasks.py"):
        (tmp_path / name).write_text(recipe(name), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for module in ("rq_tasks", "celery_tasks"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return values


def test_the_redis_stores_example(sb: ThreadsSandbox, env: dict[str, str]) -> None:
    exec(compile(block("redis"), "<16-scaling redis>", "exec"), {"__name__": "__example__"})
    assert len(sb.posts) == 2


def worker_env(tmp_path: Path) -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), PACKAGE_ROOT])}


def celery_worker(tmp_path: Path, pool: str) -> subprocess.Popen[bytes]:
    """A real Celery worker of one process (`pool`: solo, or prefork with one child) on the
    recipe's tasks in `tmp_path`."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_tasks", "worker", "--pool", pool,
         "--concurrency", "1", "--loglevel", "WARNING", "--without-heartbeat",
         "--without-gossip", "--without-mingle"],
        cwd=tmp_path, env=worker_env(tmp_path),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_rq_recipe_with_a_real_worker(
    sb: ThreadsSandbox, env: dict[str, str], redis_url: str, tmp_path: Path
) -> None:
    scope: dict[str, Any] = {"__name__": "__example__"}
    exec(compile(block("rq-enqueue"), "<16-scaling rq>", "exec"), scope)
    subprocess.run(
        [sys.executable, "-c", "from rq.cli import main; main()", "worker", "--burst",
         "--worker-class", "rq.worker.SimpleWorker", "--url", redis_url, "posting"],
        cwd=tmp_path, env=worker_env(tmp_path), check=True, timeout=120,
        capture_output=True,
    )  # fmt: skip
    job = scope["job"]
    job.refresh()
    report = job.return_value()
    assert report["ok"] and report["key"] == "launch-2026-12-06"
    assert report["media_ids"] == [p["id"] for p in sb.posts] and len(sb.posts) == 2


def test_the_celery_recipe_in_eager_mode(sb: ThreadsSandbox, env: dict[str, str]) -> None:
    import celery_tasks

    celery_tasks.app.conf.task_always_eager = True
    scope: dict[str, Any] = {"__name__": "__example__"}
    exec(compile(block("celery-call"), "<16-scaling celery>", "exec"), scope)
    report = scope["report"].get()
    assert report["ok"] and len(report["media_ids"]) == 2 == len(sb.posts)
    again = celery_tasks.post_chain_task.delay(
        sb.user_id, "launch-2026-12-06", "We launch today! " * 40
    )
    assert again.get()["media_ids"] == report["media_ids"]  # a redelivery sends nothing new
    assert len(sb.posts) == 2


def test_the_celery_recipe_with_a_real_worker(
    sb: ThreadsSandbox, env: dict[str, str], tmp_path: Path
) -> None:
    worker = celery_worker(tmp_path, pool="solo")
    try:
        scope: dict[str, Any] = {"__name__": "__example__"}
        exec(compile(block("celery-call"), "<16-scaling celery>", "exec"), scope)
        report = scope["report"].get(timeout=60)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    assert report["ok"] and len(report["media_ids"]) == 2 == len(sb.posts)


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_celery_child_killed_mid_chain_gets_its_task_back(
    sb: ThreadsSandbox, env: dict[str, str], tmp_path: Path
) -> None:
    """The recipe's acks_late + reject_on_worker_lost: the prefork child running the chain is
    killed with SIGKILL while its publish is in flight; the message goes back to the queue,
    another child runs it, and the key finishes the chain with each part once."""
    import os
    import signal

    held = sb.hold("POST", "/v1.0/*/threads_publish", skip=1)  # the second part's publish
    worker = celery_worker(tmp_path, pool="prefork")
    try:
        scope: dict[str, Any] = {"__name__": "__example__"}
        exec(compile(block("celery-call"), "<16-scaling celery>", "exec"), scope)
        assert held.wait_arrived(60)
        (child,) = children_of(worker.pid)
        os.kill(child, signal.SIGKILL)
        held.release()  # Meta answers the dead child's publish anyway
        report = scope["report"].get(timeout=90)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
    assert report["ok"] and len(report["media_ids"]) == 2 == len(sb.posts)
    assert report["media_ids"] == [p["id"] for p in sb.posts]
