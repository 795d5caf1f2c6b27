"""The `threadspipepy` command: argparse for the parser, colorama for colour.

Layout, so that new commands slot in without touching the rest:

- `build_parser()` makes the global options and one subparser per entry in `COMMANDS`;
- a `Command` pairs a subparser's options (`configure`) with a handler (`run`) that gets a
  `Context` (the console, and the client built lazily from `--sandbox` / `--env-file`);
- `Console` owns every byte written: colour only on a TTY (and without `NO_COLOR`), `--json`
  and `--quiet`, `error: ...` lines, and masking of every secret the client holds;
- `main()` parses, routes the library's log records to stderr for the run only (`-v`, or dim
  progress lines when stderr is a terminal), dispatches, and maps exceptions to the exit
  status: 0 success, 1 API failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import colorama

from . import auth, insights, reading, splitting, validation
from ._log import ROOT
from ._redaction import MASK
from ._version import __version__
from .config import THREADS_BASE_URL_ENV
from .errors import ThreadsPipeError, ValidationError
from .results import Result, error_details
from .threadspipe import ENV_VARIABLES, ThreadsPipe

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
        """The one JSON document `--json` promises on stdout (one line in `lines` mode)."""
        indent = None if self.lines else 2
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
    parser.add_argument(
        "text",
        metavar="TEXT",
        nargs="?",
        help="the text, of any length (long text becomes a chain of replies), or - to read it "
        "from stdin; may be left out when --file is given",
    )
    media = parser.add_argument_group("media")
    media.add_argument(
        "-f",
        "--file",
        metavar="URL",
        action="append",
        dest="files",
        help="an image or video (JPEG, PNG, MP4, MOV) by its http(s) URL; repeat for more: up "
        "to 20 go in one carousel, more go down the chain",
    )
    media.add_argument(
        "--caption",
        metavar="TEXT",
        action="append",
        dest="captions",
        help="alt text of a file: the i-th --caption describes the i-th --file ('' for none)",
    )
    media.add_argument(
        "--spoiler-media", action="store_true", help="blur the media until tapped (spoiler)"
    )
    chain = parser.add_argument_group("text, tags and links")
    chain.add_argument(
        "--tag",
        metavar="TAG",
        action="append",
        dest="tags",
        help="a hashtag for the chain (repeat for more): one per part in order, the rest on "
        "the last part; the trailing #tags of TEXT are taken off it and follow these",
    )
    chain.add_argument(
        "--persist-tags", action="store_true", help="put every tag on every part of the chain"
    )
    chain.add_argument(
        "--link",
        metavar="URL",
        action="append",
        dest="links",
        help="a link preview: the i-th --link goes on text part i, which must carry no media "
        "('' to skip a part)",
    )
    chain.add_argument(
        "--no-chain",
        action="store_true",
        help="publish only the first part and the first 20 files; report the rest unposted",
    )
    reply = parser.add_argument_group("replies, quotes and audience")
    reply.add_argument(
        "--reply-to", metavar="ID", dest="reply_to_id", help="publish as a reply to post ID"
    )
    reply.add_argument("--quote", metavar="ID", dest="quote_post_id", help="quote the post ID")
    reply.add_argument(
        "--persist-quote",
        action="store_true",
        help="quote the post on every text part, not only the first",
    )
    reply.add_argument(
        "--who-can-reply",
        "--reply-control",
        choices=validation.REPLY_CONTROLS,
        metavar="WHO",
        dest="who_can_reply",
        help=f"who can reply: {', '.join(validation.REPLY_CONTROLS)}",
    )
    reply.add_argument(
        "--reply-approvals",
        action="store_true",
        help="hold replies for your approval before they show",
    )
    reply.add_argument(
        "--countries",
        "--country",
        metavar="CC",
        action="append",
        dest="countries",
        help="show the posts only in these countries: ISO codes such as US,CA (comma list; "
        "repeat for more); needs geo-gating eligibility",
    )
    extras = parser.add_argument_group("attachments")
    extras.add_argument("--topic-tag", metavar="TAG", help="the topic tag of every post")
    extras.add_argument(
        "--poll",
        metavar="OPTION",
        action="append",
        help="a poll option (repeat 2-4 times); the poll goes on the last text part",
    )
    extras.add_argument(
        "--gif", metavar="ID", help="a GIPHY GIF id, attached to the last text part"
    )
    extras.add_argument(
        "--location", metavar="ID", dest="location_id", help="tag the first post with location ID"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the chain that would be published (one line per post) and send nothing",
    )


def _run_post(ctx: Context) -> int:
    args = ctx.args
    text = _read_text(args.text, ctx.console) if args.text is not None else None
    countries = (
        [code for value in args.countries for code in value.split(",")] if args.countries else None
    )
    result = ctx.client().pipe(
        text,
        files=args.files,
        file_captions=[c or None for c in args.captions] if args.captions else None,
        tags=args.tags,
        reply_to_id=args.reply_to_id,
        who_can_reply=args.who_can_reply,
        chained_post=not args.no_chain,
        persist_tags_multipost=args.persist_tags,
        allowed_country_codes=countries,
        link_attachments=[link or None for link in args.links] if args.links else None,
        quote_post_id=args.quote_post_id,
        persist_quoted_post=args.persist_quote,
        topic_tag=args.topic_tag,
        poll=args.poll,
        gif=args.gif,
        location_id=args.location_id,
        spoiler_media=args.spoiler_media,
        enable_reply_approvals=args.reply_approvals,
        dry_run=args.dry_run,
    )
    if args.dry_run:
        return ctx.console.deliver(result, lambda r: ctx.console.result(plan_lines(r)))
    return deliver_chain(ctx.console, result)


def _read_text(value: str, console: Console) -> str:
    if value != "-":
        return value
    if sys.stdin.isatty():
        console.note("Reading the post from stdin; finish with Ctrl-D (Ctrl-Z Enter on Windows).")
    return sys.stdin.read()


def deliver_chain(console: Console, result: Result, *, before: Sequence[str] = ()) -> int:
    """Show what `pipe()` or `resume_pipe()` did: the ids published, or what is live and left.

    `before` lists the ids that were live before this run (a resume), so that the success
    line names only what this run published.
    """

    def render(r: Result) -> None:
        console.success(published_line(r, before=before))
        for note in _data(r).get("notes") or []:
            console.note(str(note))

    status = console.deliver(result, render)
    if not result.ok:
        for line in partial_failure_lines(result):
            console.error_detail(line)
    return status


def _data(result: Mapping[str, Any]) -> Mapping[str, Any]:
    data = result.get("data")
    return data if isinstance(data, Mapping) else {}


def _ids(result: Mapping[str, Any]) -> list[str]:
    return [str(i) for i in _data(result).get("media_ids") or []]


def published_line(result: Result, *, before: Sequence[str] = ()) -> str:
    """`Published 3 posts: id1 id2 id3` (with `before`, only the ids published since)."""
    done = set(before)
    ids = [i for i in _ids(result) if i not in done]
    noun = "post" if len(ids) == 1 else "posts"
    more = " more" if before else ""
    return f"Published {len(ids)}{more} {noun}: {' '.join(ids)}"


def partial_failure_lines(result: Result) -> list[str]:
    """For a chain that stopped part way: what is live, what is left, how to finish it."""
    data = _data(result)
    live = [str(p.get("id")) for p in data.get("posts") or [] if isinstance(p, Mapping)]
    remaining = data.get("remaining") or []
    if not live or not remaining:
        return []
    total = data.get("total") or len(live) + len(remaining)
    return [
        f"{len(live)} of {total} posts are live: {' '.join(live)}",
        f"{len(remaining)} not published. The --json output of this command, saved to a file, "
        f"is finished by `{PROG} resume FILE`.",
    ]


PREVIEW_WIDTH = 48
OPTION_WIDTH = 40


def plan_lines(result: Result) -> str:
    """A dry run's plan: a header, then one line per post (type, files, text, options)."""
    data = _data(result)
    plan = data.get("plan")
    plan = plan if isinstance(plan, Mapping) else {}
    posts = [p for p in data.get("posts") or [] if isinstance(p, Mapping)]
    noun = "post" if len(posts) == 1 else "posts"
    reply = f", the first as a reply to {plan['reply_to_id']}" if plan.get("reply_to_id") else ""
    lines = [f"Dry run: nothing was sent. {len(posts)} {noun} would be published{reply}:"]
    width = len(f"{len(posts)}/{len(posts)}")
    for number, post in enumerate(posts, 1):
        files = len(post.get("media") or [])
        columns = [
            f"{number}/{len(posts)}".ljust(width),
            f"{post.get('media_type', '?'):<8}",
            f"{files:>2} {'file' if files == 1 else 'files':<5}",
            _preview(post.get("text")),
        ]
        options = post.get("options")
        if isinstance(options, Mapping) and options:
            columns.append(" ".join(_option(k, v) for k, v in options.items()))
        lines.append("  ".join(columns))
    lines.extend(f"note: {note}" for note in plan.get("notes") or [])
    return "\n".join(lines)


