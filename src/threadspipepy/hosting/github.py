"""GitHubHost: temporary media in a public GitHub repository, through the contents API.

Every upload and delete is a commit, so the files stay in the repository's history; the
contents API takes files up to 100 MB.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO
from urllib.parse import quote

import requests

from .._retry import RetryPolicy
from .._transport import RestClient
from ..errors import MediaHostingError
from ._protocol import remaining_size

GITHUB_MAX_BYTES = 100 * 1024 * 1024  # the contents API's limit per file
GITHUB_FOLDER = "threadspipepy-tmp"
# Bytes read and encoded per step: a multiple of 3, so base64 pieces join without padding.
CHUNK_BYTES = 3 * 256 * 1024


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
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.owner = owner
        self.repo = repo
        self.base_url = base_url.rstrip("/")
        self.api_version = api_version
        self.timeout = timeout
        self.session = session
        self.folder = folder
        # Sent through the transport: its timeout, its retry of connections that failed before
        # sending, GitHub's errors as MediaHostingError with the token redacted.
        self.api = RestClient(
            "GitHub",
            f"{self.base_url}/repos/{quote(owner)}/{quote(repo)}/contents",
            headers={
                "Accept": "application/vnd.github+json",
                "Authorization": f"Bearer {token}",
                "X-GitHub-Api-Version": api_version,
                "Content-Type": "application/json",
            },
            timeout=timeout,
            session=session,
            secrets=(token,),
            error=MediaHostingError,
            retry=retry,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"GitHubHost(owner={self.owner!r}, repo={self.repo!r}, base_url={self.base_url!r})"

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, GitHubFile]:
        path = f"{self.folder}/{filename}"
        size = remaining_size(data)
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
        self, method: str, path: str, *, missing_ok: bool = False, **body: Any
    ) -> dict[str, Any]:
        return self.api.request(method, path, missing_ok=missing_ok, **body)


def github_host(
    config: Any,
    session: requests.Session,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> GitHubHost | None:
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
        retry=retry,
        sleep=sleep,
    )


def missing_github_options(config: Any) -> list[str]:
    return [
        name
        for name in ("gh_bearer_token", "gh_username", "gh_repo_name")
        if not getattr(config, name)
    ]
