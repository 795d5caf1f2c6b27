"""Fault injection: rules that replace, delay or drop the answer to matching requests."""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
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


class HeldRequest:
    """A request the sandbox holds unanswered until `release()` (see ThreadsSandbox.hold).

    The client waits (or gives up on its timeout); the request is processed only when
    released, which is how a test makes a request land after its sender stopped listening,
    or kills the sender while the request is in flight.
    """

    def __init__(self) -> None:
        self._arrived = threading.Event()
        self._released = threading.Event()
        self.count = 0  # matching requests held so far

    def wait_arrived(self, timeout: float = 10.0) -> bool:
        """Block until a matching request is being held; False if none came in `timeout`."""
        return self._arrived.wait(timeout)

    @property
    def arrived(self) -> bool:
        return self._arrived.is_set()

    def release(self) -> None:
        """Process the held request(s) now and answer them (if the client still listens)."""
        self._released.set()

    def _hold(self, limit: float) -> None:
        self.count += 1
        self._arrived.set()
        self._released.wait(limit)


@dataclass
class Fault:
    kind: str  # "fail", "rate_limit", "drop", "reset", "delay", "hold" or "redirect"
    method: str | None
    path: str
    times: int | None  # None: every matching request until clear_faults()
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
    # Let this many matching requests pass (whatever other rule they meet) before it applies.
    skip: int = 0
    # Only requests whose parameters (query, form or JSON) include these values match.
    params: Mapping[str, str] | None = None
    held: HeldRequest | None = field(default=None, repr=False)
    location: str | None = None  # redirect(): where the answer sends the client

    def matches(self, method: str, path: str, params: Mapping[str, str]) -> bool:
        method_ok = self.method in (None, "*") or self.method.upper() == method.upper()
        wanted = self.params or {}
        params_ok = all(params.get(k) == v for k, v in wanted.items())
        return method_ok and params_ok and fnmatchcase(path, self.path)


# What a random ("chaos") fault may be: each a kind and whether the request takes effect.
CHAOS_KINDS: dict[str, tuple[str, bool, int, bool]] = {
    # name: (kind, after, HTTP status, html)
    "5xx": ("fail", False, 500, False),
    "5xx-after": ("fail", True, 500, False),
    "html-502": ("fail", False, 502, True),
    "html-502-after": ("fail", True, 502, True),
    "429": ("rate_limit", False, 429, False),
    "drop": ("drop", False, 0, False),
    "drop-after": ("drop", True, 0, False),
    "reset": ("reset", False, 0, False),
    "reset-after": ("reset", True, 0, False),
}


@dataclass
class Chaos:
    """Random faults: each request that no rule matched fails with probability `rate`."""

    rate: float
    rng: random.Random
    kinds: tuple[str, ...]
    path: str = "*"
    injected: int = 0

    def draw(self, method: str, path: str) -> Fault | None:
        if not fnmatchcase(path, self.path) or self.rng.random() >= self.rate:
            return None
        kind, after, status, html = CHAOS_KINDS[self.rng.choice(self.kinds)]
        self.injected += 1
        return Fault(kind, method, path, 1, after=after, status=status or 500, html=html)


class FaultRegistry:
    """Rules in the order they were added; the first live match is used and counted down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []
        self._holds: list[HeldRequest] = []  # every hold ever added, used up or not
        self.chaos: Chaos | None = None

    def add(self, fault: Fault) -> None:
        if fault.times is not None and fault.times < 1:
            raise ValueError("times must be at least 1 (or None: until clear_faults())")
        if fault.skip < 0:
            raise ValueError("skip must not be negative")
        with self._lock:
            self._rules.append(fault)
            if fault.held is not None:
                self._holds.append(fault.held)

    def take(self, method: str, path: str, params: Mapping[str, str]) -> Fault | None:
        """The fault for this request, if any. Every matching rule counts the request
        towards its `skip`, whichever rule (if any) then applies to it."""
        with self._lock:
            chosen: Fault | None = None
            for fault in list(self._rules):
                if not fault.matches(method, path, params):
                    continue
                if fault.skip > 0:
                    fault.skip -= 1
                elif chosen is None:
                    chosen = fault
            if chosen is not None and chosen.times is not None:
                chosen.times -= 1
                if chosen.times == 0:
                    self._rules.remove(chosen)
            if chosen is None and self.chaos is not None:
                chosen = self.chaos.draw(method, path)
            return chosen

    def clear(self) -> None:
        with self._lock:
            held, self._holds = self._holds, []
            self._rules.clear()
        for hold in held:
            hold.release()  # nothing may stay blocked once the test lets go of its faults

    def pending(self) -> int:
        """Requests still to be faulted (-1 when a rule lasts until clear_faults())."""
        with self._lock:
            if any(f.times is None for f in self._rules):
                return -1
            return sum(f.times or 0 for f in self._rules)


def fault_response(fault: Fault, path: str) -> Response:
    """The answer a fault stands for, shaped for the host the path belongs to."""
    if fault.kind in ("drop", "reset"):
        return Response(0, drop=True, reset=fault.kind == "reset")
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
