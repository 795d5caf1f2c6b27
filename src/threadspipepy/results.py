"""Result dicts: 0.4.5's shapes, plus `.ok` and `.raise_for_error()`.

Facade methods return plain-looking dicts so that 0.4.5 scripts (`'error' in result`,
`result['data']['media_ids']`) keep working. The dict subclass remembers the typed exception
behind a failure, so `raise_for_error()` raises exactly what `raise_on_error=True` would.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ThreadsAPIError, ThreadsPipeError, error_from_envelope


class Result(dict[str, Any]):
    """A result dict. `'error' in result` means failure, as in 0.4.5."""

    _exception: ThreadsPipeError | None = None
    # A failed pipe()'s local files by index, kept out of the dict (they may be large):
    # resume_pipe(result) hosts them again.
    local_files: dict[int, Any] | None = None

    @property
    def ok(self) -> bool:
        return "error" not in self

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


def _with_exception(result: Result, exc: ThreadsPipeError | None) -> Result:
    result._exception = exc
    return result


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
    """What a result dict says about an exception: never a Response, never a secret."""
    if isinstance(exc, ThreadsAPIError):
        return exc.to_dict()
    return {"message": str(exc), "error_class": type(exc).__name__}
