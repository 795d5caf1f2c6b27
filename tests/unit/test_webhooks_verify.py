"""The subscription handshake and the X-Hub-Signature-256 check (threads-api.md §9; Meta's
Graph webhooks convention), through the framework-neutral receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging

import pytest

from threadspipepy.errors import ValidationError
from threadspipepy.webhooks import (
    HandshakeError,
    SignatureError,
    WebhookReceiver,
    answer_handshake,
    handle_request,
    signature_for,
    verify_signature,
)

SECRET = "app-secret-9f8e7d6c5b4a"
TOKEN = "verify-token-q1w2e3r4"
BODY = json.dumps(
    {
        "app_id": "1",
        "topic": "interaction",
        "target_id": "2",
        "time": 1750000000,
        "subscription_id": "3",
        "has_uid_field": False,
        "values": {"field": "publish", "value": {"id": "4", "media_type": "TEXT_POST"}},
    }
).encode()


def sha256_header(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@pytest.fixture
def receiver() -> WebhookReceiver:
    return WebhookReceiver(SECRET, TOKEN)


# -- handshake --------------------------------------------------------------------------------
def handshake_query(**params: str) -> str:
    from urllib.parse import urlencode

    return urlencode(params)


def test_handshake_echoes_the_challenge(receiver: WebhookReceiver) -> None:
    query = handshake_query(
        **{"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}
    )
    outcome = receiver.handle("GET", query, {}, b"")
    assert (outcome.kind, outcome.status, outcome.body) == ("handshake", 200, "1158201444")
    assert outcome.ok and outcome.content_type.startswith("text/plain")


def test_handshake_takes_a_mapping_of_parameters_too(receiver: WebhookReceiver) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": ["77"]}
    assert receiver.handle("get", params, {}, b"").body == "77"
    assert answer_handshake(params, TOKEN) == "77"


@pytest.mark.parametrize(
    ("params", "status", "reason"),
    [
        (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
            403,
            "match",
        ),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, 403, "hub.verify_token missing"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, 403, "missing"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": TOKEN, "hub.challenge": "1"}, 400, "mode"),
        ({"hub.verify_token": TOKEN, "hub.challenge": "1"}, 400, "hub.mode missing"),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN}, 400, "hub.challenge missing"),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "x" * 300}, 400, ""),
        ({"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "a\nb"}, 400, ""),
    ],
)
def test_handshake_refusals(
    receiver: WebhookReceiver, params: dict[str, str], status: int, reason: str
) -> None:
    outcome = receiver.handle("GET", handshake_query(**params), {}, b"")
    assert (outcome.kind, outcome.status) == ("refused", status)
    assert reason in (outcome.reason or "")
    assert outcome.body == outcome.reason
    assert TOKEN not in outcome.body and "wrong" not in outcome.body
    with pytest.raises(HandshakeError) as caught:
        answer_handshake(handshake_query(**params), TOKEN)
    assert caught.value.status == status


def test_a_repeated_token_is_refused(receiver: WebhookReceiver) -> None:
    query = f"hub.mode=subscribe&hub.verify_token={TOKEN}&hub.verify_token=x&hub.challenge=1"
    outcome = receiver.handle("GET", query, {}, b"")
    assert outcome.status == 400 and "more than once" in outcome.body


def test_without_a_verify_token_every_handshake_is_refused() -> None:
    outcome = WebhookReceiver(SECRET).handle(
        "GET", "hub.mode=subscribe&hub.verify_token=anything&hub.challenge=1", {}, b""
    )
    assert (outcome.status, outcome.kind) == (403, "refused")


# -- signatures -------------------------------------------------------------------------------
def test_a_valid_signature_gives_the_events(receiver: WebhookReceiver) -> None:
    outcome = receiver.handle("POST", "", {"X-Hub-Signature-256": sha256_header(BODY)}, BODY)
    assert (outcome.kind, outcome.status, outcome.body) == ("events", 200, "EVENT_RECEIVED")
    assert [e.id for e in outcome.events] == ["4"]
    assert signature_for(BODY, SECRET) == sha256_header(BODY)
    assert signature_for(BODY, SECRET.encode()) == sha256_header(BODY)


@pytest.mark.parametrize(
    "name", ["x-hub-signature-256", "X-HUB-SIGNATURE-256", "X-Hub-Signature-256"]
)
def test_the_header_name_is_case_insensitive(receiver: WebhookReceiver, name: str) -> None:
    assert receiver.handle("POST", "", {name: sha256_header(BODY)}, BODY).status == 200


def test_an_upper_case_digest_matches(receiver: WebhookReceiver) -> None:
    upper = "sha256=" + sha256_header(BODY)[7:].upper()
    assert receiver.handle("POST", "", {"X-Hub-Signature-256": upper}, BODY).status == 200


def refusal(receiver: WebhookReceiver, headers: dict[str, str], body: bytes = BODY) -> str:
    outcome = receiver.handle("POST", "", headers, body)
    assert (outcome.kind, outcome.status, outcome.events) == ("refused", 403, ())
    return outcome.body


def test_a_tampered_body_is_refused(receiver: WebhookReceiver) -> None:
    tampered = BODY.replace(b'"4"', b'"5"')
    assert "does not match" in refusal(
        receiver, {"X-Hub-Signature-256": sha256_header(BODY)}, tampered
    )


def test_a_signature_made_with_another_secret_is_refused(receiver: WebhookReceiver) -> None:
    assert "does not match" in refusal(
        receiver, {"X-Hub-Signature-256": sha256_header(BODY, "another-secret")}
    )


def test_a_missing_signature_is_refused(receiver: WebhookReceiver) -> None:
    assert "missing" in refusal(receiver, {"Content-Type": "application/json"})
    assert "missing" in refusal(receiver, {"X-Hub-Signature-256": ""})


@pytest.mark.parametrize(
    "value",
    [
        "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest(),
        "md5=" + hashlib.md5(BODY).hexdigest(),
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest(),  # no prefix
        "sha512=" + hmac.new(SECRET.encode(), BODY, hashlib.sha512).hexdigest(),
    ],
)
def test_another_algorithm_prefix_is_refused(receiver: WebhookReceiver, value: str) -> None:
    assert "must start with sha256=" in refusal(receiver, {"X-Hub-Signature-256": value})


def test_a_digest_that_is_not_hex_is_refused(receiver: WebhookReceiver) -> None:
    assert "not a SHA-256 hex digest" in refusal(
        receiver, {"X-Hub-Signature-256": "sha256=" + "z" * 64}
    )
    assert "not a SHA-256 hex digest" in refusal(receiver, {"X-Hub-Signature-256": "sha256=ab"})


def test_a_sha1_header_alone_is_refused(receiver: WebhookReceiver) -> None:
    sha1 = "sha1=" + hmac.new(SECRET.encode(), BODY, hashlib.sha1).hexdigest()
    assert "SHA-1" in refusal(receiver, {"X-Hub-Signature": sha1})
    both = {"X-Hub-Signature": sha1, "X-Hub-Signature-256": sha256_header(BODY)}
    assert receiver.handle("POST", "", both, BODY).status == 200


def test_the_signature_is_checked_before_the_body_is_parsed(receiver: WebhookReceiver) -> None:
    garbage = b"{not json"
    assert refusal(receiver, {"X-Hub-Signature-256": sha256_header(BODY)}, garbage)
    signed = receiver.handle("POST", "", {"X-Hub-Signature-256": sha256_header(garbage)}, garbage)
    assert (signed.status, signed.kind) == (400, "refused")
    assert "not valid UTF-8 JSON" in signed.body


class FrameworkHeaders:
    """Headers the way some frameworks hold them: not a Mapping, but with items() and []."""

    def __init__(self, **values: str) -> None:
        self._values = {k.replace("_", "-"): v for k, v in values.items()}

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in (k.lower() for k in self._values)

    def __getitem__(self, name: str) -> str:
        return next(v for k, v in self._values.items() if k.lower() == name.lower())

    def items(self) -> list[tuple[str, str]]:
        return list(self._values.items())


def test_verify_signature_takes_the_header_value_or_the_headers() -> None:
    verify_signature(BODY, sha256_header(BODY), SECRET)
    verify_signature(BODY, {"x-hub-signature-256": sha256_header(BODY)}, SECRET)
    headers = FrameworkHeaders(X_Hub_Signature_256=sha256_header(BODY))
    verify_signature(BODY, headers, SECRET)  # type: ignore[arg-type]
    with pytest.raises(SignatureError) as caught:
        verify_signature(BODY, None, SECRET)
    assert caught.value.status == 403


# -- size, methods ----------------------------------------------------------------------------
def test_a_body_over_the_limit_is_refused_before_the_signature() -> None:
    receiver = WebhookReceiver(SECRET, TOKEN, max_body_bytes=len(BODY))
    signed = {"X-Hub-Signature-256": sha256_header(BODY)}
    assert receiver.handle("POST", "", signed, BODY).status == 200  # exactly the limit
    bigger = BODY + b" "
    outcome = receiver.handle("POST", "", {"X-Hub-Signature-256": sha256_header(bigger)}, bigger)
    assert (outcome.status, outcome.kind) == (413, "refused")
    assert str(len(BODY)) in outcome.body


@pytest.mark.parametrize("method", ["PUT", "DELETE", "HEAD", "PATCH"])
def test_other_methods_are_refused(receiver: WebhookReceiver, method: str) -> None:
    outcome = receiver.handle(method, "", {}, b"")
    assert outcome.status == 405 and outcome.headers["Allow"] == "GET, POST"


def test_handle_request_is_the_receiver_in_one_call() -> None:
    headers = {"X-Hub-Signature-256": sha256_header(BODY)}
    outcome = handle_request("POST", "", headers, BODY, app_secret=SECRET)
    assert outcome.status == 200 and len(outcome.events) == 1
    small = handle_request("POST", "", headers, BODY, app_secret=SECRET, max_body_bytes=10)
    assert small.status == 413


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"app_secret": ""}, "app_secret"),
        ({"app_secret": SECRET, "verify_token": ""}, "verify_token"),
        ({"app_secret": SECRET, "max_body_bytes": 0}, "max_body_bytes"),
        ({"app_secret": SECRET, "max_body_bytes": True}, "max_body_bytes"),
    ],
)
def test_bad_settings_name_the_parameter(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        WebhookReceiver(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


# -- secrets ------------------------------------------------------------------------------------
def test_secrets_never_reach_reprs_reasons_or_logs(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="threadspipepy")
    assert SECRET not in repr(receiver) and TOKEN not in repr(receiver)
    assert set(receiver.secrets()) == {SECRET, TOKEN}
    outcomes = [
        receiver.handle(
            "GET", f"hub.mode=subscribe&hub.verify_token={TOKEN}x&hub.challenge=1", {}, b""
        ),
        receiver.handle(
            "GET", f"hub.mode=subscribe&hub.verify_token={TOKEN}&hub.challenge=9", {}, b""
        ),
        receiver.handle(
            "POST", "", {"X-Hub-Signature-256": sha256_header(BODY, SECRET + "x")}, BODY
        ),
        receiver.handle("POST", "", {"X-Hub-Signature-256": sha256_header(BODY)}, BODY),
    ]
    seen = " ".join(repr(o) for o in outcomes) + caplog.text
    assert caplog.records, "refusals are logged"
    assert SECRET not in seen and TOKEN not in seen
    assert sha256_header(BODY)[7:] not in seen  # nor the signature expected
