"""What `pipe()` does before and after publishing: arguments -> plan, outcome -> result.

`build_plan` runs every check and the splitter before anything is sent (only the HEAD requests
that learn an untyped URL's kind go out, and not in a dry run); `chain_result` turns what the
chain publisher did into the 0.4.5-shaped result, listing what is live and what is left.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import hosting, media, quota, results, splitting, validation
from ._lazy import LazyModule
from ._log import Log
from ._polling import ProcessingTimes
from ._transport import GraphClient
from .config import ClientConfig
from .errors import MediaHostingError, RateLimitError, ThreadsPipeError, ValidationError
from .hosting import MediaHost
from .planning import ChainPlan, PlannedMedia, PlannedPost, PostOptions, plan_chain
from .publishing import (
    ChainOutcome,
    ChainPublisher,
    ChainRecorder,
    ChainWaits,
    GateClosed,
    InDoubt,
    PublishedPost,
    Publisher,
    WaitPolicy,
)
from .quota_reservations import QuotaClaim
from .results import Result

if TYPE_CHECKING:
    from . import journal
else:
    journal = LazyModule("threadspipepy.journal")  # only a chain under an idempotency key

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
    log: Log | None = None,
) -> PreparedPipe:
    """Validate, split and plan; raise ValidationError before anything is uploaded or posted."""
    text = _post_text(request.post)
    warn = log.warning if log is not None else None
    files = media.classify_all(request.files, config.threads_base_url, warn)
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
    wall: Callable[[], float] = time.time
    # What the client has seen containers take to process (shared by its calls).
    times: ProcessingTimes = field(default_factory=ProcessingTimes)

    def publisher(self) -> Publisher:
        return Publisher(
            self.graph,
            self.config.user_id,
            sleep=self.sleep,
            clock=self.clock,
            log=self.log,
            wall=self.wall,
            times=self.times,
            wait=self.waits().post,
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


@dataclass(frozen=True)
class Progress:
    """What earlier runs of the same chain did: the posts that are live, the chain's length,
    and the container of the next part if its publish answer was lost."""

    before: tuple[Mapping[str, Any], ...] = ()
    total: int | None = None
    in_doubt: InDoubt | None = None
    idempotency_key: str | None = None  # the journal that holds this chain, if any


class PipeHooks:
    """Where a run reports its steps before taking them (the journal); no-ops by default."""

    def hosting(self, names: Sequence[str]) -> None:
        """These names are about to be uploaded to the media host."""

    def hosted_cleaned(self) -> None:
        """Every file of this run is off the host (or reported)."""

    def recorder(self) -> ChainRecorder | None:
        return None

    def claim_name(self) -> str | None:
        """The name of this run's quota reservation (None: a fresh one per call)."""
        return None


def publish_plan(
    runtime: PipeRuntime,
    prepared: PreparedPipe,
    progress: Progress = Progress(),
    hooks: PipeHooks | None = None,
) -> Result:
    """Geo check and quota once, host local files, then the chain; always delete the files.

    Every failure becomes a result that says what is live, what is in doubt and what is left
    (so `resume_pipe` can finish it); nothing but Ctrl-C escapes, and that only after the
    hosted files were deleted.
    """
    hooks = hooks or PipeHooks()
    claim = QuotaClaim(
        runtime.config.quota_reservations, runtime.config.user_id, hooks.claim_name(), runtime.log
    )
    state = _RunState(prepared.plan, progress, claim)
    try:
        result = _publish(runtime, prepared, state, hooks)
    except GateClosed as closed:  # the quota, read while the first containers were created
        result = _quota_failure(runtime, state, closed.cause)
    except ThreadsPipeError as exc:  # a step that failed outside the chain's own handling
        result = state.failure(runtime.log, f"Could not publish: {exc}", exc)
    except Exception as exc:  # a bug must not cost a cron job its record of what is live
        runtime.log.exception("pipe() failed unexpectedly")
        error = results.unexpected(exc)
        result = state.failure(runtime.log, "Could not publish: an unexpected error", error)
    finally:
        state.claim.release()  # what the chain did not publish goes back to the others
    if not result.ok:  # resume_pipe(result) hosts these again, never the deleted copies
        result.local_files = {f.index: f for f in prepared.local_files}
    return result


