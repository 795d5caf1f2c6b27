"""`threadspipepy token status` and `threadspipepy token refresh`: the stored token's age,
expiry and scopes, and a refresh on demand, over the same token stores the library keeps
alive (`threadspipepy.tokens`).

The store is `--store PATH` (a `.env` file, or a `.json` file of Credentials), else the
`--env-file`, else `./.env`. Like the other auth commands they refuse `--sandbox`; point
`THREADS_API_BASE_URL` at a sandbox instead.
"""

from __future__ import annotations

import argparse
import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .. import tokens
from ..config import THREADS_BASE_URL_ENV
from ._auth import Settings, refuse_sandbox
from ._console import DEFAULT_ENV_FILE, EXIT_API_ERROR, EXIT_OK, Console, UsageError
from ._context import Command, Context, add_json_option

_OPTIONS = {
    "refresh_after": "--refresh-after",
    "variable": "--variable",
    "token_store": "--store",
    "path": "--store",
}


def _configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="token_action", metavar="ACTION", required=True)
    status = actions.add_parser(
        "status",
        help="the token's age, expiry and scopes (Meta's debug_token, else the store's record)",
        description="Show the stored token's user, age, expiry, scopes and when the keep-alive "
        "refreshes it. Meta's debug_token answers for a Threads Tester of the app; otherwise "
        "the store's own record is shown. Exit status 1 when the token has expired or was "
        "revoked.",
    )
    refresh = actions.add_parser(
        "refresh",
        help="refresh the stored token now (60 more days) and save it to the store",
        description="Refresh the stored long-lived token (Meta needs it to be at least 24 "
        "hours old and not expired) and save the new one, with its times, to the store, under "
        "the same lock as the library's keep-alive. With --if-due, only when it is older than "
        "--refresh-after: safe to run from cron as often as you like.",
    )
    for sub in (status, refresh):
        add_json_option(sub)
        sub.add_argument(
            "--store",
            metavar="PATH",
            help="the token store: a .env file, or a .json file of Credentials (default: "
            f"--env-file, else {DEFAULT_ENV_FILE})",
        )
        sub.add_argument(
            "--variable",
            default="THREADS_ACCESS_TOKEN",
            metavar="NAME",
            help="the token's variable in a .env store (default THREADS_ACCESS_TOKEN)",
        )
        sub.add_argument(
            "--refresh-after",
            type=_days,
            default=tokens.DEFAULT_REFRESH_AFTER.days,
            metavar="DAYS",
            help="the age at which the token is due for a refresh (default 7; 1 to under 60)",
        )
    refresh.add_argument(
        "--if-due",
        action="store_true",
        help="refresh only when the token is --refresh-after days old (or its age is unknown)",
    )


def _days(text: str) -> float:
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or abs(days) > 36500:
        raise argparse.ArgumentTypeError(f"not a number of days: {text!r}")
    return days


def _store(args: argparse.Namespace) -> tokens.TokenStore:
    path = args.store or args.env_file or DEFAULT_ENV_FILE
    if Path(path).suffix.lower() == ".json":
        return tokens.JsonFileTokenStore(path)
    return tokens.EnvFileTokenStore(path, variable=args.variable)


def _loaded(store: tokens.TokenStore, console: Console) -> None:
    """Refuse an empty or unreadable store as a usage mistake; mask its token from here on."""
    try:
        credentials = store.load()
    except tokens.TokenStoreError as exc:
        raise UsageError(str(exc)) from None
    if credentials is None:
        label = tokens.store_label(store)
        raise UsageError(f"{label} holds no token. {tokens.new_token_howto(label)}")
    console.add_secrets([credentials.access_token])


def _when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "unknown"
    span = moment - now
    relative = f"in {_span(span)}" if span >= timedelta(0) else f"{_span(-span)} ago"
    return f"{moment:%Y-%m-%d %H:%M} UTC ({relative})"


def _span(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds, 0) / 60:.0f} minutes"


def _run(ctx: Context) -> int:
    args = ctx.args
    refuse_sandbox(args)
    settings = Settings(args)
    after = tokens.check_refresh_after(timedelta(days=args.refresh_after))
    store = _store(args)
    _loaded(store, ctx.console)
    base_url = settings.get(THREADS_BASE_URL_ENV)
    if args.token_action == "status":
        return _status(ctx.console, store, after, base_url)
    return _refresh(ctx.console, store, after, base_url, force=not args.if_due)


def _status(
    console: Console, store: tokens.TokenStore, after: timedelta, base_url: str | None
) -> int:
    status = tokens.token_status(store, refresh_after=after, base_url=base_url)
    now = datetime.now(timezone.utc)
    if console.json_mode:
        console.document(status.to_dict(now))
    else:
        valid = {True: "yes", False: "NO", None: "unknown"}[status.valid]
        source = "Meta's debug_token" if status.source == "debug_token" else "the store's record"
        due = status.refresh_due_at
        rows = [
            ("user", status.user_id),
            ("valid", f"{valid} (from {source})"),
            ("issued", _when(status.issued_at, now)),
            ("expires", "never" if status.never_expires else _when(status.expires_at, now)),
            (
                "refresh due",
                "now (age unknown)" if due is None else _when(max(due, now), now),
            ),
            ("scopes", ", ".join(status.scopes) or "unknown"),
            ("store", status.store),
        ]
        if status.data_access_expires_at is not None:
            rows.insert(4, ("data access", _when(status.data_access_expires_at, now)))
        for name, value in rows:
            console.result(f"{name:<12} {value}")
    if status.valid is False:
        console.error(status.note or "the token is not valid")
        return EXIT_API_ERROR
    if status.note:
        console.note(status.note)
    return EXIT_OK


def _refresh(
    console: Console,
    store: tokens.TokenStore,
    after: timedelta,
    base_url: str | None,
    *,
    force: bool,
) -> int:
    credentials, refreshed = tokens.refresh_stored_token(
        store, force=force, refresh_after=after, base_url=base_url
    )
    console.add_secrets([credentials.access_token])
    label = tokens.store_label(store)
    now = datetime.now(timezone.utc)
    if console.json_mode:
        console.document(
            {
                "refreshed": refreshed,
                "user_id": credentials.user_id,
                "issued_at": tokens.iso_text(credentials.issued_at) or None,
                "expires_at": tokens.iso_text(credentials.expiration) or None,
                "store": label,
            }
        )
    elif refreshed:
        console.success(
            f"Refreshed the token in {label}; it expires {_when(credentials.expiration, now)}."
        )
    else:
        issued = credentials.issued_at
        due = "unknown" if issued is None else _when(issued + after, now)
        console.result(f"Not refreshed: the token in {label} is not due yet (due {due}).")
    return EXIT_OK


TOKEN_COMMANDS: dict[str, Command] = {
    "token": Command(
        help="the stored token: status (age, expiry, scopes) and refresh",
        description="Look after the long-lived token in a token store (a .env or .json file): "
        "`token status` shows its age, expiry and scopes; `token refresh` refreshes it now and "
        "saves it. Exit status: 0 success, 1 the token is dead or Meta refused, 2 bad usage "
        "(no token in the store, bad options).",
        configure=_configure,
        run=_run,
        options=_OPTIONS,
    ),
}
