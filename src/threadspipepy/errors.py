"""The exception tree of threadspipepy and the mapping from Graph error envelopes to it.

Every exception class a caller can catch lives here, whatever raises it (the OAuth flow, the
`.env` writer, locks, the journal, token stores, webhooks); the modules that raise them
re-export them under their old names. Private signals between two functions of one module
(`publishing.PublishInDoubt`, `media.ProbeFailed`, ...) stay beside their code.

`ThreadsPipeError` is the root. Every error that came from Meta is a `ThreadsAPIError`
carrying Meta's code, subcode, type, message, `fbtrace_id` and the HTTP status. Bad input is a
`ValidationError` (also a `ValueError`), always raised before any request is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Graph codes that mean "try again later" (Graph's error-handling guide; design.md §3).
TRANSIENT_CODES: frozenset[int] = frozenset({1, 2, 4, 17, 32, 341, 613})
RATE_LIMIT_CODES: frozenset[int] = frozenset({4, 17, 32, 341, 613})
AUTH_CODES: frozenset[int] = frozenset({102, 190})
# Auth subcodes that mean the token's time is up rather than that it is wrong.
EXPIRED_SUBCODES: frozenset[int] = frozenset({463})
DUPLICATE_POST_CODE = 506


class ThreadsPipeError(Exception):
    """Root of every exception this library raises on purpose.

    When a facade method raises instead of returning a failure result (`raise_on_error=True`
    or `result.raise_for_error()`), `result` is that result dict: for `pipe()` its `data`
    says which parts are live (`media_ids`), each part's state (`parts`: published, in_doubt
    or not_sent) and what is left (`remaining`), and `resume_pipe(exc)` finishes the chain.
    """

    result: Mapping[str, Any] | None = None

    @property
    def data(self) -> Mapping[str, Any]:
        """The failed call's `data` (empty when it had none)."""
        data = self.result.get("data") if self.result is not None else None
        return data if isinstance(data, Mapping) else {}

    @property
    def media_ids(self) -> list[str]:
        """Ids of the posts that are live."""
        return list(self.data.get("media_ids") or [])

    @property
    def parts(self) -> list[Mapping[str, Any]]:
        """Each part's state: `published` (with `id`), `in_doubt` (with `container_id`) or
        `not_sent`."""
        return list(self.data.get("parts") or [])

    @property
    def remaining(self) -> list[Mapping[str, Any]]:
        """The planned posts not yet known to be live (what resume_pipe publishes)."""
        return list(self.data.get("remaining") or [])


class ValidationError(ThreadsPipeError, ValueError):
    """Bad input, caught before any request was sent. `parameter` names the culprit."""

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class ThreadsConnectionError(ThreadsPipeError):
    """The request never got an HTTP answer: refused, reset, dropped or timed out.

    `request_sent` is False when the connection failed before the request went out, so
    Meta cannot have acted on it; True when it may have (a read timeout, a dropped answer).
    `host` is the server's host (and port) and `kind` the cause: `dns`, `refused`, `timeout`,
    `reset`, `tls` or `connection`. The error keeps no reference to the underlying requests
    exception (whose URL, headers and body may carry a secret): this description replaces it.
    """

    def __init__(
        self,
        message: str,
        *,
        request_sent: bool = True,
        host: str | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(message)
        self.request_sent = request_sent
        self.host = host
        self.kind = kind


class ThreadsAPIError(ThreadsPipeError):
    """Meta answered with an error (or with something that is not JSON at all)."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,  # Meta's own field name
        fbtrace_id: str | None = None,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.fbtrace_id = fbtrace_id
        self.status_code = status_code
        self.retry_after = retry_after

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("code", self.code),
                ("subcode", self.subcode),
                ("status", self.status_code),
                ("fbtrace_id", self.fbtrace_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message

    def to_dict(self) -> dict[str, Any]:
        """The error as it goes into a result dict: Meta's fields plus status and kind."""
        return {
            "message": self.message,
            "type": self.type,
            "code": self.code,
            "error_subcode": self.subcode,
            "fbtrace_id": self.fbtrace_id,
            "status_code": self.status_code,
            "error_class": type(self).__name__,
        }


class AuthenticationError(ThreadsAPIError):
    """The access token is invalid, revoked or (see the subclass) expired."""


class TokenExpiredError(AuthenticationError):
    """The token's time is up: refresh a long-lived token before it expires, or sign in again."""


class PermissionDeniedError(ThreadsAPIError):
    """The app or user lacks a permission (scope) this call needs."""


class RateLimitError(ThreadsAPIError):
    """Throttled by Meta or over a publishing quota. `retry_after` is in seconds, if known."""


class DuplicatePostError(ThreadsAPIError):
    """Meta refused the post as a duplicate (code 506)."""


class MediaProcessingError(ThreadsAPIError):
    """A container ended in ERROR or EXPIRED, or did not finish in time."""

    def __init__(
        self,
        message: str,
        *,
        container_id: str | None = None,
        status: str | None = None,
        error_message: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, **kwargs)
        self.container_id = container_id
        self.status = status
        self.error_message = error_message

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.update(
            container_id=self.container_id,
            status=self.status,
            container_error_message=self.error_message,
        )
        return out


class MediaHostingError(ThreadsPipeError):
    """Uploading local media to its temporary host (or deleting it) failed."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class NotFoundError(ThreadsAPIError):
    """The object (post, container, user) does not exist or cannot be seen."""


class ServerError(ThreadsAPIError):
    """Meta failed on its side (5xx, codes 1 and 2, or a body that is not JSON)."""


# -- OAuth (auth) ----------------------------------------------------------------------------------
class StateMismatchError(ValidationError):
    """The redirect's `state` is missing or differs from the one issued: refused, nothing sent.

    A `ValidationError` (so also a `ValueError`) with `parameter='state'`. It means the redirect
    did not come from the authorization this code started (a forged or stale link): start the
    authorization again.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message, parameter="state")


