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
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    kind: str  # "fail", "rate_limit", "drop" or "delay"
    method: str | None
    path: str
    times: int
    after: bool = False
    status: int = 500
    html: bool = False
    retry_after: float | None = None
    code: int = 4
    seconds: float = 0.0

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
        message = "API rate limit exceeded" if fault.kind == "rate_limit" else "Server Error"
        return Response.json(fault.status, github_error(fault.status, message), headers)
    if fault.kind == "rate_limit":
        error = GraphError(
            _RATE_MESSAGES.get(fault.code, f"(#{fault.code}) Rate limit reached"),
            code=fault.code,
            status=fault.status,
            is_transient=True,
        )
    else:
        # Graph's transient server errors: code 2 "service" for 503, code 1 "unknown" otherwise.
        transient = 2 if fault.status == 503 else 1
        message = (
            "An unexpected error has occurred. Please retry your request later."
            if transient == 2
            else "An unknown error occurred"
        )
        error = GraphError(message, code=transient, status=fault.status, is_transient=True)
    return Response.json(fault.status, error.body(), headers)
