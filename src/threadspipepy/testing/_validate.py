"""Container-creation parameter checks that need no state (threads-api.md §3.1-§3.11).

Checks that look things up (children, reply_to_id, quote_post_id, geo-gating eligibility) live
in the state model. Every failure is Graph code 100 with a message naming the parameter.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ._errors import invalid_param
from ._text import LINK_LIMIT, TEXT_LIMIT, is_http_url, parse_bool, threads_length, unique_links

MEDIA_TYPES = ("TEXT", "IMAGE", "VIDEO", "CAROUSEL")
REPLY_CONTROLS = (
    "everyone",
    "accounts_you_follow",
    "mentioned_only",
    "parent_post_author_only",
    "followers_only",
)
BOOL_PARAMS = (
    "is_carousel_item",
    "auto_publish_text",
    "is_spoiler_media",
    "is_ghost_post",
    "enable_reply_approvals",
    "crossreshare_to_ig",
    "crossreshare_to_ig_dark_mode",
)
POLL_KEYS = ("option_a", "option_b", "option_c", "option_d")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class CreateSpec:
    """The validated essentials of a container-creation request."""

    media_type: str
    is_carousel_item: bool
    children: tuple[str, ...]
    media_url: str | None
    reply_to_id: str | None
    quote_post_id: str | None
    country_codes: tuple[str, ...]


def validate_create(params: dict[str, str]) -> CreateSpec:
    media_type = params.get("media_type", "").strip().upper()
    if not media_type:
        raise invalid_param("The parameter media_type is required")
    if media_type not in MEDIA_TYPES:
        raise invalid_param("Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}")
    flags = {name: parse_bool(name, params.get(name)) for name in BOOL_PARAMS}
    is_text = media_type == "TEXT"
    is_item = flags["is_carousel_item"]
    if is_item and media_type not in ("IMAGE", "VIDEO"):
        raise invalid_param("Param is_carousel_item is only allowed with IMAGE or VIDEO")

    text = params.get("text", "")
    if is_text and not text.strip():
        raise invalid_param("The parameter text is required for TEXT posts")
    if threads_length(text) > TEXT_LIMIT:
        raise invalid_param(
            f"Param text must be at most {TEXT_LIMIT} characters long "
            f"(emoji count as their UTF-8 bytes); got {threads_length(text)}"
        )

    media_url = _media_url(media_type, params)
    children = _children(media_type, params.get("children"))
    _check_options(media_type, params, flags)
    links = _link_count(params)
    if links > LINK_LIMIT:
        raise invalid_param(
            f"THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most {LINK_LIMIT} unique "
            f"links (text, link_attachment and text_attachment); this one has {links}",
            user_msg="THREADS_API__LINK_LIMIT_EXCEEDED",
        )

    reply_to_id = params.get("reply_to_id", "").strip() or None
    if flags["is_ghost_post"] and reply_to_id:
        raise invalid_param("Param is_ghost_post cannot be used on a reply")
    return CreateSpec(
        media_type=media_type,
        is_carousel_item=is_item,
        children=children,
        media_url=media_url,
        reply_to_id=reply_to_id,
        quote_post_id=params.get("quote_post_id", "").strip() or None,
        country_codes=_countries(params.get("allowlisted_country_codes")),
    )


def _media_url(media_type: str, params: dict[str, str]) -> str | None:
    name = {"IMAGE": "image_url", "VIDEO": "video_url"}.get(media_type)
    if name is None:
        return None
    url = params.get(name, "").strip()
    if not url:
        raise invalid_param(f"The parameter {name} is required for {media_type} containers")
    if not is_http_url(url):
        raise invalid_param(f"Param {name} must be a valid http or https URL")
    return url


def _children(media_type: str, raw: str | None) -> tuple[str, ...]:
    if media_type != "CAROUSEL":
        return ()
    ids = tuple(part.strip() for part in (raw or "").split(",") if part.strip())
    if not ids:
        raise invalid_param("The parameter children is required for CAROUSEL containers")
    if not 2 <= len(ids) <= 20:
        raise invalid_param(f"Param children must list 2 to 20 container ids; got {len(ids)}")
    if len(set(ids)) != len(ids):
        raise invalid_param("Param children must not repeat a container id")
    return ids


def _check_options(media_type: str, params: dict[str, str], flags: dict[str, bool]) -> None:
    is_text = media_type == "TEXT"
    reply_control = params.get("reply_control")
    if reply_control is not None and reply_control not in REPLY_CONTROLS:
        raise invalid_param(
            "Param reply_control must be one of {" + ", ".join(REPLY_CONTROLS) + "}"
        )
    alt_text = params.get("alt_text")
    if alt_text is not None:
        if media_type not in ("IMAGE", "VIDEO"):
            raise invalid_param("Param alt_text is only allowed on IMAGE or VIDEO containers")
        if len(alt_text) > 1000:
            raise invalid_param("Param alt_text must be at most 1000 characters long")
    link = params.get("link_attachment")
    if link is not None:
        if not is_text:
            raise invalid_param("Param link_attachment is only allowed on TEXT posts")
        if not is_http_url(link):
            raise invalid_param("Param link_attachment must be a valid http or https URL")
    tag = params.get("topic_tag")
    if tag is not None and (not 1 <= len(tag) <= 50 or any(ch in tag for ch in ".&\n\t")):
        raise invalid_param("Param topic_tag must be 1-50 characters without '.' or '&'")
    for name in ("poll_attachment", "gif_attachment", "text_attachment", "auto_publish_text"):
        if params.get(name) and not is_text and (name != "auto_publish_text" or flags[name]):
            raise invalid_param(f"Param {name} is only allowed on TEXT posts")
    if flags["is_spoiler_media"] and media_type not in ("IMAGE", "VIDEO", "CAROUSEL"):
        raise invalid_param("Param is_spoiler_media is only allowed on IMAGE, VIDEO or CAROUSEL")
    if flags["is_ghost_post"]:
        if not is_text:
            raise invalid_param("Param is_ghost_post is only allowed on TEXT posts")
        for other in ("poll_attachment", "gif_attachment", "text_attachment", "link_attachment"):
            if params.get(other):
                raise invalid_param(f"Param is_ghost_post cannot be combined with {other}")
        if flags["enable_reply_approvals"]:
            raise invalid_param("Param enable_reply_approvals is not allowed on ghost posts")
    if params.get("poll_attachment"):
        _check_poll(params["poll_attachment"])
    if params.get("text_attachment"):
        _check_text_attachment(params)
    if params.get("gif_attachment"):
        gif = _json_object("gif_attachment", params["gif_attachment"])
        if not isinstance(gif.get("gif_id"), str) or gif.get("provider") != "GIPHY":
            raise invalid_param("Param gif_attachment needs a gif_id and provider GIPHY")
    if params.get("text_entities"):
        _check_text_entities(params["text_entities"])


def _json_value(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_param(f"Param {name} must be valid JSON") from None


def _json_object(name: str, raw: str) -> dict[str, Any]:
    value = _json_value(name, raw)
    if not isinstance(value, dict):
        raise invalid_param(f"Param {name} must be a JSON object")
    return value


def _check_poll(raw: str) -> None:
    poll = _json_object("poll_attachment", raw)
    unknown = set(poll) - set(POLL_KEYS)
    if unknown:
        raise invalid_param(f"Param poll_attachment has unknown keys: {sorted(unknown)}")
    present = [key for key in POLL_KEYS if key in poll]
    if present != list(POLL_KEYS[: len(present)]) or len(present) < 2:
        raise invalid_param("Param poll_attachment needs 2 to 4 options, option_a first, in order")
    for key in present:
        value = poll[key]
        if not isinstance(value, str) or not 1 <= len(value) <= 25:
            raise invalid_param(f"Param poll_attachment.{key} must be 1-25 characters")


def _check_text_attachment(params: dict[str, str]) -> None:
    attachment = _json_object("text_attachment", params["text_attachment"])
    plaintext = attachment.get("plaintext")
    if not isinstance(plaintext, str) or not 1 <= len(plaintext) <= 10_000:
        raise invalid_param("Param text_attachment.plaintext must be 1-10000 characters")
    if params.get("poll_attachment"):
        raise invalid_param("Param text_attachment cannot be combined with poll_attachment")
    if attachment.get("link_attachment_url") and params.get("link_attachment"):
        raise invalid_param(
            "Param text_attachment.link_attachment_url cannot be combined with link_attachment"
        )


def _check_text_entities(raw: str) -> None:
    entities = _json_value("text_entities", raw)
    if not isinstance(entities, list) or len(entities) > 10:
        raise invalid_param("Param text_entities must be a JSON array of at most 10 entities")
    for entity in entities:
        ok = (
            isinstance(entity, dict)
            and str(entity.get("entity_type", "")).upper() == "SPOILER"
            and isinstance(entity.get("offset"), int)
            and entity["offset"] >= 0
            and isinstance(entity.get("length"), int)
            and entity["length"] >= 1
        )
        if not ok:
            raise invalid_param(
                "Param text_entities items need entity_type SPOILER, offset >= 0, length >= 1"
            )


def _link_count(params: dict[str, str]) -> int:
    extra = [params.get("link_attachment", "")]
    raw_attachment = params.get("text_attachment")
    if raw_attachment:
        attachment = _json_object("text_attachment", raw_attachment)
        url = attachment.get("link_attachment_url")
        if isinstance(url, str):
            extra.append(url)
    return len(unique_links(params.get("text", ""), *extra))


def _countries(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    codes = tuple(code.strip() for code in raw.split(","))
    if not codes or not all(_COUNTRY.fullmatch(code) for code in codes):
        raise invalid_param(
            "THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES: Param allowlisted_country_codes "
            "must be a comma-separated list of ISO 3166-1 alpha-2 codes (e.g. US,CA)",
            user_msg="THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES",
        )
    return codes
