"""Small value types shared by the sandbox modules and exported to users."""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Account:
    """A Threads account known to the sandbox (the token selects the acting account)."""

    user_id: str
    access_token: str = field(repr=False)
    username: str


class Headers(dict[str, str]):
    """A plain dict of request headers whose lookups ignore case, as HTTP does."""

    def _find(self, key: object) -> str | None:
        if not isinstance(key, str):
            return None
        if dict.__contains__(self, key):
            return key
        lowered = key.lower()
        for name in self:
            if name.lower() == lowered:
                return name
        return None

    def __getitem__(self, key: str) -> str:
        name = self._find(key)
        if name is None:
            raise KeyError(key)
        return dict.__getitem__(self, name)

    def __contains__(self, key: object) -> bool:
        return self._find(key) is not None

    def get(self, key: str, default: Any = None) -> Any:
        name = self._find(key)
        return default if name is None else dict.__getitem__(self, name)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the sandbox received it, and the status it answered (0 = dropped)."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    status: int
    body_size: int
    # What the request was, for stats(): create, status, publish, quota, repost, delete, read,
    # github, static or other.
    kind: str = "other"

    @property
    def params(self) -> dict[str, str]:
        """Query, form and JSON body merged, the way Graph reads parameters."""
        merged = dict(self.query)
        merged.update(self.form)
        if isinstance(self.json, dict):
            merged.update({str(k): param_text(v) for k, v in self.json.items()})
        return merged


def param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _json.dumps(value)
    return "" if value is None else str(value)


@dataclass
class Response:
    """What a handler wants written back; `drop` closes the socket without an answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    reset: bool = False  # with drop: close with a TCP reset instead of an orderly close

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None) -> Response:
        data = _json.dumps(payload, separators=(",", ":")).encode("utf-8")
        return cls(status, data, headers=dict(headers or {}))

    @classmethod
    def text(
        cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8"
    ) -> Response:
        return cls(status, text.encode("utf-8"), content_type=content_type)


@dataclass
class Incoming:
    """A parsed request as the handlers see it (path percent-decoded, no query)."""

    method: str
    path: str
    raw_path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: Headers
    body: bytes

    def params(self) -> dict[str, str]:
        """Graph reads parameters from the query string, the form and a JSON body alike."""
        merged = dict(self.query)
        merged.update(self.form)
        if isinstance(self.json, dict):
            merged.update({str(k): param_text(v) for k, v in self.json.items()})
        return merged
