"""Containers, status polling and publishing without duplicates.

The flow for one post is: create a container, poll its status until FINISHED (from the
first second, backing off), then publish it. A publish whose outcome is unknown (timeout,
5xx, dropped connection) is never simply sent again: the container status is read first, and
only a container that is still unpublished gets a second publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ._log import Log
from ._transport import GraphClient, path_of
from .errors import (
    MediaProcessingError,
    ServerError,
    ThreadsAPIError,
    ThreadsConnectionError,
)

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
        while True:
            body = self.status(container_id)
            status = str(body.get("status", ""))
            if status in (FINISHED, PUBLISHED):
                return
            if status in (ERROR, EXPIRED):
                raise _processing_error(container_id, label, status, body.get("error_message"))
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
