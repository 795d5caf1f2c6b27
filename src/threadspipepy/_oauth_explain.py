"""How a refused OAuth request is explained: `explained` turns the error an OAuth endpoint
returned into the typed error (errors.py) carrying Meta's message, the likely cause and what to
do next.
"""

from __future__ import annotations

from ._redaction import Redactor
from .errors import AuthorizationDeniedError as AuthorizationDeniedError
from .errors import OAuthError as OAuthError
from .errors import (
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ThreadsAPIError,
    TokenExpiredError,
)
from .errors import StateMismatchError as StateMismatchError

# OAuth error codes with a known cause.
WRONG_APP_ID_CODES = frozenset({1349026, 4476002})
TESTER_NOT_ACCEPTED_CODE = 1349245


STEP_NAMES = {
    "code": "Exchanging the authorization code",
    "long_lived": "Exchanging the short-lived token for a long-lived one",
    "refresh": "Refreshing the long-lived token",
}


def explained(exc: ThreadsAPIError, step: str, redactor: Redactor) -> ThreadsAPIError:
    """The typed error for an OAuth failure: Meta's message, the likely cause, what to do."""
    meta = redactor.text(exc.message)
    lowered = meta.lower()
    about_secret = "client secret" in lowered or "client_secret" in lowered
    cls: type[ThreadsAPIError] = OAuthError
    status = exc.status_code or 0
    if 300 <= status < 400:
        hint = (
            "Meta's OAuth endpoints do not redirect: check the base URL (base_url= or "
            "THREADS_API_BASE_URL) for an old host or a proxy. Nothing was sent to the new address."
        )
    elif isinstance(exc, RateLimitError | ServerError) and not about_secret:
        cls = type(exc)
        hint = "Meta is throttling or failing for now: try again later."
    elif exc.code in WRONG_APP_ID_CODES:
        hint = (
            f"Error {exc.code} usually means the Facebook app id was used: use the Threads "
            "App ID and Threads App Secret (App Dashboard > App settings > Basic, under "
            "Threads), not the app's Facebook ones."
        )
    elif exc.code == TESTER_NOT_ACCEPTED_CODE:
        hint = (
            "The account is invited as a Threads Tester but has not accepted: accept it in "
            "Threads > Settings > Account > Website permissions > Invites, then authorize again."
        )
    elif about_secret:
        hint = (
            "Check the app secret: use the Threads App Secret (App Dashboard > App settings > "
            "Basic, under Threads), not the Facebook one."
        )
    elif "redirect_uri" in lowered or "redirect uri" in lowered:
        hint = (
            "redirect_uri must be exactly the one in the authorization URL (and among the "
            "app's Valid OAuth Redirect URIs, trailing slash included)."
        )
    elif step == "code":
        hint = (
            "Authorization codes can be used once and expire after 1 hour: run the "
            "authorization again for a fresh code, and exchange it at once."
        )
    elif isinstance(exc, TokenExpiredError) or exc.subcode == 463 or "expired" in lowered:
        cls = TokenExpiredError
        hint = (
            "An expired token cannot be refreshed: authorize the app again (authorization_url "
            "or `threadspipepy auth-url`, then complete_authorization or `threadspipepy "
            "access_token`), and refresh the new token well before its 60 days are up."
            if step == "refresh"
            else "Short-lived tokens last 1 hour: exchange them right after the code exchange, "
            "or authorize the app again."
        )
    elif isinstance(exc, PermissionDeniedError):
        cls = PermissionDeniedError
        hint = "The user did not grant threads_basic, which a refresh needs: authorize again."
    elif step == "refresh" and exc.code != 190:
        hint = (
            "Only a long-lived token that is at least 24 hours old and not expired can be "
            "refreshed (a short-lived token is exchanged with exchange_for_long_lived first)."
        )
    else:
        hint = (
            "The token is not valid (revoked, mistyped or issued for another app): authorize "
            "the app again."
        )
    stop = "" if meta.rstrip().endswith((".", "!", "?")) else "."
    return cls(
        f"{STEP_NAMES.get(step, 'The OAuth request')} failed: {meta.rstrip()}{stop} {hint}",
        code=exc.code,
        subcode=exc.subcode,
        type=redactor.text(exc.type) if exc.type else exc.type,
        fbtrace_id=redactor.text(exc.fbtrace_id) if exc.fbtrace_id else exc.fbtrace_id,
        status_code=exc.status_code,
        retry_after=exc.retry_after,
    )
