"""DirectoryHost: temporary media in a folder that your own web server already serves.

Each file is written under a temporary name in the same folder and renamed into place
(`os.replace`, atomic on one filesystem), so the web server never serves a partial file under
the final name; it is deleted after the chain. No dependency.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from ..errors import MediaHostingError, ValidationError

DEFAULT_FILE_MODE = 0o644  # the owner writes; the web server's user (any user) reads
COPY_CHUNK_BYTES = 1024 * 1024
TEMP_PREFIX = ".threadspipepy-"  # a dot file: most servers and listings skip them
TEMP_SUFFIX = ".part"


@dataclass(frozen=True)
class DirectoryFile:
    """The handle DirectoryHost returns: the file's path on disk."""

    path: str


class DirectoryHost:
    """Copies files into `directory`, served by your web server at `base_url`, then deletes
    them.

    Args:
        directory: an existing folder the web server serves (and this process can write).
        base_url: the URL the folder is served at, e.g. `https://media.example.com/threads`;
            a file `NAME` is fetched from `base_url/NAME`.
        file_mode: the permissions of each file once in place (default 0o644, readable by
            every user, so by the web server's); the folder must be traversable by it too.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        base_url: str,
        *,
        file_mode: int = DEFAULT_FILE_MODE,
    ) -> None:
        folder = Path(directory).expanduser()
        if not folder.is_dir():
            raise ValidationError(
                f"directory {os.fspath(directory)!r} is not an existing folder; create the "
                "folder your web server serves and give its path.",
                parameter="directory",
            )
        parts = urlsplit(base_url) if isinstance(base_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValidationError(
                "base_url must be the http(s) URL the folder is served at, such as "
                "https://media.example.com/threads.",
                parameter="base_url",
            )
        if not isinstance(file_mode, int) or not 0 <= file_mode <= 0o777:
            raise ValidationError(
                "file_mode must be permission bits such as 0o644.", parameter="file_mode"
            )
        self.directory = folder.resolve()
        self.base_url = base_url.rstrip("/")
        self.file_mode = file_mode

    def __repr__(self) -> str:
        return f"DirectoryHost(directory={str(self.directory)!r}, base_url={self.base_url!r})"

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, DirectoryFile]:
        """Copy the stream to a temporary file beside the target, then rename it into place."""
        target = self._path(filename)
        try:
            descriptor, temporary = tempfile.mkstemp(
                prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=self.directory
            )
        except OSError as exc:
            raise MediaHostingError(f"Could not write into {self.directory}: {exc}") from None
        try:
            with os.fdopen(descriptor, "wb") as out:
                shutil.copyfileobj(data, out, COPY_CHUNK_BYTES)
            # mkstemp makes the file 0600, which a web server running as another user could
            # not read. No fsync: the copy lives minutes, and a crash loses nothing of value.
            os.chmod(temporary, self.file_mode)
            os.replace(temporary, target)
        except BaseException as exc:
            with suppress(OSError):
                os.unlink(temporary)
            if isinstance(exc, OSError):
                raise MediaHostingError(f"Could not write {target}: {exc}") from None
            raise
        return f"{self.base_url}/{quote(filename)}", DirectoryFile(str(target))

    def find(self, filename: str) -> DirectoryFile | None:
        """The file `upload` stored under `filename`, or None if it is not in the folder."""
        target = self._path(filename)
        return DirectoryFile(str(target)) if target.is_file() else None

    def delete(self, handle: Any) -> None:
        """Delete the file; one that is already gone counts as deleted."""
        if not isinstance(handle, DirectoryFile):
            raise TypeError("DirectoryHost.delete takes the handle its upload returned")
        try:
            Path(handle.path).unlink(missing_ok=True)
        except OSError as exc:
            raise MediaHostingError(f"Could not delete {handle.path}: {exc}") from None

    def _path(self, filename: str) -> Path:
        """The file's place: directly in the folder, never outside it or hidden."""
        if not filename or filename != os.path.basename(filename) or filename.startswith("."):
            raise MediaHostingError(f"{filename!r} is not a plain file name")
        return self.directory / filename
