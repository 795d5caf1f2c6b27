"""What a command is and what its handler gets: `Command`, `Context` and the client.

`Context.client()` opens the client (`open_client`: credentials from the environment and
`--env-file`, or the offline sandbox behind `--sandbox`) on first use only.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from ..errors import ValidationError
from ..hosting import media_host_from_setting
from ..threadspipe import ThreadsPipe
from ._console import DEFAULT_ENV_FILE, Console, UsageError


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
    overrides = _media_host_option(args)
    if args.sandbox:
        from ..testing import ThreadsSandbox  # imported only when asked for

        with ThreadsSandbox() as sandbox:
            console.note("Using the offline sandbox (--sandbox): nothing is sent to Threads.")
            with sandbox.client(**overrides) as client:
                yield client
        return
    env_file = args.env_file if args.env_file is not None else DEFAULT_ENV_FILE
    if args.env_file is not None and not Path(env_file).is_file():
        raise UsageError(f"--env-file {env_file}: no such file")
    try:
        client = ThreadsPipe.from_env(env_file, **overrides)
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


def add_json_option(parser: argparse.ArgumentParser) -> None:
    """`--json` after the command too; SUPPRESS keeps a global `--json` when it is absent."""
    parser.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="the same as the global --json",
    )
