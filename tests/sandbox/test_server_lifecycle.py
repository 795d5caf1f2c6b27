"""Starting, stopping, the pytest fixture and client() wiring."""

from __future__ import annotations

import socket
from typing import Any

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT


def test_fixture_gives_a_running_sandbox(threads_sandbox: ThreadsSandbox) -> None:
    assert threads_sandbox.running
    assert threads_sandbox.url.startswith("http://127.0.0.1:")
    assert threads_sandbox.github_url == f"{threads_sandbox.url}/github"
    assert threads_sandbox.raw_url == f"{threads_sandbox.url}/raw"
    assert threads_sandbox.user_id.isdigit()
    assert len(threads_sandbox.access_token) > 20
    answer = requests.get(
        f"{threads_sandbox.url}/v1.0/me",
        params={"access_token": threads_sandbox.access_token},
        timeout=TIMEOUT,
    )
    assert answer.json() == {"id": threads_sandbox.user_id}


def test_stop_frees_the_port() -> None:
    sb = ThreadsSandbox().start()
    assert sb.start() is sb  # starting twice is harmless
    port = int(sb.url.rsplit(":", 1)[1])
    requests.get(f"{sb.url}/v1.0/me", timeout=TIMEOUT)
    sb.stop()
    sb.stop()  # and so is stopping twice
    assert not sb.running
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sb.url}/v1.0/me", timeout=TIMEOUT)
    with socket.socket() as probe:
        # As any server does; it still fails while something is listening on the port.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen()


def test_context_manager_and_unstarted_url() -> None:
    sb = ThreadsSandbox()
    with pytest.raises(RuntimeError):
        _ = sb.url
    with sb as running:
        assert running is sb
        assert sb.running
    assert not sb.running


def test_two_sandboxes_are_independent() -> None:
    with ThreadsSandbox() as one, ThreadsSandbox() as two:
        assert one.url != two.url
        assert one.access_token != two.access_token
        answer = requests.get(
            f"{two.url}/v1.0/me", params={"access_token": one.access_token}, timeout=TIMEOUT
        )
        assert answer.status_code == 400


def test_client_passes_sandbox_settings(
    threads_sandbox: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threadspipepy.threadspipe as module

    seen: dict[str, Any] = {}

    class FakePipe:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

    monkeypatch.setattr(module, "ThreadsPipe", FakePipe)
    sb = threads_sandbox
    client = sb.client(timeout=5.0, gh_repo_name="other")
    assert isinstance(client, FakePipe)
    assert seen == {
        "user_id": sb.user_id,
        "access_token": sb.access_token,
        "gh_bearer_token": sb.gh_token,
        "gh_username": sb.gh_username,
        "gh_repo_name": "other",
        "threads_base_url": sb.url,
        "gh_base_url": sb.github_url,
        "timeout": 5.0,
    }


def test_add_account_rejects_duplicates(threads_sandbox: ThreadsSandbox) -> None:
    acct = threads_sandbox.add_account("17841499999999999", "THAAcustom", "custom")
    assert (acct.user_id, acct.access_token, acct.username) == (
        "17841499999999999",
        "THAAcustom",
        "custom",
    )
    assert "THAAcustom" not in repr(acct)
    with pytest.raises(ValueError):
        threads_sandbox.add_account("17841499999999999")
    with pytest.raises(ValueError):
        threads_sandbox.add_account(access_token="THAAcustom")
