"""One place that masks secrets in URLs, headers, bodies and free text.

Everything that can reach a log line, an exception message, a repr or a result dict goes
through `redact_text`, `redact_value` or `redact_headers`. A client's `Redactor` also knows the
literal secret values it holds, so that a token echoed somewhere unexpected is still masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"

# Names whose values are secrets wherever they appear (query strings, form bodies, JSON).
SECRET_NAMES: frozenset[str] = frozenset(
    {
        "access_token",
        "client_secret",
        "code",
        "input_token",
        "authorization",
        "refresh_token",
        "gh_bearer_token",
        "app_secret",
        "auth_code",
    }
)

_NAMES = "|".join(sorted((re.escape(n) for n in SECRET_NAMES), key=len, reverse=True))
# name=value in query strings and form bodies (stops at & # whitespace or a quote).
_PAIR = re.compile(rf"(?i)(?<![A-Za-z0-9_])({_NAMES})=([^&#\s'\"]+)")
# "name": "value" in JSON and Python reprs.
_JSON = re.compile(rf"(?i)([\"']({_NAMES})[\"']\s*:\s*[\"'])([^\"']*)([\"'])")
# Authorization header values in free text: "Bearer xyz".
_BEARER = re.compile(r"(?i)\b(bearer)\s+([A-Za-z0-9._~+/=|\-]{6,})")


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Mask every secret in a URL, a body or any free text.

    Patterns catch secrets by their names; `secrets` adds literal values (a client's own
    token) so that one echoed somewhere unexpected is masked too.
    """
    if not text:
        return text
    out = _PAIR.sub(lambda m: f"{m.group(1)}={MASK}", text)
    out = _JSON.sub(lambda m: f"{m.group(1)}{MASK}{m.group(4)}", out)
    out = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", out)
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        out = out.replace(secret, MASK)
    return out


class Redactor:
    """Masks the name-based patterns plus the literal secrets one client holds."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    def text(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def value(self, value: Any) -> Any:
        return redact_value(value, self._secrets)


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str] = ()) -> dict[str, str]:
    """A copy of the headers with Authorization (and any secret value) masked."""
    secrets = tuple(secrets)
    return {
        name: (MASK if name.lower() in SECRET_NAMES else redact_text(str(value), secrets))
        for name, value in headers.items()
    }


def redact_value(value: Any, secrets: Iterable[str] = ()) -> Any:
    """Recursively mask secrets in dicts, lists and strings (used on result dicts)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, Mapping):
        return {
            key: (MASK if str(key).lower() in SECRET_NAMES else redact_value(item, secrets))
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item, secrets) for item in value)
    return value
