"""Threads webhooks: verify, parse and dispatch Meta's notifications (standard library only).

A pure core and thin adapters; nothing here imports the posting side of the library.

- `WebhookReceiver(app_secret, verify_token).handle(method, query, headers, body)` answers
  the subscription handshake and verifies a notification's `X-Hub-Signature-256` before
  parsing it, returning an `Outcome` (status, body, events or a refusal reason);
- `ReplyEvent`, `MentionEvent`, `PublishEvent`, `DeleteEvent` (and `GenericEvent` for what
  this version does not know) are frozen, typed events, one per notification value;
- `make_wsgi_app(receiver, handler, dedupe=Deduplicator())` serves it under any WSGI server;
- `Deduplicator` with a `SeenStore` (`MemorySeenStore` by default) handles redeliveries once.

See docs/14-webhooks.md.
"""

from __future__ import annotations

from ._dedupe import DEFAULT_MAX_KEYS, DEFAULT_TTL, Deduplicator, MemorySeenStore, SeenStore
from ._events import (
    DELETE,
    EVENT_CLASSES,
    MENTIONS,
    PUBLISH,
    REPLIES,
    SCOPES,
    TOPICS,
    DeleteEvent,
    GenericEvent,
    MentionEvent,
    PayloadError,
    PostEvent,
    PublishEvent,
    ReplyEvent,
    WebhookError,
    WebhookEvent,
    parse_payload,
)
from ._receiver import (
    ACCEPTED_BODY,
    DEFAULT_MAX_BODY_BYTES,
    Handler,
    Outcome,
    WebhookReceiver,
    dispatch,
    handle_request,
)
from ._verify import (
    SHA1_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    HandshakeError,
    SignatureError,
    answer_handshake,
    signature_for,
    verify_signature,
)
from ._wsgi import make_wsgi_app

__all__ = [
    "ACCEPTED_BODY",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_KEYS",
    "DEFAULT_TTL",
    "DELETE",
    "EVENT_CLASSES",
    "MENTIONS",
    "PUBLISH",
    "REPLIES",
    "SCOPES",
    "SHA1_SIGNATURE_HEADER",
    "SIGNATURE_HEADER",
    "TOPICS",
    "Deduplicator",
    "DeleteEvent",
    "GenericEvent",
    "Handler",
    "HandshakeError",
    "MemorySeenStore",
    "MentionEvent",
    "Outcome",
    "PayloadError",
    "PostEvent",
    "PublishEvent",
    "ReplyEvent",
    "SeenStore",
    "SignatureError",
    "WebhookError",
    "WebhookEvent",
    "WebhookReceiver",
    "answer_handshake",
    "dispatch",
    "handle_request",
    "make_wsgi_app",
    "parse_payload",
    "signature_for",
    "verify_signature",
]
