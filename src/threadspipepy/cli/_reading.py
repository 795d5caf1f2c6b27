"""The reading commands: posts, get-post, replies, profile, insights post|user, search.

Lists show one page of Meta's default size unless --limit or --all ask for more; the items
come from the library's iterators, which fetch 100 a page and stop at the limit.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .. import insights, reading
from ._console import EXIT_OK, Console, UsageError
from ._context import Command, Context, add_json_option

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


READING_COMMANDS: dict[str, Command] = {
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
}
