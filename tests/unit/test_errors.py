"""Graph error envelopes become the typed exceptions of surface.md §3."""

from __future__ import annotations

from typing import Any

import pytest

from threadspipepy.errors import (
    AuthenticationError,
    DuplicatePostError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ThreadsAPIError,
    TokenExpiredError,
    ValidationError,
    error_from_envelope,
    is_transient,
)


def envelope(code: int, subcode: int | None = None, message: str = "boom") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "AbCdEf"
    return {"error": error}


@pytest.mark.parametrize(
    ("code", "subcode", "status", "cls"),
    [
        (190, None, 400, AuthenticationError),
        (102, None, 400, AuthenticationError),
        (190, 463, 400, TokenExpiredError),
        (10, None, 403, PermissionDeniedError),
        (200, None, 403, PermissionDeniedError),
        (299, None, 403, PermissionDeniedError),
        (4, None, 400, RateLimitError),
        (17, None, 400, RateLimitError),
        (32, None, 400, RateLimitError),
        (341, None, 400, RateLimitError),
        (613, None, 400, RateLimitError),
        (506, None, 400, DuplicatePostError),
        (100, 33, 400, NotFoundError),
        (1, None, 500, ServerError),
        (2, None, 503, ServerError),
        (100, None, 400, ThreadsAPIError),
    ],
)
def test_codes_map_to_classes(code: int, subcode: int | None, status: int, cls: type) -> None:
    error = error_from_envelope(envelope(code, subcode), status)
    assert type(error) is cls
    assert (error.code, error.subcode, error.status_code, error.fbtrace_id) == (
        code,
        subcode,
        status,
        "AbCdEf",
    )
    assert error.type == "OAuthException"


def test_expired_message_without_subcode_is_token_expired() -> None:
    error = error_from_envelope(envelope(190, message="Session has expired on Monday"), 400)
    assert isinstance(error, TokenExpiredError)


def test_http_429_alone_is_a_rate_limit_with_retry_after() -> None:
    error = error_from_envelope({"error": {"message": "slow down"}}, 429, retry_after=12.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 12.0
    assert is_transient(error)


def test_oauth_shapes_are_read() -> None:
    error = error_from_envelope(
        {"error_message": "No application data", "error_code": 1349026}, 400
    )
    assert error.code == 1349026 and error.message == "No application data"
    error = error_from_envelope(
        {
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Matching code was not found",
        },
        400,
    )
    assert error.type == "OAuthException" and "Matching code" in str(error)


def test_transient_codes() -> None:
    assert is_transient(error_from_envelope(envelope(2), 500))
    assert is_transient(error_from_envelope(envelope(17), 400))
    assert not is_transient(error_from_envelope(envelope(100), 400))
    assert not is_transient(error_from_envelope(envelope(190), 400))


def test_str_carries_code_and_trace() -> None:
    text = str(error_from_envelope(envelope(100, message="Invalid parameter"), 400))
    assert text == "Invalid parameter (code=100, status=400, fbtrace_id=AbCdEf)"


def test_validation_error_is_a_value_error_naming_the_parameter() -> None:
    error = ValidationError("bad", parameter="who_can_reply")
    assert isinstance(error, ValueError) and error.parameter == "who_can_reply"
