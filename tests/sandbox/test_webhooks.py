"""The sandbox sends webhooks (threads-api.md §9, Meta's Graph webhooks convention).

The receiver here is a plain http.server that records what arrives and checks signatures with
hmac itself: these tests describe what Meta sends, not what the library's receiver accepts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph

TOKEN = "hook-verify-token-5d4c"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000")
ENVELOPE_KEYS = {"app_id", "topic", "target_id", "time", "subscription_id", "has_uid_field"}


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A callback URL: answers the handshake when the token is right (or as `handshake`
    says), and each POST with the next of `statuses` (then 200), after `on_post`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.statuses: list[int] = []
        self.handshake = "echo"
        self.on_post: Callable[[Received], None] | None = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._answer(*receiver.answer(self._received()))

            def do_POST(self) -> None:
                self._answer(*receiver.answer(self._received()))

            def _received(self) -> Received:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                return Received(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    dict(self.headers.items()),
                    self.rfile.read(length),
                )

            def _answer(self, status: int, text: str) -> None:
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/threads/webhook"

    def answer(self, request: Received) -> tuple[int, str]:
        self.requests.append(request)
        if request.method == "GET":
            if request.query.get("hub.verify_token") != [TOKEN]:
                return 403, "wrong token"
            challenge = request.query["hub.challenge"][0]
            return {"echo": (200, challenge), "quoted": (200, json.dumps(challenge))}.get(
                self.handshake, (500, "down")
            )
        if self.on_post is not None:
            self.on_post(request)
        return (self.statuses.pop(0) if self.statuses else 200), "ok"

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.requests if r.method == "POST"]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def subscribe(sb: ThreadsSandbox, receiver: Receiver, **kwargs: Any) -> list[dict[str, Any]]:
    return sb.subscribe_webhooks(receiver.url, verify_token=TOKEN, **kwargs)


def notifications(sb: ThreadsSandbox, receiver: Receiver) -> list[dict[str, Any]]:
    sb.wait_for_webhooks()
    return [r.json() for r in receiver.posts]


def value(payload: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = payload["values"]["value"]
    return result


# -- subscribing --------------------------------------------------------------------------------
def test_subscribing_sends_the_verification_request_first(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    subscriptions = subscribe(sb, receiver, fields=["mentions", "replies"])
    (handshake,) = receiver.requests
    assert handshake.method == "GET" and handshake.path == "/threads/webhook"
    assert handshake.query["hub.mode"] == ["subscribe"]
    assert handshake.query["hub.verify_token"] == [TOKEN]
    assert re.fullmatch(r"\d+", handshake.query["hub.challenge"][0])
    assert subscriptions == sb.webhook_subscriptions
    assert [(s["topic"], s["fields"]) for s in subscriptions] == [
        ("interaction", ["mentions"]),
        ("moderate", ["replies"]),
    ]
    assert all(
        s["user_ids"] == [sb.user_id] and s["callback_url"] == receiver.url for s in subscriptions
    )
    assert TOKEN not in repr(subscriptions)


def test_each_handshake_has_a_new_challenge(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver)
    subscribe(sb, receiver)
    first, second = (r.query["hub.challenge"][0] for r in receiver.requests)
    assert first != second


@pytest.mark.parametrize(
    ("handshake", "token", "message"),
    [
        ("echo", "another-token", "HTTP 403"),
        ("quoted", TOKEN, "does not match the challenge"),
        ("down", TOKEN, "HTTP 500"),
    ],
)
def test_a_failed_handshake_subscribes_nothing(
    sb: ThreadsSandbox, receiver: Receiver, handshake: str, token: str, message: str
) -> None:
    receiver.handshake = handshake
    with pytest.raises(ValueError, match=message) as caught:
        sb.subscribe_webhooks(receiver.url, verify_token=token)
    assert token not in str(caught.value)
    assert sb.webhook_subscriptions == []
    sb.receive_mention()
    assert notifications(sb, receiver) == [] and sb.webhook_deliveries == []


def test_an_unreachable_callback_fails_the_subscription(sb: ThreadsSandbox) -> None:
    closed = Receiver()
    closed.close()
    with pytest.raises(ValueError, match="no answer"):
        sb.subscribe_webhooks(closed.url, verify_token=TOKEN, timeout=2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"callback_url": "ftp://127.0.0.1/x"}, "callback_url"),
        ({"callback_url": "/relative"}, "callback_url"),
        ({"verify_token": ""}, "verify_token"),
        ({"fields": ["comments"]}, "fields"),
        ({"fields": []}, "fields"),
        ({"user_ids": ["404"]}, "404"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_subscriptions_are_refused_before_any_request(
    sb: ThreadsSandbox, receiver: Receiver, kwargs: dict[str, Any], message: str
) -> None:
    arguments: dict[str, Any] = {"callback_url": receiver.url, "verify_token": TOKEN, **kwargs}
    with pytest.raises((ValueError, KeyError), match=message):
        sb.subscribe_webhooks(**arguments)
    assert receiver.requests == []


# -- what each field sends ------------------------------------------------------------------------
def test_a_reply_to_the_accounts_post(sb: ThreadsSandbox, receiver: Receiver) -> None:
    (post,) = sb.seed_posts(1)
    subscribe(sb, receiver, fields=["replies"])
    reply = sb.receive_reply(post["id"], "Love it", username="a_fan")
    sb.wait_for_webhooks()
    (request,) = receiver.posts
    assert request.headers["Content-Type"] == "application/json"
    payload = request.json()
    assert set(payload) == ENVELOPE_KEYS | {"values"}
    assert payload["app_id"] == sb.app_id and payload["topic"] == "moderate"
    assert payload["target_id"] == post["id"] and payload["has_uid_field"] is False
    assert abs(payload["time"] - time.time()) < 120
    assert payload["values"]["field"] == "replies"
    assert value(payload) == {
        "id": reply["id"],
        "username": "a_fan",
        "text": "Love it",
        "media_type": "TEXT_POST",
        "permalink": reply["permalink"],
        "replied_to": {"id": post["id"]},
        "root_post": {"id": post["id"], "owner_id": sb.user_id, "username": "sandbox_user"},
        "shortcode": reply["shortcode"],
        "timestamp": reply["timestamp"],
        "is_verified": False,
    }
    assert TIMESTAMP.fullmatch(value(payload)["timestamp"])


def test_a_nested_reply_names_the_reply_it_answers_and_the_root(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    (post,) = sb.seed_posts(1)
    (first,) = sb.seed_replies(post["id"], 1, username="first_fan")
    subscribe(sb, receiver, fields=["replies"])
    sb.receive_reply(first["id"], "Agreed", username="second_fan")
    (payload,) = notifications(sb, receiver)
    assert value(payload)["replied_to"] == {"id": first["id"]}
    assert value(payload)["root_post"]["id"] == post["id"] == payload["target_id"]


def test_every_notification_is_signed_with_the_app_secret(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    subscribe(sb, receiver)
    sb.receive_mention()
    sb.wait_for_webhooks()
    (request,) = receiver.posts
    key = sb.app_secret.encode()
    expected = hmac.new(key, request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Hub-Signature-256"] == f"sha256={expected}"
    legacy = hmac.new(key, request.body, hashlib.sha1).hexdigest()
    assert request.headers["X-Hub-Signature"] == f"sha1={legacy}"
    (delivery,) = sb.webhook_deliveries
    assert delivery.body == request.body and delivery.payload == request.json()
    assert delivery.headers["X-Hub-Signature-256"] == f"sha256={expected}"


def test_a_mention(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver, fields=["mentions"])
    mention = sb.receive_mention("Ask @sandbox_user about it", username="someone")
    (payload,) = notifications(sb, receiver)
    assert (payload["topic"], payload["values"]["field"]) == ("interaction", "mentions")
    assert payload["target_id"] == sb.user_id  # the mentioned user, for mentions
    assert value(payload) == {
        "id": mention["id"],
        "username": "someone",
        "text": "Ask @sandbox_user about it",
        "media_type": "TEXT_POST",
        "permalink": mention["permalink"],
        "shortcode": mention["shortcode"],
        "timestamp": mention["timestamp"],
        "is_verified": False,
        "is_reply": False,
        "has_replies": False,
        "is_quote_post": False,
    }
    assert mention in sb.posts


def test_a_mention_in_a_reply_carries_the_thread(sb: ThreadsSandbox, receiver: Receiver) -> None:
    (other,) = sb.seed_posts(1, username="elsewhere")
    subscribe(sb, receiver, fields=["mentions", "replies"])
    sb.receive_mention(username="someone", reply_to_id=other["id"])
    (payload,) = notifications(sb, receiver)  # not a reply to the account's post
    assert value(payload)["is_reply"] is True
    assert value(payload)["replied_to"] == {"id": other["id"]}
    root = value(payload)["root_post"]
    assert (root["id"], root["username"]) == (other["id"], "elsewhere")


def test_a_verified_author_is_flagged(sb: ThreadsSandbox, receiver: Receiver) -> None:
    sb.seed_profile("famous", is_verified=True)
    subscribe(sb, receiver, fields=["mentions"])
    sb.receive_mention(username="famous")
    (payload,) = notifications(sb, receiver)
    assert value(payload)["is_verified"] is True


def test_publishing_through_the_api(sb: ThreadsSandbox, receiver: Receiver, graph: Graph) -> None:
    subscribe(sb, receiver, fields=["publish"])
    media_id = graph.post_text("Hello webhooks")
    (payload,) = notifications(sb, receiver)
    (post,) = [p for p in sb.posts if p["id"] == media_id]
    assert (payload["topic"], payload["values"]["field"]) == ("interaction", "publish")
    assert payload["target_id"] == media_id
    assert value(payload) == {
        "id": media_id,
        "media_type": "TEXT_POST",
        "permalink": post["permalink"],
        "timestamp": post["timestamp"],
        "username": "sandbox_user",
    }


def test_the_accounts_replies_are_publish_events_not_replies(
    sb: ThreadsSandbox, receiver: Receiver, graph: Graph
) -> None:
    (own,) = sb.seed_posts(1)
    (theirs,) = sb.seed_posts(1, username="neighbour")
    subscribe(sb, receiver)
    graph.post_text("Replying to myself", reply_to_id=own["id"])
    graph.post_text("Replying to you", reply_to_id=theirs["id"])
    fields = [p["values"]["field"] for p in notifications(sb, receiver)]
    assert fields == ["publish", "publish"]


def test_a_carousel_is_one_publish_event(
    sb: ThreadsSandbox, receiver: Receiver, graph: Graph
) -> None:
    children = [graph.finished_item(), graph.finished_item()]
    subscribe(sb, receiver, fields=["publish"])
    container = graph.create(media_type="CAROUSEL", children=",".join(children))
    sb.advance(5)
    response = graph.publish(container)
    assert response.status_code == 200, response.text
    (payload,) = notifications(sb, receiver)
    assert value(payload)["media_type"] == "CAROUSEL_ALBUM"
    assert value(payload)["id"] == response.json()["id"]


def test_deleting_a_post(sb: ThreadsSandbox, receiver: Receiver, graph: Graph) -> None:
    (post,) = sb.seed_posts(1)
    subscribe(sb, receiver, fields=["delete"])
    response = requests.delete(f"{graph.base}/{post['id']}", headers=graph.headers, timeout=10)
    assert response.status_code == 200, response.text
    (payload,) = notifications(sb, receiver)
    assert (payload["topic"], payload["values"]["field"]) == ("moderate", "delete")
    assert payload["target_id"] == post["id"]
    deleted = value(payload)
    assert set(deleted) == {"id", "owner", "deleted_at", "timestamp", "username"}
    assert deleted["id"] == post["id"] and deleted["owner"] == {"owner_id": sb.user_id}
    assert deleted["timestamp"] == post["timestamp"] and deleted["username"] == "sandbox_user"
    assert TIMESTAMP.fullmatch(deleted["deleted_at"]) and deleted["deleted_at"] > post["timestamp"]


# -- who gets what --------------------------------------------------------------------------------
def test_only_subscribed_fields_are_sent(
    sb: ThreadsSandbox, receiver: Receiver, graph: Graph
) -> None:
    subscribe(sb, receiver, fields=["mentions"])
    media_id = graph.post_text("A post of mine")
    sb.receive_reply(media_id)
    sb.receive_mention()
    assert [p["values"]["field"] for p in notifications(sb, receiver)] == ["mentions"]


def test_a_later_subscription_replaces_its_topics_only(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    other = Receiver()
    try:
        subscribe(sb, receiver)
        sb.subscribe_webhooks(other.url, verify_token=TOKEN, fields=["mentions"])
        topics = {s["topic"]: (s["callback_url"], s["fields"]) for s in sb.webhook_subscriptions}
        assert topics == {
            "interaction": (other.url, ["mentions"]),
            "moderate": (receiver.url, ["delete", "replies"]),
        }
        (post,) = sb.seed_posts(1)
        sb.receive_reply(post["id"])
        sb.receive_mention()
        sb.wait_for_webhooks()
        assert [r.json()["values"]["field"] for r in receiver.posts] == ["replies"]
        assert [r.json()["values"]["field"] for r in other.posts] == ["mentions"]
    finally:
        other.close()


def test_unsubscribing_stops_the_events(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver, fields=["mentions", "publish"])
    sb.unsubscribe_webhooks(["publish"])
    assert [s["fields"] for s in sb.webhook_subscriptions] == [["mentions"]]
    sb.receive_mention()
    sb.unsubscribe_webhooks()
    sb.receive_mention()
    assert len(notifications(sb, receiver)) == 1
    assert sb.webhook_subscriptions == []
    with pytest.raises(ValueError, match="fields"):
        sb.unsubscribe_webhooks(["comments"])


def test_events_go_to_the_subscribed_users_only(sb: ThreadsSandbox, receiver: Receiver) -> None:
    second = sb.add_account(username="second_account")
    subscribe(sb, receiver, fields=["mentions"], user_ids=[second.user_id])
    sb.receive_mention(username="fan")  # tags the default account: not subscribed
    sb.receive_mention(username="fan", user_id=second.user_id)
    (payload,) = notifications(sb, receiver)
    assert payload["target_id"] == second.user_id
    assert "@second_account" in value(payload)["text"]


def test_private_authors_and_owners_send_no_reply_or_mention(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    sb.seed_profile("private_person", private=True)
    (post,) = sb.seed_posts(1)
    subscribe(sb, receiver, fields=["mentions", "replies"])
    sb.receive_mention(username="private_person")  # the media is a private account's
    sb.seed_profile("sandbox_user", private=True)  # the account itself goes private
    sb.receive_reply(post["id"], username="public_fan")
    assert notifications(sb, receiver) == []


def test_replies_awaiting_approval_send_nothing(sb: ThreadsSandbox, receiver: Receiver) -> None:
    (post,) = sb.seed_posts(1, enable_reply_approvals=True)
    subscribe(sb, receiver, fields=["replies", "mentions"])
    sb.receive_reply(post["id"], "Pending @sandbox_user")
    assert notifications(sb, receiver) == []


def test_seeding_after_subscribing_sends_the_events(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver)
    (post,) = sb.seed_posts(1)
    sb.seed_replies(post["id"], 2, username="fan")
    sb.seed_mentions(1)
    fields = [p["values"]["field"] for p in notifications(sb, receiver)]
    assert fields == ["publish", "replies", "replies", "mentions"]


def test_receive_helpers_check_their_input(sb: ThreadsSandbox) -> None:
    with pytest.raises(ValueError, match="can be replied to"):
        sb.receive_reply("123")
    with pytest.raises(ValueError, match="must mention @sandbox_user"):
        sb.receive_mention("no tag here")
    with pytest.raises(ValueError, match="another user"):
        sb.receive_mention(username="sandbox_user")
    with pytest.raises(ValueError):
        sb.receive_mention("@sandbox_user " + "x" * 500)  # over Threads' 500 characters


# -- delivery, retries, threads --------------------------------------------------------------------
def test_a_failing_receiver_gets_immediate_retries_then_clock_ones(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    subscribe(sb, receiver, fields=["mentions"])
    receiver.statuses = [500, 503, 404]
    sb.receive_mention()
    (delivery,) = sb.wait_for_webhooks()
    assert delivery.state == "pending" and not delivery.delivered
    assert [a.status for a in delivery.attempts] == [500, 503, 404]
    first = delivery.attempts[0].at
    assert delivery.attempts[1].at - first >= 0.05 and delivery.attempts[2].at - first >= 0.25
    assert delivery.next_attempt_at == pytest.approx(first + 60, abs=0.01)
    sb.advance(30)
    (delivery,) = sb.wait_for_webhooks()
    assert len(delivery.attempts) == 3  # not due yet
    sb.advance(30)
    (delivery,) = sb.wait_for_webhooks()
    assert delivery.delivered and delivery.next_attempt_at is None
    assert [a.status for a in delivery.attempts] == [500, 503, 404, 200]
    bodies = {r.body for r in receiver.posts}
    assert len(receiver.posts) == 4 and len(bodies) == 1  # the same notification each time


def test_retries_stop_after_36_hours(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver, fields=["mentions"])
    receiver.statuses = [500] * 20
    sb.receive_mention()
    (delivery,) = sb.wait_for_webhooks()
    first = delivery.attempts[0].at
    sb.advance(36 * 3600 - 60)
    (delivery,) = sb.wait_for_webhooks()
    assert delivery.state == "pending" and len(delivery.attempts) == 9
    sb.advance(60)
    (delivery,) = sb.wait_for_webhooks()
    assert delivery.state == "failed" and len(delivery.attempts) == 10
    assert delivery.attempts[-1].at - first >= 36 * 3600
    sb.advance(10 * 24 * 3600)
    assert len(sb.wait_for_webhooks()[0].attempts) == 10
    assert len(receiver.posts) == 10


def test_no_answer_counts_as_a_failure(sb: ThreadsSandbox, receiver: Receiver) -> None:
    subscribe(sb, receiver, fields=["mentions"])
    receiver.close()
    sb.receive_mention()
    (delivery,) = sb.wait_for_webhooks()
    assert [a.status for a in delivery.attempts] == [0, 0, 0]
    assert all(a.error and "Connection" in a.error for a in delivery.attempts)
    assert delivery.state == "pending"


def test_the_state_lock_is_free_while_a_notification_is_sent(
    sb: ThreadsSandbox, receiver: Receiver, graph: Graph
) -> None:
    answers: list[int] = []

    def call_back(request: Received) -> None:  # a bot answering through the API
        answers.append(len(sb.posts))
        answers.append(graph.post("me/threads", media_type="TEXT", text="re").status_code)

    receiver.on_post = call_back
    subscribe(sb, receiver, fields=["mentions"])
    sb.receive_mention()
    (delivery,) = sb.wait_for_webhooks(timeout=5)
    assert delivery.delivered and answers == [1, 200]


def test_waiting_for_a_receiver_that_hangs_times_out(
    sb: ThreadsSandbox, receiver: Receiver
) -> None:
    release = threading.Event()
    receiver.on_post = lambda request: release.wait(2)
    subscribe(sb, receiver, fields=["mentions"])
    sb.receive_mention()
    with pytest.raises(TimeoutError, match="mentions"):
        sb.wait_for_webhooks(timeout=0.2)
    release.set()
    assert sb.wait_for_webhooks()[0].delivered


def test_stopping_the_sandbox_stops_its_sender(receiver: Receiver) -> None:
    before = set(threading.enumerate())
    with ThreadsSandbox() as sandbox:
        sandbox.subscribe_webhooks(receiver.url, verify_token=TOKEN)
        receiver.statuses = [500] * 5
        sandbox.receive_mention()
        sandbox.wait_for_webhooks()  # a retry stays scheduled on the clock
        (sender,) = [
            t
            for t in threading.enumerate()
            if t.name == "threads-sandbox-webhooks" and t not in before
        ]
        assert sender.is_alive()
    assert not sender.is_alive()
