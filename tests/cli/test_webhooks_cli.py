"""`threadspipepy webhooks listen` as a subprocess: the handshake, signed POSTs printed as lines
or JSON lines, refusals on stderr, secrets from options, environment or .env never printed,
exit statuses, and the sandbox delivering to it over real HTTP."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox
from threadspipepy.webhooks import signature_for

from .conftest import RunCli

SECRET = "cli-app-secret-7e6d5c4b"
TOKEN = "cli-verify-token-3a2b"
LISTENING = re.compile(r"Listening on (http://127\.0\.0\.1:\d+/\S*)")


def notification(field: str, value: dict[str, Any], **values: Any) -> bytes:
    payload = {
        "app_id": "1",
        "topic": "interaction",
        "target_id": "17841400000000001",
        "time": 1754300000,
        "subscription_id": "9",
        "has_uid_field": False,
        "values": values.get("batch") or {"field": field, "value": value},
    }
    return json.dumps(payload).encode()


MENTION = notification(
    "mentions", {"id": "17900000000000011", "username": "fan", "text": "Hey @me\nsecond line"}
)
PUBLISH = notification(
    "publish",
    {
        "id": "17900000000000012",
        "username": "me",
        "media_type": "TEXT_POST",
        "permalink": "https://www.threads.com/@me/post/DAbc",
    },
)


class Listener:
    """A running `webhooks listen` subprocess and its URL."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.stderr_head: list[str] = []
        assert proc.stderr is not None
        for _ in range(20):
            line = proc.stderr.readline()
            self.stderr_head.append(line)
            found = LISTENING.search(line)
            if found:
                self.url = found.group(1)
                return
            if not line:
                break
        proc.kill()
        raise AssertionError(f"the listener did not start: {self.stderr_head}")

    def post(self, body: bytes, secret: str = SECRET) -> requests.Response:
        headers = {"X-Hub-Signature-256": signature_for(body, secret)}
        return requests.post(self.url, data=body, headers=headers, timeout=10)

    def finish(self, timeout: float = 20) -> tuple[int, str, str]:
        out, err = self.proc.communicate(timeout=timeout)
        return self.proc.returncode, out, "".join(self.stderr_head) + err


