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


@runtime_checkable
class MediaHost(Protocol):
    """Where local media is published for Threads to fetch.

    `upload` receives a binary stream, a file name and the MIME type, and returns the public
    URL and a handle; `delete(handle)` removes the file. Any object with these two methods can
    be passed as `media_host=`. An optional `max_bytes` attribute states the host's limit.
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
        if not isinstance(handle, GitHubFile):
            raise TypeError("GitHubHost.delete takes the handle its upload returned")
        body = {"message": "threadspipepy: remove temporary media", "sha": handle.sha}
        self._send("DELETE", handle.path, json=body)

    def _send(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
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


class HostedFiles:
    """The uploads of one call: upload them (in parallel), then always delete them."""

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
        self.handles: list[tuple[LocalFile, Any]] = []

    def upload_all(self, files: Sequence[LocalFile]) -> dict[int, str]:
        """Upload every file; URLs by file index. Raises after all uploads have ended."""
        if not files:
            return {}
        with ThreadPoolExecutor(
            max_workers=min(self.parallel, len(files)), thread_name_prefix="threadspipepy-upload"
        ) as pool:
            futures = [(file, pool.submit(self._upload_one, file)) for file in files]
        urls: dict[int, str] = {}
        failure: BaseException | None = None
        for file, future in futures:
            error = future.exception()
            if error is None:
                url, handle = future.result()
                self.handles.append((file, handle))
                urls[file.index] = url
            elif failure is None:
                failure = error
        if failure is not None:
            raise failure
        return urls

    def _upload_one(self, file: LocalFile) -> tuple[str, Any]:
        with file.open() as stream:
            try:
                url, handle = self.host.upload(stream, unguessable_name(file), file.mime)
            except MediaHostingError as exc:
                raise MediaHostingError(f"Could not upload {file.label}: {exc}") from exc
            except Exception as exc:  # a user's media_host may raise anything
                raise MediaHostingError(
                    f"Could not upload {file.label}: {type(exc).__name__}: {exc}"
                ) from exc
        self.log.info("Uploaded %s (%.1f MB) for Threads to fetch", file.label, file.size / 2**20)
        return url, handle

    def cleanup(self) -> list[str]:
        """Delete every uploaded file, retrying; return what could not be deleted."""
        problems: list[str] = []
        while self.handles:
            file, handle = self.handles.pop()
            problem = self._delete_with_retries(file, handle)
            if problem:
                problems.append(problem)
        return problems

    def _delete_with_retries(self, file: LocalFile, handle: Any) -> str | None:
        last: Exception | None = None
        for attempt in range(1, DELETE_ATTEMPTS + 1):
            try:
                self.host.delete(handle)
            except Exception as exc:  # reported, never raised over the real outcome
                last = exc
                if attempt < DELETE_ATTEMPTS:
                    self.sleep(0.5 * attempt)
                continue
            self.log.debug("Deleted the hosted copy of %s", file.label)
            return None
        message = f"Could not delete the hosted copy of {file.label}: {last}"
        self.log.error("%s; remove it by hand", message)
        return message


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
