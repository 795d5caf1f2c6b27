"""What `pipe()` does before and after publishing: arguments -> plan, outcome -> result.

`build_plan` runs every check and the splitter before anything is sent (only the HEAD requests
that learn an untyped URL's kind go out, and not in a dry run); `chain_result` turns what the
chain publisher did into the 0.4.5-shaped result, listing what is live and what is left.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import hosting, media, quota, results, splitting, validation
from ._log import Log
from ._transport import GraphClient
from .config import ClientConfig
from .errors import MediaHostingError, RateLimitError, ThreadsPipeError, ValidationError
from .hosting import MediaHost
from .planning import ChainPlan, PostOptions, plan_chain
from .publishing import ChainOutcome, ChainPublisher, ChainWaits, Publisher, WaitPolicy
from .results import Result

SUCCESS_MESSAGE = "Post piped to Instagram Threads successfully!"
DRY_RUN_MESSAGE = "Dry run: nothing was sent to Threads"
NOT_ELIGIBLE_MESSAGE = (
    "You are attempting to send a geo-gated content but you are not eligible for geo-gating"
)
UPLOAD_FAILED_MESSAGE = "Could not upload local media"
QUOTA_EXCEEDED_MESSAGE = "Rate limit exceeded!"  # 0.4.5's words, which scripts may match
NOTHING_TO_POST = "Either text or at least 1 media (image or video) or both must be provided."


@dataclass(frozen=True)
class PipeRequest:
    """The arguments of one `pipe()` call, as given."""

    post: str | None
    files: Sequence[Any]
    file_captions: Sequence[str | None] | None
    tags: Sequence[str] | None
    reply_to_id: str | int | None
    who_can_reply: str | None
    chained_post: bool
    persist_tags_multipost: bool
    allowed_country_codes: str | Iterable[str] | None
    link_attachments: Sequence[str | None] | None
    quote_post_id: str | int | None
    persist_quoted_post: bool
    topic_tag: str | None
    poll: Sequence[str] | None
    spoilers: Sequence[Any] | None
    spoiler_media: bool
    gif: str | None
    location_id: str | int | None
    enable_reply_approvals: bool
    text_attachment: Mapping[str, Any] | None


@dataclass(frozen=True)
class PreparedPipe:
    """A checked `pipe()` call: the plan, the local files to host first, and their host."""

    plan: ChainPlan
    local_files: tuple[media.LocalFile, ...] = ()
    host: MediaHost | None = None


def build_plan(
    request: PipeRequest,
    config: ClientConfig,
    probe: Callable[[str], str | None] | None,
    host: MediaHost | None,
) -> PreparedPipe:
    """Validate, split and plan; raise ValidationError before anything is uploaded or posted."""
    text = _post_text(request.post)
    files = media.classify_all(request.files, config.threads_base_url)
    if not text and not files:
        raise ValidationError(NOTHING_TO_POST, parameter="post")
    local = tuple(f for f in files if isinstance(f, media.LocalFile))
    if local:
        _check_host(host, config, local[0])
    media.check_rules(files, hosting.host_limit(host))
    captions = validation.captions(request.file_captions, len(files))
    links = [
        validation.http_url(link, f"link_attachments[{i}]") if link else None
        for i, link in enumerate(request.link_attachments or [])
    ]
    parts = _split(text, request, config)
    _check_part_links(parts, links)
    options = _post_options(request, parts, links, bool(files))
    reply_to_id = _optional_id(request.reply_to_id, "reply_to_id")

    def plan_with(probe_kinds: Callable[[str], str | None] | None) -> ChainPlan:
        return plan_chain(
            parts,
            media.plan_media(files, captions, probe_kinds),
            options,
            reply_to_id=reply_to_id,
            chained_post=request.chained_post,
        )

    plan = plan_with(None)  # every placement rule checked before any request
    if probe is not None and len(local) < len(files):
        plan = plan_with(probe)
    planned = {m.index for m in plan.local_media}
    return PreparedPipe(
        plan, tuple(f for f in local if f.index in planned), host if local else None
    )


def _check_host(host: MediaHost | None, config: ClientConfig, first: media.LocalFile) -> None:
    """Local files need somewhere to live: media_host, or all three GitHub options."""
    if host is None:
        missing = hosting.missing_github_options(config)
        raise ValidationError(
            f"{first.label} is a local file, and Threads only fetches media by URL: set "
            f"{', '.join(missing)} (a public GitHub repository for temporary uploads; see "
            "docs/05-media-and-github.md) or pass media_host=.",
            parameter=missing[0] if missing else "media_host",
        )
    if not (callable(getattr(host, "upload", None)) and callable(getattr(host, "delete", None))):
        raise ValidationError(
            "media_host must have upload(data, filename, mime) -> (url, handle) and "
            "delete(handle) methods.",
            parameter="media_host",
        )


def _post_text(post: str | None) -> str:
    if post is not None and not isinstance(post, str):
        raise ValidationError(
            f"post must be a string, got {type(post).__name__}.", parameter="post"
        )
    return (post or "").strip()


def _split(text: str, request: PipeRequest, config: ClientConfig) -> list[str]:
    handling = config.handle_hashtags or config.auto_handle_hashtags
    tags = splitting.normalize_tags(request.tags or []) if handling else []
    if not text and not tags:
        return []
    return splitting.split_post(
        text,
        tags,
        handle_hashtags=config.handle_hashtags,
        auto_handle_hashtags=config.auto_handle_hashtags,
        persist_tags_multipost=request.persist_tags_multipost,
    )


def _check_part_links(parts: Sequence[str], links: Sequence[str | None]) -> None:
    for i, part in enumerate(parts):
        link = links[i] if i < len(links) else None
        count = splitting.unique_link_count(part, link)
        if count > splitting.MAX_LINKS_PER_POST:
            raise ValidationError(
                f"part {i} would carry {count} unique links with link_attachments[{i}]; "
                f"Threads accepts at most {splitting.MAX_LINKS_PER_POST} per post.",
                parameter=f"link_attachments[{i}]",
            )


def _post_options(
    request: PipeRequest, parts: Sequence[str], links: Sequence[str | None], has_media: bool
) -> PostOptions:
    poll = validation.poll(request.poll)
    gif = validation.gif(request.gif)
    text_attachment = validation.text_attachment(request.text_attachment, any(links))
    if sum(x is not None for x in (poll, gif, text_attachment)) > 1:
        raise ValidationError(
            "a post carries one attachment: choose poll, gif or text_attachment.",
            parameter="poll" if poll else "gif",
        )
    if request.spoiler_media and not has_media:
        raise ValidationError(
            "spoiler_media=True needs files: it blurs the media of a post.",
            parameter="spoiler_media",
        )
    return PostOptions(
        every_post={
            "reply_control": validation.reply_control(request.who_can_reply),
            "allowlisted_country_codes": validation.country_codes(request.allowed_country_codes),
            "topic_tag": validation.topic_tag(request.topic_tag),
            "enable_reply_approvals": True if request.enable_reply_approvals else None,
        },
        first_post={
            "location_id": _optional_id(request.location_id, "location_id"),
            "text_entities": _spoilers(request.spoilers, parts),
        },
        last_text_post={
            "poll_attachment": poll,
            "gif_attachment": gif,
            "text_attachment": text_attachment,
        },
        media_posts={"is_spoiler_media": True if request.spoiler_media else None},
        link_attachments=list(links),
        quote_post_id=_optional_id(request.quote_post_id, "quote_post_id"),
        persist_quoted_post=request.persist_quoted_post,
    )


def _spoilers(ranges: Sequence[Any] | None, parts: Sequence[str]) -> str | None:
    if not ranges:
        return None
    if len(parts) != 1:
        raise ValidationError(
            "spoilers= marks ranges of one post's text; this text makes "
            f"{len(parts)} posts. Shorten it or post the spoiler separately.",
            parameter="spoilers",
        )
    return validation.spoilers(ranges, parts[0])


def _optional_id(value: str | int | None, parameter: str) -> str | None:
    return None if value is None else validation.require_id(value, parameter)


@dataclass(frozen=True)
class PipeRuntime:
    """What publishing a plan needs from the client, captured once per call."""

    graph: GraphClient
    config: ClientConfig
    sleep: Callable[[float], None]
    clock: Callable[[], float]
    log: Log

    def publisher(self) -> Publisher:
        return Publisher(
            self.graph, self.config.user_id, sleep=self.sleep, clock=self.clock, log=self.log
        )

    def waits(self) -> ChainWaits:
        config = self.config
        return ChainWaits(
            post=WaitPolicy(
                config.wait_before_post_publish,
                config.post_publish_wait_time,
                config.container_timeout,
            ),
            item=WaitPolicy(
                config.wait_before_media_item_publish,
                config.media_item_publish_wait_time,
                config.container_timeout,
            ),
        )


def publish_plan(
    runtime: PipeRuntime,
    prepared: PreparedPipe,
    *,
    total: int | None = None,
    before: Sequence[Mapping[str, Any]] = (),
) -> Result:
    """Geo check and quota once, host local files, then the chain; always delete the files.

    The hosted files are deleted in a `finally`, so an API error, an exception or Ctrl-C
    leaves nothing behind; a delete that keeps failing is reported, never raised.
    """
    plan = prepared.plan
    try:
        _check_geo_gating(runtime, plan)
        _ensure_quota(runtime, plan)
    except RateLimitError as exc:  # over quota, or throttled while reading it
        runtime.log.error("%s %s", QUOTA_EXCEEDED_MESSAGE, exc)
        return results.failure(QUOTA_EXCEEDED_MESSAGE, exc)
    except _StepFailed as failed:
        runtime.log.error("%s: %s", failed.step, failed.cause)
        return results.failure(failed.step, failed.cause)
    hosted = (
        hosting.HostedFiles(prepared.host, runtime.log, sleep=runtime.sleep)
        if prepared.host is not None and prepared.local_files
        else None
    )
    try:
        result = _host_and_publish(runtime, prepared, hosted, total or len(plan.posts), before)
    finally:
        problems = hosted.cleanup() if hosted is not None else []
    if problems:
        data = result.setdefault("data", {})
        data["cleanup_errors"] = problems
    return result


def _host_and_publish(
    runtime: PipeRuntime,
    prepared: PreparedPipe,
    hosted: hosting.HostedFiles | None,
    total: int,
    before: Sequence[Mapping[str, Any]],
) -> Result:
    plan = prepared.plan
    if hosted is not None:
        try:
            plan = plan.with_hosted_urls(hosted.upload_all(prepared.local_files))
        except MediaHostingError as exc:
            runtime.log.error("%s: %s", UPLOAD_FAILED_MESSAGE, exc)
            return results.failure(UPLOAD_FAILED_MESSAGE, exc)
    outcome = ChainPublisher(runtime.publisher(), runtime.waits(), total).run(
        plan.posts, plan.reply_to_id
    )
    return chain_result(plan, outcome, total, before, runtime.log)


class _StepFailed(Exception):
    """A preliminary step failed; `step` is the message the result carries."""

    def __init__(self, step: str, cause: ThreadsPipeError) -> None:
        super().__init__(step)
        self.step = step
        self.cause = cause


def _check_geo_gating(runtime: PipeRuntime, plan: ChainPlan) -> None:
    """One eligibility read when any post is geo-gated."""
    if not any(p.options.get("allowlisted_country_codes") for p in plan.posts):
        return
    step = "Could not get geogating eligibility from Threads"
    try:
        body = runtime.graph.get("me", {"fields": "id,is_eligible_for_geo_gating"})
    except ThreadsPipeError as exc:
        raise _StepFailed(step, exc) from exc
    if body.get("is_eligible_for_geo_gating") is not True:
        error = ValidationError(NOT_ELIGIBLE_MESSAGE, parameter="allowed_country_codes")
        raise _StepFailed(NOT_ELIGIBLE_MESSAGE, error)


def _ensure_quota(runtime: PipeRuntime, plan: ChainPlan) -> None:
    """One quota read: the whole chain must fit (or, if asked, wait until it does)."""
    config = runtime.config
    if not (config.check_rate_limit_before_post or config.wait_on_rate_limit):
        return
    posts, replies = plan.quota_needs()
    try:
        quota.ensure_room(
            lambda: quota.read_quota(runtime.graph, config.user_id),
            posts=posts,
            replies=replies,
            wait=config.wait_on_rate_limit,
            max_wait=config.max_rate_limit_wait,
            sleep=runtime.sleep,
            clock=runtime.clock,
            log=runtime.log,
        )
    except RateLimitError:
        raise
    except ThreadsPipeError as exc:
        raise _StepFailed("Could not check the publishing quota", exc) from exc


def chain_result(
    plan: ChainPlan,
    outcome: ChainOutcome,
    total: int,
    before: Sequence[Mapping[str, Any]],
    log: Log,
) -> Result:
    """The 0.4.5-shaped result: media_ids and posts in chain order, plus what is left."""
    published = [dict(p) for p in before] + [p.to_dict() for p in outcome.published]
    data: dict[str, Any] = {"media_ids": [p["id"] for p in published], "posts": published}
    if outcome.error is None:
        message = SUCCESS_MESSAGE
        if plan.unposted_text or plan.unposted_media:
            data["unposted_text"] = list(plan.unposted_text)
            data["unposted_media"] = [m.url for m in plan.unposted_media]
            data["notes"] = list(plan.notes)
            message = f"{SUCCESS_MESSAGE} {' '.join(plan.notes)}"
            log.warning("%s", " ".join(plan.notes))
        log.info("%s (%d post(s))", SUCCESS_MESSAGE, len(published))
        return results.success(message, data)
    failed = outcome.failed_index if outcome.failed_index is not None else 0
    last_id = published[-1]["id"] if published else plan.reply_to_id
    live = {p.index for p in outcome.published}
    data.update(
        remaining=[p.to_dict() for p in plan.posts if p.index not in live],
        next_reply_to_id=last_id,
        total=total,
    )
    message = (
        "Could not publish post"
        if total == 1
        else f"Could not publish part {failed + 1} of {total}"
    )
    if published:
        message += f"; {len(published)} part(s) are live and resume_pipe(result) publishes the rest"
    elif total > 1:
        message += "; nothing was published"
    log.error("%s: %s", message, outcome.error)
    return results.failure(message, outcome.error, data)
