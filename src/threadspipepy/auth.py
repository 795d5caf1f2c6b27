"""OAuth for Threads: the authorization URL and its state, the code exchange, long-lived tokens,
refresh, `Credentials`, and the atomic `.env` update. Usable without a client.

The flow (threads-api.md §2):

1. `authorization_url(app_id, redirect_uri, scope)` gives the URL to open and a fresh `state`;
2. the user clicks Allow and Threads redirects to `redirect_uri?code=...&state=...#_`;
3. `complete_authorization(app_id, app_secret, redirect_uri, redirected_url, state)` checks the
   state (constant time, before any request), swaps the code for a short-lived token (POST, the
   secret in the body) and that for a long-lived one (60 days), and returns `Credentials`;
4. `refresh_credentials(credentials)` (or `refresh_token(token, env_path, env_variable)`)
   refreshes a long-lived token that is at least 24 hours old, for another 60 days.

Every function raises typed errors (`ValidationError` before any request, `StateMismatchError`,
`AuthorizationDeniedError`, `OAuthError`, `TokenExpiredError`) whose messages carry Meta's own
message and what to do next, and never a secret. The `ThreadsPipe` methods of the same names
wrap these into 0.4.5's result dicts.

The functions that send requests take `base_url` (argument > `THREADS_API_BASE_URL` >
`https://graph.threads.net`, as the client does), `timeout`, `session` and
`allow_insecure_http` (plain http to a host that is not loopback is refused unless True; None
reads `THREADS_ALLOW_INSECURE_HTTP`).

This module holds the flow itself (scopes, the URL and state, the redirect, the exchanges and
refresh); `Credentials` (`_credentials`), the explanation of OAuth failures (`_oauth_explain`)
and the `.env` file (`_envfile`) live in private modules, the OAuth errors in `errors`; the
public names are re-exported here.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import sys
import webbrowser
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

from ._credentials import DEFAULT_REFRESH_MARGIN as DEFAULT_REFRESH_MARGIN
from ._credentials import LONG_LIVED_LIFETIME as LONG_LIVED_LIFETIME
from ._credentials import REFRESH_MIN_AGE as REFRESH_MIN_AGE
from ._credentials import SHORT_LIVED_LIFETIME as SHORT_LIVED_LIFETIME
from ._credentials import Credentials, _expires_in, _utcnow
from ._envfile import (
    EnvFileError,
    InsecureEnvFileWarning,
    check_env_target,
    read_env_value,
    update_env_file,
)
from ._log import logger_for
from ._oauth_explain import STEP_NAMES
from ._oauth_explain import TESTER_NOT_ACCEPTED_CODE as TESTER_NOT_ACCEPTED_CODE
from ._oauth_explain import WRONG_APP_ID_CODES as WRONG_APP_ID_CODES
from ._oauth_explain import explained as _explained
from ._redaction import MASK, Redactor
from ._retry import RetryPolicy
from ._transport import Endpoint, GraphClient
from .config import (
    ALLOW_INSECURE_HTTP_ENV,
    DEFAULT_THREADS_BASE_URL,
    THREADS_BASE_URL_ENV,
    check_base_url,
    env_flag,
    resolve_base_url,
)
from .errors import (
    AuthorizationDeniedError,
    OAuthError,
    StateMismatchError,
    ThreadsAPIError,
    ThreadsConnectionError,
    TokenExpiredError,
    ValidationError,
    error_from_envelope,
)

__all__ = [
    "ALL_SCOPES",
    "AUTHORIZE_URL",
    "AUTHORIZE_URL_ENV",
    "AUTHORIZE_URL_NET",
    "SCOPES",
    "AuthorizationDeniedError",
    "AuthorizationResponse",
    "Credentials",
    "EnvFileError",
    "InsecureEnvFileWarning",
    "OAuthError",
    "StateMismatchError",
    "authorization_url",
    "check_env_target",
    "check_state",
    "complete_authorization",
    "exchange_code",
    "exchange_for_long_lived",
    "get_access_tokens",
    "new_state",
    "open_browser",
    "parse_redirect",
    "read_env_value",
    "refresh_access_token",
    "refresh_credentials",
    "refresh_token",
    "resolve_scopes",
    "update_env_file",
]

# -- constants ---------------------------------------------------------------------------------
# The authorization window. Meta's current page documents threads.com; older pages (and
# ThreadsPipe-py 0.4.5) use threads.net, which still works. Argument > environment > default.
AUTHORIZE_URL = "https://threads.com/oauth/authorize"
AUTHORIZE_URL_NET = "https://threads.net/oauth/authorize"
AUTHORIZE_URL_ENV = "THREADS_AUTHORIZE_URL"

CODE_EXCHANGE_PATH = "oauth/access_token"
LONG_LIVED_PATH = "access_token"
REFRESH_PATH = "refresh_access_token"

# Key -> permission. 0.4.5's five keys first, then one per permission added since.
SCOPES: Mapping[str, str] = {
    "basic": "threads_basic",
    "publish": "threads_content_publish",
    "read_replies": "threads_read_replies",
    "manage_replies": "threads_manage_replies",
    "insights": "threads_manage_insights",
    "keyword_search": "threads_keyword_search",
    "profile_discovery": "threads_profile_discovery",
    "manage_mentions": "threads_manage_mentions",
    "delete": "threads_delete",
    "location_tagging": "threads_location_tagging",
    "share_to_instagram": "threads_share_to_instagram",
}
ALL_SCOPES: tuple[str, ...] = tuple(SCOPES.values())
REQUIRED_SCOPE = "threads_basic"

log = logger_for("auth")


# -- scopes ------------------------------------------------------------------------------------
def resolve_scopes(
    scope: str | Iterable[str] = "all", *, keys: Mapping[str, str] = SCOPES
) -> tuple[str, ...]:
    """Permission names for `scope`.

    `threads_basic` (required by every endpoint) is always included, first. Unknown entries
    raise ValidationError listing what is valid.

    Args:
        scope: The permissions to ask for: `'all'`, keys such as `'publish'`, raw names such as
            `'threads_content_publish'`, comma- or space-separated strings, or lists of these.
        keys: The scope keys understood (default `SCOPES`: 0.4.5's five, plus one per
            permission added since).

    Returns:
        The permission names, without duplicates.

    Example:
        auth.resolve_scopes("publish,insights")  # ('threads_basic', 'threads_content_publish', ...)
    """
    if isinstance(scope, str):
        items: list[str] = [scope]
    else:
        try:
            items = list(scope)
        except TypeError:
            raise ValidationError(
                "scope must be 'all', a scope key or name, a comma-separated string or a list.",
                parameter="scope",
            ) from None
    names: list[str] = []
    unknown: list[str] = []
    valid_names = set(keys.values())
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(
                f"scope entries must be strings, not {type(item).__name__}.", parameter="scope"
            )
        for word in item.replace(",", " ").split():
            lowered = word.strip().lower()
            if lowered == "all":
                names.extend(keys.values())
            elif lowered in keys:
                names.append(keys[lowered])
            elif lowered in valid_names:
                names.append(lowered)
            else:
                unknown.append(word)
    if unknown:
        raise ValidationError(
            f"unknown scope(s) {', '.join(map(repr, unknown))}; valid: 'all', the keys "
            f"{', '.join(keys)}, or the names {', '.join(keys.values())}.",
            parameter="scope",
        )
    if not names:
        raise ValidationError(
            "scope is empty; give 'all' or at least one scope key or name.", parameter="scope"
        )
    if REQUIRED_SCOPE not in names:
        names.insert(0, REQUIRED_SCOPE)
    return tuple(dict.fromkeys(names))


# -- step 1: the authorization URL ---------------------------------------------------------------
def new_state() -> str:
    """A fresh, unguessable `state` value: 32 random bytes as hex.

    Hex rather than URL-safe base64, which may start with "-": the state is pasted back on a
    command line (`access_token --state ...`), where such a value reads as an option.

    Example:
        state = auth.new_state()
    """
    return secrets.token_hex(32)


def authorization_url(
    app_id: str | int,
    redirect_uri: str,
    scope: str | Iterable[str] = "all",
    state: str | None = None,
    *,
    authorize_url: str | None = None,
    keys: Mapping[str, str] = SCOPES,
) -> tuple[str, str]:
    """The authorization window's URL and the `state` it carries: `(url, state)`.

    Keep `state` (in the user's session) and give it to `complete_authorization`, which refuses
    a redirect whose state differs. Every parameter is URL-encoded.

    Args:
        app_id: Your app's Threads app id.
        redirect_uri: Where Threads sends the user back with the code: one of the app's
            redirect callback URLs.
        scope: The permissions to ask for: `'all'`, keys such as `'publish'`, raw names such as
            `'threads_content_publish'`, comma- or space-separated strings, or lists of these.
        state: The state to carry (default: a new random one, `new_state()`).
        authorize_url: The window's host: the argument, else `$THREADS_AUTHORIZE_URL`, else
            `https://threads.com/oauth/authorize` (`AUTHORIZE_URL_NET` is the threads.net one).
        keys: The scope keys understood (default `SCOPES`: 0.4.5's five, plus one per
            permission added since).

    Example:
        url, state = auth.authorization_url("1234567890", "https://example.com/cb", "basic,publish")
    """
    client_id = _app_id(app_id)
    redirect = _redirect_uri(redirect_uri)
    scopes = resolve_scopes(scope, keys=keys)
    if state is None:
        state = new_state()
    elif not isinstance(state, str) or not state:
        raise ValidationError("state must be a non-empty string, or None.", parameter="state")
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect,
            "scope": ",".join(scopes),
            "response_type": "code",
            "state": state,
        },
        quote_via=quote,
    )
    return f"{_authorize_base(authorize_url)}?{query}", state


def _authorize_base(argument: str | None) -> str:
    value = (argument or os.environ.get(AUTHORIZE_URL_ENV) or AUTHORIZE_URL).strip()
    if "://" not in value:
        value = "https://" + value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            f"authorize_url must be an http(s) URL such as {AUTHORIZE_URL!r}.",
            parameter="authorize_url",
        )
    path = parts.path if parts.path not in ("", "/") else "/oauth/authorize"
    return f"{parts.scheme}://{parts.netloc}{path}"


def open_browser(url: str) -> bool:
    """Open `url` in a browser when this machine has one; True if one was opened.

    Never on a headless Linux box (no DISPLAY/WAYLAND_DISPLAY and no $BROWSER), where Python's
    webbrowser would fall back to a text browser inside the terminal.

    Args:
        url: The URL to open.

    Example:
        if not auth.open_browser(url):
            print("Open", url)
    """
    graphical = (
        sys.platform in ("darwin", "win32")
        or bool(os.environ.get("BROWSER"))
        or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    )
    if not graphical:
        return False
    try:
        return bool(webbrowser.open(url))
    except (webbrowser.Error, OSError):
        return False


# -- step 2: the redirect ------------------------------------------------------------------------
@dataclass(frozen=True)
class AuthorizationResponse:
    """What the redirect URL carries: the code (without `#_`) and the state. Repr masks both."""

    code: str
    state: str | None

    def __repr__(self) -> str:
        state = None if self.state is None else MASK
        return f"AuthorizationResponse(code={MASK!r}, state={state!r})"


def parse_redirect(requested_url: str) -> AuthorizationResponse:
    """Read the URL Threads redirected to (a full URL, or its path and query).

    The `#_` Meta appends is not part of the code and is dropped. `error=access_denied` (the
    user clicked Cancel) raises AuthorizationDeniedError; no code at all is a ValidationError.

    Args:
        requested_url: The URL the browser was sent to.

    Returns:
        An `AuthorizationResponse` with `code` and `state`.

    Example:
        code = auth.parse_redirect("https://example.com/cb?code=AQB...&state=abc#_").code
    """
    if not isinstance(requested_url, str) or not requested_url.strip():
        raise ValidationError(
            "requested_url must be the URL Threads redirected to (with ?code=...&state=...).",
            parameter="requested_url",
        )
    parts = urlsplit(requested_url.strip())
    query = parts.query if parts.query or "=" not in parts.path else parts.path
    params = {key: values[-1] for key, values in parse_qs(query).items()}
    error = params.get("error")
    if error:
        reason = params.get("error_reason")
        description = params.get("error_description")
        if error == "access_denied":
            message = (
                "The user did not authorize the app (error=access_denied"
                + (f", error_reason={reason}" if reason else "")
                + "). Nothing was exchanged; ask them to authorize again and click Allow."
            )
        else:
            message = f"The authorization failed: error={error}" + (
                f": {description}" if description else ""
            )
        raise AuthorizationDeniedError(
            message, error=error, error_reason=reason, error_description=description
        )
    code = _strip_code(params.get("code", ""))
    if not code:
        raise ValidationError(
            "the redirect URL carries no code: give the whole URL Threads redirected to "
            "(https://your.app/callback?code=...&state=...#_).",
            parameter="requested_url",
        )
    return AuthorizationResponse(code=code, state=params.get("state"))


def _strip_code(code: str) -> str:
    """A code without the `#_` Meta appends (pasted codes often keep it)."""
    code = code.strip()
    return code[:-2] if code.endswith("#_") else code


def check_state(expected: str | None, received: str | None) -> None:
    """Refuse a missing or different state, comparing in constant time (before any request).

    Args:
        expected: The state the authorization URL carried.
        received: The state in the redirect.

    Raises:
        StateMismatchError: The two differ, or one is missing.

    Example:
        auth.check_state(state, auth.parse_redirect(redirected).state)
    """
    if not isinstance(expected, str) or not expected:
        raise ValidationError(
            "state is required: pass the state authorization_url() returned with the URL "
            "(keep it in the user's session until the redirect comes back).",
            parameter="state",
        )
    if not received:
        raise StateMismatchError(
            "The redirect carries no state, so it cannot be matched to the authorization this "
            "app started; refused before any request. Start the authorization again."
        )
    if not hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8")):
        raise StateMismatchError(
            "The redirect's state does not match the one issued with the authorization URL "
            "(a forged or stale link); refused before any request. Start the authorization "
            "again."
        )


# -- HTTP ----------------------------------------------------------------------------------------
@contextlib.contextmanager
def _standalone_graph(
    base_url: str | None,
    timeout: float,
    session: requests.Session | None,
    secrets_: Iterable[str | None],
    allow_insecure_http: bool | None = None,
    *,
    access_token: str = "",
    api_version: str = "",
) -> Iterator[GraphClient]:
    """A GraphClient for OAuth calls made without a ThreadsPipe (closed afterwards); with
    `access_token` and `api_version` ("v1.0") it also makes Graph calls (debug_token).

    The base URL is argument > `THREADS_API_BASE_URL` > Meta's; plain http is refused for a host
    that is not loopback unless `allow_insecure_http` (default: `THREADS_ALLOW_INSECURE_HTTP`).
    """
    base = resolve_base_url(base_url, THREADS_BASE_URL_ENV, DEFAULT_THREADS_BASE_URL)
    if allow_insecure_http is None:
        allow_insecure_http = env_flag(os.environ.get(ALLOW_INSECURE_HTTP_ENV))
    check_base_url(
        base, "base_url", allow_insecure_http=allow_insecure_http, env_name=THREADS_BASE_URL_ENV
    )
    graph = GraphClient(
        access_token=access_token,
        endpoint=Endpoint(base, api_version),
        timeout=timeout,
        retry=RetryPolicy(),
        session=session,
        redactor=Redactor(list(secrets_)),
        log=logger_for("transport"),
    )
    try:
        yield graph
    finally:
        graph.close()


def _oauth_request(
    graph: GraphClient,
    method: str,
    path: str,
    step: str,
    *,
    params: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
    secrets_: Sequence[str | None] = (),
) -> dict[str, Any]:
    """One OAuth call: unversioned, without the client's own token, errors explained.

    Sent as not repeatable: Meta's OAuth answers are final (a wrong secret even comes back as
    Graph code 1, which would otherwise look transient), and a code may be used only once. A
    connection that failed before the request went out is still retried. `secrets_` (the app
    secret, the code, a token) are masked in every log line and error besides the client's own,
    and the request never follows a redirect. Errors are raised outside any `except`, so none
    keeps the transport's error (or anything behind it) as its context.
    """
    redactor = graph.redactor.with_secrets(secrets_)
    failure: ThreadsAPIError | ThreadsConnectionError | None = None
    body: dict[str, Any] = {}
    try:
        body = graph.request(
            method,
            path,
            params=params,
            data=data,
            versioned=False,
            authenticated=False,
            idempotent=False,
            secrets=secrets_,
        )
    except (ThreadsAPIError, ThreadsConnectionError) as exc:
        failure = exc
    if isinstance(failure, ThreadsAPIError):
        raise _explained(failure, step, redactor)
    if isinstance(failure, ThreadsConnectionError):
        raise ThreadsConnectionError(
            redactor.text(str(failure)),
            request_sent=failure.request_sent,
            host=failure.host,
            kind=failure.kind,
        )
    if "error_message" in body or "error_code" in body:  # an OAuth error shape with HTTP 200
        raise _explained(error_from_envelope(body, 200), step, redactor)
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise OAuthError(
            f"{STEP_NAMES.get(step, 'The OAuth request')} failed: Meta's answer has no "
            "access_token.",
            status_code=200,
        )
    return body


# -- step 3: token exchanges ---------------------------------------------------------------------
def _exchange_code(
    graph: GraphClient, app_id: str, app_secret: str, code: str, redirect_uri: str
) -> dict[str, Any]:
    body = _oauth_request(
        graph,
        "POST",
        CODE_EXCHANGE_PATH,
        "code",
        data={
            "client_id": app_id,
            "client_secret": app_secret,
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": redirect_uri,
        },
        secrets_=(app_secret, code),
    )
    if body.get("user_id") in (None, ""):
        raise OAuthError(
            "Exchanging the authorization code failed: Meta's answer has no user_id.",
            status_code=200,
        )
    log.info("Exchanged the authorization code for a short-lived token (user %s)", body["user_id"])
    return body


def _exchange_for_long_lived(
    graph: GraphClient, app_secret: str, short_lived_token: str
) -> dict[str, Any]:
    body = _oauth_request(
        graph,
        "GET",
        LONG_LIVED_PATH,
        "long_lived",
        params={
            "grant_type": "th_exchange_token",
            "client_secret": app_secret,
            "access_token": short_lived_token,
        },
        secrets_=(app_secret, short_lived_token),
    )
    log.info("Got a long-lived token (%s)", _lifetime_text(body))
    return body


def _refresh(graph: GraphClient, access_token: str) -> dict[str, Any]:
    body = _oauth_request(
        graph,
        "GET",
        REFRESH_PATH,
        "refresh",
        params={"grant_type": "th_refresh_token", "access_token": access_token},
        secrets_=(access_token,),
    )
    log.info("Refreshed the long-lived token (%s)", _lifetime_text(body))
    return body


def _lifetime_text(body: Mapping[str, Any]) -> str:
    seconds = _expires_in(body)
    if seconds is None:
        return "lifetime not given"
    expires = _utcnow() + timedelta(seconds=seconds)
    return f"valid for {seconds / 86400:.0f} days, until {expires:%Y-%m-%d %H:%M} UTC"


def exchange_code(
    app_id: str | int,
    app_secret: str,
    code: str,
    redirect_uri: str,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """Swap an authorization code for a short-lived token (1 hour).

    Args:
        app_id: Your app's Threads app id.
        app_secret: Your app's secret (server side only).
        code: The code from the redirect (its `#_` may stay).
        redirect_uri: The same redirect URI the authorization URL used.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Returns:
        `{'access_token': ..., 'user_id': ...}` as Meta sends it.

    Example:
        short = auth.exchange_code(app_id, app_secret, code, redirect_uri)
    """
    client_id, secret, clean, redirect = _exchange_args(app_id, app_secret, code, redirect_uri)
    with _standalone_graph(
        base_url, timeout, session, (secret, clean), allow_insecure_http
    ) as graph:
        return _exchange_code(graph, client_id, secret, clean, redirect)


def exchange_for_long_lived(
    app_secret: str,
    short_lived_token: str,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """Swap a short-lived token for a long-lived one (60 days). Server side only: it carries the
    secret.

    Args:
        app_secret: Your app's secret.
        short_lived_token: The token `exchange_code` returned.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Returns:
        `{'access_token', 'token_type', 'expires_in'}`.

    Example:
        long = auth.exchange_for_long_lived(app_secret, short["access_token"])
    """
    secret = _secret(app_secret)
    token = _token(short_lived_token, "short_lived_token")
    with _standalone_graph(
        base_url, timeout, session, (secret, token), allow_insecure_http
    ) as graph:
        return _exchange_for_long_lived(graph, secret, token)


def refresh_access_token(
    access_token: str,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """Refresh a long-lived token (at least 24 hours old, not expired) for another 60 days.

    The old token stays valid until it expires.

    Args:
        access_token: The long-lived token.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Returns:
        `{'access_token', 'token_type', 'expires_in'}`.

    Example:
        new_token = auth.refresh_access_token(token)["access_token"]
    """
    token = _token(access_token, "access_token")
    with _standalone_graph(base_url, timeout, session, (token,), allow_insecure_http) as graph:
        return _refresh(graph, token)


def get_access_tokens(
    app_id: str | int,
    app_secret: str,
    auth_code: str,
    redirect_uri: str,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """0.4.5's two exchanges in one: `{'user_id', 'tokens': {'short_lived', 'long_lived'}}`.

    Args:
        app_id: Your app's Threads app id.
        app_secret: Your app's secret (server side only).
        auth_code: The code (with or without `#_`) or the whole redirect URL.
        redirect_uri: The same redirect URI the authorization URL used.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Example:
        tokens = auth.get_access_tokens(app_id, app_secret, redirected, redirect_uri)
    """
    client_id, secret, code, redirect = _exchange_args(app_id, app_secret, auth_code, redirect_uri)
    with _standalone_graph(
        base_url, timeout, session, (secret, code), allow_insecure_http
    ) as graph:
        return _get_access_tokens(graph, client_id, secret, code, redirect)


def _get_access_tokens(
    graph: GraphClient, app_id: str, app_secret: str, code: str, redirect_uri: str
) -> dict[str, Any]:
    short = _exchange_code(graph, app_id, app_secret, code, redirect_uri)
    long = _exchange_for_long_lived(graph, app_secret, str(short["access_token"]))
    return {"user_id": short["user_id"], "tokens": {"short_lived": short, "long_lived": long}}


def complete_authorization(
    app_id: str | int,
    app_secret: str,
    redirect_uri: str,
    requested_url: str,
    state: str,
    *,
    scopes: str | Iterable[str] | None = None,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> Credentials:
    """Finish the authorization: check the state, exchange the code, then for a long-lived
    token; returns long-lived `Credentials` (60 days).

    A missing or different state raises StateMismatchError before any request; Cancel raises
    AuthorizationDeniedError.

    Args:
        app_id: Your app's Threads app id.
        app_secret: Your app's secret (server side only).
        redirect_uri: The same redirect URI the authorization URL used.
        requested_url: The URL Threads redirected to.
        state: The state `authorization_url` returned.
        scopes: The permissions the URL asked for, recorded in the credentials (Meta's answers
            do not list them).
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Example:
        creds = auth.complete_authorization(app_id, app_secret, redirect_uri, redirected, state)
    """
    client_id, secret, redirect, answer, granted = _completion_args(
        app_id, app_secret, redirect_uri, requested_url, state, scopes
    )
    with _standalone_graph(
        base_url, timeout, session, (secret, answer.code), allow_insecure_http
    ) as graph:
        return _complete(graph, client_id, secret, redirect, answer.code, granted)


def _completion_args(
    app_id: str | int,
    app_secret: str,
    redirect_uri: str,
    requested_url: str,
    state: str,
    scopes: str | Iterable[str] | None,
) -> tuple[str, str, str, AuthorizationResponse, tuple[str, ...]]:
    """Every check complete_authorization makes before its first request."""
    client_id = _app_id(app_id)
    secret = _secret(app_secret)
    redirect = _redirect_uri(redirect_uri)
    granted = resolve_scopes(scopes) if scopes is not None else ()
    if not isinstance(state, str) or not state:
        check_state(None, None)  # raises the "state is required" ValidationError
    try:
        answer = parse_redirect(requested_url)
    except AuthorizationDeniedError:
        received = _query_value(requested_url, "state")
        if received is not None:
            check_state(state, received)
        raise
    check_state(state, answer.state)
    return client_id, secret, redirect, answer, granted


def _complete(
    graph: GraphClient,
    app_id: str,
    app_secret: str,
    redirect_uri: str,
    code: str,
    scopes: tuple[str, ...],
) -> Credentials:
    short = _exchange_code(graph, app_id, app_secret, code, redirect_uri)
    long = _exchange_for_long_lived(graph, app_secret, str(short["access_token"]))
    return Credentials.from_token_response(long, user_id=str(short["user_id"]), scopes=scopes)


def refresh_credentials(
    credentials: Credentials,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> Credentials:
    """New long-lived `Credentials` from refreshing these (the old token stays valid).

    An expired token raises TokenExpiredError and a short-lived one ValidationError, before
    any request.

    Args:
        credentials: The long-lived credentials to refresh.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Example:
        creds = auth.refresh_credentials(Credentials.from_json(saved.read_text()))
    """
    _check_refreshable(credentials)
    with _standalone_graph(
        base_url, timeout, session, (credentials.access_token,), allow_insecure_http
    ) as graph:
        return _refresh_credentials(graph, credentials)


def _check_refreshable(credentials: Credentials) -> None:
    if not isinstance(credentials, Credentials):
        raise ValidationError(
            "credentials must be a Credentials (see Credentials.from_json).",
            parameter="credentials",
        )
    if credentials.short_lived:
        raise ValidationError(
            "a short-lived token cannot be refreshed: exchange it for a long-lived one "
            "(exchange_for_long_lived) within its hour.",
            parameter="credentials",
        )
    if credentials.expired():
        expiration = credentials.expiration
        when = f" on {expiration:%Y-%m-%d %H:%M} UTC" if expiration is not None else ""
        raise TokenExpiredError(
            f"The long-lived token expired{when} and cannot be refreshed: authorize the app "
            "again (authorization_url / `threadspipepy auth-url`, then complete_authorization "
            "/ `threadspipepy access_token`)."
        )


def _refresh_credentials(graph: GraphClient, credentials: Credentials) -> Credentials:
    body = _refresh(graph, credentials.access_token)
    return Credentials.from_token_response(
        body, user_id=credentials.user_id, scopes=credentials.scopes
    )


def refresh_token(
    access_token: str,
    env_path: str | os.PathLike[str] | None = None,
    env_variable: str | None = None,
    *,
    base_url: str | None = None,
    timeout: float = 30.0,
    session: requests.Session | None = None,
    allow_insecure_http: bool | None = None,
) -> dict[str, Any]:
    """Refresh a long-lived token and, with `env_path` and `env_variable`, write the new one
    into that `.env` file (atomically, other lines untouched). Returns Meta's JSON.

    Args:
        access_token: The long-lived token.
        env_path: The `.env` file to write the new token into (with `env_variable`).
        env_variable: The variable of `env_path` that holds the token.
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for Meta's answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).

    Example:
        auth.refresh_token(token, ".env", "THREADS_ACCESS_TOKEN")
    """
    token = _token(access_token, "access_token")
    target = check_env_target(env_path, env_variable)
    with _standalone_graph(base_url, timeout, session, (token,), allow_insecure_http) as graph:
        body = _refresh(graph, token)
    if target is not None:
        update_env_file(target[0], target[1], str(body["access_token"]))
    return body


# -- argument checks -----------------------------------------------------------------------------
def _app_id(app_id: str | int) -> str:
    text = str(app_id).strip() if isinstance(app_id, str | int) else ""
    if isinstance(app_id, bool) or not text.isdigit():
        raise ValidationError(
            "app_id must be the numeric Threads App ID (App Dashboard > App settings > Basic, "
            "under Threads; not the Facebook app id).",
            parameter="app_id",
        )
    return text


def _secret(app_secret: str) -> str:
    if not isinstance(app_secret, str) or not app_secret.strip():
        raise ValidationError(
            "app_secret must be the Threads App Secret (App Dashboard > App settings > Basic, "
            "under Threads).",
            parameter="app_secret",
        )
    return app_secret.strip()


def _token(token: str, name: str) -> str:
    if not isinstance(token, str) or not token.strip():
        raise ValidationError(f"{name} must be a non-empty access token.", parameter=name)
    return token.strip()


def _redirect_uri(redirect_uri: str) -> str:
    parts = urlsplit(redirect_uri) if isinstance(redirect_uri, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            "redirect_uri must be an absolute https URL listed among the app's Valid OAuth "
            "Redirect URIs (exactly as listed).",
            parameter="redirect_uri",
        )
    return redirect_uri


def _exchange_args(
    app_id: str | int, app_secret: str, code: str, redirect_uri: str
) -> tuple[str, str, str, str]:
    client_id = _app_id(app_id)
    secret = _secret(app_secret)
    redirect = _redirect_uri(redirect_uri)
    if not isinstance(code, str) or not code.strip():
        raise ValidationError(
            "auth_code must be the code from the redirect URL (or the whole URL).",
            parameter="auth_code",
        )
    text = code.strip()
    if "code=" in text or "error=" in text:
        text = parse_redirect(text).code
    return client_id, secret, _strip_code(text), redirect


def _query_value(url: str, name: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    values = parse_qs(parts.query).get(name)
    return values[-1] if values else None
