"""Run the real `threadspipepy` entry point in a subprocess with a controlled environment."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

import threadspipepy
from threadspipepy.testing import ThreadsSandbox

# The package directory's parent, so the subprocess runs the code under test.
PACKAGE_ROOT = str(Path(threadspipepy.__file__).resolve().parents[1])
# Variables the CLI (or Python itself) reads: none may leak in from the developer's shell.
SCRUBBED_PREFIXES = ("THREADS_", "GH_", "GITHUB_")
SCRUBBED = {"NO_COLOR", "FORCE_COLOR", "PYTHON_COLORS", "TERM"}

RunCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A copy of os.environ without credentials, HOME in a temporary directory."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(SCRUBBED_PREFIXES) and key not in SCRUBBED
    }
    home = tmp_path / "home"
    home.mkdir()
    env["HOME"] = str(home)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [PACKAGE_ROOT, env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str], tmp_path: Path) -> RunCli:
    """`run_cli(*args, input=None, env=None)`: the CLI's CompletedProcess (text mode).

    Output on a pipe is never a TTY, so it must never carry an ANSI escape: checked here for
    every run.
    """

    def run(
        *args: str, input: str | None = None, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "threadspipepy", *args],
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert "\x1b[" not in proc.stdout + proc.stderr
        return proc

    return run


# Media are "processed" at once, so chains with files publish without waiting.
NO_DELAYS = {"IMAGE": 0.0, "VIDEO": 0.0, "CAROUSEL": 0.0}


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox(processing_delays=NO_DELAYS) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_env(sb: ThreadsSandbox) -> dict[str, str]:
    """Environment variables that point a real (non --sandbox) run at `sb`."""
    return {
        "THREADS_USER_ID": sb.user_id,
        "THREADS_ACCESS_TOKEN": sb.access_token,
        "THREADS_API_BASE_URL": sb.url,
    }
