"""The framework-neutral receiver: a request in (method, query, headers, raw body), an
`Outcome` out (the handshake's answer, the verified events, or a refusal with its status).

Order of the checks for a notification: body size, then the signature over the raw bytes,
and only then JSON parsing, so that nothing unauthenticated is ever parsed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from ..errors import ValidationError
from ._dedupe import Deduplicator
from ._events import WebhookError, WebhookEvent, parse_payload
from ._verify import Query, answer_handshake, verify_signature

log = logging.getLogger("threadspipepy.webhooks")

# Meta sends one value per Threads notification and batches at most 1000 updates in Graph
# webhooks; 1 MiB is far above either, and bounds what an unauthenticated client can send.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
TEXT_PLAIN = "text/plain; charset=utf-8"
ACCEPTED_BODY = "EVENT_RECEIVED"
Kind = Literal["handshake", "events", "refused"]


@dataclass(frozen=True)
class Outcome:
    """What to answer: `status`, `body` (text/plain) and `headers`; with the `events` of a
    verified notification (kind "events"), the challenge (kind "handshake"), or the `reason`
    of a refusal (kind "refused": status 4xx, or 500 from an adapter whose handler failed)."""

    kind: Kind
    status: int
    body: str
    events: tuple[WebhookEvent, ...] = ()
    reason: str | None = None
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    content_type: str = TEXT_PLAIN

    @property
    def ok(self) -> bool:
        return self.kind != "refused"

    @classmethod
    def refused(cls, status: int, reason: str, **headers: str) -> Outcome:
        return cls(
            "refused", status, reason, reason=reason, headers=MappingProxyType(dict(headers))
        )


class WebhookReceiver:
    """Verifies and parses Threads webhook requests; holds the app secret and verify token.

    `app_secret`: the Threads App Secret (App Dashboard > App settings > Basic), the key of
    every notification's signature. `verify_token`: the token you typed next to the callback
    URL in the dashboard; None refuses every handshake. `max_body_bytes`: larger bodies are
    refused with 413 before anything else. Neither secret appears in the repr, the logs or
    any refusal reason.
    """

    def __init__(
        self,
        app_secret: str | bytes,
        verify_token: str | None = None,
        *,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if not app_secret or not isinstance(app_secret, (str, bytes)):
            raise ValidationError(
                "app_secret is required: the Threads App Secret (App Dashboard > App settings "
                "> Basic), which signs every notification",
                parameter="app_secret",
            )
        if verify_token is not None and (not isinstance(verify_token, str) or not verify_token):
            raise ValidationError(
                "verify_token must be the non-empty token set next to the callback URL",
                parameter="verify_token",
            )
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise ValidationError("max_body_bytes must be an integer", parameter="max_body_bytes")
        if max_body_bytes < 1:
            raise ValidationError("max_body_bytes must be positive", parameter="max_body_bytes")
        self._app_secret = app_secret
        self._verify_token = verify_token
        self.max_body_bytes = max_body_bytes

    def __repr__(self) -> str:
        token = "***" if self._verify_token is not None else None
        return (
            f"WebhookReceiver(app_secret='***', verify_token={token!r}, "
            f"max_body_bytes={self.max_body_bytes})"
        )

    def secrets(self) -> tuple[str, ...]:
        """The secret strings this receiver holds, for masking output (a CLI, a log filter)."""
        values = (self._app_secret, self._verify_token)
        return tuple(v for v in values if isinstance(v, str) and v)

    def handle(self, method: str, query: Query, headers: Mapping[str, str], body: bytes) -> Outcome:
        """Answer one request: GET is the subscription handshake, POST a notification.

        `query` is the raw query string (or its parameters), `headers` the request headers
        (any case), `body` the raw bytes exactly as received (never re-serialized JSON: the
        signature covers the bytes). Anything else is refused with 405.
        """
        verb = method.upper()
        if verb == "GET":
            outcome = self._handshake(query)
        elif verb == "POST":
            outcome = self._notification(headers, body)
        else:
            outcome = Outcome.refused(405, f"method {verb} not allowed", Allow="GET, POST")
        if outcome.kind == "refused":
            log.info("webhook request refused (%d): %s", outcome.status, outcome.reason)
        return outcome

    def _handshake(self, query: Query) -> Outcome:
        if self._verify_token is None:
            return Outcome.refused(403, "subscription handshakes are not enabled (no verify token)")
        try:
            challenge = answer_handshake(query, self._verify_token)
        except WebhookError as exc:
            return Outcome.refused(exc.status, str(exc))
        log.info("webhook subscription handshake answered")
        return Outcome("handshake", 200, challenge)

    def _notification(self, headers: Mapping[str, str], body: bytes) -> Outcome:
        if len(body) > self.max_body_bytes:
            return self.too_large()
        try:
            verify_signature(body, headers, self._app_secret)
            events = parse_payload(body)
        except WebhookError as exc:
            return Outcome.refused(exc.status, str(exc))
        log.debug("webhook notification verified: %d event(s)", len(events))
        return Outcome("events", 200, ACCEPTED_BODY, events=events)

    def too_large(self) -> Outcome:
        """The refusal for a body over `max_body_bytes` (adapters use it before reading)."""
        return Outcome.refused(413, f"body larger than {self.max_body_bytes} bytes")


def handle_request(
    method: str,
    query: Query,
    headers: Mapping[str, str],
    body: bytes,
    *,
    app_secret: str | bytes,
    verify_token: str | None = None,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> Outcome:
    """`WebhookReceiver(app_secret, verify_token, max_body_bytes=...).handle(...)` in one call."""
    receiver = WebhookReceiver(app_secret, verify_token, max_body_bytes=max_body_bytes)
    return receiver.handle(method, query, headers, body)


Handler = Callable[[WebhookEvent], Any]


def dispatch(
    events: Iterable[WebhookEvent], handler: Handler, dedupe: Deduplicator | None = None
) -> int:
    """Call `handler` on each event in order, skipping those `dedupe` has seen; returns how
    many were handled. If the handler raises, that event's claim is given back and the
    exception propagates: answer 500 so that Meta delivers the notification again."""
    handled = 0
    for event in events:
        if dedupe is None:
            handler(event)
            handled += 1
            continue
        with dedupe.processing(event) as fresh:
            if fresh:
                handler(event)
                handled += 1
    return handled
