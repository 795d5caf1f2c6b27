"""The sandbox's media probe: what type a media URL is, answered without leaving the machine.

A client whose Threads base URL is a loopback address asks `HEAD {base}/media-probe?url=...`
instead of sending a HEAD to the media URL's host (threadspipepy.media.head_probe). The answer
is a Content-Type header, from, in order: a type set with `ThreadsSandbox.set_media_type(url,
...)` (None: the URL cannot be fetched, 404); the sandbox's own /media and /raw files (their
type, or 404); a host ending in `.invalid` (never resolves, 404); the URL's extension; and
last `image/jpeg`, as the sandbox treats an external URL it cannot see as fetched fine.
"""

from __future__ import annotations

import mimetypes
from urllib.parse import unquote, urlsplit

from ._records import Incoming, Response
from ._state import SandboxState

PROBE_PATH = "/media-probe"
DEFAULT_CONTENT_TYPE = "image/jpeg"


def is_probe(req: Incoming) -> bool:
    return req.path.rstrip("/") == PROBE_PATH


def answer_probe(state: SandboxState, req: Incoming) -> Response:
    """The Content-Type the sandbox would find at `?url=` (empty body), or 404."""
    if req.method not in ("GET", "HEAD"):
        return Response.text(405, "405: Method Not Allowed")
    url = req.query.get("url", "")
    if not url:
        return Response.text(400, "400: the url parameter is missing")
    content_type = probe_content_type(state, url)
    if content_type is None:
        return Response.text(404, "404: the sandbox cannot fetch this URL")
    return Response(200, b"", content_type=content_type)


def probe_content_type(state: SandboxState, url: str) -> str | None:
    """What the probe answers for `url` (None: it cannot be fetched)."""
    if url in state.media_types:
        return state.media_types[url]
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not host or host == "invalid" or host.endswith(".invalid"):
        return None
    path = unquote(parts.path)
    if host in ("127.0.0.1", "localhost") and _port(url) == state.port:
        found = state.resolve_local(path)
        if found is None:
            return None
        return found[1] or mimetypes.guess_type(path)[0] or "application/octet-stream"
    return mimetypes.guess_type(path)[0] or DEFAULT_CONTENT_TYPE


def _port(url: str) -> int | None:
    try:
        return urlsplit(url).port
    except ValueError:
        return None
