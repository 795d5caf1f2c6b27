"""A connection failure names the host, the cause and the fix that applies to that cause."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import pytest
import requests
from urllib3.exceptions import NewConnectionError

from threadspipepy import ThreadsConnectionError, ThreadsPipe

HOST = "graph.example.net"


def failure(kind: str) -> requests.RequestException:
    """The requests exception each cause arrives as, as requests builds them."""
    if kind == "dns":
        return requests.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    if kind == "refused":
        reason = NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
        reason.__cause__ = ConnectionRefusedError(111, "Connection refused")
        return requests.ConnectionError(reason)
    if kind == "timeout":
        return requests.ReadTimeout("Read timed out")
    if kind == "reset":
        return requests.ConnectionError(ConnectionResetError(104, "Connection reset by peer"))
    if kind == "tls":
        return requests.exceptions.SSLError(ssl.SSLError("certificate verify failed"))
    return requests.ConnectionError("something else")


class FailingSession(requests.Session):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise failure(self.kind)


FIXES = {
    "dns": ("could not be resolved (DNS)", "Check the host name in the base URL"),
    "refused": ("connection was refused", "check the base URL's host and port"),
    "timeout": ("no answer within the timeout", "raise timeout= (command line: --timeout"),
    "reset": ("reset or dropped", "a proxy or firewall closing the connection"),
    "tls": ("TLS handshake failed", "clock and CA certificates"),
    "connection": ("the connection failed", "Check the network and the base URL"),
}


@pytest.mark.parametrize("kind", list(FIXES))
def test_each_cause_comes_with_its_fix(kind: str) -> None:
    cause, fix = FIXES[kind]
    tp = ThreadsPipe(
        "1",
        "token-abcdef",
        threads_base_url=f"https://{HOST}",
        session=FailingSession(kind),
        max_retries=0,
        raise_on_error=True,
    )
    with pytest.raises(ThreadsConnectionError) as caught:
        tp.get_profile()
    error = caught.value
    assert (error.kind, error.host) == (kind, HOST)
    assert str(error).startswith(f"GET /v1.0/me on {HOST} ")
    assert cause in str(error) and fix in str(error)
    other_fixes = [f for k, (_, f) in FIXES.items() if k != kind]
    assert not any(f in str(error) for f in other_fixes)
