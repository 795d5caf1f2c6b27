"""The `threadspipepy` command: argparse for the parser, colorama for colour.

Layout, so that new commands slot in without touching the rest:

- `build_parser()` makes the global options and one subparser per entry in `COMMANDS`;
- a `Command` pairs a subparser's options (`configure`) with a handler (`run`) that gets a
  `Context` (the console, and the client built lazily from `--sandbox` / `--env-file`);
- `Console` owns every byte written: colour only on a TTY (and without `NO_COLOR`), `--json`
  and `--quiet`, `error: ...` lines, and masking of every secret the client holds;
- `main()` parses, configures logging for the run only, dispatches, and maps exceptions to the
  exit status: 0 success, 1 API failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import colorama

from . import validation
from ._log import ROOT
from ._redaction import MASK
from ._version import __version__
from .errors import ThreadsPipeError, ValidationError
from .results import Result, error_details
from .threadspipe import ENV_VARIABLES, ThreadsPipe

PROG = "threadspipepy"
EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
DEFAULT_ENV_FILE = ".env"
MIN_SECRET_LENGTH = 4  # shorter values would mask ordinary words


class UsageError(Exception):
    """The command line asks for something that cannot work (exit status 2)."""


# -- output -----------------------------------------------------------------------------------
class Console:
    """Everything the CLI writes goes through here.

    stdout carries results (or, with `--json`, exactly one JSON document); stderr carries notes
    and errors. Colour is used only on a TTY without `NO_COLOR`, and every string written has
    the secrets of the client in use masked.
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
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self._secrets: list[str] = []

    # Secrets -----------------------------------------------------------------------------
    def add_secrets(self, secrets: Sequence[str | None]) -> None:
        self._secrets.extend(s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH)
        self._secrets.sort(key=len, reverse=True)  # a secret containing another goes whole

    def redact(self, text: str) -> str:
        """Mask the literal secrets of this run.

        Only literal values: the library has already applied its name-based patterns to
        results and exception messages, and running them again over prose would mangle it
        (they mask a `code` key, or the word after "token").
        """
        for secret in self._secrets:
            text = text.replace(secret, MASK)
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

    def success(self, text: str) -> None:
        self.result(text, style=colorama.Fore.GREEN)

    def note(self, text: str) -> None:
        """A dim remark on stderr (nothing with --quiet or --json)."""
        if self.chatty:
            self._write(self.stderr, text, colorama.Style.DIM)

    def error(self, text: str) -> None:
        """`error: ...` on stderr, always."""
        self._write(self.stderr, f"error: {text}", colorama.Fore.RED)

    def document(self, value: Any) -> None:
        """The one JSON document `--json` promises on stdout."""
        self.stdout.write(self.redact(json.dumps(value, indent=2, default=str)) + "\n")
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
        if self.json_mode:
            self.document(dict(result))
        if not result.ok:
            self.error(describe_failure(result))
            return EXIT_API_ERROR
        render(result)
        return EXIT_OK

    def fail(self, exc: BaseException, status: int, *, prefix: str = "") -> int:
        """Report an exception that ended the command; returns the exit status."""
        self.error(prefix + (str(exc) or type(exc).__name__))
        if self.json_mode:
            self.document(error_document(exc))
        return status


def use_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


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


# -- client -----------------------------------------------------------------------------------
class Context:
    """What a command handler gets: the console and, on demand, a client.

    The client (and the sandbox behind `--sandbox`) is opened on the first `client()` call and
    closed when the context ends, so commands that need no client never build one.
    """

    def __init__(self, args: argparse.Namespace, console: Console) -> None:
        self.args = args
        self.console = console
        self._stack = ExitStack()
        self._client: ThreadsPipe | None = None

    def client(self) -> ThreadsPipe:
        if self._client is None:
            self._client = self._stack.enter_context(open_client(self.args, self.console))
            # The client knows its secrets (Threads token, GitHub token): never print them.
            self.console.add_secrets(self._client._secrets())
        return self._client

    def __enter__(self) -> Context:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stack.close()


