"""Containers, status polling and publishing without duplicates.

The flow for one post is: create a container, poll its status until FINISHED (from the
first second, backing off), then publish it. A publish whose outcome is unknown (timeout,
5xx, dropped connection) is never simply sent again: the container status is read first, and
only a container that is still unpublished gets a second publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from ._log import Log
from ._transport import GraphClient, path_of
from .errors import (
    MediaProcessingError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
    ThreadsPipeError,
)
from .planning import PlannedMedia, PlannedPost

FINISHED = "FINISHED"
IN_PROGRESS = "IN_PROGRESS"
PUBLISHED = "PUBLISHED"
ERROR = "ERROR"
EXPIRED = "EXPIRED"
STATUS_FIELDS = "id,status,error_message"
FIRST_POLL_PAUSE = 0.25
POLL_GROWTH = 1.5
# How many times an ambiguous publish is re-checked and, if still unpublished, sent again.
MAX_PUBLISH_ATTEMPTS = 3
# How many of the newest posts are searched for a post whose publish answer was lost.
RECOVERY_PAGE_SIZE = 10
# Requests in flight at once when creating or polling carousel items.
MAX_PARALLEL_REQUESTS = 8
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


def poll_pauses(
    max_pause: float, first: float = FIRST_POLL_PAUSE, factor: float = POLL_GROWTH
) -> Iterator[float]:
    """Pauses between status polls: 0.25 s, then 1.5 times longer each time, capped.

    Gentle growth keeps the gap between "ready" and "seen ready" small for the seconds an
    image takes, while a long video is still polled only every `max_pause` seconds.
    """
    pause = min(first, max_pause)
    while True:
        yield max(pause, 0.0)
        pause = min(pause * factor, max_pause)


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
    ) -> None:
        self.graph = graph
        self.user_id = user_id
        self.sleep = sleep
        self.clock = clock
        self.log = log

    def create_container(self, params: Mapping[str, Any]) -> str:
        """POST the container; Meta answers with its id. Not retried: it may have landed."""
        body = self.graph.post(path_of(self.user_id, "threads"), params)
        return str(body["id"])

    def status(self, container_id: str) -> dict[str, Any]:
        return self.graph.get(path_of(container_id), {"fields": STATUS_FIELDS})

    def wait_until_finished(self, container_id: str, policy: WaitPolicy, label: str) -> None:
        """Poll until FINISHED; ERROR, EXPIRED or the timeout end the wait with an error."""
        self.wait_all([(container_id, label)], policy)

    def wait_all(self, containers: Sequence[tuple[str, str]], policy: WaitPolicy) -> None:
        """Poll several (container id, label) pairs together until every one is FINISHED.

        One loop, one sleep: each round reads the unfinished containers' statuses (in
        parallel when there are several) and the first ERROR or EXPIRED ends the wait.
        """
        if not policy.enabled or not containers:
            return
        pending = dict(containers)
        deadline = self.clock() + policy.timeout
        pauses = poll_pauses(policy.max_pause)
        announced = False
        while True:
            for container_id, body in self._statuses(list(pending)):
                status = str(body.get("status", ""))
                if status in (FINISHED, PUBLISHED):
                    del pending[container_id]
                elif status in (ERROR, EXPIRED):
                    label = pending[container_id]
                    raise _processing_error(container_id, label, status, body.get("error_message"))
            if not pending:
                return
            if not announced:
                first_id, first_label = next(iter(pending.items()))
                what = f"{len(pending)} containers" if len(pending) > 1 else f"container {first_id}"
                self.log.info(
                    "%s: waiting for Threads to process %s", first_label.split(",")[0], what
                )
                announced = True
            pause = min(next(pauses), max(deadline - self.clock(), 0.0))
            if pause <= 0:
                container_id, label = next(iter(pending.items()))
                raise MediaProcessingError(
                    f"{label}: container {container_id} was not ready after "
                    f"{policy.timeout:.0f} s; raise container_timeout= to wait longer.",
                    container_id=container_id,
                    status=IN_PROGRESS,
                )
            self.sleep(pause)

    def _statuses(self, container_ids: list[str]) -> list[tuple[str, dict[str, Any]]]:
        if len(container_ids) == 1:
            return [(container_ids[0], self.status(container_ids[0]))]
        workers = min(MAX_PARALLEL_REQUESTS, len(container_ids))
        with ThreadPoolExecutor(workers, thread_name_prefix="threadspipepy-poll") as pool:
            return list(zip(container_ids, pool.map(self.status, container_ids), strict=True))

    def publish(self, container_id: str, expected_text: str | None = None) -> str:
        """Publish once and return the media id; never publish the same container twice."""
        for attempt in range(1, MAX_PUBLISH_ATTEMPTS + 1):
            try:
                body = self.graph.post(
                    path_of(self.user_id, "threads_publish"), {"creation_id": container_id}
                )
                return str(body["id"])
            except (ThreadsConnectionError, ServerError) as exc:
                if isinstance(exc, ThreadsConnectionError) and not exc.request_sent:
                    raise  # the transport already retried what never left this machine
                self.log.warning(
                    "Publishing container %s gave no clear answer (%s); reading its status "
                    "before anything is sent again",
                    container_id,
                    type(exc).__name__,
                )
                status = str(self.status(container_id).get("status", ""))
                if status == PUBLISHED:
                    return self._recover_media_id(container_id, expected_text, exc)
                if status != FINISHED or attempt == MAX_PUBLISH_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _recover_media_id(
        self, container_id: str, expected_text: str | None, cause: Exception
    ) -> str:
        """The publish landed but its answer was lost: find the new post among the newest.

        Top-level posts are listed under /threads and replies under /replies, so both are read.
        """
        for edge in ("threads", "replies"):
            body = self.graph.get(
                path_of(self.user_id, edge),
                {"fields": "id,text,timestamp", "limit": RECOVERY_PAGE_SIZE},
            )
            for post in body.get("data") or []:
                if expected_text is not None and post.get("text") == expected_text:
                    self.log.info("Container %s was published as %s", container_id, post["id"])
                    return str(post["id"])
        raise ThreadsAPIError(
            f"Container {container_id} is PUBLISHED but its post id could not be read back; "
            "it was not published again. Check the account's newest posts.",
            status_code=getattr(cause, "status_code", None),
        ) from cause


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
    """What a chain run published, and the error that stopped it (None when complete)."""

    published: tuple[PublishedPost, ...]
    error: ThreadsPipeError | None = None
    failed_index: int | None = None


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


class ChainPublisher:
    """Publishes planned posts in order, each replying to the one before.

    Carousel items do not depend on the chain, so every item of every post is created and
    processed up front, all together: a later carousel is ready when its turn comes, and a
    file Threads cannot process stops the call before anything is live.
    """

    def __init__(self, publisher: Publisher, waits: ChainWaits, total: int) -> None:
        self.publisher = publisher
        self.waits = waits
        self.total = total

    def run(self, posts: Sequence[PlannedPost], reply_to_id: str | None) -> ChainOutcome:
        try:
            children = self.build_items([p for p in posts if len(p.media) > 1])
        except _ItemFailure as failure:
            return ChainOutcome((), failure.error, failure.post_index)
        published: list[PublishedPost] = []
        previous = reply_to_id
        for post in posts:
            try:
                media_id = self.publish_one(post, previous, children.get(post.index))
            except ThreadsPipeError as exc:
                return ChainOutcome(tuple(published), exc, post.index)
            published.append(
                PublishedPost(
                    post.index, media_id, post.text, tuple(m.url for m in post.media), previous
                )
            )
            self.publisher.log.info(
                "Published part %d/%d as %s", post.index + 1, self.total, media_id
            )
            previous = media_id
        return ChainOutcome(tuple(published))

    def publish_one(
        self, post: PlannedPost, reply_to_id: str | None, children: list[str] | None = None
    ) -> str:
        """Build, wait for and publish one post; rebuild it if Meta lost the container."""
        label = self._label(post)
        for rebuild in range(MAX_RECREATIONS + 1):
            if children is None and len(post.media) > 1:
                try:
                    children = self.build_items([post])[post.index]
                except _ItemFailure as failure:
                    raise failure.error from None
            container_id = self.publisher.create_container(
                post_params(post, reply_to_id, children or [])
            )
            self.publisher.wait_until_finished(container_id, self.waits.post, label)
            try:
                return self.publisher.publish(container_id, post.text)
            except ThreadsAPIError as exc:
                if not _container_gone(exc) or rebuild == MAX_RECREATIONS:
                    raise
                self.publisher.log.warning(
                    "%s: Threads lost container %s (code %s/%s); building it again",
                    label,
                    container_id,
                    exc.code,
                    exc.subcode,
                )
                children = None  # the items may be what went bad: build them again too
        raise AssertionError("unreachable")  # pragma: no cover

    def build_items(self, posts: Sequence[PlannedPost]) -> dict[int, list[str]]:
        """Create every carousel item of `posts` in parallel, then wait for all of them."""
        jobs = [(post, media) for post in posts for media in post.media]
        if not jobs:
            return {}
        workers = min(MAX_PARALLEL_REQUESTS, len(jobs))
        with ThreadPoolExecutor(workers, thread_name_prefix="threadspipepy-items") as pool:
            futures = [
                pool.submit(self.publisher.create_container, item_params(media))
                for _, media in jobs
            ]
        for (post, _), future in zip(jobs, futures, strict=True):
            error = future.exception()
            if isinstance(error, ThreadsPipeError):
                raise _ItemFailure(post.index, error)
            if error is not None:
                raise error
        ids = [future.result() for future in futures]
        labels = [self._item_label(post, media) for post, media in jobs]
        post_of = {cid: post.index for cid, (post, _) in zip(ids, jobs, strict=True)}
        try:
            self.publisher.wait_all(list(zip(ids, labels, strict=True)), self.waits.item)
        except MediaProcessingError as exc:
            raise _ItemFailure(post_of.get(exc.container_id or "", posts[0].index), exc) from exc
        children: dict[int, list[str]] = {}
        for cid, (post, _) in zip(ids, jobs, strict=True):
            children.setdefault(post.index, []).append(cid)
        return children

    def _label(self, post: PlannedPost) -> str:
        return f"Part {post.index + 1}/{self.total}"

    def _item_label(self, post: PlannedPost, media: PlannedMedia) -> str:
        where = media.source or media.url
        return f"{self._label(post)}, file {media.index} ({where})"


class _ItemFailure(Exception):
    """A carousel item failed; `post_index` says whose."""

    def __init__(self, post_index: int, error: ThreadsPipeError) -> None:
        super().__init__(str(error))
        self.post_index = post_index
        self.error = error


def _container_gone(exc: ThreadsAPIError) -> bool:
    return (exc.code, exc.subcode) == CONTAINER_LOST or exc.subcode == CHILDREN_INVALID_SUBCODE
