"""The publishing commands: post (and its --dry-run plan), resume, repost, delete, quota."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import splitting, validation
from ..results import Result
from ..threadspipe import ThreadsPipe
from ._console import PROG, Console, UsageError
from ._context import Command, Context


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
        help="an image or video (JPEG, PNG, MP4, MOV): an http(s) URL, or a local file that "
        "is hosted for the chain (see --media-host) and deleted after; repeat for more: up "
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
    add_media_host_option(media)
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
    unattended = parser.add_argument_group("running unattended")
    unattended.add_argument(
        "--idempotency-key",
        metavar="KEY",
        help="name this chain (e.g. daily-2026-12-06): every step is journaled first, so "
        "running the same command again after a crash finishes it with nothing posted twice, "
        "and once it is complete prints the recorded result without posting",
    )
    unattended.add_argument(
        "--journal",
        metavar="PATH",
        help="the journal's SQLite file (default: $THREADSPIPEPY_JOURNAL, else "
        "~/.local/state/threadspipepy/journal.sqlite3)",
    )
    unattended.add_argument(
        "--journal-wait",
        metavar="SECONDS",
        type=float,
        help="how long to wait while another run works on the same key before giving up "
        "with exit status 1 (default 30)",
    )


def add_media_host_option(parser: argparse._ActionsContainer) -> None:
    parser.add_argument(
        "--media-host",
        metavar="URI",
        help="where local files are hosted while Threads fetches them: s3://BUCKET/PREFIX"
        "?endpoint_url=...&region=... (the s3 extra; credentials from boto3's usual places) "
        "or dir:///FOLDER?base_url=https://... (a folder your web server serves); default: "
        "$THREADS_MEDIA_HOST, else GitHub from the GH_* variables",
    )


def _run_post(ctx: Context) -> int:
    args = ctx.args
    text = _read_text(args.text, ctx.console) if args.text is not None else None
    countries = (
        [code for value in args.countries for code in value.split(",")] if args.countries else None
    )
    client = ctx.client()
    client.update_param(journal=args.journal, journal_wait=args.journal_wait)
    result = client.pipe(
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
        idempotency_key=args.idempotency_key,
    )
    if args.dry_run:
        return ctx.console.deliver(result, lambda r: ctx.console.result(plan_lines(r)))
    return deliver_chain(ctx.console, result, permalink=permalink_reader(client))


def _read_text(value: str, console: Console) -> str:
    if value != "-":
        return value
    if sys.stdin.isatty():
        console.note("Reading the post from stdin; finish with Ctrl-D (Ctrl-Z Enter on Windows).")
    return sys.stdin.read()


def deliver_chain(
    console: Console,
    result: Result,
    *,
    before: Sequence[str] = (),
    permalink: Callable[[str], str | None] | None = None,
) -> int:
    """Show what `pipe()` or `resume_pipe()` did: the ids published, or what is live and left.

    `before` lists the ids that were live before this run (a resume), so that the success
    line names only what this run published. On a terminal, `permalink` (a post id -> its
    permalink, one read each) adds a line per published part: its number, id and permalink;
    piped or in cron the output stays the one line of ids.
    """

    def render(r: Result) -> None:
        console.success(published_line(r, before=before))
        if permalink is not None and console.stdout_is_terminal():
            done = set(before)
            ids = [i for i in _ids(r) if i not in done]
            for line in permalink_lines(ids, permalink, first=len(_ids(r)) - len(ids) + 1):
                console.result(line)
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


def permalink_reader(client: ThreadsPipe) -> Callable[[str], str | None]:
    """A post id -> its permalink (None if it cannot be read)."""

    def read(post_id: str) -> str | None:
        post = client.get_post(post_id, fields="permalink")
        value = post.get("permalink") if post.ok else None
        return str(value) if value else None

    return read


def permalink_lines(
    ids: Sequence[str], permalink: Callable[[str], str | None], *, first: int = 1
) -> list[str]:
    """`  part 1  ID  https://www.threads.com/@you/post/...` for each id, in chain order."""
    width = max((len(i) for i in ids), default=0)
    return [
        f"  part {number}  {post_id:<{width}}  {permalink(post_id) or '-'}"
        for number, post_id in enumerate(ids, first)
    ]


def partial_failure_lines(result: Result) -> list[str]:
    """For a chain that stopped part way: what is live, what is left, how to finish it."""
    data = _data(result)
    live = [str(p.get("id")) for p in data.get("posts") or [] if isinstance(p, Mapping)]
    remaining = data.get("remaining") or []
    doubt = data.get("in_doubt")
    if not remaining or not (live or doubt):
        return []
    total = data.get("total") or len(live) + len(remaining)
    lines = [f"{len(live)} of {total} posts are live: {' '.join(live) or '-'}"]
    if isinstance(doubt, Mapping):
        lines.append(
            f"Part {int(doubt.get('index') or 0) + 1} may be live: its publish got no clear "
            f"answer (container {doubt.get('container_id')}); resuming checks it first."
        )
    key = data.get("idempotency_key")
    again = (
        f"running the same command again (--idempotency-key {key})"
        if key
        else f"`{PROG} resume FILE` with the --json output of this command saved to FILE"
    )
    lines.append(f"{len(remaining)} not known to be published; {again} finishes the chain.")
    return lines


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
    add_media_host_option(parser)


def _run_resume(ctx: Context) -> int:
    saved = _read_saved_result(ctx.args.file)
    before = _ids(saved)
    client = ctx.client()
    result = client.resume_pipe(saved)
    return deliver_chain(ctx.console, result, before=before, permalink=permalink_reader(client))


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


POSTING_COMMANDS: dict[str, Command] = {
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
}
