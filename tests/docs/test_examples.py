"""Every ```python block in README.md and docs/ runs, against the sandbox, with no network.

Credentials and the base URL point at a fresh sandbox through the environment, so examples
written for a real account (ThreadsPipe(user_id, token), from_env()) run unchanged; any
request to a host other than 127.0.0.1 fails the test.
"""

from __future__ import annotations

import re
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


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ThreadsSandbox]:
    real_request = requests.Session.request

    def local_only(self: requests.Session, method: str, url: str, *args: Any, **kw: Any) -> Any:
        host = urlsplit(url).hostname
        assert host == "127.0.0.1", f"an example tried to reach {host}"
        return real_request(self, method, url, *args, **kw)

    monkeypatch.setattr(requests.Session, "request", local_only)
    monkeypatch.chdir(tmp_path)
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
