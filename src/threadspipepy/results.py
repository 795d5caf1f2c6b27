"""Result dicts: 0.4.5's shapes, plus `.ok`, `.raise_for_error()` and typed properties.

Facade methods return plain-looking dicts so that 0.4.5 scripts (`'error' in result`,
`result['data']['media_ids']`, `result['error']['error']['code']`) keep working. The dict
subclass remembers the typed exception behind a failure, so `raise_for_error()` raises exactly
what `raise_on_error=True` would, and its properties (`.media_ids`, `.error_code`, ...) give a
type checker the shapes that indexing the dict cannot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict, cast

from .errors import ThreadsAPIError, ThreadsPipeError, error_from_envelope

PartStateName = Literal["published", "in_doubt", "not_sent"]


class GraphErrorBody(TypedDict):
    """Meta's error JSON as 0.4.5 kept it: `result['error']['error']`."""

    message: str
    type: str | None
    code: int | None
    error_subcode: int | None
    fbtrace_id: str | None


class ErrorDetails(TypedDict, total=False):
    """`result['error']` of a failure: Meta's fields flattened, plus 0.4.5's nested copy."""

    message: str
    type: str | None
    code: int | None
    error_subcode: int | None
    fbtrace_id: str | None
    status_code: int | None
    error_class: str
    error: GraphErrorBody
    container_id: str | None
    status: str | None
    container_error_message: str | None


class PublishedPostInfo(TypedDict):
    """One live post of a chain: `result['data']['posts'][i]`."""

    id: str
    text: str | None
    media: list[str]
    reply_to_id: str | None


class PartState(TypedDict, total=False):
    """One part of a failed chain: `result['data']['parts'][i]`.

    `state` is `published` (with `id`), `in_doubt` (with `container_id` and `sent_at`: its
    publish got no clear answer) or `not_sent`.
    """

    index: int
    state: PartStateName
    id: str
    container_id: str
    sent_at: float


class InDoubtPart(TypedDict):
    """The part whose publish got no clear answer: `result['data']['in_doubt']`."""

    index: int
    container_id: str
    sent_at: float


class Result(dict[str, Any]):
    """A result dict. `'error' in result` means failure, as in 0.4.5.

    The properties read the dict and never change it: `.ok`, `.exception`, `.message`, and for
    a failure `.error_code`, `.error_subcode`, `.error_message`, `.fbtrace_id`,
    `.status_code`.
    """

    _exception: ThreadsPipeError | None = None
    # A failed pipe()'s local files by index, kept out of the dict (they may be large):
    # resume_pipe(result) hosts them again.
    local_files: dict[int, Any] | None = None

    @property
    def ok(self) -> bool:
        """True unless the result holds an `'error'`."""
        return "error" not in self

    @property
    def message(self) -> str | None:
        """The result's `message` (0.4.5's words for what happened), if it has one."""
        value = self.get("message")
        return value if isinstance(value, str) else None

    @property
    def error_details(self) -> ErrorDetails | None:
        """`result['error']` (Meta's fields, `status_code`, `error_class`), None on success."""
        error = self.get("error")
        return cast(ErrorDetails, error) if isinstance(error, Mapping) else None

    @property
    def error_code(self) -> int | None:
        """Meta's error code (190 an invalid token, 4 throttled, ...), None if none."""
        return _int_or_none(self._error_field("code"))

    @property
    def error_subcode(self) -> int | None:
        """Meta's error subcode, None if none."""
        return _int_or_none(self._error_field("error_subcode"))

    @property
    def error_message(self) -> str | None:
        """Meta's (or this library's) description of the failure, None on success."""
        value = self._error_field("message")
        return None if value is None else str(value)

    @property
    def fbtrace_id(self) -> str | None:
        """Meta's trace id of the failed request (quote it to Meta's support), if any."""
        value = self._error_field("fbtrace_id")
        return None if value is None else str(value)

    @property
    def status_code(self) -> int | None:
        """The HTTP status of the failed request, if there was one."""
        return _int_or_none(self._error_field("status_code"))

    @property
    def exception(self) -> ThreadsPipeError | None:
        """The typed exception behind a failure, or None on success."""
        if self.ok:
            return None
        if self._exception is not None:
            return self._exception
        error = self.get("error")
        body = {"error": error} if isinstance(error, Mapping) else None
        status = error.get("status_code") if isinstance(error, Mapping) else None
        return error_from_envelope(body, status if isinstance(status, int) else None)

    def raise_for_error(self) -> Result:
        """Raise the typed exception if this is a failure; return self otherwise.

        The exception carries this result as `exc.result` (and its `data` as `exc.data`), so
        a caller can see what was published and `resume_pipe(exc)` can finish the chain.
        """
        exc = self.exception
        if exc is not None:
            exc.result = self
            raise exc
        return self

    def _error_field(self, name: str) -> Any:
        error = self.get("error")
        return error.get(name) if isinstance(error, Mapping) else None


