"""What a media host is: the MediaHost protocol, and the names files are stored under."""

from __future__ import annotations

import secrets
from typing import Any, BinaryIO, Protocol, runtime_checkable

from ..media import LocalFile


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


def host_limit(host: Any) -> int | None:
    limit = getattr(host, "max_bytes", None)
    return int(limit) if isinstance(limit, int) else None


def unguessable_name(file: LocalFile) -> str:
    """A name nobody can guess or collide with: 128 random bits and the real extension."""
    return f"{secrets.token_urlsafe(16)}.{file.filename_extension}"


def remaining_size(data: BinaryIO) -> int:
    """Bytes left in a seekable stream from where it stands."""
    position = data.tell()
    end = data.seek(0, 2)
    data.seek(position)
    return end - position