def _preview(text: Any) -> str:
    if not isinstance(text, str):
        return "(no text)"
    flat = text.replace("\n", "\\n")
    shown = flat if len(flat) <= PREVIEW_WIDTH else flat[: PREVIEW_WIDTH - 1] + "…"
    return f'"{shown}" ({splitting.threads_length(text)} chars)'


def _option(name: str, value: Any) -> str:
    """`name=value` for the plan line; the JSON attachments in a shorter, readable form."""
    if name in ("poll_attachment", "gif_attachment") and isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, Mapping) and name == "poll_attachment":
            return "poll=" + "/".join(str(v) for v in parsed.values())
        if isinstance(parsed, Mapping) and name == "gif_attachment":
            return f"gif={parsed.get('gif_id')}"
    text = value if isinstance(value, str) else json.dumps(value)
    if len(text) > OPTION_WIDTH:
        text = text[: OPTION_WIDTH - 1] + "…"
    return f"{name}={text}"


def _configure_resume(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file",
        metavar="FILE",
        help="the --json output of a post (or resume) that stopped part way, or - for stdin",
    )


def _run_resume(ctx: Context) -> int:
    saved = _read_saved_result(ctx.args.file)
    before = _ids(saved)
    result = ctx.client().resume_pipe(saved)
    return deliver_chain(ctx.console, result, before=before)


def _read_saved_result(name: str) -> dict[str, Any]:
    """The JSON document `post --json` printed, from a file or from stdin."""
    label = "stdin" if name == "-" else name
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{label}: cannot read it ({exc.strerror or exc})") from exc
    try:
        saved = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{label}: not a JSON document ({exc})") from exc
    if not isinstance(saved, dict):
        raise UsageError(f"{label}: expected the JSON object `{PROG} --json post` printed")
    return saved


