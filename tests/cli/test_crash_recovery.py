"""Real crashes: `threadspipepy post --idempotency-key` killed with SIGKILL at every step of a
chain, then the same command run again.

The sandbox holds the request of the chosen step; once it has arrived the process is killed
(as a deploy, the OOM killer or a reboot would), then the held request is processed as if
Meta finished it after its sender died. The same command, run again, must finish the chain
with every part live exactly once and nothing left on the fake GitHub; run a third time it
prints the recorded result and sends nothing.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from threadspipepy.testing import HeldRequest, ThreadsSandbox

from ..api.chain_checks import (
    CREATE,
    GITHUB,
    PUBLISH,
    QUOTA,
    STATUS,
    assert_nothing_hosted,
    posts_of_chain,
    wait_for,
)
from ..media_samples import png
from .conftest import RunCli

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

TEXT = ("A chain that a crash must not break, told in three posts of a story. " * 17).strip()
KEY = "crash-test-2026-12-06"

# step -> (method, path, params, matching requests that pass before the held one)
KILL_POINTS: dict[str, tuple[str, str, Mapping[str, str] | None, int]] = {
    "before-anything (quota read)": ("GET", QUOTA, None, 0),
    "during an upload": ("PUT", GITHUB, None, 1),
    "after an item create was sent": ("POST", CREATE, {"is_carousel_item": "true"}, 1),
    "while polling": ("GET", STATUS, None, 0),
    "after the carousel create was sent": ("POST", CREATE, {"media_type": "CAROUSEL"}, 0),
    "after the first publish was sent": ("POST", PUBLISH, None, 0),
    "after the first publish was answered": ("POST", CREATE, {"media_type": "TEXT"}, 0),
    "after the middle publish was sent": ("POST", PUBLISH, None, 1),
    "after the last publish was sent": ("POST", PUBLISH, None, 2),
    "after the last publish was answered (cleanup)": ("DELETE", GITHUB, None, 0),
}


@pytest.fixture
def crash_env(sb: ThreadsSandbox, sandbox_env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    (tmp_path / "a.png").write_bytes(png(1))
    (tmp_path / "b.png").write_bytes(png(2))
    return {
        **sandbox_env,
        "GH_BEARER_TOKEN": sb.gh_token,
        "GH_USERNAME": sb.gh_username,
        "GH_REPO_NAME": sb.gh_repo_name,
        "GITHUB_API_BASE_URL": sb.github_url,
    }


def post_args(tmp_path: Path) -> list[str]:
    journal = str(tmp_path / "journal.sqlite3")
    return ["post", TEXT, "-f", "a.png", "-f", "b.png", "--idempotency-key", KEY,
            "--journal", journal]  # fmt: skip


def start(cli_env: dict[str, str], env: dict[str, str], tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "threadspipepy", *post_args(tmp_path)],
        env={**cli_env, **env},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_when_held(proc: subprocess.Popen[str], held: HeldRequest) -> None:
    """SIGKILL the process once its request is held by the sandbox."""
    try:
        assert held.wait_arrived(30), proc.communicate(timeout=5)
    finally:
        proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -9


def assert_chain_once(sb: ThreadsSandbox, printed: str) -> None:
    chain = posts_of_chain(sb, TEXT[:30])
    assert len(chain) == 3 and len(sb.posts) == 3
    assert chain[0]["media_type"] == "CAROUSEL_ALBUM"
    assert printed.strip() == f"Published 3 posts: {' '.join(p['id'] for p in chain)}"
    assert_nothing_hosted(sb)


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_at_a_step_then_run_again(
    sb: ThreadsSandbox,
    run_cli: RunCli,
    cli_env: dict[str, str],
    crash_env: dict[str, str],
    tmp_path: Path,
    point: str,
) -> None:
    method, path, params, skip = KILL_POINTS[point]
    held = sb.hold(method, path, params=params, skip=skip)
    kill_when_held(start(cli_env, crash_env, tmp_path), held)
    recorded = len(sb.requests_to(method, path))
    held.release()  # Meta finishes the request after its sender died
    wait_for(lambda: len(sb.requests_to(method, path)) > recorded)

    again = run_cli(*post_args(tmp_path), env=crash_env)
    assert again.returncode == 0, again.stderr
    assert_chain_once(sb, again.stdout)

    sb.clear_requests()
    third = run_cli(*post_args(tmp_path), env=crash_env)
    assert third.returncode == 0 and third.stdout == again.stdout
    assert sb.requests == []  # complete: the recorded result, nothing sent


def test_killed_with_a_publish_still_in_flight_during_the_rerun(
    sb: ThreadsSandbox,
    run_cli: RunCli,
    cli_env: dict[str, str],
    crash_env: dict[str, str],
    tmp_path: Path,
) -> None:
    held = sb.hold("POST", PUBLISH)
    kill_when_held(start(cli_env, crash_env, tmp_path), held)
    # The re-run finds the part in doubt while Meta still holds its publish: it settles on
    # the same container, and the late request is answered "Duplicate Post".
    again = run_cli(*post_args(tmp_path), env=crash_env)
    held.release()
    assert again.returncode == 0, again.stderr
    assert_chain_once(sb, again.stdout)
    wait_for(lambda: any(r.status == 400 for r in sb.requests_to("POST", PUBLISH)))
    assert len(sb.posts) == 3
    assert len([c for c in sb.containers if c["media_type"] == "CAROUSEL"]) == 1


def test_two_processes_with_one_key_never_both_publish(
    sb: ThreadsSandbox,
    run_cli: RunCli,
    cli_env: dict[str, str],
    crash_env: dict[str, str],
    tmp_path: Path,
) -> None:
    held = sb.hold("POST", PUBLISH)  # the first process works, and holds the key meanwhile
    first = start(cli_env, crash_env, tmp_path)
    assert held.wait_arrived(30)
    impatient = run_cli(*post_args(tmp_path), "--journal-wait", "0.5", env=crash_env)
    assert impatient.returncode == 1
    assert "another run is publishing" in impatient.stderr
    second = start(cli_env, crash_env, tmp_path)  # waits for the key (30 s by default)
    time.sleep(0.5)
    held.release()
    out_first, _ = first.communicate(timeout=60)
    out_second, err_second = second.communicate(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, err_second
    assert out_first == out_second  # the second printed the first one's recorded result
    assert_chain_once(sb, out_first)
    assert len(sb.requests_to("POST", PUBLISH)) == 3