class AuthorizationDeniedError(AuthenticationError):
    """The user clicked Cancel (`error=access_denied`), or the redirect carries another error.

    `error`, `error_reason` and `error_description` are the redirect's own parameters.
    """

    def __init__(
        self,
        message: str,
        *,
        error: str | None = None,
        error_reason: str | None = None,
        error_description: str | None = None,
    ) -> None:
        super().__init__(message, type=error)
        self.error = error
        self.error_reason = error_reason
        self.error_description = error_description


class OAuthError(AuthenticationError):
    """An OAuth endpoint refused the request: wrong app id or secret, a used or expired code,
    a redirect URI that does not match, a token that cannot be exchanged or refreshed.

    The message is Meta's, followed by the likely cause and what to do.
    """


# -- files, locks and stores -----------------------------------------------------------------------
class EnvFileError(ThreadsPipeError):
    """The `.env` file could not be read or written."""


class InsecureEnvFileWarning(UserWarning):
    """A world-readable (or -writable) `.env` file was given a token: it was made 0600."""


class LockTimeoutError(ThreadsPipeError):
    """Another thread or process held a lock for longer than the caller would wait."""


class JournalError(ThreadsPipeError):
    """The journal could not be read or written; nothing was sent for the step it guards."""


class JournalBusyError(JournalError):
    """Another process (or thread) is working on this idempotency key right now."""


class JournalLeaseLostError(JournalError):
    """This run's hold on a key expired and another owner took it: this run must stop."""


class TokenStoreError(ThreadsPipeError):
    """A token store could not be read or written."""


class QuotaReservationError(ThreadsPipeError):
    """The shared quota reservations could not be read or written; nothing was published."""


# -- queue workers ---------------------------------------------------------------------------------
class ChainNotFinished(ThreadsPipeError):
    """A queue task's chain is not complete yet: retry the job (its idempotency key continues
    the chain). `report` says which parts are live, in doubt or not sent."""

    def __init__(self, message: str, report: Mapping[str, Any]) -> None:
        super().__init__(message, dict(report))
        self.report: dict[str, Any] = dict(report)

    def __str__(self) -> str:
        return str(self.args[0])


class QuotaFull(ChainNotFinished):
    """Nothing was published: the account's quota (with what other workers reserved) has no
    room for the chain now. Retry later (the quota is a rolling 24-hour window)."""


# -- webhooks --------------------------------------------------------------------------------------
class WebhookError(ThreadsPipeError):
    """A webhook request was refused. `status` is the HTTP status to answer with."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class PayloadError(WebhookError):
    """The body is not a JSON object or array (HTTP 400)."""


class SignatureError(WebhookError):
    """The notification's signature is missing, malformed or wrong (HTTP 403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=403)


class HandshakeError(WebhookError):
    """The subscription handshake was refused: 400 for a malformed request, 403 for a
    missing or wrong verify token."""


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def error_from_envelope(
    body: Mapping[str, Any] | None,
    status_code: int | None,
    *,
    retry_after: float | None = None,
) -> ThreadsAPIError:
    """Turn a Graph error envelope (`{"error": {...}}`) and the HTTP status into an exception.

    The other shapes some endpoints use (`{"error_message", "error_code"}` and
    `{"error_type", "code", "error_message"}`) are read too.
    """
    raw: Mapping[str, Any] = {}
    if body is not None:
        inner = body.get("error")
        raw = inner if isinstance(inner, Mapping) else body
    message = str(
        raw.get("message")
        or raw.get("error_message")
        or raw.get("error_user_msg")
        or (f"HTTP {status_code}" if status_code else "Unknown error")
    )
    code = _as_int(raw.get("code", raw.get("error_code")))
    subcode = _as_int(raw.get("error_subcode"))
    fields: dict[str, Any] = {
        "code": code,
        "subcode": subcode,
        "type": raw.get("type") or raw.get("error_type"),
        "fbtrace_id": raw.get("fbtrace_id"),
        "status_code": status_code,
        "retry_after": retry_after,
    }
    return _error_class(code, subcode, status_code, message)(message, **fields)


def _error_class(
    code: int | None, subcode: int | None, status_code: int | None, message: str
) -> type[ThreadsAPIError]:
    if code in AUTH_CODES:
        expired = subcode in EXPIRED_SUBCODES or "expired" in message.lower()
        return TokenExpiredError if expired else AuthenticationError
    if code in RATE_LIMIT_CODES or status_code == 429:
        return RateLimitError
    if code == 10 or (code is not None and 200 <= code <= 299):
        return PermissionDeniedError
    if code == DUPLICATE_POST_CODE:
        return DuplicatePostError
    if status_code == 404 or (code == 100 and subcode == 33):
        return NotFoundError
    if code in TRANSIENT_CODES or (status_code is not None and status_code >= 500):
        return ServerError
    return ThreadsAPIError


def is_transient(error: ThreadsAPIError) -> bool:
    """Whether the same request may succeed if sent again a little later."""
    if error.code in TRANSIENT_CODES:
        return True
    status = error.status_code
    return status is not None and (status == 429 or status >= 500)
