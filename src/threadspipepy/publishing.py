"""Containers, status polling and publishing without duplicates.

The flow for one post is: create a container, read its status when its media type should be
ready (`_polling`) until FINISHED, then publish it. A text container is published at once and
only waited for if Meta answers that it is not ready. A publish whose outcome is unknown
(timeout, 5xx, dropped connection) is never simply sent again: the container status is read
first, and only a container that is still unpublished gets a second publish.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ._log import Log
from ._polling import ProcessingTimes, read_offsets
from ._transport import GraphClient, path_of
from .errors import (
    AuthenticationError,
    DuplicatePostError,
    MediaProcessingError,
    NotFoundError,
    RateLimitError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
    ThreadsPipeError,
)
from .planning import PlannedMedia, PlannedPost
from .results import unexpected

FINISHED = "FINISHED"
IN_PROGRESS = "IN_PROGRESS"
PUBLISHED = "PUBLISHED"
ERROR = "ERROR"
EXPIRED = "EXPIRED"
STATUS_FIELDS = "id,status,error_message"
# How many times an ambiguous publish is re-checked and, if still unpublished, sent again.
MAX_PUBLISH_ATTEMPTS = 3
# How many of the newest posts are searched for a post whose publish answer was lost: one
# page of the most Meta lists at once, since a queue may retry a job after many other posts.
RECOVERY_PAGE_SIZE = 100
# Requests in flight at once when creating or polling carousel items, when the session's
# connection pool does not say (requests' own default pool size).
DEFAULT_PARALLEL_REQUESTS = 10
# Meta's answer to publishing a container that is still processing. Threads documents none;
# this is the Instagram Graph API's "media not ready" error, which the sandbox mirrors. It is
# a refusal (nothing was published): wait for the container, then publish it again.
NOT_READY = (9007, 2207027)
# How many "not ready" answers one publish takes before giving up.
MAX_NOT_READY = 3
# A container Meta lost (24/4279009) or whose children went bad (4279004) is rebuilt this often.
MAX_RECREATIONS = 2
CONTAINER_LOST = (24, 4279009)
CHILDREN_INVALID_SUBCODE = 4279004


@dataclass(frozen=True)
class WaitPolicy:
    """How long to wait for a container: `max_pause` between polls, `timeout` in all."""

    enabled: bool = True
    max_pause: float = 35.0
    timeout: float = 300.0


@dataclass(frozen=True)
class Created:
    """A container this call created: its id, what messages call it, its media type (TEXT,
    IMAGE, VIDEO or CAROUSEL) and when Meta's answer to its creation arrived (publisher's
    clock): processing starts then, so that is where its status schedule counts from."""

    id: str
    label: str
    kind: str
    at: float


def pool_size(session: Any) -> int:
    """How many requests the session's connection pool keeps connections for: the most that
    are worth sending at once (more would open connections the pool then throws away)."""
    try:
        adapter = session.get_adapter("https://graph.threads.net")
    except Exception:  # a session-like object without adapters
        return DEFAULT_PARALLEL_REQUESTS
    size = getattr(adapter, "_pool_maxsize", None)
    return size if isinstance(size, int) and size > 0 else DEFAULT_PARALLEL_REQUESTS


def not_ready(exc: BaseException) -> bool:
    """Whether Meta refused a publish because the container is still processing."""
    return isinstance(exc, ThreadsAPIError) and (exc.code, exc.subcode) == NOT_READY


class Publisher:
    """Creates, waits for and publishes containers for one account."""

    def __init__(
        self,
        graph: GraphClient,
        user_id: str,
        *,
        sleep: Callable[[float], None],
        clock: Callable[[], float],
        log: Log,
        wall: Callable[[], float] = time.time,
        times: ProcessingTimes | None = None,
        wait: WaitPolicy = WaitPolicy(),
    ) -> None:
        self.graph = graph
        self.user_id = user_id
        self.sleep = sleep
        self.clock = clock
        self.log = log
        self.wall = wall  # UNIX time: in-doubt records outlive the process
        self.times = times or ProcessingTimes()  # shared by the calls of one client
        self.wait = wait  # for a container still processing when its publish answer was lost
        self.parallel = pool_size(graph.session)

    def create_container(self, params: Mapping[str, Any]) -> str:
        """POST the container; Meta answers with its id. Not retried: it may have landed."""
        body = self.graph.post(path_of(self.user_id, "threads"), params)
        return str(body["id"])

    def create(self, params: Mapping[str, Any], label: str) -> Created:
        """Create a container and note when it was created (its status schedule starts then)."""
        container_id = self.create_container(params)
        return Created(container_id, label, str(params.get("media_type") or ""), self.clock())

    def status(self, container_id: str) -> dict[str, Any]:
        return self.graph.get(path_of(container_id), {"fields": STATUS_FIELDS})

    def wait_all(
        self,
        containers: Sequence[Created],
        policy: WaitPolicy,
        stop: threading.Event | None = None,
    ) -> None:
        """Wait until every container is FINISHED; ERROR, EXPIRED or the timeout end the wait
        with an error.

        Containers created together are processed together, so one of them is watched: the
        one expected to be ready last, read on its media type's schedule. When it is ready,
        the others are read once, all at once; any still processing is watched the same way.
        """
        if not policy.enabled or not containers:
            return
        pending = {c.id: c for c in containers}
        deadline = self.clock() + policy.timeout
        announced = False
        while pending:
            watched = max(pending.values(), key=lambda c: c.at + self.times.expected(c.kind))
            if not announced:
                what = (
                    f"{len(pending)} containers" if len(pending) > 1 else f"container {watched.id}"
                )
                self.log.info(
                    "%s: waiting for Threads to process %s", watched.label.split(",")[0], what
                )
                announced = True
            self._watch(watched, policy, deadline, stop)
            del pending[watched.id]
            self._drop_finished(pending)

    def _drop_finished(self, pending: dict[str, Created]) -> None:
        """Read every pending container once, all at once, and drop the finished ones."""
        for container_id, body in self._statuses(list(pending)):
            if _finished(pending[container_id], body):
                del pending[container_id]

    def _watch(
        self,
        container: Created,
        policy: WaitPolicy,
        deadline: float,
        stop: threading.Event | None = None,
    ) -> None:
        """Read one container's status on its schedule until it is FINISHED (or PUBLISHED)."""
        first, probe = self.times.plan(container.kind)
        processing_at: float | None = None
        planned = True  # every read so far came when the schedule said (worth learning from)
        for offset in read_offsets(first, policy.max_pause, probe):
            now = self.clock()
            wake = container.at + offset
            if wake < now:  # a read the schedule wanted earlier: go on from now
                planned = planned and processing_at is not None
                continue
            if now >= deadline:
                raise MediaProcessingError(
                    f"{container.label}: container {container.id} was not ready after "
                    f"{policy.timeout:.0f} s; raise container_timeout= to wait longer.",
                    container_id=container.id,
                    status=IN_PROGRESS,
                )
            if stop is not None and stop.is_set():
                raise _Stopped  # nobody waits for this any more
            if min(wake, deadline) > now:
                self.sleep(min(wake, deadline) - now)
            sent_at = self.clock() - container.at
            if _finished(container, self.status(container.id)):
                if planned or processing_at is not None:
                    self.times.record(container.kind, processing_at, sent_at)
                return
            processing_at = sent_at

    def _statuses(self, container_ids: list[str]) -> list[tuple[str, dict[str, Any]]]:
        if len(container_ids) <= 1:
            return [(cid, self.status(cid)) for cid in container_ids]
        workers = min(self.parallel, len(container_ids))
        with ThreadPoolExecutor(workers, thread_name_prefix="threadspipepy-poll") as pool:
            return list(zip(container_ids, pool.map(self.status, container_ids), strict=True))

    def publish(
        self,
        container_id: str,
        expect: Expected | str | None = None,
        *,
        on_send: Callable[[str, float], None] | None = None,
        known_ids: frozenset[str] = frozenset(),
    ) -> str:
        """Publish a container and return the media id; never publish anything twice.

        Only this one container is ever sent, so at worst Meta answers a repeat with its
        "Duplicate Post" error, which means it was published. After an answer that leaves the
        outcome unknown (timeout, 5xx, dropped connection) the container's status is read
        first: PUBLISHED means done (the post's id is found among the newest posts);
        FINISHED, after a short window for an in-flight publish to land, means it can be sent
        again. When that cannot be settled, `PublishInDoubt` says which container to resolve
        before anything is sent again. `on_send(container_id, sent_at)` runs before each
        request (the journal records the part as in doubt there).
        """
        expected = expect if isinstance(expect, Expected) else Expected(expect)
        recognisable = expect is not None
        for attempt in range(1, MAX_PUBLISH_ATTEMPTS + 1):
            sent_at = self.wall()
            if on_send is not None:
                on_send(container_id, sent_at)
            try:
                body = self.graph.post(
                    path_of(self.user_id, "threads_publish"), {"creation_id": container_id}
                )
                return _media_id(body)
            except DuplicatePostError as exc:
                if not recognisable:
                    raise  # a bare publish_container(): report Meta's answer as it is
                self.log.info("Container %s had already been published", container_id)
                return self._recover_or_doubt(container_id, expected, known_ids, exc, sent_at)
            except ThreadsPipeError as exc:
                if not outcome_unknown(exc):
                    raise  # Meta refused it: nothing was published
                self.log.warning(
                    "Publishing container %s gave no clear answer (%s); reading its status "
                    "before anything is sent again",
                    container_id,
                    type(exc).__name__,
                )
                doubt = InDoubt(container_id, sent_at)
                try:
                    status = self._settle(doubt, exc)
                except _ContainerGone as gone:
                    found = self._find_published(expected, known_ids)
                    if found is None:
                        raise gone.cause from None  # never published: the caller rebuilds
                    return found
                if status == PUBLISHED:
                    return self._recover_or_doubt(container_id, expected, known_ids, exc, sent_at)
                if status != FINISHED:
                    raise exc from None  # ERROR or EXPIRED: never published, never will be
                if attempt == MAX_PUBLISH_ATTEMPTS:
                    raise PublishInDoubt(doubt, exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def resolve(
        self, doubt: InDoubt, expect: Expected, known_ids: frozenset[str] = frozenset()
    ) -> str | None:
        """Settle a part whose publish answer was lost (in this call or an earlier one).

        Returns the media id when it was published (publishing the same container again if
        it is provably still unpublished), or None when it provably was not and its container
        cannot be published any more (ERROR, EXPIRED, lost): the caller builds a new one.
        Raises PublishInDoubt while it cannot be settled.
        """
        self.log.info("Resolving container %s, whose publish answer was lost", doubt.container_id)
        try:
            status = self._settle(doubt, None)
        except _ContainerGone:
            found = self._find_published(expect, known_ids)
            if found is None:
                self.log.info("Container %s is gone and nothing was published", doubt.container_id)
            return found
        if status == PUBLISHED:
            return self._recover_or_doubt(
                doubt.container_id, expect, known_ids, None, doubt.sent_at
            )
        if status != FINISHED:
            return None  # ERROR or EXPIRED: it was never published and never will be
        return self.publish(doubt.container_id, expect, known_ids=known_ids)

    def _settle(self, doubt: InDoubt, cause: ThreadsPipeError | None) -> str:
        """PUBLISHED, FINISHED (still unpublished after the window), ERROR or EXPIRED.

        A publish Meta is still working on may land a little after its sender gave up, so a
        FINISHED container is read again after the window before it may be sent again. A
        container still processing (a text container is published without a poll) cannot
        have been published: it is waited for first, then settled the same way.
        """
        status = self._status_or_doubt(doubt, cause)
        if status == IN_PROGRESS:
            status = self._wait_while_processing(doubt, cause)
        waited = self.wall() - doubt.sent_at
        if status == FINISHED and waited < SETTLE_SECONDS:
            self.sleep(SETTLE_SECONDS - waited)
            status = self._status_or_doubt(doubt, cause)
        return status

    def _status_or_doubt(self, doubt: InDoubt, cause: ThreadsPipeError | None) -> str:
        try:
            body = self.status(doubt.container_id)
        except NotFoundError as exc:
            raise _ContainerGone(exc) from None
        except ThreadsPipeError as exc:
            raise PublishInDoubt(doubt, cause or exc) from None
        status = str(body.get("status", ""))
        if status not in (PUBLISHED, FINISHED, ERROR, EXPIRED, IN_PROGRESS):
            raise PublishInDoubt(doubt, cause or _unexpected_status(doubt, status))
        return status

    def _wait_while_processing(self, doubt: InDoubt, cause: ThreadsPipeError | None) -> str:
        """Read the status on a growing schedule until processing ends (`self.wait` bounds
        it); a container that never stops processing stays in doubt."""
        start = self.clock()
        deadline = start + self.wait.timeout
        for offset in read_offsets(1.0, self.wait.max_pause):
            pause = min(start + offset, deadline) - self.clock()
            if pause <= 0 and self.clock() >= deadline:
                break
            if pause > 0:
                self.sleep(pause)
            status = self._status_or_doubt(doubt, cause)
            if status != IN_PROGRESS:
                return status
        error = MediaProcessingError(
            f"Container {doubt.container_id} was still processing {self.wait.timeout:.0f} s "
            "after a publish whose answer was lost.",
            container_id=doubt.container_id,
            status=IN_PROGRESS,
        )
        raise PublishInDoubt(doubt, cause or error)

    def _recover_or_doubt(
        self,
        container_id: str,
        expect: Expected,
        known_ids: frozenset[str],
        cause: ThreadsPipeError | None,
        sent_at: float,
    ) -> str:
        """The container is PUBLISHED but its answer was lost: find the new post's id."""
        try:
            found = self._find_published(expect, known_ids)
        except ThreadsPipeError as exc:
            raise PublishInDoubt(InDoubt(container_id, sent_at), cause or exc) from None
        if found is not None:
            self.log.info("Container %s was published as %s", container_id, found)
            return found
        error = ThreadsAPIError(
            f"Container {container_id} is PUBLISHED but its post id could not be read back; "
            "it was not published again. resume_pipe() looks for it again.",
            status_code=getattr(cause, "status_code", None),
        )
        raise PublishInDoubt(InDoubt(container_id, sent_at), error)

    def _find_published(self, expect: Expected, known_ids: frozenset[str]) -> str | None:
        """The newest post or reply of this account that matches what was published.

        Top-level posts are listed under /threads and replies under /replies; the edge the
        post belongs to is read first.
        """
        edges = ("replies", "threads") if expect.reply_to_id else ("threads", "replies")
        for edge in edges:
            body = self.graph.get(
                path_of(self.user_id, edge),
                {"fields": RECOVERY_FIELDS, "limit": RECOVERY_PAGE_SIZE},
            )
            for post in body.get("data") or []:
                if isinstance(post, Mapping) and expect.matches(post, known_ids):
                    return str(post["id"])
        return None


SETTLE_SECONDS = 3.0
RECOVERY_FIELDS = "id,text,timestamp,media_type,replied_to"
_READ_TYPES = {
    "TEXT": ("TEXT_POST", "TEXT"),
    "IMAGE": ("IMAGE",),
    "VIDEO": ("VIDEO",),
    "CAROUSEL": ("CAROUSEL_ALBUM",),
}


@dataclass(frozen=True)
class Expected:
    """What a published post looks like when read back: how a lost answer's post is found."""

    text: str | None = None
    reply_to_id: str | None = None
    media_type: str | None = None  # TEXT, IMAGE, VIDEO or CAROUSEL; None: any

    def matches(self, post: Mapping[str, Any], known_ids: frozenset[str] = frozenset()) -> bool:
        if str(post.get("id")) in known_ids:
            return False
        if (post.get("text") or None) != (self.text or None):
            return False
        if self.media_type is not None and post.get("media_type") not in _READ_TYPES.get(
            self.media_type, (self.media_type,)
        ):
            return False
        replied = post.get("replied_to")
        replied_id = str(replied.get("id")) if isinstance(replied, Mapping) else None
        return replied_id == self.reply_to_id if self.reply_to_id else replied_id is None


@dataclass(frozen=True)
class InDoubt:
    """A publish was sent for `container_id` at `sent_at` (UNIX time); its answer is unknown."""

    container_id: str
    sent_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"container_id": self.container_id, "sent_at": self.sent_at}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> InDoubt:
        return cls(str(data["container_id"]), float(data.get("sent_at") or 0.0))


