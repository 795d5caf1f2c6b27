"""A plain PEP 3333 application around `WebhookReceiver`: wsgiref, gunicorn, waitress, any
WSGI server. It answers the handshake, refuses what fails a check, and hands each verified
event to your handler (deduplicated if you pass a `Deduplicator`) before answering 200; a
handler that raises makes the answer 500, so Meta delivers the notification again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._dedupe import Deduplicator
from ._receiver import Handler, Outcome, WebhookReceiver, dispatch

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("threadspipepy.webhooks")
_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
    500: "Internal Server Error",
}


def request_headers(environ: WSGIEnvironment) -> dict[str, str]:
    """The request headers from a WSGI environ (HTTP_X_HUB_SIGNATURE_256 -> X-Hub-...)."""
    headers = {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").title()] = str(environ[key])
    return headers


def read_body(environ: WSGIEnvironment, limit: int) -> bytes | None:
    """The raw body, or None when it is larger than `limit` (checked before reading when the
    length is declared). Without a Content-Length the body is read only if the server says
    the stream ends (`wsgi.input_terminated`, chunked uploads); otherwise it is empty."""
    stream = environ["wsgi.input"]
    declared = environ.get("CONTENT_LENGTH") or ""
    if declared.strip():
        try:
            length = int(declared)
        except ValueError:
            return b""
        if length > limit:
            return None
        return bytes(stream.read(length)) if length > 0 else b""
    if not environ.get("wsgi.input_terminated"):
        return b""
    data = bytes(stream.read(limit + 1))
    return None if len(data) > limit else data


def make_wsgi_app(
    receiver: WebhookReceiver,
    handler: Handler | None = None,
    *,
    dedupe: Deduplicator | None = None,
    path: str | None = None,
    on_outcome: Callable[[Outcome], object] | None = None,
) -> WSGIApplication:
    """A WSGI application serving `receiver`.

    `handler(event)` is called for every verified event before the 200 answer (keep it quick:
    Meta expects a prompt answer; queue long work). `dedupe` skips redelivered events.
    `path` restricts the app to one path (404 elsewhere); default: any path. `on_outcome`
    sees every answer before it is sent (handshakes, refusals, events), for logs or metrics.
    """

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        if path is not None and environ.get("PATH_INFO", "") != path:
            outcome = Outcome.refused(404, "not the webhook path")
        else:
            body = read_body(environ, receiver.max_body_bytes) if method == "POST" else b""
            if body is None:
                outcome = receiver.too_large()
            else:
                query = str(environ.get("QUERY_STRING", ""))
                outcome = receiver.handle(method, query, request_headers(environ), body)
            if outcome.events and handler is not None:
                outcome = _run_handler(outcome, handler, dedupe)
        if on_outcome is not None:
            on_outcome(outcome)
        return _respond(outcome, start_response)

    return app


def _run_handler(outcome: Outcome, handler: Handler, dedupe: Deduplicator | None) -> Outcome:
    try:
        dispatch(outcome.events, handler, dedupe)
    except Exception:
        log.exception("webhook handler failed; answering 500 so that Meta retries")
        return Outcome.refused(500, "the handler failed")
    return outcome


def _respond(outcome: Outcome, start_response: StartResponse) -> list[bytes]:
    payload = outcome.body.encode("utf-8")
    status = f"{outcome.status} {_REASONS.get(outcome.status, 'Status')}"
    headers: list[tuple[str, Any]] = [
        ("Content-Type", outcome.content_type),
        ("Content-Length", str(len(payload))),
        *outcome.headers.items(),
    ]
    start_response(status, headers)
    return [payload]
