"""The Flask, FastAPI and bot examples of docs/14-webhooks.md, driven for real: the two
framework apps through their test clients, the bot as a WSGI server the sandbox delivers to.

test_examples.py already runs every block; here each one is also checked for what it promises
(handshake, refusals, events, dedupe, exactly one reply)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from threadspipepy.testing import ThreadsSandbox
from threadspipepy.webhooks import MentionEvent, signature_for

PAGE = Path(__file__).resolve().parents[2] / "docs" / "14-webhooks.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
SECRET = "docs-app-secret-1f2e3d"
TOKEN = "docs-verify-token"
BODY = json.dumps(
    {
        "app_id": "1",
        "topic": "interaction",
        "target_id": "17841400000000001",
        "time": 1754300000,
        "subscription_id": "2",
        "has_uid_field": False,
        "values": {
            "field": "mentions",
            "value": {"id": "17900000000000201", "username": "someone", "text": "Hey @me"},
        },
    }
).encode()
HANDSHAKE = f"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={TOKEN}"


def example(name: str) -> str:
    """The ```python block of the page whose first line is `# name`."""
    blocks = [
        b for b in BLOCK.findall(PAGE.read_text(encoding="utf-8")) if b.startswith(f"# {name}\n")
    ]
    assert len(blocks) == 1, f"one {name} example expected"
    return str(blocks[0])


def load(name: str, monkeypatch: pytest.MonkeyPatch, secret: str = SECRET) -> dict[str, Any]:
    monkeypatch.setenv("THREADS_APP_SECRET", secret)
    monkeypatch.setenv("THREADS_WEBHOOK_VERIFY_TOKEN", TOKEN)
    namespace: dict[str, Any] = {"__name__": name.removesuffix(".py")}
    exec(compile(example(name), name, "exec"), namespace)
    return namespace


def signed(body: bytes = BODY) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(body, SECRET)}


def test_the_flask_example(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("flask")
    module = load("flask_app.py", monkeypatch)
    client = module["app"].test_client()
    url = "/webhooks/threads"

    handshake = client.get(f"{url}?{HANDSHAKE}")
    assert (handshake.status_code, handshake.get_data(as_text=True)) == (200, "1158201444")
    assert handshake.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert client.get(f"{url}?{HANDSHAKE.replace(TOKEN, 'nope')}").status_code == 403

    assert client.post(url, data=BODY, headers=signed()).status_code == 200
    assert client.post(url, data=BODY, headers=signed()).status_code == 200  # redelivery
    (event,) = module["received"]
    assert isinstance(event, MentionEvent) and event.username == "someone"

    tampered = client.post(url, data=BODY.replace(b"me", b"you"), headers=signed())
    assert tampered.status_code == 403
    big = BODY + b" " * (module["receiver"].max_body_bytes)
    assert client.post(url, data=big, headers=signed(big)).status_code == 413
    assert client.put(url, data=BODY, headers=signed()).status_code == 405
    assert len(module["received"]) == 1


def test_the_fastapi_example(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    module = load("fastapi_app.py", monkeypatch)
    client = TestClient(module["app"])
    url = "/webhooks/threads"

    handshake = client.get(f"{url}?{HANDSHAKE}")
    assert (handshake.status_code, handshake.text) == (200, "1158201444")  # not '"1158201444"'
    assert handshake.headers["content-type"].startswith("text/plain")
    assert client.get(f"{url}?{HANDSHAKE.replace(TOKEN, 'nope')}").status_code == 403

    assert client.post(url, content=BODY, headers=signed()).status_code == 200
    assert client.post(url, content=BODY, headers=signed()).status_code == 200  # redelivery
    (event,) = module["received"]
    assert isinstance(event, MentionEvent) and event.id == "17900000000000201"

    unsigned = client.post(url, content=BODY)
    assert unsigned.status_code == 403 and "X-Hub-Signature-256" in unsigned.text
    big = BODY + b" " * (module["receiver"].max_body_bytes)
    assert client.post(url, content=big, headers=signed(big)).status_code == 413
    assert len(module["received"]) == 1


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def sandbox_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sb:
        monkeypatch.setenv("THREADS_API_BASE_URL", sb.url)
        monkeypatch.setenv("THREADS_USER_ID", sb.user_id)
        monkeypatch.setenv("THREADS_ACCESS_TOKEN", sb.access_token)
        yield sb


def test_the_bot_answers_each_mention_once(
    sandbox_env: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_env
    bot = load("bot.py", monkeypatch, secret=sb.app_secret)
    server = make_server("127.0.0.1", 0, bot["app"], handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}).start()
    url = f"http://127.0.0.1:{server.server_port}/webhooks/threads"
    try:
        sb.subscribe_webhooks(url, verify_token=TOKEN)
        mention = sb.receive_mention("@sandbox_user hello!", username="curious")
        deliveries = sb.wait_for_webhooks()
        assert [(d.field, d.delivered) for d in deliveries] == [
            ("mentions", True),
            ("publish", True),  # the bot's reply, which it ignores
        ]
        # Meta delivers the mention again, to this bot and to a restarted one (empty memory).
        restarted = load("bot.py", monkeypatch, secret=sb.app_secret)
        for app in (bot["app"], restarted["app"]):
            status = replay(app, deliveries[0].body, deliveries[0].headers)
            assert status.startswith("200")
    finally:
        server.shutdown()
        server.server_close()
    answers = [p for p in sb.posts if p["reply_to_id"] == mention["id"]]
    assert [a["text"] for a in answers] == ["Thanks for the mention, @curious!"]
    assert sb.stats()["publish"] == 1


def test_the_bot_retries_a_reply_that_failed(
    sandbox_env: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox_env
    bot = load("bot.py", monkeypatch, secret=sb.app_secret)
    server = make_server("127.0.0.1", 0, bot["app"], handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhooks/threads"
        sb.subscribe_webhooks(url, verify_token=TOKEN, fields=["mentions"])
        sb.fail("POST", f"/v1.0/{sb.user_id}/threads")  # creating the reply fails once
        mention = sb.receive_mention(username="curious")
        (delivery,) = sb.wait_for_webhooks()
    finally:
        server.shutdown()
        server.server_close()
    assert [a.status for a in delivery.attempts] == [500, 200]
    answers = [p for p in sb.posts if p["reply_to_id"] == mention["id"]]
    assert len(answers) == 1


def replay(app: Any, body: bytes, headers: dict[str, str]) -> str:
    """POST `body` to a WSGI app in-process; returns the status line."""
    import io

    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/webhooks/threads",
        "QUERY_STRING": "",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/json",
        "wsgi.input": io.BytesIO(body),
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()},
    }
    status: list[str] = []
    b"".join(app(environ, lambda line, headers, exc_info=None: status.append(line)))
    return status[0]