class PipeResult(Result):
    """What `pipe()` and `resume_pipe()` return: 0.4.5's dict, with typed access to `data`.

    `result['data']['media_ids']` still works; `result.media_ids` is the same list, typed.
    """

    @property
    def media_ids(self) -> list[str]:
        """Ids of the chain's live posts, in chain order (empty if none)."""
        return [str(i) for i in self._data().get("media_ids") or []]

    @property
    def posts(self) -> list[PublishedPostInfo]:
        """Each live post: `id`, `text`, `media` (URLs) and `reply_to_id`."""
        return list(self._data().get("posts") or [])

    @property
    def parts(self) -> list[PartState]:
        """After a failure, each part's state (published, in_doubt, not_sent); else empty."""
        return list(self._data().get("parts") or [])

    @property
    def remaining(self) -> list[dict[str, Any]]:
        """After a failure, the planned posts not known to be live (what resume_pipe sends)."""
        return list(self._data().get("remaining") or [])

    @property
    def in_doubt(self) -> InDoubtPart | None:
        """The part whose publish got no clear answer, if any (resume_pipe settles it)."""
        doubt = self._data().get("in_doubt")
        return cast(InDoubtPart, doubt) if isinstance(doubt, Mapping) else None

    @property
    def idempotency_key(self) -> str | None:
        """The key the chain was published under (`pipe(idempotency_key=...)`), if any."""
        key = self._data().get("idempotency_key")
        return key if isinstance(key, str) else None

    @property
    def dry_run(self) -> bool:
        """True for the plan a `dry_run=True` call returned (nothing was sent)."""
        return self._data().get("dry_run") is True

    def _data(self) -> Mapping[str, Any]:
        data = self.get("data")
        return data if isinstance(data, Mapping) else {}


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _with_exception(result: Result, exc: ThreadsPipeError | None) -> Result:
    result._exception = exc
    return result


def as_pipe_result(result: Result) -> PipeResult:
    """The same result as a PipeResult (what it remembers, its exception and files, kept)."""
    if isinstance(result, PipeResult):
        return result
    typed = PipeResult(result)
    typed._exception = result._exception
    typed.local_files = result.local_files
    return typed


def success(message: str, data: Any) -> Result:
    """`{'info': 'success', 'data': ..., 'message': ...}` as 0.4.5 builds it."""
    return Result(info="success", data=data, message=message)


def failure(message: str, exc: ThreadsPipeError, data: Any = None) -> Result:
    """`{'info': 'error', 'error': {...}, 'message': ...}`; `data` keeps partial progress."""
    result = Result(info="error", error=error_details(exc), message=message)
    if data is not None:
        result["data"] = data
    return _with_exception(result, exc)


def graph(body: Mapping[str, Any]) -> Result:
    """A getter's result: the Graph JSON as Meta sent it."""
    return Result(body)


def graph_failure(exc: ThreadsPipeError) -> Result:
    """A getter's failure: `{'error': {...}}`, the Graph error JSON's shape."""
    return _with_exception(Result(error=error_details(exc)), exc)


def unexpected(exc: BaseException) -> ThreadsPipeError:
    """What a result reports for an exception the library did not expect (a bug, a malformed
    answer): its kind and message, with no reference to the original and its traceback."""
    return ThreadsPipeError(f"Unexpected {type(exc).__name__}: {exc}")


def error_details(exc: ThreadsPipeError) -> dict[str, Any]:
    """What a result dict says about an exception: never a Response, never a secret.

    Meta's fields are flattened into it (`result['error']['code']`) and also kept whole under
    `'error'`, where 0.4.5 scripts read them (`result['error']['error']['code']`).
    """
    if isinstance(exc, ThreadsAPIError):
        details = exc.to_dict()
    else:
        details = {"message": str(exc), "error_class": type(exc).__name__}
    details["error"] = graph_error_body(exc)
    return details


def graph_error_body(exc: ThreadsPipeError) -> GraphErrorBody:
    """Meta's error JSON for this exception (for one that did not come from Meta, its
    message with no code)."""
    if isinstance(exc, ThreadsAPIError):
        return GraphErrorBody(
            message=exc.message,
            type=exc.type,
            code=exc.code,
            error_subcode=exc.subcode,
            fbtrace_id=exc.fbtrace_id,
        )
    return GraphErrorBody(
        message=str(exc), type=type(exc).__name__, code=None, error_subcode=None, fbtrace_id=None
    )
