"""The HTTP side: a ThreadingHTTPServer, request parsing, fault handling, the request log."""

from __future__ import annotations

import json
import logging
import re
import socket
import struct
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ._errors import GraphError
from ._faults import FaultRegistry, fault_response
from ._github import GitHubApp
from ._graph import GraphApp
from ._oauth import OAuthService
from ._probe import answer_probe, is_probe
from ._records import Headers, Incoming, RecordedRequest, Response
from ._state import SandboxState

log = logging.getLogger("threadspipepy.testing")
_VERSION_RE = re.compile(r"v\d+(\.\d+)?")

# GitHub accepts files up to 100 MB, i.e. about 134 MB of base64 JSON; refuse much more unread.
MAX_BODY_BYTES = 160 * 1024 * 1024
# A held request is released after this long even if the test never releases it.
MAX_HOLD_SECONDS = 120.0
_SECRET_RE = re.compile(r"(access_token|client_secret|code|input_token)=[^&\s'\"]*", re.I)


def redact(text: str) -> str:
    return _SECRET_RE.sub(r"\1=***", text)


class Dispatcher:
    """Turns an Incoming request into a Response: faults first, then the fake services."""

    def __init__(self, state: SandboxState, faults: FaultRegistry, latency: float = 0.0) -> None:
        self.state = state
        self.faults = faults
        self.latency = latency  # real seconds added before answering every request
        self.oauth = OAuthService(state)
        self.graph = GraphApp(state, self.oauth)
        self.github = GitHubApp(state)

    def respond(self, req: Incoming) -> Response:
        if self.latency > 0:
            time.sleep(self.latency)  # real time, outside the lock: requests overlap
        if req.method == "POST" and req.path.rstrip("/").endswith("/threads_publish"):
            with self.state.lock:
                self.state.publish_attempts += 1
        fault = self.faults.take(req.method, req.raw_path, req.params())
        if fault is not None and fault.kind == "delay" and not fault.after:
            time.sleep(fault.seconds)  # real time, outside the lock
            fault = None
        elif fault is not None and fault.kind == "hold" and fault.held is not None:
            fault.held._hold(MAX_HOLD_SECONDS)  # outside the lock: other requests go on
            fault = None
        if fault is not None and not fault.after:
            return fault_response(fault, req.raw_path)
        if self.state.fetcher.hosts:
            self._fetch_external_media(req)  # real HTTP, outside the lock
        try:
            with self.state.lock:
                response = self._route(req)
        except Exception:  # a handler bug must still produce an answer, never a hung socket
            log.exception("sandbox handler failed for %s %s", req.method, req.raw_path)
            error = GraphError("An unknown error occurred", code=1, status=500, is_transient=True)
            response = Response.json(500, error.body())
        if fault is not None and fault.kind == "delay":  # done at once, answered late
            time.sleep(fault.seconds)
            return response
        if fault is not None:  # after=True: the request took effect, the answer is lost
            return fault_response(fault, req.raw_path)
        return response

    def _fetch_external_media(self, req: Incoming) -> None:
        """GET media on the other local servers the sandbox was told to fetch from: a new
        container's URL, and the URL of every container whose processing has just ended."""
        state, fetcher = self.state, self.state.fetcher
        if req.method == "POST" and req.path.rstrip("/").endswith("/threads"):
            params = req.params()
            for name in ("image_url", "video_url"):
                url = params.get(name)
                if url and fetcher.covers(url):
                    state.record_fetch(fetcher.fetch(url, "create"))
        for container_id, url in state.due_fetches():
            fetched = None
            try:
                fetched = fetcher.fetch(url, "processing")
            finally:
                state.processing_fetched(container_id, fetched)

    def _route(self, req: Incoming) -> Response:
        if req.path == "/github" or req.path.startswith("/github/"):
            return self.github.handle(req)
        if req.path.startswith(("/raw/", "/media/")):
            return self.github.serve_static(req)
        if is_probe(req):
            return answer_probe(self.state, req)
        if self.oauth.handles(req):
            return self.oauth.handle(req)
        return self.graph.handle(req)

    def record(self, seq: int, req: Incoming, response: Response) -> None:
        entry = RecordedRequest(
            method=req.method,
            path=req.raw_path,
            query=dict(req.query),
            form=dict(req.form),
            json=req.json,
            headers=req.headers,
            status=0 if response.drop else response.status,
            body_size=len(req.body),
            kind=self.classify(req),
        )
        with self.state.lock:
            self.state.log.append((seq, entry))

    def classify(self, req: Incoming) -> str:
        """The kind of request, for stats(): by method and path pattern."""
        if req.path == "/github" or req.path.startswith("/github/"):
            return "github"
        if req.path.startswith(("/raw/", "/media/")) or is_probe(req):
            return "static"
        if self.oauth.handles(req):
            return "other"
        segments = [s for s in req.path.split("/") if s]
        if segments and _VERSION_RE.fullmatch(segments[0]):
            segments = segments[1:]
        method = "GET" if req.method == "HEAD" else req.method
        last = segments[-1] if segments else ""
        if len(segments) == 2:
            kinds = {
                ("POST", "threads"): "create",
                ("POST", "threads_publish"): "publish",
                ("GET", "threads_publishing_limit"): "quota",
                ("POST", "repost"): "repost",
            }
            kind = kinds.get((method, last))
            if kind is not None:
                return kind
        if len(segments) == 1 and method == "DELETE":
            return "delete"
        if method != "GET" or not 1 <= len(segments) <= 2:
            return "other"
        with self.state.lock:
            if len(segments) == 1 and (last in self.state.containers or last in self.state.lost):
                return "status"
        return "read"


class SandboxHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # parallel clients must not hit a full backlog (1 s SYN retry)

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        super().__init__(("127.0.0.1", 0), SandboxHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal in fault tests; keep stderr quiet.
        log.debug("connection error from %s", client_address, exc_info=True)


class SandboxHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ThreadsSandbox/1.0"
    sys_version = ""
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        log.debug(redact(format % args))

    def _serve(self) -> None:
        dispatcher = self.server.dispatcher
        seq = dispatcher.state.next_seq()
        self.close_connection = True  # one request per connection: stop() leaves no live socket
        split = urlsplit(self.path)
        headers = Headers(self.headers.items())
        try:
            body = self._read_body()
        except (_TooLarge, ValueError) as exc:
            req = _incoming(self.command, split.path, split.query, headers, b"")
            response = (
                Response.json(413, {"message": "Request body too large"})
                if isinstance(exc, _TooLarge)
                else Response.text(400, "400: Bad Request (unreadable body)")
            )
            dispatcher.record(seq, req, response)
            self._write(response)
            return
        except OSError:
            return  # the client went away mid-request
        req = _incoming(self.command, split.path, split.query, headers, body)
        response = dispatcher.respond(req)
        dispatcher.record(seq, req, response)  # before answering, so tests see it at once
        self._write(response)

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY_BYTES:
                    raise _TooLarge
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise _TooLarge
        data = self.rfile.read(length) if length > 0 else b""
        if len(data) != length:
            raise ValueError("body shorter than Content-Length")
        return data

    def _write(self, response: Response) -> None:
        try:
            if response.drop and response.reset:
                # SO_LINGER 0: close() sends RST, as a crashed proxy or middlebox does.
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
                return
            if response.drop:
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(response.body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except OSError:
            log.debug("client went away before the answer was written")


class _TooLarge(Exception):
    pass


def _flat(pairs: dict[str, list[str]]) -> dict[str, str]:
    # Repeated keys (allowlisted_country_codes=US&allowlisted_country_codes=CA) join with commas.
    return {key: ",".join(values) for key, values in pairs.items()}


def _incoming(method: str, raw_path: str, query: str, headers: Headers, body: bytes) -> Incoming:
    content_type = headers.get("Content-Type", "") or ""
    form: dict[str, str] = {}
    parsed_json: Any = None
    lowered = content_type.lower()
    if "application/x-www-form-urlencoded" in lowered:
        form = _flat(parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True))
    elif "multipart/form-data" in lowered:
        form = _multipart(content_type, body)
    elif body and ("json" in lowered or (not lowered and body.lstrip()[:1] in (b"{", b"["))):
        try:
            parsed_json = json.loads(body)
        except ValueError:
            parsed_json = None
    return Incoming(
        method=method.upper(),
        path=unquote(raw_path),
        raw_path=raw_path,
        query=_flat(parse_qs(query, keep_blank_values=True)),
        form=form,
        json=parsed_json,
        headers=headers,
        body=body,
    )


def _multipart(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        return fields
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename:
            fields[name] = f"<file {filename}: {len(data)} bytes>"
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields
