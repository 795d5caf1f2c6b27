"""Temporary hosting of local media: the MediaHost protocol, GitHubHost, and cleanup.

Threads only takes media by public URL. Local files are uploaded to a host for the length of
one `pipe()` call and deleted when the chain is finished, whatever happened: success, an API
error, an exception, Ctrl-C. `HostedFiles` is the per-call record of what was uploaded, so
nothing can leak from one call into the next.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote

import requests

from ._log import Log
from ._redaction import redact_text
from ._transport import RequestFailure, describe_request_failure
from .errors import MediaHostingError
from .media import LocalFile

GITHUB_MAX_BYTES = 100 * 1024 * 1024  # the contents API's limit per file
GITHUB_FOLDER = "threadspipepy-tmp"
# Bytes read and encoded per step: a multiple of 3, so base64 pieces join without padding.
CHUNK_BYTES = 3 * 256 * 1024
MAX_PARALLEL_UPLOADS = 4
DELETE_ATTEMPTS = 3
# An upload without an answer may still be landing: not found at once, it is looked for
# again this long after. (One landing later still is beyond what a run can see; a journaled
# run records its names, so the next run with the key removes it.)
UPLOAD_SETTLE_SECONDS = 5.0


@runtime_checkable
class MediaHost(Protocol):
    """Where local media is published for Threads to fetch.

    `upload(data, filename, mime)` receives a binary stream, the file name to store it under
    and its MIME type, and returns the public URL and a handle; `delete(handle)` removes the
    file. Any object with these two methods can be passed as `media_host=`.

    Two optional members make a host safer:
    - `find(filename) -> handle | None`: look up a file by the name `upload` was given. The
      name is chosen (128 random bits) and recorded before the upload starts, so an upload
      whose answer was lost (a timeout, a dropped connection, Ctrl-C) is found by it and
      deleted. A host must therefore store each file under exactly `filename` (or a name
      derived only from it). Without `find`, such an upload is reported in `cleanup_errors`.
    - `max_bytes`: the largest file the host takes, checked before any upload.
    `delete` should treat a file that is already gone as deleted.
    """

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, Any]: ...

    def delete(self, handle: Any) -> None: ...


@dataclass(frozen=True)
class GitHubFile:
    """The handle GitHubHost returns: where the file is and the sha DELETE needs."""

    path: str
    sha: str


class Base64JsonBody:
    """A contents-API JSON body whose base64 is encoded while it is sent.

    It has a length (so requests sends Content-Length, not chunks) and yields the body piece
    by piece, so a large file is never held as a whole base64 string, nor a JSON document.
    """

    def __init__(
        self, message: str, data: BinaryIO, size: int, chunk_bytes: int = CHUNK_BYTES
    ) -> None:
        self.chunk_bytes = chunk_bytes
        self.prefix = b'{"message": ' + _json_string(message) + b', "content": "'
        self.suffix = b'"}'
        self.data = data
        self.size = size

    def __len__(self) -> int:
        return len(self.prefix) + 4 * math.ceil(self.size / 3) + len(self.suffix)

    def __iter__(self) -> Iterator[bytes]:
        yield self.prefix
        pending = b""
        while True:
            chunk = self.data.read(self.chunk_bytes)
            if not chunk:
                break
            pending += chunk
            whole = len(pending) - len(pending) % 3
            if whole:
                yield base64.b64encode(pending[:whole])
                pending = pending[whole:]
        if pending:
            yield base64.b64encode(pending)
        yield self.suffix


def _json_string(text: str) -> bytes:
    return json.dumps(text).encode("utf-8")


class GitHubHost:
    """Hosts files in a public GitHub repository through the contents API, then deletes them.

    The token is sent only to `base_url`; Threads gets the file's `download_url`.
    """

    max_bytes = GITHUB_MAX_BYTES

    def __init__(
        self,
        *,
        token: str,
        owner: str,
        repo: str,
        base_url: str,
        api_version: str,
        timeout: float,
        session: requests.Session,
        folder: str = GITHUB_FOLDER,
    ) -> None:
        self._token = token
        self.owner = owner
        self.repo = repo
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.session = session
        self.folder = folder

    def __repr__(self) -> str:
        return f"GitHubHost(owner={self.owner!r}, repo={self.repo!r}, base_url={self.base_url!r})"

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, GitHubFile]:
        path = f"{self.folder}/{filename}"
        size = _remaining_size(data)
        body = Base64JsonBody(f"threadspipepy: temporary media for Threads ({mime})", data, size)
        response = self._send("PUT", path, data=body)
        content = response.get("content") or {}
        url, sha = content.get("download_url"), content.get("sha")
        if not url or not sha:
            raise MediaHostingError(f"GitHub accepted {path} but sent no download_url or sha.")
        return str(url), GitHubFile(path, str(sha))

    def delete(self, handle: Any) -> None:
        """Delete the file; one that is already gone (404) counts as deleted."""
        if not isinstance(handle, GitHubFile):
            raise TypeError("GitHubHost.delete takes the handle its upload returned")
        body = {"message": "threadspipepy: remove temporary media", "sha": handle.sha}
        self._send("DELETE", handle.path, json=body, missing_ok=True)

    def find(self, filename: str) -> GitHubFile | None:
        """The file `upload` stored under `filename`, or None if it is not in the repository."""
        path = f"{self.folder}/{filename}"
        content = self._send("GET", path, missing_ok=True)
        sha = content.get("sha")
        return GitHubFile(path, str(sha)) if sha else None

    def _send(
        self, method: str, path: str, *, missing_ok: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        url = f"{self.base_url}/repos/{quote(self.owner)}/{quote(self.repo)}/contents/{quote(path)}"
        headers = {
            "Accept": "application/vnd.github+json",
            "Authorization": f"Bearer {self._token}",
            "X-GitHub-Api-Version": self.api_version,
            "Content-Type": "application/json",
        }
        failure: RequestFailure | None = None
        try:
            response = self.session.request(
                method, url, headers=headers, timeout=self.timeout, **kwargs
            )
        except requests.RequestException as exc:
            failure = describe_request_failure(exc)  # the exception (and its headers) dropped
        if failure is not None:  # raised outside the except: no __context__ holding the token
            raise MediaHostingError(
                f"GitHub {method} {path} failed before an answer: {failure.description}."
            )
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code == 404 and missing_ok:
            return {}
        if response.status_code >= 300:
            message = body.get("message") if isinstance(body, dict) else None
            raise MediaHostingError(
                redact_text(  # GitHub's own words may echo the token
                    f"GitHub {method} {path} answered HTTP {response.status_code}: "
                    f"{message or response.reason}.",
                    (self._token,),
                ),
                status_code=response.status_code,
            )
        return body if isinstance(body, dict) else {}


def _remaining_size(data: BinaryIO) -> int:
    position = data.tell()
    end = data.seek(0, 2)
    data.seek(position)
    return end - position


def host_limit(host: Any) -> int | None:
    limit = getattr(host, "max_bytes", None)
    return int(limit) if isinstance(limit, int) else None


def unguessable_name(file: LocalFile) -> str:
    """A name nobody can guess or collide with: 128 random bits and the real extension."""
    return f"{secrets.token_urlsafe(16)}.{file.filename_extension}"


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
    ) -> None:
        self.host = host
        self.log = log
        self.sleep = sleep
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
        for attempt in range(1, DELETE_ATTEMPTS + 1):
            try:
                return action()
            except Exception:
                if attempt == DELETE_ATTEMPTS:
                    raise
                self.sleep(0.5 * attempt)
        raise AssertionError("unreachable")  # pragma: no cover


def github_host(config: Any, session: requests.Session) -> GitHubHost | None:
    """The default host from the gh_* options, or None when any of them is missing."""
    if not (config.gh_bearer_token and config.gh_username and config.gh_repo_name):
        return None
    return GitHubHost(
        token=config.gh_bearer_token,
        owner=config.gh_username,
        repo=config.gh_repo_name,
        base_url=config.gh_base_url,
        api_version=config.gh_api_version,
        timeout=config.gh_upload_timeout,
        session=session,
    )


def missing_github_options(config: Any) -> list[str]:
    return [
        name
        for name in ("gh_bearer_token", "gh_username", "gh_repo_name")
        if not getattr(config, name)
    ]