def _configure_post_id(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("post_id", metavar="ID", help="the post's id")


def _run_repost(ctx: Context) -> int:
    post_id = ctx.args.post_id
    result = ctx.client().repost_post(post_id)
    return ctx.console.deliver(
        result, lambda r: ctx.console.success(f"Reposted {post_id}: {_data(r).get('id')}")
    )


def _run_delete(ctx: Context) -> int:
    post_id = ctx.args.post_id
    result = ctx.client().delete_post(post_id)
    return ctx.console.deliver(result, lambda r: ctx.console.success(f"Deleted {post_id}"))


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


# -- reading: posts, get-post, replies, profile, insights, search -----------------------------
# Lists show one page of Meta's default size unless --limit or --all ask for more; the items
# come from the library's iterators, which fetch 100 a page and stop at the limit.
DEFAULT_LIST_LIMIT = reading.DEFAULT_PAGE_SIZE
TEXT_WIDTH = 60
NO_VALUE = "-"


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive whole number, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return value


def _add_list_options(parser: argparse.ArgumentParser, noun: str, *, dates: bool = True) -> None:
    """--limit, --all, --fields and (for lists that take them) --since/--until."""
    group = parser.add_argument_group("which and how many")
    group.add_argument(
        "--limit",
        metavar="N",
        type=_positive_int,
        help=f"show at most N {noun} (default: {DEFAULT_LIST_LIMIT}, one page; more than 100 "
        "are fetched page by page)",
    )
    group.add_argument(
        "--all",
        action="store_true",
        dest="all_pages",
        help=f"every one of the {noun}, following the pages to the end (with --limit: stop "
        "after N)",
    )
    if dates:
        group.add_argument(
            "--since",
            metavar="DATE",
            help="only those published at or after DATE: YYYY-MM-DD (UTC), an ISO 8601 time "
            "or a Unix time",
        )
        group.add_argument(
            "--until", metavar="DATE", help="only those published before DATE (same forms)"
        )
    _add_fields_option(parser)


def _add_fields_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fields",
        metavar="LIST",
        help="the fields to ask Meta for, comma-separated (default: the library's list); "
        "--json shows every field returned",
    )


def _list_limit(args: argparse.Namespace) -> int | None:
    """How many items a list command shows: --limit, else all (--all) or one default page."""
    if args.limit is not None:
        return int(args.limit)
    return None if args.all_pages else DEFAULT_LIST_LIMIT


@dataclass(frozen=True)
class Column:
    """A column of a list table: its title, its width (0: last, not padded), its cell."""

    title: str
    width: int
    cell: Callable[[Mapping[str, Any]], str]


def _cell_id(item: Mapping[str, Any]) -> str:
    return str(item.get("id") or NO_VALUE)


def _cell_time(item: Mapping[str, Any]) -> str:
    return short_time(item.get("timestamp"))


def _cell_type(item: Mapping[str, Any]) -> str:
    return str(item.get("media_type") or NO_VALUE)


def _cell_user(item: Mapping[str, Any]) -> str:
    name = item.get("username")
    return f"@{name}" if name else NO_VALUE


def _cell_text(item: Mapping[str, Any]) -> str:
    return text_preview(item.get("text"))


ID_COLUMN = Column("id", 17, _cell_id)
TIME_COLUMN = Column("time (UTC)", 16, _cell_time)
TYPE_COLUMN = Column("type", 14, _cell_type)
USER_COLUMN = Column("user", 16, _cell_user)
TEXT_COLUMN = Column("text", 0, _cell_text)
POST_COLUMNS = (ID_COLUMN, TIME_COLUMN, TYPE_COLUMN, TEXT_COLUMN)
PUBLIC_POST_COLUMNS = (ID_COLUMN, TIME_COLUMN, TYPE_COLUMN, USER_COLUMN, TEXT_COLUMN)


def short_time(value: Any) -> str:
    """Meta's `2024-07-12T08:00:00+0000` as `2024-07-12 08:00` in UTC (`-` when missing)."""
    if not value:
        return NO_VALUE
    text = str(value)
    try:
        moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return text
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M")


def text_preview(text: Any, width: int = TEXT_WIDTH) -> str:
    """A post's text on one line, cut to `width` characters with `…`."""
    if not isinstance(text, str) or not text.strip():
        return "(no text)"
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def table_row(columns: Sequence[Column], cells: Sequence[str]) -> str:
    parts = []
    for column, cell in zip(columns, cells, strict=True):
        if column.width and len(cell) > column.width and column is not ID_COLUMN:
            cell = cell[: column.width - 1] + "…"
        parts.append(cell.ljust(column.width) if column.width else cell)
    return "  ".join(parts).rstrip()


def show_items(
    console: Console,
    items: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    noun: str,
    cells: Callable[[Mapping[str, Any]], list[str]] | None = None,
) -> int:
    """Stream a list: table rows on stdout, or with --json one JSON object per line.

    Rows are printed as the pages arrive (widths are fixed), so `--all` shows the first
    items at once; an API failure part way raises after the rows already printed.
    """
    count = 0
    for item in items:
        if console.json_mode:
            console.document(dict(item))
        else:
            if count == 0:
                console.result(table_row(columns, [c.title for c in columns]))
            row = cells(item) if cells is not None else [c.cell(item) for c in columns]
            console.result(table_row(columns, row))
        count += 1
    if count == 0:
        console.note(f"No {noun}.")
    return EXIT_OK


