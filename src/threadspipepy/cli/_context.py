"""What a command is and what its handler gets: `Command`, `Context` and the client.

`Context.client()` opens the client (`open_client`: credentials from the environment and
`--env-file`, or the offline sandbox behind `--sandbox`) on first use only.
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import requests

from .._transport import mount_adapters
from .._urls import host_of
from ..errors import ValidationError
from ..hosting import media_host_from_setting
from ..threadspipe import ThreadsPipe
from ._console import DEFAULT_ENV_FILE, Console, UsageError

# -- client -----------------------------------------------------------------------------------
DEFAULT_TIMEOUT = 30.0  # the library's default `timeout=`
# Say "still waiting" after this long without an answer (or a third of --timeout, if less).
WAITING_NOTICE_AFTER = 3.0


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
            self.console.add_masker(self._client.mask_secrets)
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


class WaitingSession(requests.Session):
    """A Session that says, on stderr, when a server has not answered for a few seconds.

    A hung server would otherwise mean `timeout` seconds of silence. The note names the host
    and the method and path (never the query, which may carry a secret).
    """

    def __init__(self, note: Callable[[str], None], timeout: float) -> None:
        super().__init__()
        mount_adapters(self)
        self._note = note
        self._timeout = timeout
        self.after = min(WAITING_NOTICE_AFTER, timeout / 3)

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        target = url.decode() if isinstance(url, bytes) else str(url)
        verb = method.decode() if isinstance(method, bytes) else str(method)
        text = (
            f"Still waiting for {host_of(target)} to answer {verb.upper()} {urlsplit(target).path} "
            f"(no answer after {self.after:g} s; giving up after {self._timeout:g} s, see "
            "--timeout)"
        )
        timer = threading.Timer(self.after, self._note, args=(text,))
        timer.daemon = True
        timer.start()
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            timer.cancel()


@contextmanager
def open_client(args: argparse.Namespace, console: Console) -> Iterator[ThreadsPipe]:
    """A client for the real API (credentials from the environment) or for the sandbox."""
    timeout = args.timeout if args.timeout is not None else DEFAULT_TIMEOUT
    if timeout <= 0 or timeout != timeout:  # also NaN
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds above 0")
    with WaitingSession(console.note, timeout) as session:
        options: dict[str, Any] = {"timeout": timeout, "session": session}
        options.update(_media_host_option(args))
        if args.sandbox:
            from ..testing import ThreadsSandbox  # imported only when asked for

            with ThreadsSandbox() as sandbox:
                console.note("Using the offline sandbox (--sandbox): nothing is sent to Threads.")
                with sandbox.client(**options) as client:
                    yield client
            return
        env_file = args.env_file if args.env_file is not None else DEFAULT_ENV_FILE
        if args.env_file is not None and not Path(env_file).is_file():
            raise UsageError(f"--env-file {env_file}: no such file")
        try:
            client = ThreadsPipe.from_env(env_file, **options)
        except ValidationError as exc:
            if exc.parameter != "env_file":
                raise
            raise UsageError(
                "no Threads credentials: set THREADS_USER_ID and THREADS_ACCESS_TOKEN in the "
                f"environment or in {env_file} (see --env-file), or try --sandbox"
            ) from exc
        with client:
            yield client


def _media_host_option(args: argparse.Namespace) -> dict[str, Any]:
    """`--media-host URI` (post, resume): the host it names, which wins over
    THREADS_MEDIA_HOST; a bad URI or a missing extra is a usage error before any request."""
    uri = getattr(args, "media_host", None)
    if not uri:
        return {}
    return {"media_host": media_host_from_setting(uri, setting="--media-host")}


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


def add_global_options(parser: argparse.ArgumentParser, *, after_command: bool = False) -> None:
    """The global options, on the main parser or (after_command) again on a subcommand.

    After the command their default is SUPPRESS, so an option given before the command is
    kept when it is not repeated; a flag the subcommand already uses for itself (0.4.5's
    `-v` of access_token) stays the subcommand's.
    """
    taken = set(parser._option_string_actions)
    group = parser.add_argument_group("global options") if after_command else parser

    def add(*flags: str, **kwargs: Any) -> None:
        free = [flag for flag in flags if flag not in taken]
        if not free:
            return
        if after_command:
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*free, **kwargs)

    add(
        "--env-file",
        metavar="PATH",
        help=f"read credentials from this .env file (default: {DEFAULT_ENV_FILE} if it exists); "
        "variables already in the environment win",
    )
    add(
        "--json",
        action="store_true",
        help="print JSON on stdout: one document for a result; for a list (posts, replies, "
        "search, ...) JSON lines, one object per line (see --json-array)",
    )
    add(
        "--json-array",
        action="store_true",
        help="like --json, but a list is printed as one JSON array (one document)",
    )
    add(
        "--sandbox",
        action="store_true",
        help="run against an offline, in-process Threads sandbox (no account needed)",
    )
    add(
        "--timeout",
        metavar="SECONDS",
        type=float,
        help=f"give up on a request that gets no answer within SECONDS (default "
        f"{DEFAULT_TIMEOUT:g}); a note says it is waiting after a few seconds",
    )
    add("-q", "--quiet", action="store_true", help="print nothing but errors (and JSON output)")
    add(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log what the library does to stderr (-v: INFO, -vv: DEBUG)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """The global options (`--json` among them) after a nested command too."""
    add_global_options(parser, after_command=True)