@contextmanager
def open_client(args: argparse.Namespace, console: Console) -> Iterator[ThreadsPipe]:
    """A client for the real API (credentials from the environment) or for the sandbox."""
    if args.sandbox:
        from .testing import ThreadsSandbox  # imported only when asked for

        with ThreadsSandbox() as sandbox:
            console.note("Using the offline sandbox (--sandbox): nothing is sent to Threads.")
            with sandbox.client() as client:
                yield client
        return
    env_file = args.env_file if args.env_file is not None else DEFAULT_ENV_FILE
    if args.env_file is not None and not Path(env_file).is_file():
        raise UsageError(f"--env-file {env_file}: no such file")
    try:
        client = ThreadsPipe.from_env(env_file)
    except ValidationError as exc:
        if exc.parameter != "env_file":
            raise
        raise UsageError(
            "no Threads credentials: set THREADS_USER_ID and THREADS_ACCESS_TOKEN in the "
            f"environment or in {env_file} (see --env-file), or try --sandbox"
        ) from exc
    with client:
        yield client


# -- commands ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, its options, and its handler (returns the exit status)."""

    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Context], int]
    description: str | None = None
    # Library parameter -> the option that set it, to name the option in validation errors.
    options: Mapping[str, str] = field(default_factory=dict)


def _configure_post(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", metavar="TEXT", help="the post's text, or - to read it from stdin")
    parser.add_argument(
        "--reply-to", metavar="ID", dest="reply_to_id", help="publish as a reply to post ID"
    )
    parser.add_argument("--quote", metavar="ID", dest="quote_post_id", help="quote the post ID")
    parser.add_argument(
        "--reply-control",
        choices=validation.REPLY_CONTROLS,
        metavar="WHO",
        help=f"who can reply: {', '.join(validation.REPLY_CONTROLS)}",
    )
    parser.add_argument("--link", metavar="URL", help="attach a link preview for URL")
    parser.add_argument("--topic-tag", metavar="TAG", help="the post's topic tag")
    parser.add_argument(
        "--country",
        metavar="CC",
        action="append",
        dest="countries",
        help="show the post only in this country (ISO code such as US; repeat for more, "
        "or separate with commas); needs geo-gating eligibility",
    )


def _run_post(ctx: Context) -> int:
    args = ctx.args
    text = _read_text(args.text, ctx.console)
    countries = (
        [code for value in args.countries for code in value.split(",")] if args.countries else None
    )
    result = ctx.client().pipe(
        text,
        reply_to_id=args.reply_to_id,
        who_can_reply=args.reply_control,
        allowed_country_codes=countries,
        link_attachments=[args.link] if args.link else None,
        quote_post_id=args.quote_post_id,
        topic_tag=args.topic_tag,
    )
    return ctx.console.deliver(result, lambda r: ctx.console.success(published_line(r)))


def _read_text(value: str, console: Console) -> str:
    if value != "-":
        return value
    if sys.stdin.isatty():
        console.note("Reading the post from stdin; finish with Ctrl-D (Ctrl-Z Enter on Windows).")
    return sys.stdin.read()


def published_line(result: Result) -> str:
    ids = [str(i) for i in (result.get("data") or {}).get("media_ids") or []]
    noun = "post" if len(ids) == 1 else "posts"
    return f"Published {len(ids)} {noun}: {', '.join(ids)}"


def _configure_quota(parser: argparse.ArgumentParser) -> None:
    """No options: the command reads every quota Meta reports."""


def _run_quota(ctx: Context) -> int:
    result = ctx.client().get_publishing_limit()
    return ctx.console.deliver(result, lambda r: ctx.console.result(quota_table(r)))


# (label, usage field, config field) of `threads_publishing_limit`, as threads-api.md §3.13.
QUOTA_ROWS: tuple[tuple[str, str, str], ...] = (
    ("posts", "quota_usage", "config"),
    ("replies", "reply_quota_usage", "reply_config"),
    ("deletes", "delete_quota_usage", "delete_config"),
    ("location searches", "location_search_quota_usage", "location_search_config"),
)


def quota_table(body: Mapping[str, Any]) -> str:
    """`threads_publishing_limit` as a small table; fields Meta left out show as `-`."""
    rows = body.get("data") or [{}]
    row: Mapping[str, Any] = rows[0] if isinstance(rows[0], Mapping) else {}
    lines = [f"{'quota':<18} {'used':>5} {'total':>6}  window"]
    for label, usage_field, config_field in QUOTA_ROWS:
        config = row.get(config_field)
        config = config if isinstance(config, Mapping) else {}
        duration = config.get("quota_duration")
        window = f"{int(duration) / 3600:g} h" if isinstance(duration, int | float) else "-"
        used = row.get(usage_field, "-")
        total = config.get("quota_total", "-")
        lines.append(f"{label:<18} {used!s:>5} {total!s:>6}  {window}")
    return "\n".join(lines)


COMMANDS: dict[str, Command] = {
    "post": Command(
        help="publish a text post (up to 500 characters)",
        description="Publish one text post, optionally as a reply, a quote, with a link "
        "preview, a reply control, a topic tag or geo-gating.",
        configure=_configure_post,
        run=_run_post,
        options={
            "reply_to_id": "--reply-to",
            "quote_post_id": "--quote",
            "who_can_reply": "--reply-control",
            "link_attachments[0]": "--link",
            "topic_tag": "--topic-tag",
            "allowed_country_codes": "--country",
        },
    ),
    "quota": Command(
        help="show the publishing quota (posts, replies, deletes, location searches)",
        description="Show how much of each 24-hour publishing quota is used.",
        configure=_configure_quota,
        run=_run_quota,
    ),
}


# -- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    options: dict[str, Any] = {}
    if sys.version_info >= (3, 14):
        options["color"] = False  # --help stays plain text on every Python
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Post to Meta's Threads and read from it. Global options go before the "
        "command.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help=f"read credentials from this .env file (default: {DEFAULT_ENV_FILE} if it exists); "
        "variables already in the environment win",
    )
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document on stdout (the result)"
    )
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against an offline, in-process Threads sandbox (no account needed)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    chatter = parser.add_mutually_exclusive_group()
    chatter.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing but errors (and --json output)"
    )
    chatter.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what the library does to stderr (-v: INFO, -vv: DEBUG)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(
            name, help=command.help, description=command.description or command.help, **options
        )
        command.configure(sub)
    return parser


