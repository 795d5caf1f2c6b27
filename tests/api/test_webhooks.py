"""The webhook receiver over real HTTP: the WSGI app under wsgiref (checked by
wsgiref.validate), and the whole loop with the sandbox: it subscribes, someone mentions or
replies, the signed notification arrives, the bot answers through `pipe` exactly once, even
when an answer is lost, the handler fails, or the bot restarts with an empty memory."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterator
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.validate import validator

import pytest
import requests

from threadspipepy import ThreadsPipe
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.webhooks import (
    Deduplicator,
    MemorySeenStore,
    MentionEvent,
    ReplyEvent,
    WebhookEvent,
    WebhookReceiver,
    make_wsgi_app,
    signature_for,
)
from threadspipepy.webhooks._wsgi import read_body, request_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

SECRET = "receiver-app-secret-0a1b2c"
TOKEN = "receiver-verify-token"
PAYLOAD = {
    "app_id": "1",
    "topic": "interaction",
    "target_id": "17841400000000001",
    "time": 1754300000,
    "subscription_id": "9",
    "has_uid_field": False,
    "values": {"field": "mentions", "value": {"id": "17900000000000001", "text": "@me hi"}},
}
BODY = json.dumps(PAYLOAD).encode()


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Swappable:
    """The app a server runs, replaceable while it runs (a bot restarting), and able to lose
    the answers of the next `lose` POSTs after the app handled them (answering 500)."""

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.lose = 0

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Any:
        if environ["REQUEST_METHOD"] == "POST" and self.lose > 0:
            self.lose -= 1
            for _ in self.app(environ, lambda *args: lambda data: None):
                pass
            start_response("500 Internal Server Error", [("Content-Length", "0")])
            return [b""]
        return self.app(environ, start_response)


@pytest.fixture
def serve() -> Iterator[Callable[[WSGIApplication], str]]:
    """serve(app) -> the URL of a wsgiref server running it on 127.0.0.1 (a real port)."""
    servers: list[WSGIServer] = []

    def start(app: WSGIApplication) -> str:
        server = make_server(
            "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
        )
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        ).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/webhooks/threads"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def signed(body: bytes = BODY, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(body, secret)}


# -- the WSGI app on a real port ----------------------------------------------------------------
def test_the_wsgi_app_under_wsgiref(serve: Callable[[WSGIApplication], str]) -> None:
    events: list[WebhookEvent] = []
    app = make_wsgi_app(WebhookReceiver(SECRET, TOKEN), events.append)
    url = serve(validator(app))  # wsgiref.validate checks PEP 3333 on every request

    params = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": TOKEN}
    handshake = requests.get(url, params=params, timeout=5)
    assert (handshake.status_code, handshake.text) == (200, "1158201444")
    assert handshake.headers["Content-Type"] == "text/plain; charset=utf-8"
    wrong = requests.get(url, params={**params, "hub.verify_token": "nope"}, timeout=5)
    assert wrong.status_code == 403 and "1158201444" not in wrong.text

    answer = requests.post(url, data=BODY, headers=signed(), timeout=5)
    assert (answer.status_code, answer.text) == (200, "EVENT_RECEIVED")
    assert [(type(e), e.id) for e in events] == [(MentionEvent, "17900000000000001")]

    tampered = BODY.replace(b"hi", b"ho")
    assert requests.post(url, data=tampered, headers=signed(), timeout=5).status_code == 403
    unsigned = requests.post(url, data=BODY, timeout=5)
    assert unsigned.status_code == 403 and "X-Hub-Signature-256" in unsigned.text
    put = requests.put(url, data=BODY, headers=signed(), timeout=5)
    assert put.status_code == 405 and put.headers["Allow"] == "GET, POST"
    assert len(events) == 1


def test_a_body_over_the_limit_is_refused_unread(serve: Callable[[WSGIApplication], str]) -> None:
    events: list[WebhookEvent] = []
    url = serve(make_wsgi_app(WebhookReceiver(SECRET, max_body_bytes=len(BODY)), events.append))
    assert requests.post(url, data=BODY, headers=signed(), timeout=5).status_code == 200
    big = BODY + b" " * 10
    answer = requests.post(url, data=big, headers=signed(big), timeout=5)
    assert answer.status_code == 413 and f"{len(BODY)} bytes" in answer.text
    assert len(events) == 1


def test_the_app_can_be_bound_to_one_path(serve: Callable[[WSGIApplication], str]) -> None:
    app = make_wsgi_app(WebhookReceiver(SECRET, TOKEN), path="/webhooks/threads")
    url = serve(app)
    assert requests.post(url, data=BODY, headers=signed(), timeout=5).status_code == 200
    elsewhere = url.replace("/webhooks/threads", "/other")
    assert requests.post(elsewhere, data=BODY, headers=signed(), timeout=5).status_code == 404


def test_a_failing_handler_answers_500_and_the_redelivery_is_handled(
    serve: Callable[[WSGIApplication], str], caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[str | None] = []

    def flaky(event: WebhookEvent) -> None:
        calls.append(event.id)
        if len(calls) == 1:
            raise ConnectionError("the database is down")

    url = serve(make_wsgi_app(WebhookReceiver(SECRET), flaky, dedupe=Deduplicator()))
    first = requests.post(url, data=BODY, headers=signed(), timeout=5)
    assert first.status_code == 500 and "database" not in first.text
    assert "webhook handler failed" in caplog.text
    assert requests.post(url, data=BODY, headers=signed(), timeout=5).status_code == 200
    assert requests.post(url, data=BODY, headers=signed(), timeout=5).status_code == 200
    assert calls == ["17900000000000001", "17900000000000001"]  # failed once, handled once


def test_read_body_honours_the_length_and_terminated_streams() -> None:
    def environ(data: bytes, **extra: Any) -> dict[str, Any]:
        return {"wsgi.input": io.BytesIO(data), **extra}

    assert read_body(environ(b"abcdef", CONTENT_LENGTH="3"), 10) == b"abc"
    assert read_body(environ(b"abcdef", CONTENT_LENGTH="11"), 10) is None
    assert read_body(environ(b"abcdef", CONTENT_LENGTH="x"), 10) == b""
    assert read_body(environ(b"abcdef"), 10) == b""  # no length, stream not terminated
    assert read_body(environ(b"abcdef", **{"wsgi.input_terminated": True}), 10) == b"abcdef"
    assert read_body(environ(b"a" * 11, **{"wsgi.input_terminated": True}), 10) is None
    headers = request_headers(
        {"HTTP_X_HUB_SIGNATURE_256": "sha256=00", "CONTENT_TYPE": "application/json"}
    )
    assert headers == {"X-Hub-Signature-256": "sha256=00", "Content-Type": "application/json"}


# -- the sandbox sends, the receiver answers, the bot replies ------------------------------------
class MentionBot:
    """Answers each mention once: dedupe for redeliveries, and a look at the mention's replies
    before answering, for a restart that forgot what it handled."""

    def __init__(self, tp: ThreadsPipe, username: str) -> None:
        self.tp = tp
        self.username = username
        self.dedupe = Deduplicator(MemorySeenStore())
        self.seen: list[WebhookEvent] = []

    def handle(self, event: WebhookEvent) -> None:
        self.seen.append(event)
        if not isinstance(event, (MentionEvent, ReplyEvent)) or event.id is None:
            return
        if event.username == self.username:
            return  # never answer ourselves
        replies = self.tp.get_post_replies(event.id, fields="username")
        replies.raise_for_error()
        if any(r.get("username") == self.username for r in replies["data"]):
            return  # answered before a restart
        self.tp.pipe(f"Thanks @{event.username}!", reply_to_id=event.id).raise_for_error()

    def app(self, secret: str) -> WSGIApplication:
        return make_wsgi_app(WebhookReceiver(secret, TOKEN), self.handle, dedupe=self.dedupe)


def answers_to(sb: ThreadsSandbox, media_id: str) -> list[dict[str, Any]]:
    return [p for p in sb.posts if p["reply_to_id"] == media_id and p["owner"] == sb.user_id]


@pytest.fixture
def sb() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sandbox:
        yield sandbox


def test_a_bot_answers_a_mention_through_pipe(
    sb: ThreadsSandbox, serve: Callable[[WSGIApplication], str]
) -> None:
    with sb.client() as tp:
        bot = MentionBot(tp, "sandbox_user")
        sb.subscribe_webhooks(serve(bot.app(sb.app_secret)), verify_token=TOKEN)
        mention = sb.receive_mention("@sandbox_user what do you think?", username="curious")
        sb.wait_for_webhooks()
    (answer,) = answers_to(sb, mention["id"])
    assert answer["text"] == "Thanks @curious!"
    (event, *rest) = bot.seen
    assert isinstance(event, MentionEvent) and event.id == mention["id"]
    assert event.username == "curious" and event.mentioned_user_id == sb.user_id
    # The bot's own reply comes back as a publish event, which it ignores.
    assert [e.field for e in rest] == ["publish"] and rest[0].id == answer["id"]
    deliveries = sb.webhook_deliveries
    assert [(d.field, d.delivered) for d in deliveries] == [("mentions", True), ("publish", True)]
    assert [r.path for r in sb.requests_to("POST")][-2:] == [
        f"/v1.0/{sb.user_id}/threads",
        f"/v1.0/{sb.user_id}/threads_publish",
    ]


def test_a_bot_answers_replies_to_its_posts(
    sb: ThreadsSandbox, serve: Callable[[WSGIApplication], str]
) -> None:
    with sb.client() as tp:
        post_id = tp.pipe("What is your favourite colour?")["data"]["media_ids"][0]
        bot = MentionBot(tp, "sandbox_user")
        sb.subscribe_webhooks(serve(bot.app(sb.app_secret)), verify_token=TOKEN, fields=["replies"])
        reply = sb.receive_reply(post_id, "Blue", username="painter")
        sb.wait_for_webhooks()
    (answer,) = answers_to(sb, reply["id"])
    assert answer["text"] == "Thanks @painter!"
    (event,) = bot.seen
    assert isinstance(event, ReplyEvent) and event.root_post_id == post_id


def test_a_lost_answer_is_redelivered_and_deduplicated(
    sb: ThreadsSandbox, serve: Callable[[WSGIApplication], str]
) -> None:
    with sb.client() as tp:
        bot = MentionBot(tp, "sandbox_user")
        front = Swappable(bot.app(sb.app_secret))
        sb.subscribe_webhooks(serve(front), verify_token=TOKEN, fields=["mentions"])
        front.lose = 1  # handled, but the 200 never reaches "Meta"
        mention = sb.receive_mention(username="curious")
        (delivery,) = sb.wait_for_webhooks()
    assert [a.status for a in delivery.attempts] == [500, 200]
    assert [e.id for e in bot.seen] == [mention["id"]]  # the redelivery was skipped
    assert len(answers_to(sb, mention["id"])) == 1
    assert sb.stats()["publish"] == 1


def test_a_failing_reply_is_retried_on_the_next_delivery(
    sb: ThreadsSandbox, serve: Callable[[WSGIApplication], str]
) -> None:
    with sb.client() as tp:
        bot = MentionBot(tp, "sandbox_user")
        sb.subscribe_webhooks(
            serve(bot.app(sb.app_secret)), verify_token=TOKEN, fields=["mentions"]
        )
        sb.fail("POST", f"/v1.0/{sb.user_id}/threads", times=3)  # Meta down for a moment
        mention = sb.receive_mention(username="curious")
        (delivery,) = sb.wait_for_webhooks()
        assert [a.status for a in delivery.attempts] == [500, 500, 500]
        assert answers_to(sb, mention["id"]) == []
        sb.advance(60)  # the sandbox's first retry on its clock
        (delivery,) = sb.wait_for_webhooks()
    assert [a.status for a in delivery.attempts] == [500, 500, 500, 200]
    assert len(answers_to(sb, mention["id"])) == 1
    assert len(sb.requests_to("POST", f"/v1.0/{sb.user_id}/threads")) == 4


def test_a_restarted_bot_does_not_answer_twice(
    sb: ThreadsSandbox, serve: Callable[[WSGIApplication], str]
) -> None:
    with sb.client() as tp:
        front = Swappable(MentionBot(tp, "sandbox_user").app(sb.app_secret))
        sb.subscribe_webhooks(serve(front), verify_token=TOKEN, fields=["mentions"])
        front.lose = 3  # answered, then every answer lost until the clock retry
        mention = sb.receive_mention(username="curious")
        sb.wait_for_webhooks()
        restarted = MentionBot(tp, "sandbox_user")  # empty memory
        front.app = restarted.app(sb.app_secret)
        sb.advance(60)
        (delivery,) = sb.wait_for_webhooks()
    assert delivery.delivered and len(delivery.attempts) == 4
    assert [e.id for e in restarted.seen] == [mention["id"]]
    assert len(answers_to(sb, mention["id"])) == 1


def test_secrets_stay_out_of_the_receivers_logs(
    sb: ThreadsSandbox,
    serve: Callable[[WSGIApplication], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("DEBUG", logger="threadspipepy")
    receiver = WebhookReceiver(sb.app_secret, TOKEN)
    url = serve(make_wsgi_app(receiver))
    sb.subscribe_webhooks(url, verify_token=TOKEN)
    sb.receive_mention()
    requests.post(url, data=BODY, headers=signed(secret="forged"), timeout=5)
    sb.wait_for_webhooks()
    assert "refused" in caplog.text and "handshake answered" in caplog.text
    assert sb.app_secret not in caplog.text and TOKEN not in caplog.text
    assert sb.app_secret not in repr(receiver)
