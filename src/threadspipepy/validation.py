"""Argument checks that run before any request: each error names the parameter and the fix."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .errors import ValidationError
from .splitting import MAX_LINKS_PER_POST, POST_LENGTH_LIMIT, threads_length, unique_link_count

REPLY_CONTROLS: tuple[str, ...] = (
    "everyone",
    "accounts_you_follow",
    "mentioned_only",
    "parent_post_author_only",
    "followers_only",
)
TOPIC_TAG_MAX = 50
_COUNTRY_CODE = re.compile(r"^[A-Za-z]{2}$")


def require_id(value: Any, parameter: str) -> str:
    """A Threads id given as str or int; returns it as a string."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ValidationError(
            f"{parameter} must be a Threads id (a string of digits), got {value!r}.",
            parameter=parameter,
        )
    return str(value).strip()


def reply_control(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in REPLY_CONTROLS:
        raise ValidationError(
            f"who_can_reply={value!r} is not a Threads reply control; use one of "
            f"{', '.join(REPLY_CONTROLS)}.",
            parameter="who_can_reply",
        )
    return value


def country_codes(value: str | Iterable[str] | None) -> str | None:
    """ISO 3166-1 alpha-2 codes as a list or comma string -> Meta's comma-separated form."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    codes = [str(code).strip() for code in items if str(code).strip()]
    bad = [code for code in codes if not _COUNTRY_CODE.match(code)]
    if not codes or bad:
        raise ValidationError(
            "allowed_country_codes must be two-letter ISO 3166-1 codes such as ['US', 'CA']"
            + (f"; not valid: {', '.join(map(repr, bad))}." if bad else "."),
            parameter="allowed_country_codes",
        )
    return ",".join(code.upper() for code in codes)


def topic_tag(value: str | None) -> str | None:
    if value is None:
        return None
    tag = value[1:] if value.startswith("#") else value
    if not 1 <= len(tag) <= TOPIC_TAG_MAX or "." in tag or "&" in tag:
        raise ValidationError(
            f"topic_tag must be 1-{TOPIC_TAG_MAX} characters without '.' or '&', got {value!r}.",
            parameter="topic_tag",
        )
    return tag


def http_url(value: Any, parameter: str) -> str:
    if not isinstance(value, str) or not re.match(r"(?i)^https?://[^\s/]+", value):
        raise ValidationError(
            f"{parameter} must be an http(s) URL, got {value!r}.", parameter=parameter
        )
    return value


def post_text(text: str, link_attachment: str | None = None) -> None:
    """A single post's text: within 500 as Threads counts it, at most 5 unique links."""
    length = threads_length(text)
    if length > POST_LENGTH_LIMIT:
        raise ValidationError(
            f"post is {length} characters as Threads counts them (emoji count as their UTF-8 "
            f"bytes); a post holds at most {POST_LENGTH_LIMIT}. Shorten it.",
            parameter="post",
        )
    links = unique_link_count(text, link_attachment)
    if links > MAX_LINKS_PER_POST:
        raise ValidationError(
            f"post carries {links} unique links; Threads accepts at most {MAX_LINKS_PER_POST} "
            "per post (the link attachment counts too).",
            parameter="post",
        )
