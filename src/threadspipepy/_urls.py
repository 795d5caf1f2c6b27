"""Pure URL helpers: Graph paths from ids, and hosts for messages (no I/O, no transport).

Request builders (`reading`, `insights`) and the transport both need them; keeping them here
lets the builders stay free of the HTTP layer.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit


def path_of(*segments: object) -> str:
    """Join path segments, percent-encoding each one (ids come from callers)."""
    return "/".join(quote(str(s), safe="") for s in segments)


def host_of(url: str) -> str:
    """A URL's host and port, for messages (never its user info, path or query)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "an unreadable host"
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{port}" if port else host or "an unknown host"


def origin(url: str) -> str:
    """`host[:port]` of a URL for a log line (never its user info, path or query)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "an unreadable URL"
    if not host:
        return "a URL without a host"
    return f"{host}:{port}" if port else host
