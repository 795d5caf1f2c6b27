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
FIRST_POLL_PAUSE = 0.5
# How many times an ambiguous publish is re-checked and, if still unpublished, sent again.
MAX_PUBLISH_ATTEMPTS = 3
# How many of the newest posts are searched for a post whose publish answer was lost.
RECOVERY_PAGE_SIZE = 10
# Carousel items created and awaited at once: fast, yet gentle on the app's call budget.
MAX_PARALLEL_ITEMS = 8
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


def poll_pauses(max_pause: float, first: float = FIRST_POLL_PAUSE) -> Iterator[float]:
    """Pauses between status polls: 0.5 s, 1 s, 2 s, ... never longer than `max_pause`."""
    pause = min(first, max_pause)
    while True:
        yield max(pause, 0.0)
        pause = min(pause * 2, max_pause)


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
        if not policy.enabled:
            return
        deadline = self.clock() + policy.timeout
        pauses = poll_pauses(policy.max_pause)
        first_wait = True
        while True:
            body = self.status(container_id)
            status = str(body.get("status", ""))
            if status in (FINISHED, PUBLISHED):
                return
            if status in (ERROR, EXPIRED):
                raise _processing_error(container_id, label, status, body.get("error_message"))
            if status == IN_PROGRESS and first_wait:
                self.log.info(
                    "%s: waiting for Threads to process container %s", label, container_id
                )
                first_wait = False
            pause = min(next(pauses), max(deadline - self.clock(), 0.0))
            if pause <= 0:
                raise MediaProcessingError(
                    f"{label}: container {container_id} was still {status or 'not ready'} "
                    f"after {policy.timeout:.0f} s; raise container_timeout= to wait longer.",
                    container_id=container_id,
                    status=status or None,
                )
            self.log.debug(
                "%s: container %s is %s; polling again in %.1f s",
                label,
                container_id,
                status,
                pause,
            )
            self.sleep(pause)

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

    def publish_post(self, params: Mapping[str, Any], policy: WaitPolicy, label: str) -> str:
        """Create, wait for and publish one post container; return the media id."""
        container_id = self.create_container(params)
        self.log.debug("%s: created container %s", label, container_id)
        self.wait_until_finished(container_id, policy, label)
        text = params.get("text")
        return self.publish(container_id, str(text) if text is not None else None)


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
    """Publishes planned posts in order, each replying to the one before."""

    def __init__(self, publisher: Publisher, waits: ChainWaits, total: int) -> None:
        self.publisher = publisher
        self.waits = waits
        self.total = total

    def run(self, posts: Sequence[PlannedPost], reply_to_id: str | None) -> ChainOutcome:
        published: list[PublishedPost] = []
        previous = reply_to_id
        for post in posts:
            try:
                media_id = self.publish_one(post, previous)
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

    def publish_one(self, post: PlannedPost, reply_to_id: str | None) -> str:
        """Build, wait for and publish one post; rebuild it if Meta lost the container."""
        label = f"Part {post.index + 1}/{self.total}"
        for rebuild in range(MAX_RECREATIONS + 1):
            container_id = self.build(post, reply_to_id, label)
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
        raise AssertionError("unreachable")  # pragma: no cover

    def build(self, post: PlannedPost, reply_to_id: str | None, label: str) -> str:
        """Create the post's containers (items in parallel) and wait until it is FINISHED."""
        children = self.build_items(post, label) if len(post.media) > 1 else []
        container_id = self.publisher.create_container(post_params(post, reply_to_id, children))
        self.publisher.wait_until_finished(container_id, self.waits.post, label)
        return container_id

    def build_items(self, post: PlannedPost, label: str) -> list[str]:
        def one(media: PlannedMedia) -> str:
            item_label = f"{label}, file {media.index} ({media.url})"
            container_id = self.publisher.create_container(item_params(media))
            self.publisher.wait_until_finished(container_id, self.waits.item, item_label)
            return container_id

        workers = min(MAX_PARALLEL_ITEMS, len(post.media))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="threadspipepy") as pool:
            futures = [pool.submit(one, media) for media in post.media]
        errors = [f.exception() for f in futures if f.exception() is not None]
        if errors:
            raise errors[0]  # type: ignore[misc]
        return [f.result() for f in futures]


def _container_gone(exc: ThreadsAPIError) -> bool:
    return (exc.code, exc.subcode) == CONTAINER_LOST or exc.subcode == CHILDREN_INVALID_SUBCODE
