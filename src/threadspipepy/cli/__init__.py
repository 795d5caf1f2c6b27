"""The `threadspipepy` command: argparse for the parser, colorama for colour.

Layout, so that new commands slot in without touching the rest:

- `build_parser()` makes the global options and one subparser per entry in `COMMANDS`, which
  is assembled here from the command modules: `_posting` (post, resume, repost, delete,
  quota), `_reading` (posts, get-post, replies, profile, insights, search), `_auth`
  (auth-url, access_token, refresh_token) and `_tokens` (token status, token refresh);
- a `Command` pairs a subparser's options (`configure`) with a handler (`run`) that gets a
  `Context` (the console, and the client built lazily from `--sandbox` / `--env-file`), both
  in `_context`;
- `Console` (in `_console`) owns every byte written: colour only on a TTY (and without
  `NO_COLOR`), `--json` and `--quiet`, `error: ...` lines, and masking of every secret the
  client holds;
- `main()` parses, routes the library's log records to stderr for the run only (`-v`, or dim
  progress lines when stderr is a terminal), dispatches, and maps exceptions to the exit
  status: 0 success, 1 API failure, 2 bad usage.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import colorama

from .._version import __version__
from ..errors import ThreadsPipeError, ValidationError
from ..threadspipe import ENV_VARIABLES
from ._auth import AUTH_COMMANDS, AUTH_ENV_VARIABLES
from ._console import (
    DEFAULT_ENV_FILE,
    EXIT_API_ERROR,
    EXIT_BROKEN_PIPE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    PROG,
    Console,
    UsageError,
    describe_failure,
    error_document,
    logging_to_stderr,
    use_colour,
)
from ._context import (
    Command,
    Context,
    add_global_options,
    add_json_option,
    open_client,
)
from ._posting import POSTING_COMMANDS, deliver_chain, plan_lines, quota_table
from ._reading import READING_COMMANDS, insights_table, object_lines, show_items
from ._tokens import TOKEN_COMMANDS
from ._webhooks import WEBHOOK_COMMANDS

__all__ = [
    "COMMANDS",
    "DEFAULT_ENV_FILE",
    "EXIT_API_ERROR",
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_USAGE",
    "PROG",
    "Command",
    "Console",
    "Context",
    "UsageError",
    "add_global_options",
    "add_json_option",
    "build_parser",
    "cli_message",
    "deliver_chain",
    "describe_failure",
    "error_document",
    "insights_table",
    "logging_to_stderr",
    "main",
    "object_lines",
    "open_client",
    "option_for",
    "plan_lines",
    "quota_table",
    "run_command",
    "show_items",
    "use_colour",
]

_logging_to_stderr = logging_to_stderr  # its 0.5 name, which tests/cli/test_console.py uses

COMMANDS: dict[str, Command] = {
    **POSTING_COMMANDS,
    **READING_COMMANDS,
    **AUTH_COMMANDS,
    **TOKEN_COMMANDS,
    **WEBHOOK_COMMANDS,
}


# -- parser -----------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    options: dict[str, Any] = {}
    if sys.version_info >= (3, 14):
        options["color"] = False  # --help stays plain text on every Python
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Post to Meta's Threads and read from it. Global options go before or "
        "after the command.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        **options,
    )
    add_global_options(parser)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(
            name, help=command.help, description=command.description or command.help, **options
        )
        command.configure(sub)
        add_global_options(sub, after_command=True)
    return parser


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
    if args.quiet and args.verbose:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: -q/--quiet and -v/--verbose cannot go together", file=sys.stderr)
        return EXIT_USAGE
    console = Console(json_mode=args.json or args.json_array, quiet=args.quiet)
    console.json_array = args.json_array
    with logging_to_stderr(args.verbose, console):
        status = run_command(args, console)
    return status if status != EXIT_OK else console.finish()


def run_command(args: argparse.Namespace, console: Console) -> int:
    """Dispatch to the command's handler and turn exceptions into exit statuses."""
    command = COMMANDS[args.command]
    try:
        with Context(args, console) as ctx:
            return command.run(ctx)
    except ValidationError as exc:
        option = option_for(command, exc.parameter)
        prefix = f"{option}: " if option else ""
        return console.fail(exc, EXIT_USAGE, prefix=prefix, message=cli_message(exc))
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
    return (
        command.options.get(parameter)
        or command.options.get(parameter.split("[", 1)[0])
        or GLOBAL_OPTIONS.get(parameter)
    )


# Library parameters set by a global option.
GLOBAL_OPTIONS = {"timeout": "--timeout", "env_file": "--env-file"}
# What the command line calls the GitHub options: environment variables (or .env lines).
_GITHUB_OPTIONS = ("gh_bearer_token", "gh_username", "gh_repo_name")
_ENV_NAME_OF = {option: env for env, option in ENV_VARIABLES.items()}


def cli_message(exc: ValidationError) -> str:
    """The error in command-line words: a local file without GitHub settings names the
    environment variables that set them, not the Python parameters."""
    text = str(exc) or type(exc).__name__
    label, found, rest = text.partition(" is a local file")
    if exc.parameter not in (*_GITHUB_OPTIONS, "media_host") or not found:
        return text
    missing = [o for o in _GITHUB_OPTIONS if re.search(rf"\b{o}\b", rest)] or _GITHUB_OPTIONS
    return (
        f"{label} is a local file, and Threads only fetches media by URL: set "
        f"{', '.join(_ENV_NAME_OF[o] for o in missing)} in the environment or in the .env file "
        "(--env-file) to host it for a moment in a public GitHub repository "
        "(docs/05-media-and-github.md), or give an http(s) URL instead. (In Python: "
        f"{', '.join(_GITHUB_OPTIONS)}, or media_host=.)"
    )
