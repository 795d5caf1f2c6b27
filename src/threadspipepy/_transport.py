"""GraphClient: the one way this library talks HTTP to Meta (and, through `send`, to GitHub).

One `requests.Session` per client, a timeout on every request, retries with backoff for what is
safe to send again, Graph error envelopes turned into typed exceptions, and every URL, header
and body that reaches a log line or an exception message passed through the redactor.

This is the one HTTP boundary, so it is also where secrets are kept in: every string the server
sends back that reaches an exception or a result (Graph's error message and type, a container's
`error_message`, a body that is not JSON) is redacted; no exception raised here keeps a
reference to the requests exception, Response or PreparedRequest behind it (their URLs, headers
and bodies may carry a token), only a redacted description (`RequestFailure`); and a request that
carries a secret in its URL or body never follows a redirect.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import NewConnectionError, ProtocolError

from ._log import Log, logger_for
from ._redaction import Redactor, redact_text
from ._retry import RetryPolicy, call_with_retries, parse_retry_after
from ._urls import host_of as host_of
from ._urls import path_of as path_of
from .errors import (
    AuthenticationError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
    ThreadsPipeError,
    ValidationError,
    error_from_envelope,
    is_transient,
)
from .validation import missing_credentials_message

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "threadspipepy"
# How a request that got no HTTP answer failed, in words (RequestFailure.kind -> text).
FAILURE_TEXT: Mapping[str, str] = {
    "dns": "the host name could not be resolved (DNS)",
    "refused": "the connection was refused",
    "timeout": "no answer within the timeout",
    "reset": "the connection was reset or dropped",
    "tls": "the TLS handshake failed",
    "connection": "the connection failed",
}
# What to do about it (RequestFailure.kind -> the fix that applies).
FIX_TEXT: Mapping[str, str] = {
    "dns": "Check the host name in the base URL (threads_base_url=, $THREADS_API_BASE_URL) and "
    "this machine's network and DNS.",
    "refused": "Nothing accepts connections there: check the base URL's host and port, and that "
    "the server is running (a longer timeout= will not help).",
    "timeout": "The server, or the network to it, is slow or not answering: raise timeout= "
    "(command line: --timeout SECONDS), check any proxy or firewall, and try again.",
    "reset": "Usually a passing network problem, or a proxy or firewall closing the connection: "
    "try again.",
    "tls": "Check this machine's clock and CA certificates ($REQUESTS_CA_BUNDLE), and any proxy "
    "that intercepts HTTPS.",
    "connection": "Check the network and the base URL.",
}


@dataclass(frozen=True)
class Endpoint:
    """Where a GraphClient sends requests."""

    base_url: str
    api_version: str

    def url(self, path: str, *, versioned: bool = True) -> str:
        base = self.base_url.rstrip("/")
        if versioned and self.api_version:
            return f"{base}/{self.api_version.strip('/')}/{path.lstrip('/')}"
        return f"{base}/{path.lstrip('/')}"


class TokenHook(Protocol):
    """What keeps a client's token alive (tokens.TokenKeeper): asked before every
    authenticated request (it may refresh and swap `access_token`), and handed every
    authentication error such a request gets (it returns the error to raise instead)."""

    def before_request(self) -> None: ...

    def auth_failed(self, error: AuthenticationError) -> ThreadsAPIError: ...


class GraphClient:
    """Sends Graph API requests for one access token over one Session.

    `access_token` is the token itself, or a function that returns the current one: a
    `ThreadsPipe` passes its configuration's, so the token lives in one place and what
    `update_param` (or the token keep-alive) sets is what the next request sends.
    """

    def __init__(
        self,
        *,
        access_token: str | Callable[[], str],
        endpoint: Endpoint,
        timeout: float,
        retry: RetryPolicy,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redactor: Redactor | None = None,
        log: Log | None = None,
    ) -> None:
        self._token: Callable[[], str] = (
            access_token if callable(access_token) else _fixed(access_token)
        )
        self.endpoint = endpoint
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.redactor = redactor or Redactor([self.access_token])
        self.log = log or logger_for("transport")
        self.token_hook: TokenHook | None = None  # set by a client with a token store
        self._owns_session = session is None
        self.session = session or new_session()
        install_urllib3_redaction()

    @property
    def access_token(self) -> str:
        """The token the next authenticated request sends."""
        return self._token()

    @access_token.setter
    def access_token(self, value: str) -> None:
        """Send `value` from now on (a client without a configuration of its own)."""
        self._token = _fixed(value)

    # -- public helpers ---------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(
        self, path: str, data: Mapping[str, Any] | None = None, *, idempotent: bool = False
    ) -> dict[str, Any]:
        return self.request("POST", path, data=data, idempotent=idempotent)

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    # -- the one request loop ---------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        versioned: bool = True,
        idempotent: bool | None = None,
        authenticated: bool = True,
        secrets: Sequence[str | None] = (),
    ) -> dict[str, Any]:
        """Send a request and return its JSON object, or raise a typed error.

        Idempotent requests are retried on transient failures; any request is retried when
        the connection failed before it was sent. A POST that may have reached Meta is never
        sent again here: the caller decides (publishing reads the container status first).
        `secrets` are values this request carries in its URL or body (an app secret, a code,
        a token in the query): they are masked in every log line and error, and the request
        never follows a redirect, which would send them on to another server.
        """
        method = method.upper()
        safe_to_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        url = self.endpoint.url(path, versioned=versioned)
        headers = {"User-Agent": USER_AGENT}
        if authenticated:
            if self.token_hook is not None:
                self.token_hook.before_request()
            token = self.access_token
            if not token.strip():  # a client built for the OAuth flow
                raise ValidationError(
                    missing_credentials_message(["access_token"]), parameter="access_token"
                )
            headers["Authorization"] = f"Bearer {token}"
        carried = [s for s in secrets if s]
        call = _Call(
            method,
            url,
            params,
            data,
            headers,
            self.redactor.with_secrets(carried) if carried else self.redactor,
            follow_redirects=not carried,
        )
        hook = self.token_hook if authenticated else None

        def attempt() -> dict[str, Any]:
            try:
                return self._send_once(call)
            except AuthenticationError as exc:
                if hook is None:
                    raise
                raise hook.auth_failed(exc) from None

        def retryable(exc: Exception) -> bool:
            if isinstance(exc, ThreadsConnectionError):
                return safe_to_repeat or not exc.request_sent
            if not isinstance(exc, ThreadsAPIError) or not safe_to_repeat:
                return False
            # A Retry-After beyond the cap is the caller's decision, not a hidden sleep.
            too_long = exc.retry_after is not None and exc.retry_after > self.retry.retry_after_cap
            return is_transient(exc) and not too_long

        def on_retry(exc: Exception, delay: float, attempt: int) -> None:
            why = f"HTTP {exc.status_code}" if isinstance(exc, ThreadsAPIError) else str(exc)
            self._log_retry(call, why, delay, attempt)

        return call_with_retries(
            attempt,
            self.retry,
            self.sleep,
            retryable=retryable,
            retry_after=lambda exc: getattr(exc, "retry_after", None),
            on_retry=on_retry,
        )

    def _send_once(self, call: _Call) -> dict[str, Any]:
        started = time.monotonic()
        outcome = self._exchange(call)
        # Raised here, outside any `except`, so the error's __context__ is None: the requests
        # exception (its URL, headers and body) is gone, only its description is kept.
        if isinstance(outcome, RequestFailure):
            raise self._connection_error(call, outcome)
        response = outcome
        elapsed_ms = (time.monotonic() - started) * 1000
        body = _json_or_none(response)
        redact = call.redactor.text
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s -> %s (%.0f ms) fbtrace_id=%s",
                call.method,
                redact(_path_and_query(response.url or call.url)),
                response.status_code,
                elapsed_ms,
                redact(str(_fbtrace(body, response))),
            )
        if response.is_redirect and not call.follow_redirects:
            raise self._refused_redirect(call, response)
        if body is None:
            raise self._not_json(call, response)
        if response.status_code >= 400 or "error" in body:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise _redacted(
                error_from_envelope(body, response.status_code, retry_after=retry_after),
                call.redactor,
            )
        if isinstance(body.get("error_message"), str):  # a container's status, in Meta's words
            body["error_message"] = redact(body["error_message"])
        return body

    def _exchange(self, call: _Call) -> requests.Response | RequestFailure:
        return exchange(
            self.session,
            call.method,
            call.url,
            timeout=self.timeout,
            headers=call.headers,
            params=_clean(call.params),
            data=_clean(call.data),
            follow_redirects=call.follow_redirects,
        )

    # -- error shaping ----------------------------------------------------------------------
    def _connection_error(self, call: _Call, failure: RequestFailure) -> ThreadsConnectionError:
        where = call.redactor.text(_path_and_query(call.url))
        host = host_of(call.url)
        verb = "timed out" if failure.kind == "timeout" else "failed"
        return ThreadsConnectionError(
            f"{call.method} {where} on {host} {verb} before Threads answered: "
            f"{failure.description}. {failure.fix}",
            request_sent=failure.sent,
            host=host,
            kind=failure.kind,
        )

    def _not_json(self, call: _Call, response: requests.Response) -> ServerError:
        snippet = " ".join(response.text[:200].split())
        content_type = response.headers.get("Content-Type", "unknown content type")
        return ServerError(
            call.redactor.text(
                f"{call.method} {_path_and_query(call.url)} answered HTTP "
                f"{response.status_code} with a body that is not JSON ({content_type}): "
                f"{snippet!r}"
            ),
            status_code=response.status_code,
        )

    def _refused_redirect(self, call: _Call, response: requests.Response) -> ThreadsAPIError:
        target = host_of(urljoin(call.url, response.headers.get("Location", "")))
        return ThreadsAPIError(
            call.redactor.text(
                f"{call.method} {_path_and_query(call.url)} answered HTTP "
                f"{response.status_code}, a redirect to {target}: this request carries a "
                "secret, so it is not sent on. Check the base URL (Meta's OAuth endpoints do "
                "not redirect)."
            ),
            status_code=response.status_code,
        )

    def _log_retry(self, call: _Call, why: str, delay: float, attempt: int) -> None:
        self.log.warning(
            "Retrying %s %s after %s in %.1f s (retry %d of %d)",
            call.method,
            call.redactor.text(_path_and_query(call.url)),
            why,
            delay,
            attempt,
            self.retry.max_retries,
        )


def _fixed(token: str) -> Callable[[], str]:
    return lambda: token


@dataclass(frozen=True)
class _Call:
    """One request as the retry loop sends it, with the redactor that knows its secrets."""

    method: str
    url: str
    params: Mapping[str, Any] | None
    data: Mapping[str, Any] | None
    headers: Mapping[str, str]
    redactor: Redactor
    follow_redirects: bool = True


def _redacted(error: ThreadsAPIError, redactor: Redactor) -> ThreadsAPIError:
    """The server's own strings in an error, redacted (a token echoed in a message)."""
    error.message = redactor.text(error.message)
    error.args = (error.message,)
    if error.type is not None:
        error.type = redactor.text(str(error.type))
    if error.fbtrace_id is not None:
        error.fbtrace_id = redactor.text(str(error.fbtrace_id))
    return error


