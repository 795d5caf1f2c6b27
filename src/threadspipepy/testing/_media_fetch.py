"""Fetching media from other local servers over real HTTP, as Meta fetches a container's media.

Off by default: the sandbox then resolves only its own /raw and /media URLs. Given hosts
(`host:port` on the loopback interface, never anything else), it GETs each media URL on them
when a container is created and again when its processing ends, so a presigned URL that has
expired or is wrongly signed, or a file already deleted, fails the container the way it fails
on Meta. The fetches run outside the sandbox's lock: a slow media server never holds up other
requests.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

FETCH_TIMEOUT = 5.0
READ_CHUNK = 256 * 1024
# Threads takes videos up to 1 GB; a body past that is not read further.
MAX_FETCH_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class MediaFetch:
    """One GET of a media URL: at container creation ("create") or when processing ended
    ("processing"). `status` is 0 when no answer came; `error` then says why."""

    url: str
    stage: str
    status: int
    content_type: str | None
    size: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def loopback_host(host: str) -> str:
    """`host:port` on the loopback interface, normalised; ValueError for anything else."""
    if not isinstance(host, str) or ":" not in host:
        raise ValueError(f"give media hosts as 'host:port' on 127.0.0.1 (got {host!r})")
    parts = urlsplit(f"//{host}")
    try:
        port = parts.port
    except ValueError:
        port = None
    name = (parts.hostname or "").lower()
    if port is None or not name:
        raise ValueError(f"give media hosts as 'host:port' on 127.0.0.1 (got {host!r})")
    if name != "localhost":
        try:
            is_loopback = ipaddress.ip_address(name).is_loopback
        except ValueError:
            is_loopback = False
        if not is_loopback:
            raise ValueError(
                f"the sandbox fetches media only from the loopback interface, not {host!r}"
            )
    return f"[{name}]:{port}" if ":" in name else f"{name}:{port}"


class MediaFetcher:
    """The hosts whose media URLs the sandbox really fetches, and the fetching itself."""

    def __init__(self) -> None:
        self._hosts: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    @property
    def hosts(self) -> frozenset[str]:
        return self._hosts

    def allow(self, hosts: list[str]) -> None:
        checked = {loopback_host(h) for h in hosts}
        with self._lock:
            self._hosts = self._hosts | checked

    def covers(self, url: str) -> bool:
        if not self._hosts:
            return False
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return False
        if parts.scheme != "http" or port is None:
            return False
        name = (parts.hostname or "").lower()
        host = f"[{name}]:{port}" if ":" in name else f"{name}:{port}"
        return host in self._hosts

    def fetch(self, url: str, stage: str) -> MediaFetch:
        """GET the URL as Meta's fetcher would (no redirects followed, body read and
        dropped); never raises."""
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: loopback only
        try:
            with session.get(url, stream=True, timeout=FETCH_TIMEOUT, allow_redirects=False) as r:
                size = 0
                for chunk in r.iter_content(READ_CHUNK):
                    size += len(chunk)
                    if size > MAX_FETCH_BYTES:
                        break
                content_type = r.headers.get("Content-Type")
                return MediaFetch(url, stage, r.status_code, content_type, size)
        except requests.RequestException as exc:
            return MediaFetch(url, stage, 0, None, 0, f"{type(exc).__name__}: {exc}")
        finally:
            session.close()
