"""Temporary hosting of local media: the MediaHost protocol, cleanup, and the built-in hosts.

Threads only takes media by public URL, so local files live on a host for the length of one
`pipe()` call and are deleted afterwards, whatever happened. One file per concern:

- `_protocol`: `MediaHost` (upload, delete, and the optional find and max_bytes) and names;
- `_cleanup`: `HostedFiles`, one call's uploads (parallel) and their removal;
- `github`: `GitHubHost`, the default (a public repository, through the contents API);
"""

from __future__ import annotations

from ._cleanup import (
    DELETE_ATTEMPTS,
    MAX_PARALLEL_UPLOADS,
    UPLOAD_SETTLE_SECONDS,
    HostedFiles,
)
from ._protocol import MediaHost, host_limit, remaining_size, unguessable_name
from .github import (
    CHUNK_BYTES,
    GITHUB_FOLDER,
    GITHUB_MAX_BYTES,
    Base64JsonBody,
    GitHubFile,
    GitHubHost,
    github_host,
    missing_github_options,
)

__all__ = [
    "CHUNK_BYTES",
    "DELETE_ATTEMPTS",
    "GITHUB_FOLDER",
    "GITHUB_MAX_BYTES",
    "MAX_PARALLEL_UPLOADS",
    "UPLOAD_SETTLE_SECONDS",
    "Base64JsonBody",
    "GitHubFile",
    "GitHubHost",
    "HostedFiles",
    "MediaHost",
    "github_host",
    "host_limit",
    "missing_github_options",
    "remaining_size",
    "unguessable_name",
]