class PublishInDoubt(Exception):
    """Internal: a publish that could not be settled; `cause` is what the caller reports."""

    def __init__(self, doubt: InDoubt, cause: ThreadsPipeError) -> None:
        super().__init__(str(cause))
        self.doubt = doubt
        self.cause = cause


class _ContainerGone(Exception):
    """Internal: the container no longer exists (Meta lost it, or it expired away)."""

    def __init__(self, cause: ThreadsPipeError) -> None:
        super().__init__(str(cause))
        self.cause = cause


def outcome_unknown(exc: ThreadsPipeError) -> bool:
    """Whether a failed POST may still have taken effect: no answer, or a 5xx."""
    if isinstance(exc, ThreadsConnectionError):
        return exc.request_sent
    if isinstance(exc, ThreadsAPIError):
        return isinstance(exc, ServerError) or (exc.status_code or 0) >= 500
    return False


def _media_id(body: Mapping[str, Any]) -> str:
    media_id = body.get("id")
    if not media_id:
        raise ServerError("threads_publish answered without an id; the post may be live.")
    return str(media_id)


def _unexpected_status(doubt: InDoubt, status: str) -> ThreadsAPIError:
    return ServerError(f"Container {doubt.container_id} reported an unknown status {status!r}.")


def _finished(container: Created, body: Mapping[str, Any]) -> bool:
    """FINISHED or PUBLISHED: True; still processing: False; ERROR or EXPIRED: the error."""
    status = str(body.get("status", ""))
    if status in (ERROR, EXPIRED):
        raise _processing_error(container.id, container.label, status, body.get("error_message"))
    return status in (FINISHED, PUBLISHED)


def _processing_error(
    container_id: str, label: str, status: str, error_message: Any
) -> MediaProcessingError:
    detail = f" ({error_message})" if error_message else ""
    hint = (
        "it was not published within 24 hours"
        if status == EXPIRED
        else "Threads could not process it"
    )
    return MediaProcessingError(
        f"{label}: container {container_id} ended {status}{detail}: {hint}.",
        container_id=container_id,
        status=status,
        error_message=str(error_message) if error_message else None,
    )


@dataclass(frozen=True)
class ChainWaits:
    """Wait policies for post containers and for carousel items."""

    post: WaitPolicy
    item: WaitPolicy


@dataclass(frozen=True)
class PublishedPost:
    """A post of the chain that is live on Threads."""

    index: int
    id: str
    text: str | None
    media: tuple[str, ...]
    reply_to_id: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "media": list(self.media),
            "reply_to_id": self.reply_to_id,
        }


@dataclass(frozen=True)
class ChainOutcome:
    """What a chain run published, and the error that stopped it (None when complete).

    `in_doubt` is set when the failed part's publish was sent and its answer is unknown:
    that container must be resolved before anything is sent for the part again.
    """

    published: tuple[PublishedPost, ...]
    error: ThreadsPipeError | None = None
    failed_index: int | None = None
    in_doubt: InDoubt | None = None


class ChainRecorder(Protocol):
    """Hears each part's state change (the journal writes it down before the request)."""

    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        """A publish for this part's container is about to be sent: the part is in doubt."""

    def published(self, post: PublishedPost) -> None:
        """The part is live."""

    def unsent(self, index: int) -> None:
        """The part is certainly not published (a refusal, or a resolved doubt)."""


class _Tracker:
    """Passes state changes on, and remembers which part has a publish without an answer."""

    def __init__(self, inner: ChainRecorder) -> None:
        self.inner = inner
        self._doubts: dict[int, InDoubt] = {}

    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        self.inner.sending(index, container_id, sent_at)
        self._doubts[index] = InDoubt(container_id, sent_at)

    def published(self, post: PublishedPost) -> None:
        self.inner.published(post)
        self._doubts.pop(post.index, None)

    def unsent(self, index: int) -> None:
        self.inner.unsent(index)
        self._doubts.pop(index, None)

    def assume(self, index: int, doubt: InDoubt) -> None:
        """An earlier run left this part in doubt."""
        self._doubts[index] = doubt

    def doubt(self, index: int) -> InDoubt | None:
        return self._doubts.get(index)


class _NoRecorder:
    def sending(self, index: int, container_id: str, sent_at: float) -> None:
        pass

    def published(self, post: PublishedPost) -> None:
        pass

    def unsent(self, index: int) -> None:
        pass