@pytest.fixture
def listen(cli_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Listener:
        proc = subprocess.Popen(
            [sys.executable, "-m", "threadspipepy", "webhooks", "listen", "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env={**cli_env, **(env or {})},
            cwd=tmp_path,
        )
        procs.append(proc)
        return Listener(proc)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def test_listen_answers_the_handshake_and_prints_each_event(listen: Any) -> None:
    listener = listen("--verify-token", TOKEN, "--app-secret", SECRET, "--count", "2")
    params = {"hub.mode": "subscribe", "hub.challenge": "424242", "hub.verify_token": TOKEN}
    handshake = requests.get(listener.url, params=params, timeout=10)
    assert (handshake.status_code, handshake.text) == (200, "424242")
    assert listener.post(MENTION, secret="not-the-secret").status_code == 403
    assert listener.post(MENTION).status_code == 200
    assert listener.post(PUBLISH).status_code == 200
    status, out, err = listener.finish()  # --count 2: it stops by itself
    assert status == 0
    assert out.splitlines() == [
        "mention 17900000000000011 from @fan: Hey @me second line",
        "publish 17900000000000012 by @me (TEXT_POST) https://www.threads.com/@me/post/DAbc",
    ]
    assert "answered the subscription handshake" in err
    assert "warning: refused (403): X-Hub-Signature-256 does not match" in err
    assert SECRET not in out + err and TOKEN not in out + err
    assert "\x1b[" not in out + err


def test_listen_json_lines_mark_redeliveries(listen: Any) -> None:
    env = {"THREADS_APP_SECRET": SECRET, "THREADS_WEBHOOK_VERIFY_TOKEN": TOKEN}
    listener = listen("--json", "--count", "3", env=env)
    batch = notification(
        "",
        {},
        batch=[
            {"field": "mentions", "value": {"id": "1", "username": "a", "text": "@me"}},
            {"field": "future_field", "value": {"id": "2", "new": True}},
        ],
    )
    assert listener.post(batch).status_code == 200
    assert listener.post(MENTION).status_code == 200
    status, out, err = listener.finish()
    assert status == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(d["field"], d["id"], d["redelivered"]) for d in lines] == [
        ("mentions", "1", False),
        ("future_field", "2", False),
        ("mentions", "17900000000000011", False),
    ]
    assert lines[1]["value"] == {"id": "2", "new": True}
    assert lines[0]["target_id"] == "17841400000000001" and lines[0]["time"] == 1754300000
    assert "Listening on" in err  # on stderr: stdout stays pure JSON lines


def test_a_redelivery_is_printed_as_such(listen: Any, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"THREADS_APP_SECRET={SECRET}\nTHREADS_WEBHOOK_VERIFY_TOKEN={TOKEN}\n"
    )
    listener = listen("--count", "2", "--path", "/hooks")
    assert listener.url.endswith("/hooks")
    assert listener.post(MENTION).status_code == 200
    assert listener.post(MENTION).status_code == 200
    status, out, _ = listener.finish()
    assert status == 0
    assert out.splitlines()[1].endswith("(redelivered)")


def test_listen_refuses_oversize_bodies_and_other_paths(listen: Any) -> None:
    listener = listen(
        "--verify-token", TOKEN, "--app-secret", SECRET, "--max-body", "64", "--path", "/h"
    )
    assert listener.post(MENTION).status_code == 413
    elsewhere = requests.post(listener.url + "x", data=MENTION, timeout=10)
    assert elsewhere.status_code == 404
    listener.proc.send_signal(signal.SIGINT)
    status, out, err = listener.finish()
    assert (status, out) == (0, "")
    assert "refused (413): body larger than 64 bytes" in err and "stopped" in err


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_sigterm_stops_the_listener_cleanly(listen: Any) -> None:
    listener = listen("--verify-token", TOKEN, "--app-secret", SECRET)
    listener.proc.send_signal(signal.SIGTERM)
    status, _, err = listener.finish()
    assert status == 0 and "stopped" in err


def test_listen_usage_errors_exit_2(run_cli: RunCli) -> None:
    missing = run_cli("webhooks", "listen", "--verify-token", TOKEN)
    assert missing.returncode == 2
    assert "--app-secret is required (or set THREADS_APP_SECRET)" in missing.stderr
    no_token = run_cli("webhooks", "listen", "--app-secret", SECRET)
    assert no_token.returncode == 2 and "--verify-token is required" in no_token.stderr
    assert SECRET not in no_token.stderr
    sandbox = run_cli("--sandbox", "webhooks", "listen", "--verify-token", "t", "--app-secret", "s")
    assert sandbox.returncode == 2 and "subscribe_webhooks" in sandbox.stderr
    bad_port = run_cli("webhooks", "listen", "--port", "70000")
    assert bad_port.returncode == 2 and "--port" in bad_port.stderr
    no_action = run_cli("webhooks")
    assert no_action.returncode == 2 and "ACTION" in no_action.stderr
    as_json = run_cli("webhooks", "listen", "--json", "--verify-token", TOKEN)
    assert as_json.returncode == 2
    assert json.loads(as_json.stdout)["error"]["message"].startswith("--app-secret is required")


def test_a_port_in_use_exits_1(run_cli: RunCli) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        proc = run_cli(
            "webhooks", "listen", "--port", port, "--verify-token", TOKEN, "--app-secret", SECRET
        )
    assert proc.returncode == 1
    assert f"error: cannot listen on 127.0.0.1:{port}" in proc.stderr


def test_the_sandbox_delivers_to_the_listener(listen: Any) -> None:
    with ThreadsSandbox() as sb:
        env = {"THREADS_APP_SECRET": sb.app_secret, "THREADS_WEBHOOK_VERIFY_TOKEN": TOKEN}
        listener = listen("--json", "--count", "2", env=env)
        sb.subscribe_webhooks(listener.url, verify_token=TOKEN, fields=["mentions", "replies"])
        (post,) = sb.seed_posts(1)
        mention = sb.receive_mention("Hi @sandbox_user", username="fan")
        reply = sb.receive_reply(post["id"], "Nice one", username="fan")
        deliveries = sb.wait_for_webhooks()
        status, out, err = listener.finish()
    assert status == 0, err
    assert [d.delivered for d in deliveries] == [True, True]
    lines = [json.loads(line) for line in out.splitlines()]
    assert [(d["field"], d["id"]) for d in lines] == [
        ("mentions", mention["id"]),
        ("replies", reply["id"]),
    ]
    assert lines[1]["value"]["root_post"]["owner_id"] == sb.user_id
    assert sb.app_secret not in out + err