def object_lines(obj: Mapping[str, Any]) -> str:
    """A single object (a post, a profile) as `key  value` lines, in Meta's field order."""
    if not obj:
        return "(no fields)"
    width = max(len(str(key)) for key in obj)
    lines = []
    for key, value in obj.items():
        text = _plain(value).replace("\n", "\n" + " " * (width + 2))
        lines.append(f"{key!s:<{width}}  {text}")
    return "\n".join(lines)


def _plain(value: Any) -> str:
    """A field's value for a terminal: ids of `{id}` objects and `children`, JSON otherwise."""
    if value is None:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        if set(value) == {"id"}:
            return str(value["id"])
        data = value.get("data")
        if isinstance(data, list) and all(isinstance(d, Mapping) and "id" in d for d in data):
            return " ".join(str(d["id"]) for d in data) or NO_VALUE
        return json.dumps(value, default=str)
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value) or NO_VALUE
    return str(value)


# posts ----------------------------------------------------------------------------------------
def _configure_posts(parser: argparse.ArgumentParser) -> None:
    _add_list_options(parser, "posts")


def _run_posts(ctx: Context) -> int:
    args = ctx.args
    ctx.console.lines = True  # --json: one object per line, an error too
    items = ctx.client().iter_posts(
        args.since, args.until, limit=_list_limit(args), fields=args.fields
    )
    return show_items(ctx.console, items, POST_COLUMNS, "posts")


