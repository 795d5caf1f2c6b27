"""GraphClient: the one way this library talks HTTP to Meta (and, through `send`, to GitHub).

One `requests.Session` per client, a timeout on every request, retries with backoff for what is
safe to send again, Graph error envelopes turned into typed exceptions, and every URL, header
and body that reaches a log line or an exception message passed through the redactor.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests
from requests.adapters import HTTPAdapter

from ._log import Log, logger_for
from ._redaction import Redactor, redact_text
from ._retry import RetryPolicy, parse_retry_after
from .errors import (
    AuthenticationError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
    error_from_envelope,
    is_transient,
)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
USER_AGENT = "threadspipepy"


def path_of(*segments: object) -> str:
    """Join path segments, percent-encoding each one (ids come from callers)."""
    return "/".join(quote(str(s), safe="") for s in segments)


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
    """Sends Graph API requests for one access token over one Session."""

    def __init__(
        self,
        *,
        access_token: str,
        endpoint: Endpoint,
        timeout: float,
        retry: RetryPolicy,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        redactor: Redactor | None = None,
        log: Log | None = None,
    ) -> None:
        self.access_token = access_token
        self.endpoint = endpoint
        self.timeout = timeout
        self.retry = retry
        self.sleep = sleep
        self.redactor = redactor or Redactor([access_token])
        self.log = log or logger_for("transport")
        self.token_hook: TokenHook | None = None  # set by a client with a token store
        self._owns_session = session is None
        self.session = session or new_session()
        install_urllib3_redaction()

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
    ) -> dict[str, Any]:
        """Send a request and return its JSON object, or raise a typed error.

        Idempotent requests are retried on transient failures; any request is retried when
        the connection failed before it was sent. A POST that may have reached Meta is never
        sent again here: the caller decides (publishing reads the container status first).
        """
        method = method.upper()
        safe_to_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        url = self.endpoint.url(path, versioned=versioned)
        headers = {"User-Agent": USER_AGENT}
        if authenticated:
            if self.token_hook is not None:
                self.token_hook.before_request()
            headers["Authorization"] = f"Bearer {self.access_token}"
        attempt = 0
        while True:
            try:
                return self._send_once(method, url, params, data, headers)
            except ThreadsConnectionError as exc:
                retryable = safe_to_repeat or not exc.request_sent
                if not retryable or attempt >= self.retry.max_retries:
                    raise
                attempt += 1
                delay = self.retry.delay(attempt)
                self._log_retry(method, url, str(exc), delay, attempt)
            except ThreadsAPIError as exc:
                hook = self.token_hook if authenticated else None
                if hook is not None and isinstance(exc, AuthenticationError):
                    raise hook.auth_failed(exc) from None
                if not (safe_to_repeat and is_transient(exc)) or attempt >= self.retry.max_retries:
                    raise
                if exc.retry_after is not None and exc.retry_after > self.retry.retry_after_cap:
                    raise  # waiting that long is the caller's decision, not a hidden sleep
                attempt += 1
                delay = self.retry.delay(attempt, exc.retry_after)
                self._log_retry(method, url, f"HTTP {exc.status_code}", delay, attempt)
            self.sleep(delay)

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        data: Mapping[str, Any] | None,
        headers: Mapping[str, str],
    ) -> dict[str, Any]:
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=_clean(params),
                data=_clean(data),
                headers=dict(headers),
                timeout=self.timeout,
                allow_redirects=True,
            )
        except requests.RequestException as exc:
            raise self._connection_error(method, url, exc) from None
        elapsed_ms = (time.monotonic() - started) * 1000
        body = _json_or_none(response)
        fbtrace = _fbtrace(body, response)
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "%s %s -> %s (%.0f ms) fbtrace_id=%s",
                method,
                self.redactor.text(_path_and_query(response.url or url)),
                response.status_code,
                elapsed_ms,
                fbtrace,
            )
        if body is None:
            raise self._not_json(method, url, response)
        if response.status_code >= 400 or "error" in body:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise self._redacted(
                error_from_envelope(body, response.status_code, retry_after=retry_after)
            )
        return body

    # -- error shaping ----------------------------------------------------------------------
    def _connection_error(
        self, method: str, url: str, exc: requests.RequestException
    ) -> ThreadsConnectionError:
        where = self.redactor.text(_path_and_query(url))
        kind = "timed out" if isinstance(exc, requests.Timeout) else "failed"
        return ThreadsConnectionError(
            f"{method} {where} {kind} before Threads answered: {type(exc).__name__}. "
            "Check the network and the base URL, or raise `timeout=`.",
            request_sent=not _never_sent(exc),
        )

    def _not_json(self, method: str, url: str, response: requests.Response) -> ServerError:
        snippet = " ".join(response.text[:200].split())
        content_type = response.headers.get("Content-Type", "unknown content type")
        return ServerError(
            self.redactor.text(
                f"{method} {_path_and_query(url)} answered HTTP {response.status_code} with a "
                f"body that is not JSON ({content_type}): {snippet!r}"
            ),
            status_code=response.status_code,
        )

    def _redacted(self, error: ThreadsAPIError) -> ThreadsAPIError:
        error.message = self.redactor.text(error.message)
        error.args = (error.message,)
        return error

    def _log_retry(self, method: str, url: str, why: str, delay: float, attempt: int) -> None:
        self.log.warning(
            "Retrying %s %s after %s in %.1f s (retry %d of %d)",
            method,
            self.redactor.text(_path_and_query(url)),
            why,
            delay,
            attempt,
            self.retry.max_retries,
        )


def new_session(pool_size: int = 50) -> requests.Session:
    """A Session whose pool fits the parallel uploads and container creations."""
    session = requests.Session()
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


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the connection failed before the request went out."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        text = repr(exc)
        return "NewConnectionError" in text or "Connection refused" in text
    return False


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
