"""Fault injection: rules that replace, delay or drop the answer to matching requests."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from fnmatch import fnmatchcase

from ._errors import GraphError, github_error
from ._records import Response

_RATE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
# Messages for fail(code=...) when the test gives none (Graph's own wording where known).
_GRAPH_MESSAGES = {
    1: "An unknown error occurred",
    2: "An unexpected error has occurred. Please retry your request later.",
    10: "(#10) Application does not have permission for this action",
    24: "The requested resource does not exist",
    100: "(#100) Invalid parameter",
    190: "Invalid OAuth access token - Cannot parse access token",
    368: "(#368) The action attempted has been deemed abusive or is otherwise disallowed",
    506: "(#506) Duplicate status message",
    **_RATE_MESSAGES,
}
# Codes Graph marks as transient (temporary downtime and throttling).
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    kind: str  # "fail", "rate_limit", "drop", "delay" or "redirect"
    method: str | None
    path: str
    times: int
    after: bool = False
    status: int = 500
    html: bool = False
    retry_after: float | None = None
    code: int = 4
    seconds: float = 0.0
    # fail() with a Graph error of the test's choosing (error_code None: a transient 1 or 2).
    error_code: int | None = None
    subcode: int | None = None
    message: str | None = None
    error_type: str | None = None
    location: str | None = None  # redirect(): where the answer sends the client

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in (None, "*") or self.method.upper() == method.upper()
        return method_ok and fnmatchcase(path, self.path)


class FaultRegistry:
    """Rules in the order they were added; the first live match is used and counted down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._rules.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._rules:
                if fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self._rules.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def pending(self) -> int:
        with self._lock:
            return sum(f.times for f in self._rules)


def fault_response(fault: Fault, path: str) -> Response:
    """The answer a fault stands for, shaped for the host the path belongs to."""
    if fault.kind == "drop":
        return Response(0, drop=True)
    if fault.kind == "redirect":
        return Response(fault.status, b"", "text/plain", {"Location": fault.location or "/"})
    headers: dict[str, str] = {}
    if fault.retry_after is not None:
        headers["Retry-After"] = f"{fault.retry_after:g}"
    if fault.html:
        reason = _REASONS.get(fault.status, "Error")
        page = (
            f"<html><head><title>{fault.status} {reason}</title></head><body>"
            f"<center><h1>{fault.status} {reason}</h1></center><hr><center>proxy</center>"
            "</body></html>"
        )
        response = Response.text(fault.status, page, "text/html; charset=utf-8")
        response.headers.update(headers)
        return response
    if path.startswith(("/raw/", "/media/")):
        response = Response.text(fault.status, f"{fault.status}: injected fault")
        response.headers.update(headers)
        return response
    if path.startswith("/github/"):
        default_message = (
            "API rate limit exceeded" if fault.kind == "rate_limit" else "Server Error"
        )
        message = fault.message or default_message
        return Response.json(fault.status, github_error(fault.status, message), headers)
    if fault.kind == "rate_limit":
        error = GraphError(
            _RATE_MESSAGES.get(fault.code, f"(#{fault.code}) Rate limit reached"),
            code=fault.code,
            status=fault.status,
            is_transient=True,
        )
    else:
        # Without code=: Graph's transient server errors, code 2 "service" for 503, code 1
        # "unknown" otherwise.
        default = 2 if fault.status == 503 else 1
        code = default if fault.error_code is None else fault.error_code
        error = GraphError(
            fault.message or _GRAPH_MESSAGES.get(code, f"(#{code}) Injected error"),
            code=code,
            status=fault.status,
            type_=fault.error_type or "OAuthException",
            subcode=fault.subcode,
            is_transient=code in TRANSIENT_CODES,
        )
    return Response.json(fault.status, error.body(), headers)
