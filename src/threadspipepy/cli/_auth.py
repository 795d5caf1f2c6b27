"""The auth commands: 0.4.5's access_token and refresh_token, and auth-url.

They take the app's settings from options, the environment or the --env-file, never build a
client, and refuse --sandbox.
"""

from __future__ import annotations

import argparse
import os
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .. import auth
from ..config import ALLOW_INSECURE_HTTP_ENV, THREADS_BASE_URL_ENV, env_flag
from ._console import DEFAULT_ENV_FILE, EXIT_OK, PROG, UsageError
from ._context import Command, Context

APP_ID_ENV = "THREADS_APP_ID"
APP_SECRET_ENV = "THREADS_APP_SECRET"
REDIRECT_URI_ENV = "THREADS_REDIRECT_URI"
ACCESS_TOKEN_ENV = "THREADS_ACCESS_TOKEN"
AUTH_ENV_VARIABLES = (APP_ID_ENV, APP_SECRET_ENV, REDIRECT_URI_ENV, auth.AUTHORIZE_URL_ENV)
_FALSE_WORDS = frozenset({"false", "0", "no", "off", "n"})


# What auth-url asks for by default: least privilege for posting (chains are replies to your
# own posts) and reading your own posts. The Python get_auth_token() keeps 0.4.5's 'all'.
DEFAULT_SCOPE = "basic,publish,manage_replies"


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
        default=None,
        metavar="SCOPES",
        help=f"permissions to ask for, comma-separated: keys such as {DEFAULT_SCOPE},insights "
        "or names such as threads_manage_insights, or all (every permission). Default: "
        f"{DEFAULT_SCOPE} (posting, chains of replies, and reading your own posts); "
        f"add more to the list, e.g. --scope {DEFAULT_SCOPE},read_replies,insights",
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
        help="the state auth-url printed: the redirect URL given to -code must carry it "
        "(without --state the redirect is not checked, and a warning says so)",
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


class Settings:
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


def _endpoint_options(settings: Settings) -> dict[str, Any]:
    """Where the OAuth calls go: THREADS_API_BASE_URL, and the plain-http opt-in."""
    return {
        "base_url": settings.get(THREADS_BASE_URL_ENV),
        "allow_insecure_http": env_flag(settings.get(ALLOW_INSECURE_HTTP_ENV)),
    }


@contextmanager
def _env_file_warnings(ctx: Context) -> Iterator[None]:
    """The .env writer's warnings (a file others could read, made 0600) as `warning:` lines,
    not Python's warning format; nothing with -s or --quiet."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", auth.InsecureEnvFileWarning)
        try:
            yield
        finally:
            if not (ctx.args.silent or ctx.console.quiet):
                for warning in caught:
                    ctx.console.progress(str(warning.message), warning=True)


def refuse_sandbox(args: argparse.Namespace) -> None:
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
    refuse_sandbox(args)
    settings = Settings(args)
    app_id = settings.require(args.app_id, APP_ID_ENV, "-id/--app_id")
    redirect = settings.require(args.redirect_uri, REDIRECT_URI_ENV, "-r/--redirect_uri")
    scope = args.scope if args.scope is not None else DEFAULT_SCOPE
    url, state = auth.authorization_url(
        app_id,
        redirect,
        scope,
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
    if args.scope is None:
        others = ", ".join(k for k in auth.SCOPES if k not in DEFAULT_SCOPE.split(","))
        console.note(
            f"Asking for {DEFAULT_SCOPE} only (posting, chains of replies, reading your own "
            f"posts). To ask for more, add keys: --scope {DEFAULT_SCOPE},insights (others: "
            f"{others}), or --scope all for every permission."
        )
    console.note(
        "Open the URL, click Allow, then pass the URL you are sent to: "
        f"{PROG} access_token -code 'REDIRECT_URL' --state {state} (with -secret or "
        f"${APP_SECRET_ENV}). The code in it is valid for 1 hour, once."
    )
    return EXIT_OK


def _run_access_token(ctx: Context) -> int:
    args, console = ctx.args, ctx.console
    refuse_sandbox(args)
    settings = Settings(args)
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
    tokens = auth.get_access_tokens(app_id, secret, code, redirect, **_endpoint_options(settings))
    status = _save_or_show_tokens(ctx, tokens, target)
    if args.state is None and not (args.silent or console.quiet):
        # After the exchange, so a failure still starts with its `error:` line.
        console.progress(
            "the redirect's state was not verified: pass the whole redirect URL in -code and "
            "--state STATE (printed by auth-url), so that a forged or stale link is refused",
            warning=True,
        )
    return status


def _save_or_show_tokens(
    ctx: Context, tokens: Mapping[str, Any], target: tuple[Path, str] | None
) -> int:
    """access_token's output: the tokens written to the .env file, or printed."""
    args, console = ctx.args, ctx.console
    long_lived = tokens["tokens"]["long_lived"]
    expires = _expiry_text(long_lived)
    silent = args.silent or console.quiet
    if target is not None:
        console.add_secrets(
            [str(tokens["tokens"]["short_lived"]["access_token"]), str(long_lived["access_token"])]
        )
        with _env_file_warnings(ctx):
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
    refuse_sandbox(args)
    settings = Settings(args)
    target = _env_target(args)
    token = args.access_token
    if not token and target is not None:
        token = auth.read_env_value(target[0], target[1])
        if not token:
            raise UsageError(f"{target[1]} is not set in {args.env_path}: nothing to refresh")
    if not token:
        token = settings.require(None, ACCESS_TOKEN_ENV, "-token/--access_token (or -p and -v)")
    console.add_secrets([token])
    with _env_file_warnings(ctx):
        body = auth.refresh_token(
            token,
            target[0] if target else None,
            target[1] if target else None,
            **_endpoint_options(settings),
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


AUTH_COMMANDS: dict[str, Command] = {
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
