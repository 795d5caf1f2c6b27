"""Temporary hosting of local media: the MediaHost protocol, cleanup, and the built-in hosts.

Threads only takes media by public URL, so local files live on a host for the length of one
`pipe()` call and are deleted afterwards, whatever happened. One file per concern:

- `_protocol`: `MediaHost` (upload, delete, and the optional find and max_bytes) and names;
- `_cleanup`: `HostedFiles`, one call's uploads (parallel) and their removal;
- `github`: `GitHubHost`, the default (a public repository, through the contents API);
- `s3`: `S3Host`, S3-compatible object storage with presigned URLs (the `s3` extra: boto3,
  imported only when an S3Host is built);
- `directory`: `DirectoryHost`, a folder that the user's own web server serves;
- `_setting`: `THREADS_MEDIA_HOST` / `--media-host` URIs, parsed and turned into a host.
"""

from __future__ import annotations

from ..config import MEDIA_HOST_ENV
from ._cleanup import (
    DELETE_ATTEMPTS,
    MAX_PARALLEL_UPLOADS,
    UPLOAD_SETTLE_SECONDS,
    HostedFiles,
)
from ._protocol import MediaHost, host_limit, remaining_size, unguessable_name
from ._setting import (
    MediaHostSetting,
    media_host_from_setting,
    parse_media_host,
)
from .directory import DirectoryFile, DirectoryHost
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
from .s3 import S3Host, S3Object

__all__ = [
    "CHUNK_BYTES",
    "DELETE_ATTEMPTS",
    "GITHUB_FOLDER",
    "GITHUB_MAX_BYTES",
    "MAX_PARALLEL_UPLOADS",
    "MEDIA_HOST_ENV",
    "UPLOAD_SETTLE_SECONDS",
    "Base64JsonBody",
    "DirectoryFile",
    "DirectoryHost",
    "GitHubFile",
    "GitHubHost",
    "HostedFiles",
    "MediaHost",
    "MediaHostSetting",
    "S3Host",
    "S3Object",
    "github_host",
    "host_limit",
    "media_host_from_setting",
    "missing_github_options",
    "parse_media_host",
    "remaining_size",
    "unguessable_name",
]