def _publish(
    runtime: PipeRuntime, prepared: PreparedPipe, state: _RunState, hooks: PipeHooks
) -> Result:
    plan = prepared.plan
    if not plan.posts:  # an earlier run published everything; only the result is missing
        return chain_result(state, runtime.log)
    _refresh_token_if_due(runtime)
    quota_read: QuotaRead | None = None
    try:
        _check_geo_gating(runtime, plan)
        if _quota_in_background(runtime.config, prepared):
            quota_read = QuotaRead.start(runtime, plan, state.claim)
        else:
            _ensure_quota(runtime, plan, state.claim)
    except (RateLimitError, _StepFailed) as exc:
        return _quota_failure(runtime, state, exc)
    hosted = (
        hosting.HostedFiles(prepared.host, runtime.log, sleep=runtime.sleep)
        if prepared.host is not None and prepared.local_files
        else None
    )
    try:
        result = _host_and_publish(runtime, prepared, hosted, state, hooks, quota_read)
    finally:
        if quota_read is not None:
            quota_read.close()
        problems = hosted.cleanup() if hosted is not None else []
        if hosted is not None:
            hooks.hosted_cleaned()
    if problems:
        data = result.setdefault("data", {})
        data["cleanup_errors"] = problems
    return result


def _host_and_publish(
    runtime: PipeRuntime,
    prepared: PreparedPipe,
    hosted: hosting.HostedFiles | None,
    state: _RunState,
    hooks: PipeHooks,
    quota_read: QuotaRead | None = None,
) -> Result:
    plan = prepared.plan
    if hosted is not None:
        hooks.hosting(hosted.plan(prepared.local_files))
        try:
            plan = plan.with_hosted_urls(hosted.upload_all())
        except MediaHostingError as exc:
            return state.failure(runtime.log, UPLOAD_FAILED_MESSAGE, exc)
    publisher = ChainPublisher(
        runtime.publisher(),
        runtime.waits(),
        state.total,
        state.claim.recording(hooks.recorder()),
        gate=quota_read.wait if quota_read is not None else None,
    )
    known = [str(p["id"]) for p in state.progress.before if p.get("id")]
    outcome = publisher.run(
        plan.posts, plan.reply_to_id, in_doubt=state.progress.in_doubt, known_ids=known
    )
    state.outcome = outcome
    return chain_result(state, runtime.log)


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
        raise _StepFailed(step, exc) from None
    if body.get("is_eligible_for_geo_gating") is not True:
        error = ValidationError(NOT_ELIGIBLE_MESSAGE, parameter="allowed_country_codes")
        raise _StepFailed(NOT_ELIGIBLE_MESSAGE, error)


def _refresh_token_if_due(runtime: PipeRuntime) -> None:
    """A token due for refreshing is refreshed once, here, rather than by each of the
    requests that are about to go out in parallel (the quota read, the first creates)."""
    hook = runtime.graph.token_hook
    if hook is not None:
        hook.before_request()


def _quota_in_background(config: ClientConfig, prepared: PreparedPipe) -> bool:
    """Whether the quota can be read while the first containers are created (no round trip
    of its own): not when there are files to host first (nothing is uploaded for a chain
    that does not fit) nor when a full quota is to be waited out (containers would wait), nor
    with quota reservations."""
    return (
        config.check_rate_limit_before_post
        and not config.wait_on_rate_limit
        and config.quota_reservations is None  # a reservation is taken before anything else
        and not prepared.local_files
    )


class QuotaRead:
    """The quota check, running in a thread of its own while the chain creates containers
    (creating spends no quota); `wait` is the chain's gate before its first publish."""

    def __init__(self, pool: ThreadPoolExecutor, future: Future[None]) -> None:
        self._pool = pool
        self._future = future

    @classmethod
    def start(cls, runtime: PipeRuntime, plan: ChainPlan, claim: QuotaClaim) -> QuotaRead:
        pool = ThreadPoolExecutor(1, thread_name_prefix="threadspipepy-quota")
        return cls(pool, pool.submit(_ensure_quota, runtime, plan, claim))

    def wait(self) -> None:
        """Return once the whole chain fits; raise RateLimitError or _StepFailed if not."""
        self._future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=False)


