"""`webhooks listen`: a local webhook receiver that prints each verified event.

It serves `threadspipepy.webhooks.make_wsgi_app` with wsgiref on 127.0.0.1 (put a tunnel in
front of it to let Meta reach it), answers the subscription handshake, refuses what fails a
check (one `warning:` line on stderr each), and prints every verified event: a line each, or
with --json one JSON object per line. The app secret and verify token come from options, the
environment or the --env-file, and are never printed. It runs until Ctrl-C (or SIGTERM, or
--count events), then exits 0; 1 when the port cannot be opened, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..webhooks import (
    DEFAULT_MAX_BODY_BYTES,
    DeleteEvent,
    MemorySeenStore,
    MentionEvent,
    Outcome,
    PublishEvent,
    ReplyEvent,
    WebhookEvent,
    WebhookReceiver,
    make_wsgi_app,
)
from ._auth import APP_SECRET_ENV, Settings
from ._console import EXIT_API_ERROR, EXIT_OK, Console, UsageError
from ._context import Command, Context, add_json_option

VERIFY_TOKEN_ENV = "THREADS_WEBHOOK_VERIFY_TOKEN"
HOST = "127.0.0.1"
DEFAULT_PORT = 8000
log = logging.getLogger("threadspipepy.webhooks")


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535 (0: any free port); got {port}")
    return port


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1; got {value}")
    return value


def _configure(parser: argparse.ArgumentParser) -> None:
    options: dict[str, Any] = {"color": False} if sys.version_info >= (3, 14) else {}
    actions = parser.add_subparsers(dest="webhooks_action", metavar="ACTION", title="actions")
    actions.required = True
    listen = actions.add_parser(
        "listen",
        help="serve a webhook receiver on 127.0.0.1 and print each verified event",
        description="Serve a Threads webhook receiver on 127.0.0.1: it answers Meta's "
        "subscription handshake (hub.verify_token), checks each notification's "
        "X-Hub-Signature-256 with the app secret, and prints every verified event. Put a "
        "tunnel in front of it to receive Meta's notifications while you develop.",
        **options,
    )
    add_json_option(listen)
    listen.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_PORT,
        help=f"the port on 127.0.0.1 (default {DEFAULT_PORT}; 0 picks a free one)",
    )
    listen.add_argument(
        "--verify-token",
        "--verify_token",
        dest="verify_token",
        metavar="TOKEN",
        help=f"the verify token set next to the callback URL (default ${VERIFY_TOKEN_ENV})",
    )
    listen.add_argument(
        "--app-secret",
        "--app_secret",
        dest="app_secret",
        metavar="SECRET",
        help=f"the Threads App Secret that signs notifications (default ${APP_SECRET_ENV}, "
        "which keeps it out of your shell history)",
    )
    listen.add_argument("--path", help="answer on this path only, e.g. /webhooks (default: any)")
    listen.add_argument(
        "--max-body",
        type=_positive,
        default=DEFAULT_MAX_BODY_BYTES,
        metavar="BYTES",
        help=f"refuse larger bodies with 413 (default {DEFAULT_MAX_BODY_BYTES})",
    )
    listen.add_argument("--count", type=_positive, metavar="N", help="exit after N verified events")


# -- output -------------------------------------------------------------------------------------
def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def event_line(event: WebhookEvent) -> str:
    """One human line for an event."""
    if isinstance(event, MentionEvent):
        return f"mention {event.id} from @{event.username}: {_flat(event.text)}"
    if isinstance(event, ReplyEvent):
        return (
            f"reply {event.id} from @{event.username} to {event.replied_to_id}: {_flat(event.text)}"
        )
    if isinstance(event, PublishEvent):
        return f"publish {event.id} by @{event.username} ({event.media_type}) {event.permalink}"
    if isinstance(event, DeleteEvent):
        when = event.deleted_at.isoformat() if event.deleted_at else "an unknown time"
        return f"delete {event.id} by @{event.username} at {when}"
    value = json.dumps(event.as_dict()["value"], sort_keys=True)
    return f"{event.field or 'unknown'} {event.id or '-'} (topic {event.topic}): {value}"


class _Printer:
    """Shows each outcome; counts events for --count and marks redeliveries."""

    def __init__(self, console: Console, count: int | None) -> None:
        self.console = console
        self.remaining = count
        self._seen = MemorySeenStore()

    @property
    def done(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def __call__(self, outcome: Outcome) -> None:
        if outcome.kind == "refused":
            self.console.progress(f"refused ({outcome.status}): {outcome.reason}", warning=True)
        elif outcome.kind == "handshake":
            self._progress("answered the subscription handshake")
        for event in outcome.events:
            self._show(event)

    def _show(self, event: WebhookEvent) -> None:
        again = not self._seen.claim(event.dedupe_key)
        if self.console.json_mode:
            self.console.document({**event.as_dict(), "redelivered": again})
        else:
            self.console.result(event_line(event) + (" (redelivered)" if again else ""))
        if self.remaining is not None:
            self.remaining -= 1

    def _progress(self, text: str) -> None:
        if not self.console.quiet:
            self.console.progress(text)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("listen: %s", format % args)


class _Stop(Exception):
    """SIGTERM: end the loop as Ctrl-C does."""


@contextmanager
def _sigterm_stops() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: object) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# -- run ----------------------------------------------------------------------------------------
def _receiver(args: argparse.Namespace, console: Console) -> WebhookReceiver:
    if args.sandbox:
        raise UsageError(
            "--sandbox cannot be used with webhooks listen: point the sandbox at the listener "
            "instead (ThreadsSandbox.subscribe_webhooks, see docs/14-webhooks.md)"
        )
    settings = Settings(args)
    secret = settings.require(args.app_secret, APP_SECRET_ENV, "--app-secret")
    token = settings.require(args.verify_token, VERIFY_TOKEN_ENV, "--verify-token")
    console.add_secrets([secret, token])
    return WebhookReceiver(secret, token, max_body_bytes=args.max_body)


def _run_listen(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    receiver = _receiver(args, console)
    console.lines = True
    console.json_array = False  # events never end: always JSON lines
    printer = _Printer(console, args.count)
    app = make_wsgi_app(receiver, path=args.path, on_outcome=printer)
    try:
        server = make_server(HOST, args.port, app, handler_class=_QuietHandler)
    except OSError as exc:
        console.error(f"cannot listen on {HOST}:{args.port}: {exc.strerror or exc}")
        return EXIT_API_ERROR
    url = f"http://{HOST}:{server.server_port}{args.path or '/'}"
    with server:
        return _serve(server, url, printer, console)


def _serve(server: WSGIServer, url: str, printer: _Printer, console: Console) -> int:
    server.timeout = 0.2  # handle_request returns this often to check --count
    try:
        with _sigterm_stops():  # before the "Listening" line: a caller may signal at once
            if not console.quiet:
                console.progress(f"Listening on {url} for Threads webhooks (Ctrl-C to stop)")
            while not printer.done:
                server.handle_request()
    except (KeyboardInterrupt, _Stop):
        pass
    if not console.quiet:
        console.progress("stopped")
    return EXIT_OK


def _run(ctx: Context) -> int:
    if ctx.args.webhooks_action == "listen":
        return _run_listen(ctx)
    raise UsageError(f"unknown webhooks action {ctx.args.webhooks_action!r}")  # argparse stops it


WEBHOOK_COMMANDS: dict[str, Command] = {
    "webhooks": Command(
        help="receive Threads webhooks locally (webhooks listen)",
        description="Receive Threads webhooks: `webhooks listen --port N --verify-token T` "
        f"serves a receiver on {HOST} (app secret from --app-secret or ${APP_SECRET_ENV}) "
        "and prints each verified event.",
        configure=_configure,
        run=_run,
        options={
            "app_secret": "--app-secret",
            "verify_token": "--verify-token",
            "max_body_bytes": "--max-body",
        },
    ),
}
