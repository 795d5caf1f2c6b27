"""OAuth error shapes -> typed errors with Meta's message, the likely cause and what to do."""

from __future__ import annotations

from typing import Any

import pytest

from threadspipepy import (
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TokenExpiredError,
)
from threadspipepy._redaction import Redactor
from threadspipepy.auth import OAuthError, _explained
from threadspipepy.errors import AuthenticationError, ThreadsAPIError, error_from_envelope

NO_APP_DATA = (
    "No application data was given: There was a problem getting data for an application. The "
    "application may not be valid or there is a temporary glitch. Please try again later."
)


def explain(body: dict[str, Any], step: str, status: int = 400) -> ThreadsAPIError:
    return _explained(error_from_envelope(body, status), step, Redactor())


def test_wrong_app_id_names_the_facebook_app_id_cause() -> None:
    error = explain({"error_message": NO_APP_DATA, "error_code": 1349026}, "code")
    assert isinstance(error, OAuthError)
    assert isinstance(error, AuthenticationError)
    assert error.code == 1349026
    message = str(error)
    assert NO_APP_DATA in message
    assert "Facebook app id" in message
    assert "Threads App ID" in message


def test_no_app_id_4476002_is_the_same_cause() -> None:
    body = {"error_message": "No app ID was provided in the request.", "error_code": 4476002}
    assert "Facebook app id" in str(explain(body, "code"))


def test_tester_invite_not_accepted() -> None:
    body = {
        "error_message": "Invalid Request: The user has not accepted the invite to test the app",
        "error_code": 1349245,
    }
    error = explain(body, "code")
    assert isinstance(error, OAuthError)
    assert "Website permissions" in str(error)


def test_used_or_expired_code() -> None:
    body = {
        "error_type": "OAuthException",
        "code": 400,
        "error_message": "Matching code was not found or was already used",
    }
    error = explain(body, "code")
    assert isinstance(error, OAuthError)
    assert error.type == "OAuthException"
    assert error.status_code == 400
    message = str(error)
    assert message.startswith(
        "Exchanging the authorization code failed: Matching code was not found or was already "
        "used. "
    )
    assert "used once" in message and "1 hour" in message


def test_redirect_uri_mismatch() -> None:
    body = {
        "error_type": "OAuthException",
        "code": 400,
        "error_message": "Error validating verification code. Please make sure your "
        "redirect_uri is identical to the one you used in the OAuth dialog request",
    }
    assert "Valid OAuth Redirect URIs" in str(explain(body, "code"))


def test_wrong_secret_reported_as_graph_code_1_is_not_a_server_error() -> None:
    body = {
        "error": {"message": "Error validating client secret.", "type": "OAuthException", "code": 1}
    }
    error = explain(body, "long_lived")
    assert type(error) is OAuthError
    assert "Threads App Secret" in str(error)


def test_expired_short_lived_token_on_exchange() -> None:
    body = {
        "error": {
            "message": "Error validating access token: Session has expired on Monday, "
            "01-Jun-26 10:00:00 PDT.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        }
    }
    error = explain(body, "long_lived")
    assert isinstance(error, TokenExpiredError)
    assert "1 hour" in str(error)


def test_expired_long_lived_token_on_refresh_says_what_to_do() -> None:
    body = {
        "error": {
            "message": "Error validating access token: Session has expired.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        }
    }
    error = explain(body, "refresh")
    assert isinstance(error, TokenExpiredError)
    assert error.subcode == 463
    message = str(error)
    assert "cannot be refreshed" in message
    assert "authorize the app again" in message
    assert "threadspipepy auth-url" in message


def test_refresh_too_early_or_short_lived() -> None:
    body = {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}
    error = explain(body, "refresh")
    assert isinstance(error, OAuthError)
    assert "24 hours old" in str(error)


def test_invalid_token() -> None:
    body = {
        "error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
        }
    }
    error = explain(body, "refresh")
    assert type(error) is OAuthError
    assert "authorize the app again" in str(error)


def test_missing_threads_basic_on_refresh() -> None:
    body = {"error": {"message": "(#10) Application does not have permission", "code": 10}}
    error = explain(body, "refresh", status=403)
    assert isinstance(error, PermissionDeniedError)
    assert "threads_basic" in str(error)


@pytest.mark.parametrize(
    ("body", "status", "cls"),
    [
        (
            {"error": {"message": "(#4) Application request limit reached", "code": 4}},
            400,
            RateLimitError,
        ),
        ({"error_message": "An unknown error has occurred.", "error_code": 1}, 400, ServerError),
        ({"error": {"message": "Service unavailable", "code": 2}}, 503, ServerError),
    ],
)
def test_throttling_and_outages_keep_their_class(
    body: dict[str, Any], status: int, cls: type[ThreadsAPIError]
) -> None:
    error = explain(body, "refresh", status)
    assert type(error) is cls
    assert "try again later" in str(error)


def test_secrets_echoed_by_meta_are_masked() -> None:
    secret = "app-secret-value-123456"
    body = {"error_message": f"bad client_secret={secret} for app {secret}", "error_code": 1349026}
    error = _explained(error_from_envelope(body, 400), "code", Redactor([secret]))
    assert secret not in str(error)
    assert secret not in repr(error.args)