def _quota_failure(runtime: PipeRuntime, state: _RunState, exc: BaseException) -> Result:
    """The result of a chain stopped by the quota check: over quota (or throttled while
    reading it), or the read itself failed. Nothing was published."""
    if isinstance(exc, RateLimitError):
        return state.failure(runtime.log, QUOTA_EXCEEDED_MESSAGE, exc)
    if isinstance(exc, _StepFailed):
        return state.failure(runtime.log, exc.step, exc.cause)
    if isinstance(exc, ThreadsPipeError):
        return state.failure(runtime.log, "Could not check the publishing quota", exc)
    error = ThreadsPipeError(f"Unexpected {type(exc).__name__}: {exc}")
    return state.failure(runtime.log, "Could not publish: an unexpected error", error)


def _ensure_quota(runtime: PipeRuntime, plan: ChainPlan, claim: QuotaClaim) -> None:
    """One quota read: the whole chain must fit (or, if asked, wait until it does); with
    quota reservations, beside what other calls for the account reserved, and reserved."""
    config = runtime.config
    if not (config.check_rate_limit_before_post or config.wait_on_rate_limit or claim.active):
        return
    posts, replies = plan.quota_needs()
    try:
        quota.ensure_room(
            claim.reserving(
                lambda: quota.read_quota(runtime.graph, config.user_id), posts, replies
            ),
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
        raise _StepFailed("Could not check the publishing quota", exc) from None


PUBLISHED_STATE, IN_DOUBT_STATE, NOT_SENT_STATE = "published", "in_doubt", "not_sent"


class _RunState:
    """One run's view of the chain: the plan (local files unhosted), earlier progress, and
    what the publisher did, turned into the result at any point of failure."""

    def __init__(self, plan: ChainPlan, progress: Progress, claim: QuotaClaim) -> None:
        self.plan = plan
        self.progress = progress
        self.total = progress.total or len(progress.before) + len(plan.posts)
        self.outcome = ChainOutcome(())
        self.claim = claim  # this call's share of the account's quota reservations

    def failure(self, log: Log, message: str, error: ThreadsPipeError) -> Result:
        outcome = self.outcome
        failed_index, doubt = outcome.failed_index, outcome.in_doubt
        if doubt is None and not outcome.published and self.progress.in_doubt and self.plan.posts:
            # Stopped before the part an earlier run left in doubt was settled: it still is.
            failed_index, doubt = self.plan.posts[0].index, self.progress.in_doubt
        self.outcome = ChainOutcome(outcome.published, error, failed_index, doubt)
        log.error("%s: %s", message, error)
        return results.failure(message, error, chain_data(self))


def chain_data(state: _RunState) -> dict[str, Any]:
    """The `data` of a result: what is live, each part's state, and what is left."""
    outcome = state.outcome
    published = [dict(p) for p in state.progress.before] + [p.to_dict() for p in outcome.published]
    data: dict[str, Any] = {"media_ids": [p["id"] for p in published], "posts": published}
    live = {p.index for p in outcome.published}
    remaining = [p for p in state.plan.posts if p.index not in live]
    if outcome.error is None and not remaining:
        return data
    doubt = outcome.in_doubt
    # A chain is published in order and stops at its first failure: the live parts are its
    # first ones, so a published post's index is its position.
    parts = [{"index": i, "state": PUBLISHED_STATE, "id": p["id"]} for i, p in enumerate(published)]
    for post in remaining:
        part: dict[str, Any] = {"index": post.index, "state": NOT_SENT_STATE}
        if doubt is not None and post.index == outcome.failed_index:
            part.update(state=IN_DOUBT_STATE, **doubt.to_dict())
        parts.append(part)
    data["parts"] = parts
    data.update(
        remaining=[p.to_dict() for p in remaining],
        next_reply_to_id=published[-1]["id"] if published else state.plan.reply_to_id,
        total=state.total,
    )
    if doubt is not None:
        data["in_doubt"] = {"index": outcome.failed_index, **doubt.to_dict()}
    return data


def chain_result(state: _RunState, log: Log) -> Result:
    """The 0.4.5-shaped result: media_ids and posts in chain order, plus what is left."""
    plan, outcome = state.plan, state.outcome
    data = chain_data(state)
    published = data["posts"]
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
    total = state.total
    message = (
        "Could not publish post"
        if total == 1
        else f"Could not publish part {failed + 1} of {total}"
    )
    if outcome.in_doubt is not None:
        message += (
            f"; its publish got no clear answer (container {outcome.in_doubt.container_id}): "
            "resume_pipe(result) checks it before sending anything again"
        )
    if published:
        message += f"; {len(published)} part(s) are live and resume_pipe(result) publishes the rest"
    elif total > 1 and outcome.in_doubt is None:
        message += "; nothing was published"
    log.error("%s: %s", message, outcome.error)
    return results.failure(message, outcome.error, data)


# -- resume: a failure result back into a plan -----------------------------------------------
RESUME_NOTHING_LEFT = (
    "error_result must be the error result of a pipe() call that stopped part way (its data "
    "lists 'remaining' posts), or the exception raise_on_error=True raised; this one has "
    "nothing left to publish."
)


def resume_request(
    source: Mapping[str, Any] | BaseException, host: MediaHost | None, config: ClientConfig
) -> tuple[PreparedPipe, Progress]:
    """What a failure result (or the exception carrying it) says is left to do.

    Local media keep the caller's sources: the files of this process's result, or for a
    result read back from JSON the files at their recorded paths; they are hosted again.
    """
    result = getattr(source, "result", None) if isinstance(source, BaseException) else source
    data = result.get("data") if isinstance(result, Mapping) else None
    remaining = data.get("remaining") if isinstance(data, Mapping) else None
    if not isinstance(data, Mapping) or not remaining:
        raise ValidationError(RESUME_NOTHING_LEFT, parameter="error_result")
    try:
        posts = tuple(PlannedPost.from_dict(d) for d in remaining)
        before = tuple(dict(p) for p in data.get("posts") or [])
        doubt = data.get("in_doubt")
        in_doubt = (
            InDoubt.from_dict(doubt)
            if isinstance(doubt, Mapping) and doubt.get("index") == posts[0].index
            else None
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(
            f"error_result['data'] is not what pipe() wrote ({exc}).", parameter="error_result"
        ) from None
    held = getattr(result, "local_files", None) or {}
    local = tuple(_local_source(m, held) for p in posts for m in p.media if m.source is not None)
    if local:
        _check_host(host, config, local[0])
    plan = ChainPlan(posts=posts, reply_to_id=data.get("next_reply_to_id"))
    total = data.get("total")
    key = data.get("idempotency_key")
    progress = Progress(before, int(total) if total else None, in_doubt, key or None)
    return PreparedPipe(plan, local, host if local else None), progress


def _local_source(planned: PlannedMedia, held: Mapping[int, media.LocalFile]) -> media.LocalFile:
    if planned.index in held:
        return held[planned.index]
    if planned.path:
        try:
            found = media.classify(Path(planned.path), planned.index)
        except ValidationError as exc:
            raise ValidationError(
                f"{planned.source} was to be hosted again from {planned.path}: {exc}",
                parameter="error_result",
            ) from None
        if isinstance(found, media.LocalFile):
            return found
    raise ValidationError(
        f"{planned.source} was given as content in memory, which a result read back from JSON "
        "does not hold; resume with the result pipe() returned in this process, or call pipe() "
        "again with that file and reply_to_id=error_result['data']['next_reply_to_id'].",
        parameter="error_result",
    )


# -- the journal: a chain under an idempotency key --------------------------------------------
class _JournalHooks(PipeHooks):
    """Writes each step to the chain's journal entry before the step is taken."""

    def __init__(self, entry: journal.ChainEntry) -> None:
        self.entry = entry

    def hosting(self, names: Sequence[str]) -> None:
        self.entry.hosting(names)

    def hosted_cleaned(self) -> None:
        self.entry.hosted_cleaned()

    def recorder(self) -> ChainRecorder:
        return _EntryRecorder(self.entry)

    def claim_name(self) -> str:
        return self.entry.key  # a re-run after a crash replaces the dead run's reservation


class _EntryRecorder:
    def __init__(self, entry: journal.ChainEntry) -> None:
        self.entry = entry

    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        self.entry.sending(index, container_id, sent_at)

    def published(self, post: PublishedPost) -> None:
        self.entry.published(post.to_dict())

    def unsent(self, index: int) -> None:
        self.entry.unsent()


def plan_fingerprint(plan: ChainPlan) -> str:
    """What a chain is, for telling an idempotency key's chain from another: texts, media
    (URLs, or local files by label and type), options and the post it replies to."""
    posts = [
        {
            "text": post.text,
            "options": dict(post.options),
            "media": [(m.index, m.url, m.kind, m.alt_text, m.source) for m in post.media],
        }
        for post in plan.posts
    ]
    payload = json.dumps({"reply_to_id": plan.reply_to_id, "posts": posts}, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def publish_journaled(
    runtime: PipeRuntime,
    prepared: PreparedPipe,
    store: journal.JournalStore,
    key: str,
    *,
    wait: float,
    fingerprint: str | None,
    total: int | None = None,
) -> Result:
    """Publish under an idempotency key: continue what the journal says earlier runs did.

    A complete chain returns its recorded result without a request; otherwise the live
    parts are skipped, a part in doubt is resolved on its own container, files an earlier
    run hosted are removed, and every step of this run is written down before it is taken.
    """
    try:
        entry = journal.ChainEntry.open(
            store,
            f"{runtime.config.user_id}/{key}",
            fingerprint,
            wait=wait,
            sleep=runtime.sleep,
            clock=runtime.clock,
        )
    except journal.JournalBusyError as exc:
        runtime.log.error("%s", exc)
        return results.failure(str(exc), exc)
    try:
        if entry.complete and entry.result is not None:
            runtime.log.info("Idempotency key %r: this chain is already published", key)
            return results.success(str(entry.result.get("message")), entry.result.get("data"))
        result = _continue_chain(runtime, prepared, entry, total)
        result.setdefault("data", {})["idempotency_key"] = key
        if result.ok:
            entry.finish(result, len(result["data"].get("media_ids") or []))
        return result
    finally:
        entry.release()


def _continue_chain(
    runtime: PipeRuntime, prepared: PreparedPipe, entry: journal.ChainEntry, total: int | None
) -> Result:
    done = entry.posts
    rest = tuple(p for p in prepared.plan.posts if p.index >= len(done))
    doubt = entry.in_doubt
    in_doubt = (
        InDoubt.from_dict(doubt)
        if doubt is not None and rest and doubt.get("index") == rest[0].index
        else None
    )
    planned = {m.index for p in rest for m in p.media}
    local = tuple(f for f in prepared.local_files if f.index in planned)
    plan = replace(
        prepared.plan,
        posts=rest,
        reply_to_id=str(done[-1]["id"]) if done else prepared.plan.reply_to_id,
    )
    leftovers = _remove_leftovers(runtime, prepared.host, entry)
    progress = Progress(tuple(done), total or len(done) + len(rest), in_doubt)
    result = publish_plan(
        runtime,
        PreparedPipe(plan, local, prepared.host if local else None),
        progress,
        _JournalHooks(entry),
    )
    if leftovers:
        result.setdefault("data", {}).setdefault("cleanup_errors", []).extend(leftovers)
    return result


def _remove_leftovers(
    runtime: PipeRuntime, host: MediaHost | None, entry: journal.ChainEntry
) -> list[str]:
    """Files an interrupted run hosted and never deleted: find them by name, delete them."""
    names = entry.hosted
    if not names:
        return []
    if host is None:
        return [
            f"An earlier run hosted {name}; no media host is set to remove it" for name in names
        ]
    runtime.log.info("Removing %d file(s) an interrupted run left on the media host", len(names))
    problems = hosting.HostedFiles(host, runtime.log, sleep=runtime.sleep).remove_leftovers(names)
    entry.hosted_cleaned()
    return problems
