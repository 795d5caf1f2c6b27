"""The CLI's output: the `Console` every byte goes through, colour, errors and log lines.

Also the constants the other modules share (the program name, the exit statuses, the default
.env file) and `UsageError`, the exception for a command line that cannot work (exit status 2).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

import colorama

from .._log import ROOT
from .._redaction import MASK
from ..errors import ThreadsPipeError
from ..results import Result, error_details

PROG = "threadspipepy"
EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, as a shell reports a reader that went away
DEFAULT_ENV_FILE = ".env"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


class UsageError(Exception):
    """The command line asks for something that cannot work (exit status 2)."""


# -- output -----------------------------------------------------------------------------------
class Console:
    """Everything the CLI writes goes through here.

    stdout carries results (or, with `--json`, exactly one JSON document; for a list command
    one JSON object per line, `lines`); stderr carries notes and errors. Colour is used only
    on a TTY without `NO_COLOR`, and every string written has the secrets of the client in
    use masked.
    """

    def __init__(
        self,
        *,
        json_mode: bool = False,
        quiet: bool = False,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
    ) -> None:
        self.json_mode = json_mode
        self.quiet = quiet
        # JSON lines: every document on one line (a list command's items, and its error).
        self.lines = False
        # --json-array: a list command's items are gathered and printed as one JSON array.
        self.json_array = False
        self._gathered: list[Any] = []
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self._secrets: list[str] = []
        self._maskers: list[Callable[[str], str]] = []

    # Secrets -----------------------------------------------------------------------------
    def add_secrets(self, secrets: Sequence[str | None]) -> None:
        self._secrets.extend(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
        self._secrets.sort(key=len, reverse=True)  # a secret containing another goes whole

    def add_masker(self, mask: Callable[[str], str]) -> None:
        """Also mask what `mask` masks (a client's `mask_secrets`: its tokens, even one
        refreshed during this run)."""
        self._maskers.append(mask)

    def redact(self, text: str) -> str:
        """Mask the literal secrets of this run.

        Only literal values: the library has already applied its name-based patterns to
        results and exception messages, and running them again over prose would mangle it
        (they mask a `code` key, or the word after "token").
        """
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        for mask in self._maskers:
            text = mask(text)
        return text

    # Writers -----------------------------------------------------------------------------
    @property
    def chatty(self) -> bool:
        """Whether human-readable output (results, notes) is wanted at all."""
        return not (self.quiet or self.json_mode)

    def result(self, text: str, *, style: str = "") -> None:
        """A human-readable result on stdout (nothing with --quiet or --json)."""
        if self.chatty:
            self._write(self.stdout, text, style)

    def stdout_is_terminal(self) -> bool:
        """Whether a person reads stdout (extra lines for people, none for pipes and cron)."""
        return self.chatty and _is_terminal(self.stdout)

    def success(self, text: str) -> None:
        self.result(text, style=colorama.Fore.GREEN)

    def note(self, text: str) -> None:
        """A dim remark on stderr (nothing with --quiet or --json)."""
        if self.chatty:
            self._write(self.stderr, text, colorama.Style.DIM)

    def error(self, text: str) -> None:
        """`error: ...` on stderr, always."""
        self._write(self.stderr, f"error: {text}", colorama.Fore.RED)

    def error_detail(self, text: str) -> None:
        """A line that completes an error (what is live, how to finish): stderr, always."""
        self._write(self.stderr, text, "")

    def progress(self, text: str, *, warning: bool = False) -> None:
        """A progress line on stderr: dim, or yellow `warning: ...`."""
        if warning:
            self._write(self.stderr, f"warning: {text}", colorama.Fore.YELLOW)
        else:
            self._write(self.stderr, text, colorama.Style.DIM)

    def document(self, value: Any) -> None:
        """The one JSON document `--json` promises on stdout (one line in `lines` mode; with
        --json-array a list's items are kept for `finish()`)."""
        if self.lines and self.json_array:
            self._gathered.append(value)
            return
        self._write_json(value, indent=None if self.lines else 2)

    def finish(self) -> int:
        """End a successful command: with --json-array, print the list's items as one array."""
        if self.json_array and self.lines:
            self._write_json(self._gathered, indent=2)
            self._gathered = []
        return EXIT_OK

    def _write_json(self, value: Any, *, indent: int | None) -> None:
        self.stdout.write(self.redact(json.dumps(value, indent=indent, default=str)) + "\n")
        self.stdout.flush()

    def _write(self, stream: TextIO, text: str, style: str) -> None:
        text = self.redact(text)
        if style and use_colour(stream):
            text = f"{style}{text}{colorama.Style.RESET_ALL}"
        stream.write(text + "\n")
        stream.flush()

    # Outcomes ----------------------------------------------------------------------------
    def deliver(self, result: Result, render: Callable[[Result], None]) -> int:
        """Show a facade result: `render` it on success, an error line on failure."""
        if self.json_mode and result.ok:
            self.document(dict(result))
        elif self.json_mode:  # a failure is the one document, even in a --json-array list
            self._gathered = []
            self._write_json(dict(result), indent=None if self.lines else 2)
        if not result.ok:
            self.error(describe_failure(result))
            return EXIT_API_ERROR
        render(result)
        return EXIT_OK

    def fail(
        self, exc: BaseException, status: int, *, prefix: str = "", message: str | None = None
    ) -> int:
        """Report an exception that ended the command; returns the exit status.

        `message` replaces the exception's text on the `error:` line (the CLI's own words).
        With --json-array the items gathered so far are dropped: the error is the document.
        """
        self.error(prefix + (message or str(exc) or type(exc).__name__))
        if self.json_mode:
            self._gathered = []
            self._write_json(error_document(exc), indent=None if self.lines else 2)
        return status


def use_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (no-color.org)."""
    return not os.environ.get("NO_COLOR") and _is_terminal(stream)


def describe_failure(result: Result) -> str:
    """One line for a failed result: what failed, Meta's message, code and fbtrace_id."""
    exc = result.exception
    detail = str(exc) if exc is not None else "unknown error"
    message = result.get("message")
    if isinstance(message, str) and message and message != detail:
        return f"{message}: {detail}"
    return detail


def error_document(exc: BaseException) -> dict[str, Any]:
    """The `--json` document for a command that ended with an exception."""
    if isinstance(exc, ThreadsPipeError):
        error = error_details(exc)
    else:
        error = {"message": str(exc), "error_class": type(exc).__name__}
    parameter = getattr(exc, "parameter", None)
    if parameter:
        error["parameter"] = parameter
    return {"info": "error", "error": error, "message": str(exc)}


# -- log records --------------------------------------------------------------------------------
class _RedactingFormatter(logging.Formatter):
    """Masks the run's secrets in log lines too (the library already redacts; belt and braces)."""

    def __init__(self, console: Console) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._console = console

    def format(self, record: logging.LogRecord) -> str:
        return self._console.redact(super().format(record))


class _ProgressHandler(logging.Handler):
    """Progress on a terminal: the library's INFO lines (each part published, each wait) dim,
    its warnings (retries) in yellow. Errors are left to the command's own `error:` line."""

    def __init__(self, console: Console) -> None:
        super().__init__(logging.INFO)
        self._console = console
        self.addFilter(lambda record: record.levelno < logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._console.progress(record.getMessage(), warning=record.levelno >= logging.WARNING)
        except Exception:  # a broken stderr must not end the command
            self.handleError(record)


@contextmanager
def logging_to_stderr(verbosity: int, console: Console) -> Iterator[None]:
    """Send the `threadspipepy` logger's records to stderr for the length of one command.

    -v: INFO records (`INFO threadspipepy: ...`), -vv adds DEBUG. Without -v, progress lines
    when stderr is a terminal and the output is not --quiet or --json; nothing in cron.
    Importing the CLI configures no logging, and everything is undone when the command ends.
    """
    handler: logging.Handler
    if verbosity > 0:
        handler = logging.StreamHandler(console.stderr)
        handler.setFormatter(_RedactingFormatter(console))
        level = logging.INFO if verbosity == 1 else logging.DEBUG
    elif console.chatty and _is_terminal(console.stderr):
        handler = _ProgressHandler(console)
        level = logging.INFO
    else:
        yield
        return
    logger = logging.getLogger(ROOT)
    previous = logger.level
    logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
