"""Media given as URLs: which are images and which are videos, checked before any post.

Threads fetches media itself from a public URL and accepts JPEG or PNG images and MP4 or MOV
videos. The kind comes from the URL's extension (case-insensitive) or, when the path has
none that tells, from a HEAD request that follows redirects.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from .errors import ValidationError
from .planning import PlannedMedia

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


def is_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


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


def check_files(files: Sequence[Any]) -> list[str]:
    """The URLs of `files`, refusing what this version cannot post, before any request."""
    urls: list[str] = []
    for i, file in enumerate(files):
        if not is_url(file):
            raise NotImplementedError(
                f"files[{i}] is not an http(s) URL; local files, bytes and base64 are not "
                "supported by threadspipepy 0.5.0 yet. Host the file and pass its URL."
            )
        url = str(file).strip()
        refused = refused_extension(url)
        if refused:
            raise ValidationError(
                f"files[{i}] ({url}) is a {refused} file; {RULE}.", parameter=f"files[{i}]"
            )
        urls.append(url)
    return urls


def resolve_kinds(
    urls: Sequence[str],
    captions: Sequence[str | None],
    probe: Callable[[str], str | None] | None,
) -> list[PlannedMedia]:
    """Planned media with their kinds; `probe` (a HEAD request) asks for unknown ones.

    With `probe=None` (a dry run sends nothing) unknown kinds stay None.
    """
    media = []
    for i, url in enumerate(urls):
        kind = kind_from_extension(url)
        if kind is None and probe is not None:
            kind = kind_from_content_type(probe(url))
            if kind is None:
                raise ValidationError(
                    f"files[{i}] ({url}) is not an image or video Threads accepts; {RULE}.",
                    parameter=f"files[{i}]",
                )
        media.append(PlannedMedia(index=i, url=url, kind=kind, alt_text=captions[i]))
    return media


def head_probe(session: requests.Session, timeout: float) -> Callable[[str], str | None]:
    """A probe that asks a media URL's host for its Content-Type (HEAD, redirects followed).

    The session carries no credentials of its own: the Threads token is added per request by
    the Graph client and never reaches a media host.
    """

    def probe(url: str) -> str | None:
        try:
            response = session.head(url, allow_redirects=True, timeout=timeout)
        except requests.RequestException as exc:
            raise ValidationError(
                f"{url} could not be reached to learn its type ({type(exc).__name__}); "
                "Threads must be able to fetch it too.",
                parameter="files",
            ) from None
        if response.status_code >= 400:
            raise ValidationError(
                f"{url} answered HTTP {response.status_code}; Threads must be able to fetch it.",
                parameter="files",
            )
        return response.headers.get("Content-Type")

    return probe
