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

from . import validation
from ._credentials import DEFAULT_REFRESH_MARGIN as DEFAULT_REFRESH_MARGIN
from ._credentials import LONG_LIVED_LIFETIME as LONG_LIVED_LIFETIME
from ._credentials import REFRESH_MIN_AGE as REFRESH_MIN_AGE
from ._credentials import SHORT_LIVED_LIFETIME as SHORT_LIVED_LIFETIME
from ._credentials import Credentials, lifetime_seconds, utcnow
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
    "CodeExchange",
    "Credentials",
    "EnvFileError",
    "InsecureEnvFileWarning",
    "OAuthError",
    "OAuthFlow",
    "StateMismatchError",
    "TokenPair",
    "authorization_url",
    "check_env_target",
    "check_refreshable",
    "check_state",
    "check_token",
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
    "standalone_graph",
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
    client_id = validation.app_id(app_id)
    redirect = validation.redirect_uri(redirect_uri)
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


# -- HTTP without a client ------------------------------------------------------------------------
@contextlib.contextmanager
def standalone_graph(
    base_url: str | None,
    timeout: float,
    session: requests.Session | None,
    secrets_: Iterable[str | None],
    allow_insecure_http: bool | None = None,
    *,
    access_token: str = "",
    api_version: str = "",
) -> Iterator[GraphClient]:
    """A GraphClient for calls made without a ThreadsPipe (closed afterwards): the OAuth
    exchanges (wrap it in `OAuthFlow`), and with `access_token` and `api_version` ("v1.0") Graph
    calls such as debug_token.

    The base URL is argument > `THREADS_API_BASE_URL` > Meta's; plain http is refused for a host
    that is not loopback unless `allow_insecure_http` (default: `THREADS_ALLOW_INSECURE_HTTP`).

    Args:
        base_url: The Threads API host (default `$THREADS_API_BASE_URL`, else
            `https://graph.threads.net`).
        timeout: Seconds to wait for each answer.
        session: A `requests.Session` to send through (default: a new one, closed after).
        secrets_: Values the calls carry that are masked in everything the client writes.
        allow_insecure_http: Allow a plain-http `base_url` that is not loopback (default
            `$THREADS_ALLOW_INSECURE_HTTP`).
        access_token: The token for Graph calls (none for the OAuth exchanges).
        api_version: The Graph version for Graph calls ("v1.0"; none for OAuth).

    Example:
        with auth.standalone_graph(None, 30.0, None, (token,)) as graph:
            fresh = auth.OAuthFlow(graph).refresh(token)
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


# -- step 3: what the code exchange sends, and what comes back -----------------------------------
@dataclass(frozen=True, repr=False)
class CodeExchange:
    """A code exchange, every value checked before any request: the app id, the app secret, the
    code (without `#_`), the redirect URI and the scopes to record in the credentials.

    `check()` takes a code or a whole redirect URL (0.4.5's `auth_code`); `from_redirect()` also
    checks the redirect's state (constant time). The repr masks the secret and the code.
    """

    app_id: str
    app_secret: str
    code: str
    redirect_uri: str
    scopes: tuple[str, ...] = ()

    @classmethod
    def check(
        cls, app_id: str | int, app_secret: str, code: str, redirect_uri: str
    ) -> CodeExchange:
        """Check the arguments of a code exchange (a redirect URL given as the code is read)."""
        client_id = validation.app_id(app_id)
        secret = validation.app_secret(app_secret)
        redirect = validation.redirect_uri(redirect_uri)
        if not isinstance(code, str) or not code.strip():
            raise ValidationError(
                "auth_code must be the code from the redirect URL (or the whole URL).",
                parameter="auth_code",
            )
        text = code.strip()
        if "code=" in text or "error=" in text:
            text = parse_redirect(text).code
        return cls(client_id, secret, _strip_code(text), redirect)

    @classmethod
    def from_redirect(
        cls,
        app_id: str | int,
        app_secret: str,
        redirect_uri: str,
        requested_url: str,
        state: str,
        scopes: str | Iterable[str] | None = None,
    ) -> CodeExchange:
        """Check what complete_authorization takes, the redirect's state included."""
        client_id = validation.app_id(app_id)
        secret = validation.app_secret(app_secret)
        redirect = validation.redirect_uri(redirect_uri)
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
        return cls(client_id, secret, answer.code, redirect, granted)

    @property
    def secrets(self) -> tuple[str, str]:
        """What this exchange carries that must never be shown: the secret and the code."""
        return (self.app_secret, self.code)

    def __repr__(self) -> str:
        return (
            f"CodeExchange(app_id={self.app_id!r}, app_secret={MASK!r}, code={MASK!r}, "
            f"redirect_uri={self.redirect_uri!r}, scopes={self.scopes!r})"
        )


@dataclass(frozen=True, repr=False)
class TokenPair:
    """The two answers of a completed code exchange: Meta's short-lived token JSON and the
    long-lived one it was swapped for. The repr shows no token."""

    short_lived: dict[str, Any]
    long_lived: dict[str, Any]

    @property
    def user_id(self) -> str:
        return str(self.short_lived["user_id"])

    def as_dict(self) -> dict[str, Any]:
        """0.4.5's shape: `{'user_id', 'tokens': {'short_lived', 'long_lived'}}`."""
        tokens = {"short_lived": self.short_lived, "long_lived": self.long_lived}
        return {"user_id": self.short_lived["user_id"], "tokens": tokens}

    def credentials(self, scopes: tuple[str, ...] = ()) -> Credentials:
        """Long-lived `Credentials` from the pair."""
        return Credentials.from_token_response(self.long_lived, user_id=self.user_id, scopes=scopes)

    def __repr__(self) -> str:
        return f"TokenPair(user_id={self.user_id!r})"


# -- the flow: every OAuth exchange, over one GraphClient -----------------------------------------
class OAuthFlow:
    """The OAuth exchanges, sent through `graph` (a client's own, or `standalone_graph`'s).

    The one implementation of the code exchange, the long-lived exchange, the two together,
    and refresh, used by the functions of this module, the `ThreadsPipe` methods and the token
    keep-alive. Calls are unversioned, carry no Authorization header, are sent as not
    repeatable (Meta's answers are final, a code works once) and never follow a redirect; their
    secrets are masked in every log line and error. Failures raise typed errors (`OAuthError`,
    `TokenExpiredError`, ... with Meta's message and what to do); `step` names the exchange in
    progress or last done: 'code', 'long_lived' or 'refresh'.
    """

    def __init__(self, graph: GraphClient) -> None:
        self.graph = graph
        self.step = "code"

    def exchange_code(self, exchange: CodeExchange) -> dict[str, Any]:
        """Swap the code for a short-lived token: `{'access_token', 'user_id'}`."""
        self.step = "code"
        body = self._request(
            "POST",
            CODE_EXCHANGE_PATH,
            data={
                "client_id": exchange.app_id,
                "client_secret": exchange.app_secret,
                "code": exchange.code,
                "grant_type": "authorization_code",
                "redirect_uri": exchange.redirect_uri,
            },
            secrets_=exchange.secrets,
        )
        if body.get("user_id") in (None, ""):
            raise OAuthError(
                "Exchanging the authorization code failed: Meta's answer has no user_id.",
                status_code=200,
            )
        log.info(
            "Exchanged the authorization code for a short-lived token (user %s)", body["user_id"]
        )
        return body

    def exchange_for_long_lived(self, app_secret: str, short_lived_token: str) -> dict[str, Any]:
        """Swap a short-lived token for a long-lived one: `{'access_token', 'token_type',
        'expires_in'}`."""
        self.step = "long_lived"
        body = self._request(
            "GET",
            LONG_LIVED_PATH,
            params={
                "grant_type": "th_exchange_token",
                "client_secret": app_secret,
                "access_token": short_lived_token,
            },
            secrets_=(app_secret, short_lived_token),
        )
        log.info("Got a long-lived token (%s)", _lifetime_text(body))
        return body

    def exchange_tokens(self, exchange: CodeExchange) -> TokenPair:
        """The code for a short-lived token, then that for a long-lived one."""
        short = self.exchange_code(exchange)
        long = self.exchange_for_long_lived(exchange.app_secret, str(short["access_token"]))
        return TokenPair(short, long)

    def complete(self, exchange: CodeExchange) -> Credentials:
        """Both exchanges, as long-lived `Credentials` carrying the exchange's scopes."""
        return self.exchange_tokens(exchange).credentials(exchange.scopes)

    def refresh(self, access_token: str) -> dict[str, Any]:
        """Refresh a long-lived token: `{'access_token', 'token_type', 'expires_in'}`."""
        self.step = "refresh"
        body = self._request(
            "GET",
            REFRESH_PATH,
            params={"grant_type": "th_refresh_token", "access_token": access_token},
            secrets_=(access_token,),
        )
        log.info("Refreshed the long-lived token (%s)", _lifetime_text(body))
        return body

    def refresh_credentials(self, credentials: Credentials) -> Credentials:
        """New `Credentials` from refreshing these (check them first: `check_refreshable`)."""
        body = self.refresh(credentials.access_token)
        return Credentials.from_token_response(
            body, user_id=credentials.user_id, scopes=credentials.scopes
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        secrets_: Sequence[str | None] = (),
    ) -> dict[str, Any]:
        """One OAuth call, errors explained for `self.step`.

        Sent as not repeatable: a wrong secret even comes back as Graph code 1, which would
        otherwise look transient. A connection that failed before the request went out is still
        retried. Errors are raised outside any `except`, so none keeps the transport's error (or
        anything behind it) as its context.
        """
        redactor = self.graph.redactor.with_secrets(secrets_)
        failure: ThreadsAPIError | ThreadsConnectionError | None = None
        body: dict[str, Any] = {}
        try:
            body = self.graph.request(
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
            raise _explained(failure, self.step, redactor)
        if isinstance(failure, ThreadsConnectionError):
            raise ThreadsConnectionError(
                redactor.text(str(failure)),
                request_sent=failure.request_sent,
                host=failure.host,
                kind=failure.kind,
            )
        if "error_message" in body or "error_code" in body:  # an OAuth error shape with HTTP 200
            raise _explained(error_from_envelope(body, 200), self.step, redactor)
        if not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise OAuthError(
                f"{STEP_NAMES.get(self.step, 'The OAuth request')} failed: Meta's answer has no "
                "access_token.",
                status_code=200,
            )
        return body


def _lifetime_text(body: Mapping[str, Any]) -> str:
    seconds = lifetime_seconds(body)
    if seconds is None:
        return "lifetime not given"
    expires = utcnow() + timedelta(seconds=seconds)
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
    exchange = CodeExchange.check(app_id, app_secret, code, redirect_uri)
    with standalone_graph(
        base_url, timeout, session, exchange.secrets, allow_insecure_http
    ) as graph:
        return OAuthFlow(graph).exchange_code(exchange)


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
    secret = validation.app_secret(app_secret)
    token = check_token(short_lived_token, "short_lived_token")
    with standalone_graph(
        base_url, timeout, session, (secret, token), allow_insecure_http
    ) as graph:
        return OAuthFlow(graph).exchange_for_long_lived(secret, token)


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
    token = check_token(access_token, "access_token")
    with standalone_graph(base_url, timeout, session, (token,), allow_insecure_http) as graph:
        return OAuthFlow(graph).refresh(token)


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
    exchange = CodeExchange.check(app_id, app_secret, auth_code, redirect_uri)
    with standalone_graph(
        base_url, timeout, session, exchange.secrets, allow_insecure_http
    ) as graph:
        return OAuthFlow(graph).exchange_tokens(exchange).as_dict()


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
    exchange = CodeExchange.from_redirect(
        app_id, app_secret, redirect_uri, requested_url, state, scopes
    )
    with standalone_graph(
        base_url, timeout, session, exchange.secrets, allow_insecure_http
    ) as graph:
        return OAuthFlow(graph).complete(exchange)


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
    check_refreshable(credentials)
    with standalone_graph(
        base_url, timeout, session, (credentials.access_token,), allow_insecure_http
    ) as graph:
        return OAuthFlow(graph).refresh_credentials(credentials)


def check_refreshable(credentials: Credentials) -> None:
    """Refuse, before any request, what cannot be refreshed: not Credentials (ValidationError),
    a short-lived token (ValidationError) or an expired one (TokenExpiredError).

    Args:
        credentials: The credentials to refresh.

    Example:
        auth.check_refreshable(creds)
    """
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
    token = check_token(access_token, "access_token")
    target = check_env_target(env_path, env_variable)
    with standalone_graph(base_url, timeout, session, (token,), allow_insecure_http) as graph:
        body = OAuthFlow(graph).refresh(token)
    if target is not None:
        update_env_file(target[0], target[1], str(body["access_token"]))
    return body


def check_token(token: str, name: str) -> str:
    """A non-empty access token, stripped; ValidationError naming `name` otherwise.

    Args:
        token: The token given.
        name: The parameter's name, for the message.

    Example:
        token = auth.check_token(token, "access_token")
    """
    return validation.access_token(token, name)


# -- argument checks -----------------------------------------------------------------------------
def _query_value(url: str, name: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    values = parse_qs(parts.query).get(name)
    return values[-1] if values else None
