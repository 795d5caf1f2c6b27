"""Cleanup of one call's hosted files: HostedFiles plans names, uploads, always deletes.

Threads only takes media by public URL. Local files are uploaded to a host for the length of
one `pipe()` call and deleted when the chain is finished, whatever happened: success, an API
error, an exception, Ctrl-C. `HostedFiles` is the per-call record of what was uploaded, so
nothing can leak from one call into the next.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from .._log import Log
from .._retry import RetryPolicy, call_with_retries
from ..errors import MediaHostingError
from ..media import LocalFile
from ._protocol import MediaHost, unguessable_name

MAX_PARALLEL_UPLOADS = 4
DELETE_ATTEMPTS = 3
DELETE_RETRY = RetryPolicy(max_retries=DELETE_ATTEMPTS - 1)  # backoff with full jitter
# An upload without an answer may still be landing: not found at once, it is looked for
# again this long after. (One landing later still is beyond what a run can see; a journaled
# run records its names, so the next run with the key removes it.)
UPLOAD_SETTLE_SECONDS = 5.0


@dataclass
class _Upload:
    """One file of a call on its way to the host: its name is fixed before the upload.

    The worker thread itself records that it started and what came back, so the record is
    right even when Ctrl-C interrupts the main thread between two statements.
    """

    file: LocalFile
    name: str
    started: bool = False
    handle: Any = None
    url: str | None = None
    error: BaseException | None = None


class HostedFiles:
    """The uploads of one call: upload them (in parallel), then always delete them.

    Every file's name is chosen before its upload starts, so whatever happens to the answer
    (an error after the host stored it, a dropped connection, a timeout, Ctrl-C), `cleanup`
    can look the file up by name and delete it. Only a file that truly could not be removed
    is reported.
    """

    def __init__(
        self,
        host: MediaHost,
        log: Log,
        *,
        sleep: Callable[[float], None] = time.sleep,
        parallel: int = MAX_PARALLEL_UPLOADS,
        retry: RetryPolicy = DELETE_RETRY,
    ) -> None:
        self.host = host
        self.log = log
        self.sleep = sleep
        self.retry = retry
        self.parallel = parallel
        self.uploads: list[_Upload] = []
        self._pool: ThreadPoolExecutor | None = None

    def plan(self, files: Sequence[LocalFile]) -> list[str]:
        """Fix the name of every file before anything is uploaded; returns the names."""
        self.uploads = [_Upload(file, unguessable_name(file)) for file in files]
        return [upload.name for upload in self.uploads]

    def upload_all(self, files: Sequence[LocalFile] | None = None) -> dict[int, str]:
        """Upload every planned file; URLs by file index. Raises after all uploads ended.

        Ctrl-C while waiting propagates at once; `cleanup` then waits for the uploads in
        flight and deletes whatever landed.
        """
        if files is not None:
            self.plan(files)
        if not self.uploads:
            return {}
        pool = ThreadPoolExecutor(
            max_workers=min(self.parallel, len(self.uploads)),
            thread_name_prefix="threadspipepy-upload",
        )
        self._pool = pool  # before any upload starts: cleanup must be able to wait for them
        futures = [pool.submit(self._upload_one, upload) for upload in self.uploads]
        for future in futures:
            future.exception()  # waits; Ctrl-C interrupts the wait
        pool.shutdown(wait=False)
        failure = next((u.error for u in self.uploads if u.error is not None), None)
        if failure is not None:
            raise failure
        return {u.file.index: u.url for u in self.uploads if u.url is not None}

    def _upload_one(self, upload: _Upload) -> None:
        upload.started = True
        file = upload.file
        try:
            with file.open() as stream:
                upload.url, upload.handle = self.host.upload(stream, upload.name, file.mime)
        except MediaHostingError as exc:
            upload.error = MediaHostingError(f"Could not upload {file.label}: {exc}")
            return
        except Exception as exc:  # a user's media_host may raise anything
            upload.error = MediaHostingError(
                f"Could not upload {file.label}: {type(exc).__name__}: {exc}"
            )
            return
        self.log.info("Uploaded %s (%.1f MB) for Threads to fetch", file.label, file.size / 2**20)

    def cleanup(self) -> list[str]:
        """Delete every file that reached the host; return what could not be deleted.

        Uploads still in flight (after Ctrl-C) are waited for first; an upload whose answer
        was lost is looked up by name; a file already gone counts as deleted.
        """
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        problems: list[str] = []
        unanswered: list[tuple[str, str]] = []
        for upload in reversed(self.uploads):
            if not upload.started:
                continue  # never started: nothing can have reached the host
            if upload.handle is None:
                unanswered.append((upload.file.label, upload.name))
                continue
            problem = self._delete_with_retries(upload.file.label, upload.handle, upload.name)
            if problem:
                problems.append(problem)
        self.uploads = []
        return problems + self._remove_by_name(unanswered)

    def remove_leftovers(self, names: Sequence[str]) -> list[str]:
        """Delete files an earlier, interrupted run recorded by name (see the journal)."""
        return self._remove_by_name([("a file of an interrupted run", name) for name in names])

    def _remove_by_name(self, files: Sequence[tuple[str, str]]) -> list[str]:
        """Uploads without an answer may still have landed: find each by name, delete it.

        What is not found at once is looked for once more after UPLOAD_SETTLE_SECONDS, in
        case its upload is still being stored.
        """
        if not files:
            return []
        find = getattr(self.host, "find", None)
        if not callable(find):
            return [self._unfindable(label, name) for label, name in files]
        problems: list[str] = []
        missing: list[tuple[str, str]] = []
        for label, name in files:
            problem = self._find_and_delete(find, label, name, missing)
            problems += [problem] if problem else []
        if missing:
            self.sleep(UPLOAD_SETTLE_SECONDS)
            for label, name in missing:
                problem = self._find_and_delete(find, label, name, [])
                problems += [problem] if problem else []
        return problems

    def _find_and_delete(
        self,
        find: Callable[[str], Any],
        label: str,
        name: str,
        missing: list[tuple[str, str]],
    ) -> str | None:
        try:
            handle = self._with_retries(lambda: find(name))
        except Exception as exc:
            message = f"Could not check whether {label} reached the host as {name}: {exc}"
            self.log.error("%s; check and remove it by hand", message)
            return message
        if handle is None:
            missing.append((label, name))
            return None
        self.log.info("The upload of %s had landed as %s; deleting it", label, name)
        return self._delete_with_retries(label, handle, name)

    def _unfindable(self, label: str, name: str) -> str:
        message = (
            f"The upload of {label} failed without a clear answer; if it reached the host it "
            f"is stored as {name}, and this media_host has no find() to check"
        )
        self.log.error("%s; check and remove it by hand", message)
        return message

    def _delete_with_retries(self, label: str, handle: Any, name: str) -> str | None:
        try:
            self._with_retries(lambda: self.host.delete(handle))
        except Exception as exc:  # reported, never raised over the real outcome
            if self._gone(name):
                return None  # an earlier attempt deleted it; only its answer was lost
            where = getattr(handle, "path", None) or name
            message = f"Could not delete the hosted copy of {label} at {where}: {exc}"
            self.log.error("%s; remove it by hand", message)
            return message
        self.log.debug("Deleted the hosted copy of %s", label)
        return None

    def _gone(self, name: str) -> bool:
        find = getattr(self.host, "find", None)
        if not callable(find):
            return False
        try:
            return find(name) is None
        except Exception:
            return False

    def _with_retries(self, action: Callable[[], Any]) -> Any:
        """A delete or a look-up, tried DELETE_ATTEMPTS times (a user's host may raise
        anything), with the transport's backoff and the call's injected sleep."""
        return call_with_retries(action, self.retry, self.sleep)