def item_params(media: PlannedMedia) -> dict[str, Any]:
    """Creation parameters of one carousel item."""
    return {
        "media_type": media.kind,
        _url_field(media): media.url,
        "is_carousel_item": True,
        "alt_text": media.alt_text,
    }


def post_params(
    post: PlannedPost, reply_to_id: str | None, children: Sequence[str] = ()
) -> dict[str, Any]:
    """Creation parameters of a post container: text, single media or carousel."""
    params: dict[str, Any] = {"media_type": post.media_type, **post.options}
    if post.text is not None:
        params["text"] = post.text
    if reply_to_id is not None:
        params["reply_to_id"] = reply_to_id
    if len(post.media) == 1:
        media = post.media[0]
        params[_url_field(media)] = media.url
        params["alt_text"] = media.alt_text
    elif children:
        params["children"] = ",".join(children)
    return params


def _url_field(media: PlannedMedia) -> str:
    return "video_url" if media.kind == "VIDEO" else "image_url"


class GateClosed(Exception):
    """Internal: the check that must pass before anything is published failed (the quota);
    `cause` is what the caller reports. Nothing was published by this run."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class ChainPublisher:
    """Publishes planned posts in order, each replying to the one before.

    Carousel items do not depend on the chain, so every item of every post is created and
    processed up front, all together: a later carousel is ready when its turn comes, and a
    file Threads cannot process stops the call before anything is live. A part left in doubt
    by an earlier run is resolved first, and only its own container is ever sent again.
    `gate` (the quota check, running meanwhile) is passed before the first publish: until
    then only containers are created, which spends no quota.
    """

    def __init__(
        self,
        publisher: Publisher,
        waits: ChainWaits,
        total: int,
        recorder: ChainRecorder | None = None,
        gate: Callable[[], None] | None = None,
    ) -> None:
        self.publisher = publisher
        self.waits = waits
        self.total = total
        self.recorder = _Tracker(recorder or _NoRecorder())
        self._gate = gate
        # The later carousels' items, created and waited for while the chain starts.
        self._items_later: Future[dict[int, list[str]]] | None = None
        self._children: dict[int, list[str]] = {}  # post index -> its items' container ids
        self._stop = threading.Event()  # set when run() ends: background waits stop
        # Set once the first post's container exists: the background reads start then, so
        # that they do not crowd the requests the first post is waiting on.
        self._first_built = threading.Event()

    def run(
        self,
        posts: Sequence[PlannedPost],
        reply_to_id: str | None,
        *,
        in_doubt: InDoubt | None = None,
        known_ids: Sequence[str] = (),
    ) -> ChainOutcome:
        """Publish `posts`; `in_doubt` is the first post's container from an earlier run.

        Raises GateClosed when the gate fails (nothing was published then)."""
        known = set(known_ids)
        later = posts[1:] if in_doubt is not None else posts
        carousels = [p for p in later if len(p.media) > 1]
        background = ThreadPoolExecutor(1, thread_name_prefix="threadspipepy-items")
        try:
            try:
                self._prepare_items(carousels, later[0] if later else None, background)
            except _ItemFailure as failure:
                return ChainOutcome((), failure.error, failure.post_index, in_doubt)
            return self._publish_all(posts, reply_to_id, in_doubt, known)
        finally:
            self._stop.set()
            self._first_built.set()
            background.shutdown(wait=False)

    def _publish_all(
        self,
        posts: Sequence[PlannedPost],
        reply_to_id: str | None,
        in_doubt: InDoubt | None,
        known: set[str],
    ) -> ChainOutcome:
        published: list[PublishedPost] = []
        previous = reply_to_id
        for post in posts:
            expect = Expected(post.text, previous, post.media_type)
            try:
                media_id = None
                if in_doubt is not None and post is posts[0]:
                    self.pass_gate()
                    self.recorder.assume(post.index, in_doubt)
                    media_id = self.publisher.resolve(in_doubt, expect, frozenset(known))
                    if media_id is None:
                        self.recorder.unsent(post.index)
                if media_id is None:
                    media_id = self.publish_one(
                        post, previous, self._children.get(post.index), frozenset(known)
                    )
            except GateClosed:
                raise
            except _ItemFailure as failure:  # a later carousel's file: nothing is live yet
                return ChainOutcome((), failure.error, failure.post_index, in_doubt)
            except PublishInDoubt as doubt:
                return ChainOutcome(tuple(published), doubt.cause, post.index, doubt.doubt)
            except ThreadsPipeError as exc:
                doubt_of = self.recorder.doubt(post.index)
                return ChainOutcome(tuple(published), exc, post.index, doubt_of)
            except Exception as exc:  # a bug: still say what is live and what is in doubt
                self.publisher.log.exception("Publishing part %d failed unexpectedly", post.index)
                error = unexpected(exc)
                doubt_of = self.recorder.doubt(post.index)
                return ChainOutcome(tuple(published), error, post.index, doubt_of)
            live = PublishedPost(
                post.index, media_id, post.text, tuple(m.url for m in post.media), previous
            )
            published.append(live)
            known.add(media_id)
            self.publisher.log.info(
                "Published part %d/%d as %s", post.index + 1, self.total, media_id
            )
            try:
                self.recorder.published(live)
            except ThreadsPipeError as exc:  # the journal failed: the part is live, stop here
                following = next((p.index for p in posts if p.index > post.index), None)
                return ChainOutcome(tuple(published), exc, following)
            previous = media_id
        return ChainOutcome(tuple(published))

    def pass_gate(self) -> None:
        """Before the first publish: every carousel item of the chain must be ready
        (_ItemFailure if one is not) and the gate must pass (GateClosed if it failed)."""
        self._first_built.set()
        items, self._items_later = self._items_later, None
        if items is not None:
            self._children.update(items.result())
        gate, self._gate = self._gate, None
        if gate is None:
            return
        try:
            gate()
        except Exception as exc:
            raise GateClosed(exc) from None

    def publish_one(
        self,
        post: PlannedPost,
        reply_to_id: str | None,
        children: list[str] | None = None,
        known_ids: frozenset[str] = frozenset(),
    ) -> str:
        """Build, wait for and publish one post; rebuild it if Meta lost the container."""
        label = self._label(post)
        expect = Expected(post.text, reply_to_id, post.media_type)

        def sending(container_id: str, sent_at: float) -> None:
            self.recorder.sending(post.index, container_id, sent_at)

        for rebuild in range(MAX_RECREATIONS + 1):
            if children is None and len(post.media) > 1:
                try:
                    children = self.build_items([post])[post.index]
                except _ItemFailure as failure:
                    raise failure.error from None
            container = self.publisher.create(post_params(post, reply_to_id, children or []), label)
            self._first_built.set()
            if container.kind != "TEXT":  # text is ready at once: publish, wait only if refused
                self.publisher.wait_all([container], self.waits.post)
            self.pass_gate()
            try:
                return self._publish_when_ready(container, post.index, expect, sending, known_ids)
            except ThreadsAPIError as exc:
                self.recorder.unsent(post.index)
                if not _container_gone(exc) or rebuild == MAX_RECREATIONS:
                    raise
                self.publisher.log.warning(
                    "%s: Threads lost container %s (code %s/%s); building it again",
                    label,
                    container.id,
                    exc.code,
                    exc.subcode,
                )
                children = None  # the items may be what went bad: build them again too
            except ThreadsPipeError:
                self.recorder.unsent(post.index)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _publish_when_ready(
        self,
        container: Created,
        index: int,
        expect: Expected,
        sending: Callable[[str, float], None],
        known_ids: frozenset[str],
    ) -> str:
        """Publish; when Meta answers that the container is not ready (a refusal: nothing
        was published), wait for it and publish again."""
        for refusals in range(MAX_NOT_READY + 1):
            try:
                return self.publisher.publish(
                    container.id, expect, on_send=sending, known_ids=known_ids
                )
            except ThreadsAPIError as exc:
                ready_later = not_ready(exc) or self._still_processing(container, exc)
                if not ready_later or not self.waits.post.enabled or refusals == MAX_NOT_READY:
                    raise
            self.recorder.unsent(index)
            self.publisher.log.info(
                "%s: Threads is still processing container %s; waiting before publishing it",
                container.label,
                container.id,
            )
            self.publisher.wait_all([container], self.waits.post)
        raise AssertionError("unreachable")  # pragma: no cover

    def _still_processing(self, container: Created, refusal: ThreadsAPIError) -> bool:
        """Why Meta refused to publish a container that was never read (a text container):
        one status read tells. Still processing: True (wait, then publish again); ERROR or
        EXPIRED: that MediaProcessingError; otherwise False (the refusal stands)."""
        if container.kind != "TEXT" or _container_gone(refusal):
            return False
        if isinstance(refusal, RateLimitError | AuthenticationError | DuplicatePostError):
            return False
        try:
            body = self.publisher.status(container.id)
        except ThreadsPipeError:
            return False  # the refusal is the answer to report
        if _finished(container, body):
            return False
        return str(body.get("status", "")) == IN_PROGRESS

    def _prepare_items(
        self,
        carousels: Sequence[PlannedPost],
        first: PlannedPost | None,
        background: ThreadPoolExecutor,
    ) -> None:
        """Create every carousel item of the chain and wait for them, before anything is
        published. When the chain opens with a carousel, its own items are created and
        waited for first; the other carousels' items are created and waited for in the
        background meanwhile, and the first publish waits for them (`pass_gate`)."""
        if first is not None and first in carousels and len(carousels) > 1:
            rest = [post for post in carousels if post is not first]
            items = self._create_items([first])
            self._items_later = background.submit(self._build_later_items, rest)
        else:
            items = self._create_items(carousels)
        self._wait_items(items)
        self._children.update({i: [c.id for c in created] for i, created in items.items()})

    def _build_later_items(self, posts: Sequence[PlannedPost]) -> dict[int, list[str]]:
        """build_items in the background: its reads start once the first post's container
        is built, and it stops waiting when the chain run ends."""
        items = self._create_items(posts)
        self._first_built.wait()
        self._wait_items(items, self._stop)
        return {index: [c.id for c in created] for index, created in items.items()}

    def build_items(self, posts: Sequence[PlannedPost]) -> dict[int, list[str]]:
        """Create every carousel item of `posts` at once, then wait for all of them."""
        items = self._create_items(posts)
        self._wait_items(items)
        return {index: [c.id for c in created] for index, created in items.items()}

    def _create_items(self, posts: Sequence[PlannedPost]) -> dict[int, list[Created]]:
        """Every carousel item of `posts`, created at once: post index -> its items."""
        jobs = [(post, media) for post in posts for media in post.media]
        if not jobs:
            return {}
        workers = min(self.publisher.parallel, len(jobs))
        with ThreadPoolExecutor(workers, thread_name_prefix="threadspipepy-items") as pool:
            futures = [
                pool.submit(
                    self.publisher.create, item_params(media), self._item_label(post, media)
                )
                for post, media in jobs
            ]
        for (post, _), future in zip(jobs, futures, strict=True):
            error = future.exception()
            if isinstance(error, ThreadsPipeError):
                raise _ItemFailure(post.index, error)
            if error is not None:
                raise error
        items: dict[int, list[Created]] = {}
        for (post, _), future in zip(jobs, futures, strict=True):
            items.setdefault(post.index, []).append(future.result())
        return items

    def _wait_items(
        self, items: Mapping[int, list[Created]], stop: threading.Event | None = None
    ) -> None:
        """Wait for these posts' items; a failure names the post whose file it was."""
        if not items:
            return
        post_of = {c.id: index for index, created in items.items() for c in created}
        every = [c for created in items.values() for c in created]
        try:
            self.publisher.wait_all(every, self.waits.item, stop)
        except MediaProcessingError as exc:
            index = post_of.get(exc.container_id or "", min(items))
            raise _ItemFailure(index, exc) from exc
        except ThreadsPipeError as exc:  # a status read that kept failing
            raise _ItemFailure(min(items), exc) from exc

    def _label(self, post: PlannedPost) -> str:
        return f"Part {post.index + 1}/{self.total}"

    def _item_label(self, post: PlannedPost, media: PlannedMedia) -> str:
        where = media.source or media.url
        return f"{self._label(post)}, file {media.index} ({where})"


class _Stopped(Exception):
    """Internal: a background wait ended because the chain run it served has ended."""


class _ItemFailure(Exception):
    """A carousel item failed; `post_index` says whose."""

    def __init__(self, post_index: int, error: ThreadsPipeError) -> None:
        super().__init__(str(error))
        self.post_index = post_index
        self.error = error


def _container_gone(exc: ThreadsAPIError) -> bool:
    lost = (exc.code, exc.subcode) == CONTAINER_LOST or isinstance(exc, NotFoundError)
    return lost or exc.subcode == CHILDREN_INVALID_SUBCODE
