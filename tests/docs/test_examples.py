"""Every ```python block in README.md and docs/ runs, against the sandbox, with no network.

Credentials and the base URL point at a fresh sandbox through the environment, so examples
written for a real account (ThreadsPipe(user_id, token), from_env()) run unchanged; any
request to a host other than 127.0.0.1 fails the test.

Each example runs in a fresh, empty working directory with its own HOME, and must write
nothing there, in HOME or in this repository: a reader runs examples in a bot's folder, where
an example that writes `.env` or `photo.jpg` would replace real files. Examples that need
files make them in a `tempfile.TemporaryDirectory()`.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def examples() -> Iterator[Any]:
    for page in PAGES:
        for number, match in enumerate(BLOCK.finditer(page.read_text(encoding="utf-8")), 1):
            yield pytest.param(match.group(1), id=f"{page.name}#{number}")


# What a run may change in the repository: caches and build output, nothing a reader owns.
IGNORED = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` (caches left out): path -> (size, modification time)."""
    found: dict[str, tuple[int, int]] = {}
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in IGNORED and not d.endswith(".egg-info")]
        for name in files:
            path = Path(folder, name)
            if name.startswith(".coverage"):
                continue
            stat = path.stat()
            found[str(path.relative_to(root))] = (stat.st_size, stat.st_mtime_ns)
    return found


def changes(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    """An empty working directory and HOME for one example; after it, both must still be
    empty and the repository unchanged (temporary directories live elsewhere)."""
    cwd, home, temp = tmp_path / "cwd", tmp_path / "home", tmp_path / "tmp"
    for folder in (cwd, home, temp):
        folder.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv("MPLCONFIGDIR", str(temp / "matplotlib"))  # its cache, not the reader's
    repository = tree(ROOT)
    yield {"cwd": cwd, "home": home}
    assert sorted(os.listdir(cwd)) == [], "the example wrote into the current directory"
    assert changes({}, tree(home)) == [], "the example wrote into the home directory"
    assert changes(repository, tree(ROOT)) == [], "the example wrote into the repository"


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, places: dict[str, Path]) -> Iterator[ThreadsSandbox]:
    real_request = requests.Session.request

    def local_only(self: requests.Session, method: str, url: str, *args: Any, **kw: Any) -> Any:
        host = urlsplit(url).hostname
        assert host == "127.0.0.1", f"an example tried to reach {host}"
        return real_request(self, method, url, *args, **kw)

    monkeypatch.setattr(requests.Session, "request", local_only)
    with ThreadsSandbox() as sb:
        monkeypatch.setenv("THREADS_API_BASE_URL", sb.url)
        monkeypatch.setenv("GITHUB_API_BASE_URL", sb.github_url)
        monkeypatch.setenv("THREADS_USER_ID", sb.user_id)
        monkeypatch.setenv("THREADS_ACCESS_TOKEN", sb.access_token)
        monkeypatch.setenv("THREADS_APP_SECRET", sb.app_secret)  # the webhook examples
        monkeypatch.setenv("THREADS_WEBHOOK_VERIFY_TOKEN", "docs-verify-token")
        yield sb


def test_there_are_examples() -> None:
    assert len(list(examples())) >= 5


@pytest.mark.parametrize("source", list(examples()))
def test_example_runs(source: str, offline: ThreadsSandbox) -> None:
    exec(compile(source, "<example>", "exec"), {"__name__": "__example__"})
