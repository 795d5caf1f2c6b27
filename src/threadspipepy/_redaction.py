"""One place that masks secrets in URLs, bodies and free text.

Everything that can reach a log line or an exception message goes through `redact_text`
(headers are never logged). A client's `Redactor` also knows the literal secret values it
holds, so that a token echoed somewhere unexpected is still masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

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
# GitHub tokens announce themselves (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_): a server that
# echoes one, even one this client does not hold, still has it masked.
_GITHUB_TOKEN = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")


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
    out = _GITHUB_TOKEN.sub(MASK, out)
    return mask_literals(out, secrets)


def mask_literals(text: str, secrets: Iterable[str]) -> str:
    """Mask these literal values only (no name-based patterns, so prose stays as it is)."""
    # Longest first, so a secret that contains another is masked whole.
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


class Redactor:
    """Masks the name-based patterns plus the literal secrets one client holds."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: tuple[str, ...] = ()
        self.set_secrets(secrets)

    def set_secrets(self, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(s for s in secrets if s)

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def with_secrets(self, extra: Iterable[str | None]) -> Redactor:
        """A redactor for one call: these secrets plus the ones this redactor holds."""
        return Redactor([*self._secrets, *extra])

    def text(self, text: str) -> str:
        return redact_text(text, self._secrets)

    def literals(self, text: str) -> str:
        """Only the literal secrets this redactor holds masked (for text meant to be read)."""
        return mask_literals(text, self._secrets)