class RestClient:
    """JSON requests to an API other than Graph (GitHub's contents API), through `exchange`.

    `base_url` is the URL that request paths are joined to (each path segment quoted);
    `headers` go on every request. A connection that failed before the request was sent is
    retried (`retry`, with the injected `sleep`); anything else is the caller's decision. The
    API's failures become `error` (MediaHostingError for a media host) naming `name`, the method
    and the path, with the server's own message redacted of `secrets`; a 404 is `{}` when the
    caller says a missing object is fine.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        headers: Mapping[str, str],
        timeout: float,
        session: requests.Session,
        secrets: Sequence[str | None] = (),
        error: Callable[..., Exception] = ThreadsPipeError,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.timeout = timeout
        self.session = session
        self.redactor = Redactor(secrets)
        self.error = error
        self.retry = retry or RetryPolicy(max_retries=0)
        self.sleep = sleep

    def request(
        self, method: str, path: str, *, missing_ok: bool = False, **body: Any
    ) -> dict[str, Any]:
        """`method` on `{base_url}/{path}` with `data=` or `json=`: the JSON object answered."""
        url = f"{self.base_url}/{quote(path)}"
        outcome: requests.Response | RequestFailure
        try:
            outcome = call_with_retries(
                lambda: self._sent(method, url, body),
                self.retry,
                self.sleep,
                retryable=lambda exc: isinstance(exc, _NotSent),
            )
        except _NotSent as never_sent:  # the retries are spent
            outcome = never_sent.failure
        # Raised here, outside any `except`: no __context__ holding the request's headers.
        if isinstance(outcome, RequestFailure):
            raise self.error(
                f"{self.name} {method} {path} failed before an answer: {outcome.description}."
            )
        response = outcome
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        if response.status_code == 404 and missing_ok:
            return {}
        if response.status_code >= 300:
            message = answer.get("message") if isinstance(answer, dict) else None
            raise self.error(
                self.redactor.text(  # the API's own words may echo the token
                    f"{self.name} {method} {path} answered HTTP {response.status_code}: "
                    f"{message or response.reason}."
                ),
                status_code=response.status_code,
            )
        return answer if isinstance(answer, dict) else {}

    def _sent(
        self, method: str, url: str, body: Mapping[str, Any]
    ) -> requests.Response | RequestFailure:
        outcome = exchange(
            self.session, method, url, timeout=self.timeout, headers=self.headers, **body
        )
        if isinstance(outcome, RequestFailure) and not outcome.sent:
            raise _NotSent(outcome)  # safe to send again, whatever the method
        return outcome


class _NotSent(Exception):
    """A connection that failed before the request went out (retried by RestClient)."""

    def __init__(self, failure: RequestFailure) -> None:
        super().__init__(failure.description)
        self.failure = failure


@dataclass(frozen=True)
class RequestFailure:
    """How a request that got no HTTP answer failed, kept instead of the exception itself.

    `kind`: dns, refused, timeout, reset, tls or connection; `sent`: whether the request may
    have reached the server (False when the connection was never made).
    """

    kind: str
    sent: bool

    @property
    def description(self) -> str:
        return FAILURE_TEXT[self.kind]

    @property
    def fix(self) -> str:
        """What to do about it, in a sentence."""
        return FIX_TEXT[self.kind]


def describe_request_failure(exc: requests.RequestException) -> RequestFailure:
    """The kind of a requests failure, read from its exception chain (no reference kept)."""
    chain = _exception_chain(exc)

    def found(*types: type[BaseException]) -> bool:
        return any(isinstance(e, types) for e in chain)

    dns = found(socket.gaierror) or any(type(e).__name__ == "NameResolutionError" for e in chain)
    if isinstance(exc, requests.exceptions.SSLError) or found(ssl.SSLError):
        kind = "tls"
    elif dns:
        kind = "dns"
    elif found(ConnectionRefusedError):
        kind = "refused"
    elif isinstance(exc, requests.Timeout) or found(TimeoutError):
        kind = "timeout"
    elif isinstance(exc, requests.exceptions.ChunkedEncodingError) or found(
        ConnectionResetError,
        ConnectionAbortedError,
        BrokenPipeError,
        http.client.RemoteDisconnected,
        ProtocolError,
    ):
        kind = "reset"
    else:
        kind = "connection"
    never_sent = (
        kind in ("dns", "refused")
        or isinstance(exc, requests.ConnectTimeout)
        or found(NewConnectionError)
    )
    return RequestFailure(kind, sent=not never_sent)


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    timeout: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, Any] | None = None,
    data: Any = None,
    json: Any = None,
    follow_redirects: bool = True,
) -> requests.Response | RequestFailure:
    """One HTTP exchange: the one place a request of this library leaves (Graph through
    GraphClient, GitHub through RestClient, the media probe). A timeout always; the response, or
    a `RequestFailure` describing what went wrong: never the requests exception, whose URL,
    headers and body may carry a secret, and which the caller raises nothing from."""
    try:
        return session.request(
            method,
            url,
            params=params,
            data=data,
            json=json,
            headers=dict(headers or {}),
            timeout=timeout,
            allow_redirects=follow_redirects,
        )
    except requests.RequestException as exc:
        return describe_request_failure(exc)


def _exception_chain(exc: BaseException, limit: int = 16) -> list[BaseException]:
    """The exception and those it wraps (args, urllib3's `reason`, cause, context)."""
    found: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending and len(found) < limit:
        current = pending.pop(0)
        if any(current is seen for seen in found):
            continue
        found.append(current)
        linked = [
            *current.args,
            getattr(current, "reason", None),
            current.__cause__,
            current.__context__,
        ]
        pending.extend(item for item in linked if isinstance(item, BaseException))
    return found


def new_session(pool_size: int = 50) -> requests.Session:
    """A Session whose pool fits the parallel uploads and container creations."""
    return mount_adapters(requests.Session(), pool_size)


def mount_adapters(session: requests.Session, pool_size: int = 50) -> requests.Session:
    """Give `session` adapters sized for parallel requests, with no retries of their own
    (GraphClient decides what is retried)."""
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _clean(values: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop None values and send booleans the way Graph expects them ("true"/"false")."""
    if values is None:
        return None
    out: dict[str, str] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        else:
            out[key] = str(value)
    return out


def _json_or_none(response: requests.Response) -> dict[str, Any] | None:
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict):
        return body
    return {"data": body}


def _fbtrace(body: Mapping[str, Any] | None, response: requests.Response) -> str | None:
    if body is not None:
        error = body.get("error")
        if isinstance(error, Mapping) and error.get("fbtrace_id"):
            return str(error["fbtrace_id"])
    return response.headers.get("x-fb-trace-id") or response.headers.get("x-fb-request-id")


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


class _Urllib3Redaction(logging.Filter):
    """Masks secrets in urllib3's own DEBUG request lines (URLs that must carry a secret)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_filter_lock = threading.Lock()
_filter_installed = False


def install_urllib3_redaction() -> None:
    """Attach the redacting filter to urllib3's request logger, once per process."""
    global _filter_installed
    with _filter_lock:
        if not _filter_installed:
            logging.getLogger("urllib3.connectionpool").addFilter(_Urllib3Redaction())
            _filter_installed = True
