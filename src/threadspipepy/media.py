"""What each file of a `pipe()` call is, and whether Threads will take it. No uploads here.

A file is a URL Threads fetches itself, or local content (a path, bytes, base64, a data: URI,
a binary file object) that a media host must publish first. Local content is typed by its
magic bytes (`filetype`), never by its name; a URL by its extension or, when that does not
tell, a HEAD request. Threads accepts JPEG or PNG images up to 8 MB and MP4 or MOV videos up
to 1 GB; a host may take less (GitHub's contents API: 100 MB). All of it is checked before
anything is uploaded or posted.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit

import filetype
import requests

from ._transport import RequestFailure, exchange
from ._urls import host_of
from .errors import ValidationError
from .planning import PlannedMedia
from .validation import host_is_internal, host_is_loopback

IMAGE, VIDEO = "IMAGE", "VIDEO"
KIND_BY_EXTENSION = {".jpg": IMAGE, ".jpeg": IMAGE, ".png": IMAGE, ".mp4": VIDEO, ".mov": VIDEO}
KIND_BY_MIME = {
    "image/jpeg": IMAGE,
    "image/jpg": IMAGE,
    "image/png": IMAGE,
    "video/mp4": VIDEO,
    "video/quicktime": VIDEO,
}
# Extensions we recognise as media Threads refuses, so the error can say so before sending.
REFUSED_EXTENSIONS = frozenset(
    {
        ".gif",
        ".webp",
        ".heic",
        ".heif",
        ".avif",
        ".bmp",
        ".tiff",
        ".svg",
        ".m4v",
        ".webm",
        ".avi",
        ".mkv",
    }
)
RULE = "Threads accepts JPEG or PNG images and MP4 or MOV videos"
# Where a local Threads stand-in (a loopback base URL: the sandbox) answers "what type is this
# media URL?", so that a probe never leaves the machine: HEAD {base}/media-probe?url=...
STAND_IN_PROBE_PATH = "media-probe"


IMAGE_MAX_BYTES = 8 * 1024 * 1024
VIDEO_MAX_BYTES = 1024 * 1024 * 1024
LOCAL_MIMES = {
    "image/jpeg": IMAGE,
    "image/png": IMAGE,
    "video/mp4": VIDEO,
    "video/quicktime": VIDEO,
}
EXTENSION_OF = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}
# filetype needs the first few hundred bytes at most to recognise these formats.
SNIFF_BYTES = 8192
# A base64 string shorter than this cannot hold a real image or video, and short words ("test",
# "data") are valid base64: requiring a recognised file inside settles that ambiguity anyway.
MIN_BASE64_CHARS = 16
# A web address with or without its scheme: a dotted host name (or an IPv4 address), an
# optional port, then an optional path or query. 0.4.5 took "example.com/a.jpg" for a URL.
WEB_ADDRESS = re.compile(
    r"(?:https?://)?"
    r"(?:(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}|\d{1,3}(?:\.\d{1,3}){3})"
    r"(?::\d{1,5})?"
    r"(?:[/?#]\S*)?",
    re.IGNORECASE,
)
CLASSIFICATION_ORDER = (
    "bytes, bytearray or memoryview; then a pathlib.Path (or other os.PathLike); then a binary "
    "file object; then for a str: an http(s) URL, an existing local path (~ expanded, relative "
    "names included), a web address without its scheme (example.com/a.jpg: https is assumed, "
    "with a warning), a data: URI, and last a base64 string of an image or video"
)


@dataclass(frozen=True)
class RemoteFile:
    """A file Threads fetches itself from its public URL.

    `given` is what the caller wrote when it was not the URL itself (a web address without
    its scheme, to which https:// was added).
    """

    index: int
    url: str
    given: str | None = None


@dataclass(frozen=True)
class LocalFile:
    """A file that must be hosted before Threads can fetch it: on disk or in memory."""

    index: int
    label: str  # how messages name it: "files[2] (photo.jpg)"
    mime: str
    size: int
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return LOCAL_MIMES[self.mime]

    @property
    def filename_extension(self) -> str:
        return EXTENSION_OF[self.mime]

    def open(self) -> BinaryIO:
        """A fresh binary stream of the content (a file on disk is read, never loaded whole)."""
        if self.path is not None:
            return self.path.open("rb")
        return io.BytesIO(self.data or b"")


MediaFile = RemoteFile | LocalFile


def is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value.strip()


def kind_from_extension(url: str) -> str | None:
    """IMAGE or VIDEO from the path's extension; None when it does not tell."""
    extension = posixpath.splitext(unquote(urlsplit(url).path))[1].lower()
    return KIND_BY_EXTENSION.get(extension)


def refused_extension(url: str) -> str | None:
    extension = posixpath.splitext(unquote(urlsplit(url).path))[1].lower()
    return extension if extension in REFUSED_EXTENSIONS else None


def kind_from_content_type(content_type: str | None) -> str | None:
    mime = (content_type or "").split(";")[0].strip().lower()
    return KIND_BY_MIME.get(mime)


def file_list(files: Any) -> list[Any]:
    """`files=` as a list: a list (or tuple, or other sequence) of files; None means none.

    A single file given on its own (a URL string, a path, bytes, a file object) is refused
    with a message that says a list is expected, rather than read character by character.
    """
    if files is None or files == "":
        return []
    single = isinstance(files, str | bytes | bytearray | memoryview | os.PathLike) or hasattr(
        files, "read"
    )
    if single or isinstance(files, Mapping) or not isinstance(files, Iterable):
        shown = f"a {type(files).__name__}"
        hint = f", e.g. files=[{files!r}]" if isinstance(files, str) and len(files) < 80 else ""
        raise ValidationError(
            f"files must be a list of files, got {shown}{hint}.", parameter="files"
        )
    return list(files)


def classify(file: Any, index: int) -> MediaFile:
    """What `files[index]` is, resolved in CLASSIFICATION_ORDER; ValidationError if nothing."""
    where = f"files[{index}]"
    if isinstance(file, bytes | bytearray | memoryview):
        return _in_memory(bytes(file), index, f"{where} (bytes)")
    if isinstance(file, os.PathLike):
        return _on_disk(_not_a_directory(Path(os.fspath(file)), where), index, must_exist=True)
    if hasattr(file, "read"):
        return _from_stream(file, index)
    if not isinstance(file, str):
        raise ValidationError(
            f"{where} is a {type(file).__name__}; expected a URL, a path, bytes, base64 or a "
            "binary file object.",
            parameter=where,
        )
    text = file.strip()
    if is_url(text):
        return _remote(text, index)
    _refuse_other_schemes(text, where)
    path = Path(text).expanduser() if text and len(text) < 4096 else None
    if path is not None and path.is_file():
        return _on_disk(path, index, must_exist=True)
    if path is not None and path.is_dir():
        _not_a_directory(path, where)
    if schemeless_url(text):
        remote = _remote(f"https://{text}", index)
        return RemoteFile(remote.index, remote.url, given=text)
    if text.startswith("data:"):
        return _in_memory(_decode_data_uri(text, where), index, f"{where} (data URI)")
    decoded = _decode_base64(text)
    if decoded is not None and _sniff_mime(decoded[:SNIFF_BYTES]) is not None:
        return _in_memory(decoded, index, f"{where} (base64)")
    raise ValidationError(_unrecognised(text, where), parameter=where)


def schemeless_url(text: str) -> bool:
    """`example.com/a.jpg`, `192.0.2.7:8080/b.png?x=1`: a web address without its scheme.

    A host alone (`photo.jpg` could be a file name) does not count: a path or a query must
    follow it.
    """
    if "://" in text or not WEB_ADDRESS.fullmatch(text):
        return False
    host_end = min((text.find(c) for c in "/?#" if c in text), default=-1)
    return host_end > 0


def is_base64_file(value: Any) -> bool:
    """Whether `value` is a base64 string of a file this library can recognise by content."""
    if not isinstance(value, str):
        return False
    decoded = _decode_base64(value)
    return decoded is not None and _sniff_mime(decoded[:SNIFF_BYTES]) is not None


def _remote(url: str, index: int) -> RemoteFile:
    parts = urlsplit(url)
    if parts.username is not None or parts.password is not None:
        shown = url.replace(parts.netloc, parts.netloc.rpartition("@")[2], 1)
        raise ValidationError(
            f"files[{index}] ({shown}) carries a user name or password (user:pass@host): Threads "
            "cannot use them and they would end up in logs; use a public URL.",
            parameter=f"files[{index}]",
        )
    refused = refused_extension(url)
    if refused:
        raise ValidationError(
            f"files[{index}] ({url}) is a {refused} file; {RULE}.", parameter=f"files[{index}]"
        )
    return RemoteFile(index, url)


def _refuse_other_schemes(text: str, where: str) -> None:
    """`ftp://...`, `file://...`: a URL, but not one Threads can fetch."""
    scheme, separator, _ = text.partition("://")
    if not (separator and scheme and scheme.isascii() and scheme.replace("+", "").isalnum()):
        return
    if scheme.lower() in ("http", "https"):
        raise ValidationError(
            f"{where} ({text[:80]}) is not a valid http(s) URL (no host, or a space in it).",
            parameter=where,
        )
    if scheme:
        raise ValidationError(
            f"{where} ({text[:80]}) is a {scheme.lower()}:// URL; Threads fetches media only over "
            "http(s): give an http(s) URL or a local path.",
            parameter=where,
        )


def _not_a_directory(path: Path, where: str) -> Path:
    if path.is_dir():
        raise ValidationError(
            f"{where} ({path}) is a directory; give the files in it one by one.",
            parameter=where,
        )
    return path


def check_fetchable(files: Sequence[MediaFile], threads_base_url: str | None) -> None:
    """Media URLs Meta's servers could not fetch: loopback, private, link-local addresses.

    Checked only when talking to Meta (a base URL that is not loopback): the sandbox, on this
    machine, fetches from loopback itself. Hosts are judged by their literal name (an IP
    address or `localhost`); nothing is looked up in DNS before the request.
    """
    if threads_base_url is None or host_is_loopback(urlsplit(threads_base_url).hostname):
        return
    for file in files:
        if isinstance(file, RemoteFile) and host_is_internal(urlsplit(file.url).hostname):
            raise ValidationError(
                f"files[{file.index}] ({file.url}) is on a loopback, private or link-local "
                "address, which Threads' servers cannot fetch; publish it at a public URL (or "
                "pass the local file and let the media host publish it).",
                parameter=f"files[{file.index}]",
            )


def _on_disk(path: Path, index: int, *, must_exist: bool) -> LocalFile:
    where = f"files[{index}] ({path.name})"
    try:
        with path.open("rb") as handle:
            head = handle.read(SNIFF_BYTES)
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(
            f"{where} cannot be read: {exc.strerror or exc}.", parameter=f"files[{index}]"
        ) from None
    return LocalFile(index, where, _required_mime(head, where, index), size, path=path.resolve())


def _in_memory(data: bytes, index: int, label: str) -> LocalFile:
    return LocalFile(
        index, label, _required_mime(data[:SNIFF_BYTES], label, index), len(data), data=data
    )


def _from_stream(stream: Any, index: int) -> LocalFile:
    data = stream.read()
    if isinstance(data, str) or not isinstance(data, bytes | bytearray):
        raise ValidationError(
            f"files[{index}] is a text-mode file object; open it in binary mode ('rb').",
            parameter=f"files[{index}]",
        )
    name = getattr(stream, "name", None)
    label = f"files[{index}] ({Path(name).name})" if isinstance(name, str) else f"files[{index}]"
    return _in_memory(bytes(data), index, label)


def _sniff_mime(head: bytes) -> str | None:
    guess = filetype.guess(head)
    return str(guess.mime) if guess is not None else None


def _required_mime(head: bytes, label: str, index: int) -> str:
    mime = _sniff_mime(head)
    if mime not in LOCAL_MIMES:
        found = f"its content is {mime}" if mime else "its content is not a known image or video"
        raise ValidationError(f"{label}: {found}; {RULE}.", parameter=f"files[{index}]")
    return mime


def _decode_data_uri(text: str, where: str) -> bytes:
    header, _, payload = text.partition(",")
    if not header.endswith(";base64") or not payload:
        raise ValidationError(
            f"{where} is a data: URI without base64 content; expected data:<mime>;base64,<data>.",
            parameter=where,
        )
    decoded = _decode_base64(payload)
    if decoded is None:
        raise ValidationError(f"{where} is a data: URI whose base64 is invalid.", parameter=where)
    return decoded


def _decode_base64(text: str) -> bytes | None:
    compact = "".join(text.split())
    if len(compact) < MIN_BASE64_CHARS or len(compact) % 4:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _unrecognised(text: str, where: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    looks_like_path = "/" in text or "\\" in text or bool(posixpath.splitext(text)[1])
    if looks_like_path:
        return f"{where}: no such file {str(Path(text).expanduser().resolve())!r} (and not a URL)."
    return (
        f"{where} ({shown!r}) is not an http(s) URL, an existing file, a data: URI or base64 of "
        "an image or video."
    )


def check_rules(files: Sequence[MediaFile], host_limit: int | None) -> None:
    """Threads' size rules, and the host's own limit, before anything is uploaded."""
    for file in files:
        if not isinstance(file, LocalFile):
            continue
        limit = IMAGE_MAX_BYTES if file.kind == IMAGE else VIDEO_MAX_BYTES
        rule = "images may be at most 8 MB" if file.kind == IMAGE else "videos at most 1 GB"
        if host_limit is not None and host_limit < limit:
            limit, rule = host_limit, f"the media host takes at most {_mb(host_limit)}"
        if file.size > limit:
            raise ValidationError(
                f"{file.label} is {_mb(file.size)}; {rule}.", parameter=f"files[{file.index}]"
            )


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def classify_all(
    files: Sequence[Any],
    threads_base_url: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> list[MediaFile]:
    """Every file classified; with `threads_base_url`, URLs Meta cannot fetch are refused.

    `warn` is told about each web address given without its scheme (https is assumed).
    """
    classified = [classify(file, i) for i, file in enumerate(files)]
    check_fetchable(classified, threads_base_url)
    for file in classified:
        if warn is not None and isinstance(file, RemoteFile) and file.given is not None:
            warn(
                f"files[{file.index}] ({file.given}) is not a local file; taking it for the URL "
                f"{file.url}, as 0.4.5 took it for a URL. Write the https:// yourself to silence "
                "this warning."
            )
    return classified


def plan_media(
    files: Sequence[MediaFile],
    captions: Sequence[str | None],
    probe: Callable[[str], str | None] | None,
) -> list[PlannedMedia]:
    """Planned media with their kinds; `probe` (a HEAD request) asks for untyped URLs.

    Local files get their URL once hosted; with `probe=None` (a dry run sends nothing) an
    untyped URL's kind stays None.
    """
    return [_planned(file, captions[file.index], probe) for file in files]


def _planned(
    file: MediaFile, caption: str | None, probe: Callable[[str], str | None] | None
) -> PlannedMedia:
    if isinstance(file, LocalFile):
        path = str(file.path) if file.path is not None else None
        return PlannedMedia(file.index, "", file.kind, caption, source=file.label, path=path)
    kind = kind_from_extension(file.url)
    if kind is None and probe is not None:
        try:
            kind = kind_from_content_type(probe(file.url))
        except ProbeFailed as exc:
            raise ValidationError(
                f"files[{file.index}] ({file.url}) {exc}.", parameter=f"files[{file.index}]"
            ) from None
        if kind is None:
            raise ValidationError(
                f"files[{file.index}] ({file.url}) is not an image or video Threads accepts; "
                f"{RULE}.",
                parameter=f"files[{file.index}]",
            )
    return PlannedMedia(file.index, file.url, kind, caption)


class ProbeFailed(Exception):
    """A media URL's type could not be learned; the message says why (no secret in it)."""


def head_probe(
    session: requests.Session, timeout: float, threads_base_url: str | None = None
) -> Callable[[str], str | None]:
    """A probe that learns a media URL's Content-Type with a HEAD request.

    Against Meta, the HEAD goes to the media URL's own host (redirects followed). When the
    Threads base URL is a loopback address (the sandbox, or a stand-in of your own), nothing
    leaves the machine: a URL on another host is asked about at the stand-in,
    `HEAD {threads_base_url}/media-probe?url=...`, which answers with the Content-Type it
    would find (STAND_IN_PROBE_PATH); loopback URLs are asked directly, without redirects.
    The session carries no credentials of its own: the Threads token is added per request by
    the Graph client and never reaches a media host.
    """
    base = threads_base_url if _is_stand_in(threads_base_url) else None

    def probe(url: str) -> str | None:
        target, params = url, None
        if base is not None and not host_is_loopback(urlsplit(url).hostname):
            target, params = f"{base.rstrip('/')}/{STAND_IN_PROBE_PATH}", {"url": url}
        response = exchange(
            session, "HEAD", target, params=params, follow_redirects=base is None, timeout=timeout
        )
        if isinstance(response, RequestFailure):  # no exception, so no context, is kept
            where = "the local Threads server's media probe" if params else "its host"
            raise ProbeFailed(
                f"could not be checked: {where} could not be reached ({response.description}); "
                "Threads must be able to fetch it too"
            )
        if response.status_code >= 400 and params is not None:
            raise ProbeFailed(
                f"could not be checked: the local Threads server at {host_of(base or '')} "
                f"answered HTTP {response.status_code} to its media probe (it has no "
                f"/{STAND_IN_PROBE_PATH} endpoint, or cannot see this URL); end the URL in "
                ".jpg, .png, .mp4 or .mov so that no probe is needed"
            )
        if response.status_code >= 400:
            raise ProbeFailed(
                f"answered HTTP {response.status_code} when its type was asked for; Threads "
                "must be able to fetch it"
            )
        return response.headers.get("Content-Type")

    return probe


def _is_stand_in(threads_base_url: str | None) -> bool:
    """A Threads base URL on this machine: the sandbox, or a stand-in of the user's."""
    if not threads_base_url:
        return False
    try:
        return host_is_loopback(urlsplit(threads_base_url).hostname)
    except ValueError:
        return False