def _epilog() -> str:
    variables = textwrap.fill(
        ", ".join(ENV_VARIABLES), width=78, initial_indent="  ", subsequent_indent="  "
    )
    return (
        "exit status:\n"
        "  0  success\n"
        "  1  the API call failed (error: ... on stderr)\n"
        "  2  bad usage: bad options or input, missing credentials\n"
        "environment (the process environment wins over --env-file):\n"
        f"{variables}\n"
        "  NO_COLOR turns colour off\n"
    )


# -- main -------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return the exit status (the console script exits with it)."""
    colorama.just_fix_windows_console()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help and --version (0), usage errors (2)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    console = Console(json_mode=args.json, quiet=args.quiet)
    with _logging_to_stderr(args.verbose, console):
        return run_command(args, console)


def run_command(args: argparse.Namespace, console: Console) -> int:
    """Dispatch to the command's handler and turn exceptions into exit statuses."""
    command = COMMANDS[args.command]
    try:
        with Context(args, console) as ctx:
            return command.run(ctx)
    except ValidationError as exc:
        option = command.options.get(exc.parameter or "")
        return console.fail(exc, EXIT_USAGE, prefix=f"{option}: " if option else "")
    except (UsageError, NotImplementedError) as exc:
        return console.fail(exc, EXIT_USAGE)
    except ThreadsPipeError as exc:
        return console.fail(exc, EXIT_API_ERROR)
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED


class _RedactingFormatter(logging.Formatter):
    """Masks the run's secrets in log lines too (the library already redacts; belt and braces)."""

    def __init__(self, console: Console) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self._console = console

    def format(self, record: logging.LogRecord) -> str:
        return self._console.redact(super().format(record))


@contextmanager
def _logging_to_stderr(verbosity: int, console: Console) -> Iterator[None]:
    """With -v, INFO records of the `threadspipepy` logger go to stderr; -vv adds DEBUG.

    Only for the length of one `main()` call: importing the CLI configures no logging.
    """
    if verbosity <= 0:
        yield
        return
    logger = logging.getLogger(ROOT)
    handler = logging.StreamHandler(console.stderr)
    handler.setFormatter(_RedactingFormatter(console))
    previous = logger.level
    logger.setLevel(logging.INFO if verbosity == 1 else logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
