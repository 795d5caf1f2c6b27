"""Error envelopes the sandbox answers with, shaped like Meta's and GitHub's."""

from __future__ import annotations

import secrets
import string
from typing import Any

_TRACE_ALPHABET = string.ascii_letters + string.digits + "-_"


def fbtrace_id() -> str:
    """A random id in the shape of Graph's `fbtrace_id` (every error carries a fresh one)."""
    return "A" + "".join(secrets.choice(_TRACE_ALPHABET) for _ in range(22))


class GraphError(Exception):
    """A Graph API error: raised by the Graph handlers, turned into `{"error": {...}}`."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        status: int = 400,
        type_: str = "OAuthException",
        subcode: int | None = None,
        is_transient: bool = False,
        user_msg: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.type = type_
        self.subcode = subcode
        self.is_transient = is_transient
        self.user_msg = user_msg
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.type,
            "code": self.code,
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        if self.user_msg is not None:
            error["error_user_msg"] = self.user_msg
        error["is_transient"] = self.is_transient
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def invalid_param(message: str, *, user_msg: str | None = None) -> GraphError:
    """Graph's generic validation error: code 100, HTTP 400."""
    return GraphError(f"(#100) {message}", code=100, user_msg=user_msg)


def invalid_token() -> GraphError:
    # Graph answers OAuthException 190 with HTTP 400 (not 401).
    return GraphError(
        "Invalid OAuth access token - Cannot parse access token",
        code=190,
        headers={
            "WWW-Authenticate": 'OAuth "Facebook Platform" "invalid_token" '
            '"Invalid OAuth access token - Cannot parse access token"'
        },
    )


# The error type Meta's Threads API gives an unknown object (Graph's own is GraphMethodException);
# the code, subcode and message are Graph's.
UNKNOWN_OBJECT_TYPE = "THApiException"


def no_such_object(object_id: str, method: str) -> GraphError:
    """Code 100, subcode 33: no such object, no permission to it, or not this method."""
    verb = method.lower()
    return GraphError(
        f"Unsupported {verb} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation",
        code=100,
        subcode=33,
        type_=UNKNOWN_OBJECT_TYPE,
    )


def unknown_path(components: str) -> GraphError:
    return GraphError(f"Unknown path components: {components}", code=2500)


def permission_denied() -> GraphError:
    # Choice: HTTP 403 for code 10. Graph sends permission errors (10, 200-299) with 403 in
    # practice; clients must classify by code anyway.
    return GraphError(
        "(#10) Application does not have permission for this action", code=10, status=403
    )


GITHUB_DOCS = "https://docs.github.com/rest"


def github_error(status: int, message: str, doc_path: str = "") -> dict[str, Any]:
    """GitHub's REST error body."""
    return {
        "message": message,
        "documentation_url": GITHUB_DOCS + doc_path,
        "status": str(status),
    }