# get-post and profile -------------------------------------------------------------------------
def _configure_get_post(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("post_id", metavar="ID", help="the post's id")
    _add_fields_option(parser)


def _run_get_post(ctx: Context) -> int:
    result = ctx.client().get_post(ctx.args.post_id, fields=ctx.args.fields)
    return ctx.console.deliver(result, lambda r: ctx.console.result(object_lines(r)))


def _configure_profile(parser: argparse.ArgumentParser) -> None:
    _add_fields_option(parser)


def _run_profile(ctx: Context) -> int:
    result = ctx.client().get_profile(fields=ctx.args.fields)
    return ctx.console.deliver(result, lambda r: ctx.console.result(object_lines(r)))


# replies --------------------------------------------------------------------------------------
def _configure_replies(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("post_id", metavar="ID", help="the post whose replies to show")
    parser.add_argument(
        "--all-levels",
        action="store_true",
        help="every reply at every level (the conversation; nested replies are indented), "
        "not only the top-level ones",
    )
    parser.add_argument(
        "--newest-first", action="store_true", help="newest first (default: oldest first)"
    )
    _add_list_options(parser, "replies", dates=False)


def _run_replies(ctx: Context) -> int:
    args = ctx.args
    ctx.console.lines = True  # --json: one object per line, an error too
    items = ctx.client().iter_post_replies(
        args.post_id,
        top_levels=not args.all_levels,
        reverse=args.newest_first,
        limit=_list_limit(args),
        fields=args.fields,
    )
    depths: dict[str, int] = {}

    def cells(item: Mapping[str, Any]) -> list[str]:
        row = [c.cell(item) for c in PUBLIC_POST_COLUMNS]
        parent = item.get("replied_to")
        parent_id = str(parent.get("id")) if isinstance(parent, Mapping) else None
        depth = depths.get(parent_id, 0) + 1 if parent_id is not None else 1
        depths[str(item.get("id"))] = depth
        hidden = item.get("hide_status") == "HIDDEN"
        indent = "  " * (depth - 1) if args.all_levels else ""
        text = text_preview(item.get("text"), TEXT_WIDTH - len(indent) - (9 if hidden else 0))
        row[-1] = indent + ("[hidden] " if hidden else "") + text
        return row

    return show_items(ctx.console, items, PUBLIC_POST_COLUMNS, "replies", cells)


# insights -------------------------------------------------------------------------------------
def _add_metric_option(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    parser.add_argument(
        "--metric",
        metavar="NAME",
        action="append",
        dest="metrics",
        help=f"a metric to read (repeat, or a comma list; default: all): {', '.join(names)}",
    )


def _configure_insights(parser: argparse.ArgumentParser) -> None:
    targets = parser.add_subparsers(
        dest="target", metavar="post|user", title="what to read", required=True
    )
    post = targets.add_parser(
        "post",
        help="a post's metrics",
        description="Show a post's metrics: views, likes, replies, reposts, quotes, shares.",
    )
    post.add_argument("post_id", metavar="ID", help="the post's id")
    _add_metric_option(post, insights.POST_METRICS)
    add_json_option(post)
    user = targets.add_parser(
        "user",
        help="your account's metrics",
        description="Show your account's metrics: daily profile views, likes, replies, "
        "reposts, quotes and link clicks over a period (Meta's default: yesterday and today), "
        "the follower count and the followers' demographics.",
    )
    user.add_argument(
        "--since",
        metavar="DATE",
        help="the period's start: YYYY-MM-DD (UTC), an ISO 8601 time or a Unix time; not "
        "before 2024-04-13",
    )
    user.add_argument("--until", metavar="DATE", help="the period's end (same forms)")
    _add_metric_option(user, insights.USER_METRICS)
    user.add_argument(
        "--breakdown",
        type=str.lower,
        choices=insights.BREAKDOWNS,
        metavar="BY",
        help=f"the follower_demographics breakdown: {', '.join(insights.BREAKDOWNS)} "
        "(default country); sent only with that metric",
    )
    add_json_option(user)


def _metrics(values: Sequence[str] | None) -> str | list[str]:
    if not values:
        return "all"
    return [name.strip() for value in values for name in value.split(",") if name.strip()]


def _run_insights(ctx: Context) -> int:
    args = ctx.args
    metrics = _metrics(args.metrics)
    if args.target == "post":
        result = ctx.client().get_post_insights(args.post_id, metrics)
    else:
        if args.breakdown and metrics != "all" and insights.DEMOGRAPHICS not in metrics:
            raise UsageError(
                f"--breakdown applies to {insights.DEMOGRAPHICS} only: add --metric "
                f"{insights.DEMOGRAPHICS}"
            )
        result = ctx.client().get_user_insights(
            None, args.since, args.until, args.breakdown or "country", metrics
        )
    return ctx.console.deliver(result, lambda r: ctx.console.result(insights_table(r)))


def insights_table(result: Mapping[str, Any]) -> str:
    """An insights result as `metric  end time / key  value` rows, one per observation."""
    table: list[tuple[str, str, str]] = []
    for row in insights.rows(result):
        if row["breakdown"] == "link_url":
            label = str(row["key"])
        elif row["breakdown"] is not None:
            label = f"{row['breakdown']}={row['key']}"
        elif row["end_time"] is not None:
            label = short_time(row["end_time"]) + (f" {row['key']}" if row["key"] else "")
        else:
            label = str(row["key"] or "")
        table.append((row["metric"], label, _plain(row["value"])))
    shown = {metric for metric, _, _ in table}
    for metric in insights.flatten(result):
        if metric not in shown:  # no observation at all (no link clicked, an empty series)
            table.append((metric, "", NO_VALUE))
    if not table:
        return "(no metrics)"
    labelled = any(label for _, label, _ in table)
    titles = ("metric", "end time / key" if labelled else "", "value")
    widths = [max(len(r[i]) for r in [titles, *table]) for i in range(3)]
    lines = []
    for metric, label, value in [titles, *table]:
        middle = f"  {label:<{widths[1]}}" if labelled else ""
        lines.append(f"{metric:<{widths[0]}}{middle}  {value:>{widths[2]}}")
    return "\n".join(lines)


# search ---------------------------------------------------------------------------------------
def _configure_search(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query", metavar="Q", help="the keyword(s), or with --mode TAG the topic tag"
    )
    parser.add_argument(
        "--type",
        type=str.upper,
        choices=reading.SEARCH_TYPES,
        dest="search_type",
        metavar="TYPE",
        help="TOP (Meta's default: the most popular) or RECENT",
    )
    parser.add_argument(
        "--mode",
        type=str.upper,
        choices=reading.SEARCH_MODES,
        dest="search_mode",
        metavar="MODE",
        help="KEYWORD (default) or TAG (Q is a topic tag)",
    )
    parser.add_argument(
        "--media-type",
        type=str.upper,
        choices=reading.SEARCH_MEDIA_TYPES,
        metavar="TYPE",
        help=f"only posts of this type: {', '.join(reading.SEARCH_MEDIA_TYPES)}",
    )
    parser.add_argument(
        "--author", metavar="USERNAME", help="only posts by this exact username ('@' optional)"
    )
    _add_list_options(parser, "posts")


def _run_search(ctx: Context) -> int:
    args = ctx.args
    ctx.console.lines = True  # --json: one object per line, an error too
    items = ctx.client().iter_search(
        args.query,
        args.search_type,
        args.search_mode,
        args.media_type,
        args.since,
        args.until,
        limit=_list_limit(args),
        author_username=args.author,
        fields=args.fields,
    )
    return show_items(ctx.console, items, PUBLIC_POST_COLUMNS, "posts found")


_LIST_OPTIONS = {
    "since_date": "--since",
    "until_date": "--until",
    "since": "--since",
    "until": "--until",
    "limit": "--limit",
    "fields": "--fields",
    "post_id": "ID",
}


# -- auth: 0.4.5's access_token and refresh_token, and auth-url --------------------------------
APP_ID_ENV = "THREADS_APP_ID"
APP_SECRET_ENV = "THREADS_APP_SECRET"
REDIRECT_URI_ENV = "THREADS_REDIRECT_URI"
ACCESS_TOKEN_ENV = "THREADS_ACCESS_TOKEN"
AUTH_ENV_VARIABLES = (APP_ID_ENV, APP_SECRET_ENV, REDIRECT_URI_ENV, auth.AUTHORIZE_URL_ENV)
_FALSE_WORDS = frozenset({"false", "0", "no", "off", "n"})


def _legacy_flag(value: str) -> bool:
    """`-s` and `-auto` are plain flags; a value (0.4.5 required one) is accepted, and only a
    false word (false, 0, no, off) turns the flag off."""
    return value.strip().lower() not in _FALSE_WORDS


def _add_flag(parser: argparse.ArgumentParser, *names: str, help: str) -> None:
    parser.add_argument(
        *names, nargs="?", const=True, default=False, type=_legacy_flag, metavar="BOOL", help=help
    )


def _add_app_options(parser: argparse.ArgumentParser, *, secret: bool) -> None:
    parser.add_argument(
        "-id",
        "--app_id",
        "--app-id",
        dest="app_id",
        metavar="ID",
        help=f"the Threads App ID (not the Facebook app id; default ${APP_ID_ENV})",
    )
    if secret:
        parser.add_argument(
            "-secret",
            "--app_secret",
            "--app-secret",
            dest="app_secret",
            metavar="SECRET",
            help=f"the Threads App Secret (default ${APP_SECRET_ENV}, which keeps it out of "
            "your shell history)",
        )
    parser.add_argument(
        "-r",
        "--redirect_uri",
        "--redirect-uri",
        dest="redirect_uri",
        metavar="URI",
        help="the redirect URI, exactly as in the app's Valid OAuth Redirect URIs "
        f"(default ${REDIRECT_URI_ENV})",
    )


def _add_env_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(".env file (tokens go there instead of to stdout)")
    group.add_argument(
        "-p",
        "--env_path",
        "--env-path",
        dest="env_path",
        metavar="PATH",
        help="the .env file to write the new token to (created with mode 0600 if missing; "
        "every other line is kept as it is)",
    )
    group.add_argument(
        "-v",
        "--env_variable",
        "--env-variable",
        dest="env_variable",
        metavar="NAME",
        help="the variable in it that holds the token, e.g. THREADS_ACCESS_TOKEN",
    )
    _add_flag(
        parser,
        "-auto",
        "--auto_mode",
        "--auto-mode",
        help="auto mode (a flag; a 0.4.5-style value such as true is accepted): -p and -v "
        "are required, and refresh_token reads the token from there",
    )
    _add_flag(
        parser,
        "-s",
        "--silent",
        help="print nothing but errors, and the tokens when they are not saved (a flag, like "
        "-auto)",
    )


def _configure_auth_url(parser: argparse.ArgumentParser) -> None:
    _add_app_options(parser, secret=False)
    parser.add_argument(
        "--scope",
        "--scopes",
        dest="scope",
        default="all",
        metavar="SCOPES",
        help="permissions to ask for: all (default), keys such as basic,publish,insights or "
        "names such as threads_content_publish, comma-separated",
    )
    parser.add_argument("--state", help="use this state instead of a fresh random one")
    parser.add_argument(
        "--authorize-url",
        metavar="URL",
        help=f"the authorization window (default ${auth.AUTHORIZE_URL_ENV}, else "
        f"{auth.AUTHORIZE_URL}; {auth.AUTHORIZE_URL_NET} works too)",
    )
    parser.add_argument("--open", action="store_true", help="also open the URL in a browser")


def _configure_access_token(parser: argparse.ArgumentParser) -> None:
    _add_app_options(parser, secret=True)
    parser.add_argument(
        "-code",
        "--auth_code",
        "--auth-code",
        dest="auth_code",
        metavar="CODE",
        help="the code from the redirect (its #_ may stay), or the whole redirect URL",
    )
    parser.add_argument(
        "--state",
        help="the state auth-url printed: the redirect URL given to -code must carry it",
    )
    _add_env_options(parser)


def _configure_refresh_token(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-token",
        "--access_token",
        "--access-token",
        dest="access_token",
        metavar="TOKEN",
        help=f"the long-lived token to refresh (default: the -v variable of -p, else "
        f"${ACCESS_TOKEN_ENV})",
    )
    _add_env_options(parser)


class _Settings:
    """Auth settings from the process environment, then the --env-file (or ./.env)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self._file: dict[str, str | None] = {}
        name = args.env_file if args.env_file is not None else DEFAULT_ENV_FILE
        if Path(name).is_file():
            from dotenv import dotenv_values

            try:
                self._file = dict(dotenv_values(name))
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"{name}: cannot read it ({exc})") from None
        elif args.env_file is not None:
            raise UsageError(f"--env-file {name}: no such file")

    def get(self, name: str) -> str | None:
        return os.environ.get(name) or self._file.get(name) or None

    def require(self, value: str | None, name: str, option: str) -> str:
        found = value or self.get(name)
        if not found:
            raise UsageError(f"{option} is required (or set {name})")
        return found


def _refuse_sandbox(args: argparse.Namespace) -> None:
    if args.sandbox:
        raise UsageError(
            f"--sandbox cannot be used with {args.command}: the sandbox forgets its app and "
            "tokens when the command ends; try the flow in Python with ThreadsSandbox "
            "(docs/03-setup-and-auth.md)"
        )


def _env_target(args: argparse.Namespace) -> tuple[Path, str] | None:
    if args.auto_mode and not (args.env_path and args.env_variable):
        raise UsageError("-auto/--auto_mode needs -p/--env_path and -v/--env_variable")
    return auth.check_env_target(args.env_path, args.env_variable)


def _expiry_text(body: Mapping[str, Any]) -> str:
    credentials = auth.Credentials.from_token_response(body, user_id="0")
    expiration = credentials.expiration
    return f"{expiration:%Y-%m-%d %H:%M} UTC" if expiration is not None else "an unknown date"


def _run_auth_url(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    _refuse_sandbox(args)
    settings = _Settings(args)
    app_id = settings.require(args.app_id, APP_ID_ENV, "-id/--app_id")
    redirect = settings.require(args.redirect_uri, REDIRECT_URI_ENV, "-r/--redirect_uri")
    url, state = auth.authorization_url(
        app_id,
        redirect,
        args.scope,
        args.state,
        authorize_url=args.authorize_url or settings.get(auth.AUTHORIZE_URL_ENV),
    )
    opened = auth.open_browser(url) if args.open else False
    if console.json_mode:
        console.document({"url": url, "state": state, "opened": opened})
    else:
        console.stdout.write(f"{url}\nstate: {state}\n")
        console.stdout.flush()
    if args.open and not opened:
        console.progress("no browser found: open the URL yourself", warning=True)
    console.note(
        "Open the URL, click Allow, then pass the URL you are sent to: "
        f"{PROG} access_token -code 'REDIRECT_URL' --state {state} (with -secret or "
        f"${APP_SECRET_ENV}). The code in it is valid for 1 hour, once."
    )
    return EXIT_OK


def _run_access_token(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    _refuse_sandbox(args)
    settings = _Settings(args)
    app_id = settings.require(args.app_id, APP_ID_ENV, "-id/--app_id")
    secret = settings.require(args.app_secret, APP_SECRET_ENV, "-secret/--app_secret")
    redirect = settings.require(args.redirect_uri, REDIRECT_URI_ENV, "-r/--redirect_uri")
    if not args.auth_code:
        raise UsageError("-code/--auth_code is required: the code, or the URL Threads sent you to")
    code = args.auth_code.strip()
    console.add_secrets([secret, code])
    if "code=" in code or "error=" in code:
        answer = auth.parse_redirect(code)
        console.add_secrets([answer.code])
        if args.state is not None:
            auth.check_state(args.state, answer.state)
    elif args.state is not None:
        raise UsageError("--state needs the whole redirect URL in -code/--auth_code")
    target = _env_target(args)
    tokens = auth.get_access_tokens(
        app_id, secret, code, redirect, base_url=settings.get(THREADS_BASE_URL_ENV)
    )
    long_lived = tokens["tokens"]["long_lived"]
    expires = _expiry_text(long_lived)
    silent = args.silent or console.quiet
    if target is not None:
        console.add_secrets(
            [str(tokens["tokens"]["short_lived"]["access_token"]), str(long_lived["access_token"])]
        )
        auth.update_env_file(target[0], target[1], str(long_lived["access_token"]))
        if console.json_mode:
            console.document(tokens)  # the tokens masked: they went to the file
        elif not silent:
            console.success(
                f"Saved the long-lived token of user {tokens['user_id']} to {target[1]} in "
                f"{args.env_path} (expires {expires})."
            )
        return EXIT_OK
    if console.json_mode:
        console.document(tokens)
        return EXIT_OK
    console.stdout.write(
        f"THREADS_USER_ID={tokens['user_id']}\n{ACCESS_TOKEN_ENV}={long_lived['access_token']}\n"
    )
    console.stdout.flush()
    if not silent:
        console.note(
            f"That long-lived token expires {expires}; refresh it before then "
            f"(`{PROG} refresh_token -auto -p .env -v {ACCESS_TOKEN_ENV}`, e.g. weekly from cron)."
        )
    return EXIT_OK


def _run_refresh_token(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    _refuse_sandbox(args)
    settings = _Settings(args)
    target = _env_target(args)
    token = args.access_token
    if not token and target is not None:
        token = auth.read_env_value(target[0], target[1])
        if not token:
            raise UsageError(f"{target[1]} is not set in {args.env_path}: nothing to refresh")
    if not token:
        token = settings.require(None, ACCESS_TOKEN_ENV, "-token/--access_token (or -p and -v)")
    console.add_secrets([token])
    body = auth.refresh_token(
        token,
        target[0] if target else None,
        target[1] if target else None,
        base_url=settings.get(THREADS_BASE_URL_ENV),
    )
    expires = _expiry_text(body)
    silent = args.silent or console.quiet
    if target is not None:
        console.add_secrets([str(body["access_token"])])
        if console.json_mode:
            console.document(body)
        elif not silent:
            console.success(
                f"Refreshed the token in {target[1]} of {args.env_path} (expires {expires})."
            )
        return EXIT_OK
    if console.json_mode:
        console.document(body)
        return EXIT_OK
    console.stdout.write(f"{body['access_token']}\n")
    console.stdout.flush()
    if not silent:
        console.note(f"The new token expires {expires}; the old one stays valid until its own end.")
    return EXIT_OK


_AUTH_OPTIONS = {
    "app_id": "-id/--app_id",
    "app_secret": "-secret/--app_secret",
    "redirect_uri": "-r/--redirect_uri",
    "auth_code": "-code/--auth_code",
    "requested_url": "-code/--auth_code",
    "state": "--state",
    "scope": "--scope",
    "authorize_url": "--authorize-url",
    "access_token": "-token/--access_token",
    "env_path": "-p/--env_path",
    "env_variable": "-v/--env_variable",
}


COMMANDS: dict[str, Command] = {
    "post": Command(
        help="publish a post or a chain: text of any length, media URLs, options",
        description="Publish TEXT (split into a chain of replies when it is longer than one "
        "post) with media, tags, links, a quote, a poll, a GIF, a location, a reply control "
        "or geo-gating. --dry-run prints the plan and sends nothing.",
        configure=_configure_post,
        run=_run_post,
        options={
            "files": "--file",
            "file_captions": "--caption",
            "tags": "--tag",
            "reply_to_id": "--reply-to",
            "quote_post_id": "--quote",
            "who_can_reply": "--who-can-reply",
            "link_attachments": "--link",
            "topic_tag": "--topic-tag",
            "allowed_country_codes": "--countries",
            "poll": "--poll",
            "gif": "--gif",
            "location_id": "--location",
            "spoiler_media": "--spoiler-media",
        },
    ),
    "resume": Command(
        help="finish a chain that stopped part way, from its saved --json output",
        description="Publish what a failed `post` left, continuing its chain: FILE is the "
        "--json output of that post (or of an earlier resume), or - for stdin. Nothing that "
        "is already live is published again.",
        configure=_configure_resume,
        run=_run_resume,
        options={"error_result": "FILE"},
    ),
    "repost": Command(
        help="repost a post",
        description="Repost the post ID on your profile.",
        configure=_configure_post_id,
        run=_run_repost,
        options={"post_id": "ID"},
    ),
    "delete": Command(
        help="delete one of your posts",
        description="Delete your post ID (Meta allows 100 deletions per 24 hours).",
        configure=_configure_post_id,
        run=_run_delete,
        options={"post_id": "ID"},
    ),
    "quota": Command(
        help="show the publishing quota (posts, replies, deletes, location searches)",
        description="Show how much of each 24-hour publishing quota is used.",
        configure=_configure_quota,
        run=_run_quota,
    ),
    "posts": Command(
        help="list your posts, newest first",
        description="List your posts, newest first: one page (25) by default, --limit N or "
        "--all for more. A table on a terminal; with --json one JSON object per post per line.",
        configure=_configure_posts,
        run=_run_posts,
        options=_LIST_OPTIONS,
    ),
    "get-post": Command(
        help="show one post, every field",
        description="Show the post ID, one field per line (with --json: Meta's JSON object).",
        configure=_configure_get_post,
        run=_run_get_post,
        options=_LIST_OPTIONS,
    ),
    "replies": Command(
        help="list the replies to a post (--all-levels: the whole conversation)",
        description="List the top-level replies to the post ID, oldest first, or with "
        "--all-levels every reply at every level. With --json one JSON object per reply per "
        "line.",
        configure=_configure_replies,
        run=_run_replies,
        options=_LIST_OPTIONS,
    ),
    "profile": Command(
        help="show your profile",
        description="Show your profile: id, username, name, picture, biography, verification.",
        configure=_configure_profile,
        run=_run_profile,
        options=_LIST_OPTIONS,
    ),
    "insights": Command(
        help="show the metrics of a post (insights post ID) or of your account (insights user)",
        description="Show insights: `insights post ID` for a post's metrics, `insights user` "
        "for your account's (daily views over a period, totals, followers, demographics).",
        configure=_configure_insights,
        run=_run_insights,
        options={
            **_LIST_OPTIONS,
            "metrics": "--metric",
            "follower_demographic_breakdown": "--breakdown",
        },
    ),
    "search": Command(
        help="search public posts by keyword or topic tag",
        description="Search public posts for Q (a keyword, or a topic tag with --mode TAG). "
        "Meta allows 2,200 searches a day; each page fetched counts as one.",
        configure=_configure_search,
        run=_run_search,
        options={
            **_LIST_OPTIONS,
            "q": "Q",
            "search_type": "--type",
            "search_mode": "--mode",
            "media_type": "--media-type",
            "author_username": "--author",
        },
    ),
    "auth-url": Command(
        help="print the authorization URL (and its state) to get a token",
        description="Print the URL that asks a Threads user to authorize your app, and the "
        "state to check when Threads redirects back. After they click Allow, give the URL they "
        "were sent to to `access_token -code URL --state STATE`.",
        configure=_configure_auth_url,
        run=_run_auth_url,
        options=_AUTH_OPTIONS,
    ),
    "access_token": Command(
        help="exchange an authorization code for a long-lived token (60 days)",
        description="Exchange the code from the redirect for a short-lived token and that for a "
        "long-lived one (60 days). The token is printed, or written to -p/-v's .env file.",
        configure=_configure_access_token,
        run=_run_access_token,
        options=_AUTH_OPTIONS,
    ),
    "refresh_token": Command(
        help="refresh a long-lived token for 60 more days (in place in a .env file with -p/-v)",
        description="Refresh a long-lived token (at least 24 hours old, not expired) for another "
        "60 days. With -p/-v (or -auto -p -v) the token is read from and written back to the "
        ".env file, every other line kept; run it weekly from cron.",
        configure=_configure_refresh_token,
        run=_run_refresh_token,
        options=_AUTH_OPTIONS,
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
        "command (--json may also follow it).",
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
        "--json",
        action="store_true",
        help="print JSON on stdout: one document (the result), or for a list one object per line",
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
        add_json_option(sub)
        command.configure(sub)
    return parser


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """`--json` after the command too; SUPPRESS keeps a global `--json` when it is absent."""
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the same as the global --json",
    )


def _epilog() -> str:
    variables = textwrap.fill(
        ", ".join(ENV_VARIABLES), width=78, initial_indent="  ", subsequent_indent="  "
    )
    auth_variables = textwrap.fill(
        f"{', '.join(AUTH_ENV_VARIABLES)} (auth-url, access_token)",
        width=78,
        initial_indent="  ",
        subsequent_indent="  ",
    )
    return (
        "exit status:\n"
        "  0  success\n"
        "  1  the API call failed (error: ... on stderr)\n"
        "  2  bad usage: bad options or input, missing credentials\n"
        "environment (the process environment wins over --env-file):\n"
        f"{variables}\n"
        f"{auth_variables}\n"
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
        option = option_for(command, exc.parameter)
        return console.fail(exc, EXIT_USAGE, prefix=f"{option}: " if option else "")
    except (UsageError, NotImplementedError) as exc:
        return console.fail(exc, EXIT_USAGE)
    except ThreadsPipeError as exc:
        return console.fail(exc, EXIT_API_ERROR)
    except KeyboardInterrupt:
        console.error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`threadspipepy posts --all | head`): stop quietly.
        _silence_stdout()
        return EXIT_BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's last flush at exit cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests, embedding)
        pass


def option_for(command: Command, parameter: str | None) -> str | None:
    """The option behind a library parameter; `files[2]` is `--file`'s too."""
    if not parameter:
        return None
    return command.options.get(parameter) or command.options.get(parameter.split("[", 1)[0])


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
def _logging_to_stderr(verbosity: int, console: Console) -> Iterator[None]:
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
