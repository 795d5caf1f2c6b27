"""Pure helpers: Threads text length, link counting, `fields=` parsing, parameter values."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ._errors import invalid_param

TEXT_LIMIT = 500
LINK_LIMIT = 5

# The same emoji rule the library's splitter uses (threads-api.md §3.6: "emojis are counted as
# the number of UTF-8 bytes"); kept identical so a part the splitter accepts is never refused.
_BMP_EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x200D, 0x200D),
    (0x20E3, 0x20E3),
    (0x2190, 0x21FF),
    (0x2300, 0x23FF),
    (0x24C2, 0x24C2),
    (0x25A0, 0x25FF),
    (0x2600, 0x27BF),
    (0x2900, 0x297F),
    (0x2B00, 0x2BFF),
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0xFE0E, 0xFE0F),
)


def threads_length(text: str) -> int:
    """Length as Threads counts it: one per character, UTF-8 bytes for emoji code points."""
    total = 0
    for ch in text:
        cp = ord(ch)
        if cp >= 0x10000 or any(lo <= cp <= hi for lo, hi in _BMP_EMOJI_RANGES):
            total += len(ch.encode("utf-8", "surrogatepass"))
        else:
            total += 1
    return total


# Threads turns both scheme URLs and bare domains ("facebook.com" in Meta's own examples) into
# links. Bare domains are limited to common TLDs so that "file.txt" is not a link.
_TLDS = (
    "com|net|org|io|co|dev|app|ai|me|info|biz|edu|gov|us|uk|de|fr|es|it|nl|ca|au|in|jp|br|"
    "ru|ch|eu|tv|ly|gg|xyz|site|online|tech|blog|news|social|link"
)
_LINK_RE = re.compile(
    r"(?<![\w@.\-/])(?:https?://[^\s<>\"']+"
    r"|(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:" + _TLDS + r")(?![\w-])"
    r"(?::\d+)?(?:/[^\s<>\"']*)?)",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?)]}'\""


def normalize_link(url: str) -> str:
    """A comparable form of a link: no scheme, no `www.`, lower-case host, no trailing `/`."""
    url = url.strip().rstrip(_TRAILING)
    if "://" not in url:
        url = "http://" + url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    rest = parts.path.rstrip("/")
    if parts.query:
        rest += "?" + parts.query
    return host + rest


def unique_links(text: str, *extra: str) -> set[str]:
    """The unique links in `text` plus any extra URLs (link_attachment and friends)."""
    found = {normalize_link(m.group(0)) for m in _LINK_RE.finditer(text)}
    found.update(normalize_link(u) for u in extra if u)
    found.discard("")
    return found


def is_http_url(value: str) -> bool:
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


GRAPH_TRUE = ("true", "1")
GRAPH_FALSE = ("false", "0")


def graph_bool(name: str, value: str) -> bool:
    """A Graph boolean parameter's value: `true`/`false` in any case (`True`, `TRUE`), or
    `1`/`0`, as Graph accepts them; anything else is code 100 naming the parameter."""
    lowered = value.lower()
    if lowered in GRAPH_TRUE:
        return True
    if lowered in GRAPH_FALSE:
        return False
    raise invalid_param(f"Param {name} must be a boolean: true or false (or 1 or 0); got {value!r}")


def parse_bool(name: str, value: str | None) -> bool:
    """A Graph boolean creation parameter: absent is false, else as graph_bool reads it."""
    return False if value is None else graph_bool(name, value)


@dataclass(frozen=True)
class Field:
    """One entry of a `fields=` selection, with its nested selection if it has one."""

    name: str
    sub: tuple[Field, ...] | None = None


def parse_fields(spec: str) -> tuple[Field, ...]:
    """Parse `id,text,children{id,media_type}` into Field entries."""
    fields, rest = _parse_list(spec.replace(" ", ""), 0)
    if rest != len(spec.replace(" ", "")):
        raise invalid_param("Syntax error in the fields parameter: unbalanced braces")
    return fields


def _parse_list(spec: str, pos: int) -> tuple[tuple[Field, ...], int]:
    out: list[Field] = []
    name = ""
    while pos < len(spec):
        ch = spec[pos]
        if ch == ",":
            if name:
                out.append(Field(name))
            name = ""
            pos += 1
        elif ch == "{":
            sub, pos = _parse_list(spec, pos + 1)
            if pos >= len(spec) or spec[pos] != "}" or not name:
                raise invalid_param("Syntax error in the fields parameter")
            out.append(Field(name, sub))
            name = ""
            pos += 1
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
        elif ch == "}":
            break
        else:
            name += ch
            pos += 1
    if name:
        out.append(Field(name))
    return tuple(out), pos


def iso_timestamp(moment: datetime) -> str:
    """Graph's timestamp format: 2026-12-02T10:00:00+0000."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")
