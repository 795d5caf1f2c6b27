"""Threads text rules: how Threads measures a post's length. Pure functions, no I/O.

Meta documents a 500-character limit in which "emojis are counted as the number of UTF-8
bytes". Every other character counts as one.
"""

from __future__ import annotations

import re

POST_LENGTH_LIMIT = 500
MAX_LINKS_PER_POST = 5

# Code point ranges that render as (or combine into) emoji. Outside the Basic Multilingual
# Plane nearly everything in use is emoji or symbol, so it counts as its UTF-8 length too.
_BMP_EMOJI_RANGES: tuple[tuple[int, int], ...] = (
    (0x200D, 0x200D),  # zero-width joiner inside ZWJ sequences
    (0x20E3, 0x20E3),  # combining enclosing keycap
    (0x2190, 0x21FF),  # arrows used as emoji
    (0x2300, 0x23FF),  # miscellaneous technical (watch, hourglass, ...)
    (0x24C2, 0x24C2),
    (0x25A0, 0x25FF),  # geometric shapes
    (0x2600, 0x27BF),  # miscellaneous symbols and dingbats
    (0x2900, 0x297F),
    (0x2B00, 0x2BFF),  # stars, squares, arrows
    (0x3030, 0x3030),
    (0x303D, 0x303D),
    (0x3297, 0x3299),
    (0xFE0E, 0xFE0F),  # variation selectors that pick text or emoji style
)


def is_emoji_code_point(cp: int) -> bool:
    """Whether Threads counts this code point by its UTF-8 bytes."""
    if cp >= 0x10000:
        return True
    return any(lo <= cp <= hi for lo, hi in _BMP_EMOJI_RANGES)


def threads_length(text: str) -> int:
    """The length of `text` as Threads counts it against the 500-character limit."""
    return sum(len(ch.encode("utf-8")) if is_emoji_code_point(ord(ch)) else 1 for ch in text)


_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")


def links_in(text: str) -> list[str]:
    """The URLs in text, in order, without trailing sentence punctuation."""
    return [m.group(0).rstrip(".,;:!?)]}'\"") for m in _URL.finditer(text)]


def unique_link_count(text: str, link_attachment: str | None = None) -> int:
    """Links as Meta counts them for the 5-link rule: unique URLs in text plus the attachment."""
    links = set(links_in(text))
    if link_attachment:
        links.add(link_attachment)
    return len(links)
