"""Against the sandbox nothing leaves the machine, not even the HEAD that types a media URL.

A media URL without a file extension is typed by a HEAD request. With a loopback Threads base
URL (the sandbox, `--sandbox`, `ThreadsSandbox.client()`), a URL on another host is asked about
at the stand-in's `/media-probe` instead. Every test here runs with connections and DNS lookups
to anything but loopback made to fail, and checks that none was attempted.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.cli import main
from threadspipepy.testing import ThreadsSandbox
from threadspipepy.validation import host_is_loopback

NO_DELAYS = {"IMAGE": 0.0, "VIDEO": 0.0, "CAROUSEL": 0.0}
UNTYPED = "https://cdn.example.com/photos/latest"


@pytest.fixture
def outside(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every attempt to reach a host that is not loopback (each one fails)."""
    attempts: list[Any] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else str(address)
        if not host_is_loopback(host):
            attempts.append(address)
            raise OSError(f"test: no connection to {host}")
        real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not host_is_loopback(str(host)):
            attempts.append(host)
            raise socket.gaierror(f"test: no DNS lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


@pytest.fixture
def sandbox() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox(processing_delays=NO_DELAYS) as sb:
        yield sb


def created(sb: ThreadsSandbox) -> list[dict[str, str]]:
    return [r.params for r in sb.requests_to("POST", "/v1.0/*/threads")]


def test_the_guard_catches_a_connection_to_the_internet(outside: list[Any]) -> None:
    with pytest.raises(OSError, match="no DNS lookup"):
        socket.create_connection(("cdn.example.com", 443), timeout=1)
    assert outside == ["cdn.example.com"]


def test_an_untyped_url_is_typed_by_the_sandbox_not_by_its_host(
    sandbox: ThreadsSandbox, outside: list[Any]
) -> None:
    with sandbox.client() as tp:
        result = tp.pipe("An untyped URL", files=[UNTYPED])
    assert result.ok, result
    assert outside == []
    (probe,) = sandbox.requests_to("HEAD", "/media-probe")
    assert probe.query == {"url": UNTYPED}
    assert created(sandbox)[0]["media_type"] == "IMAGE"  # the sandbox's default: image/jpeg


def test_the_sandbox_answers_from_the_types_a_test_sets(
    sandbox: ThreadsSandbox, outside: list[Any]
) -> None:
    clip, page, gone = UNTYPED + "-clip", UNTYPED + "-page", UNTYPED + "-gone"
    sandbox.set_media_type(clip, "video/mp4")
    sandbox.set_media_type(page, "text/html; charset=utf-8")
    sandbox.set_media_type(gone, None)
    with sandbox.client() as tp:
        assert tp.pipe("A clip", files=[clip]).ok
        assert created(sandbox)[-1]["media_type"] == "VIDEO"
        with pytest.raises(ValidationError, match="not an image or video") as html:
            tp.pipe("A page", files=[clip, page])
        with pytest.raises(ValidationError, match=r"HTTP 404 to its media probe") as missing:
            tp.pipe("Gone", files=[clip, clip, gone])
    assert (html.value.parameter, missing.value.parameter) == ("files[1]", "files[2]")
    assert "files[2]" in str(missing.value)
    assert len(created(sandbox)) == 1 and outside == []


def test_a_client_pointed_at_the_sandbox_by_environment_stays_offline(
    sandbox: ThreadsSandbox, outside: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADS_API_BASE_URL", sandbox.url)
    with ThreadsPipe(sandbox.user_id, sandbox.access_token) as tp:
        assert tp.pipe("Through the environment", files=[UNTYPED]).ok
    assert outside == [] and sandbox.requests_to("HEAD", "/media-probe")


def test_the_cli_sandbox_stays_offline(
    outside: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--sandbox", "post", "From the CLI", "--file", UNTYPED]) == 0
    assert "Published 1 post" in capsys.readouterr().out
    assert outside == []


class _NoProbe(BaseHTTPRequestHandler):
    """A local Threads stand-in that knows nothing of /media-probe."""

    def do_HEAD(self) -> None:
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_stand_in_without_the_probe_gives_an_error_naming_the_file(outside: list[Any]) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NoProbe)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        tp = ThreadsPipe("1", "token", threads_base_url=base)
        with tp, pytest.raises(ValidationError) as caught:
            tp.pipe("x", files=["https://cdn.example.com/a.jpg", UNTYPED])
    finally:
        server.shutdown()
        server.server_close()
    assert caught.value.parameter == "files[1]"
    assert ".jpg, .png, .mp4 or .mov" in str(caught.value)
    assert outside == []


def test_an_unreachable_loopback_media_url_is_named(
    sandbox: ThreadsSandbox, outside: list[Any]
) -> None:
    spare = socket.socket()
    spare.bind(("127.0.0.1", 0))
    port = spare.getsockname()[1]
    spare.close()  # nothing listens there now
    with sandbox.client() as tp, pytest.raises(ValidationError) as caught:
        tp.pipe("x", files=[f"http://127.0.0.1:{port}/clip"])
    assert caught.value.parameter == "files[0]"
    assert "could not be reached (the connection was refused)" in str(caught.value)
    assert created(sandbox) == [] and outside == []
