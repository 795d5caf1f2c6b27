"""Container-creation parameter checks that need no state (threads-api.md §3.1-§3.11).

Checks that look things up (children, reply_to_id, quote_post_id, geo-gating eligibility, media
URLs the sandbox serves) live in the state model. Every failure is Graph code 100 with a message
naming the parameter. JSON parameters are parsed here once and kept on the CreateSpec.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
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
POLL_OPTION_LIMIT = 25
ENTITY_LIMIT = 10
ENTITY_TYPES = ("SPOILER", "spoiler")
ATTACHMENT_TEXT_LIMIT = 10_000
STYLES = ("bold", "italic", "highlight", "underline", "strikethrough")
GIF_PROVIDERS = ("GIPHY",)
TOPIC_TAG_LIMIT = 50
ALT_TEXT_LIMIT = 1000
# Parameters that only TEXT containers accept (auto_publish_text only matters when true).
TEXT_ONLY = ("poll_attachment", "gif_attachment", "text_attachment", "link_attachment")
# "The only feature allowed with [a ghost post] is text spoilers" (§3.11). reply_control and
# auto_publish_text are settings rather than features and stay allowed (a sandbox choice).
GHOST_EXCLUDED = (
    "poll_attachment",
    "gif_attachment",
    "text_attachment",
    "link_attachment",
    "quote_post_id",
    "topic_tag",
    "location_id",
    "allowlisted_country_codes",
)
# ISO 3166-1 alpha-2, the officially assigned codes (Meta refuses the rest: XX, ZZ, UK, EU).
# The sandbox keeps its own copy: it is written from the API's rules, not from the client.
_ASSIGNED = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW"
)
ASSIGNED_COUNTRY_CODES = frozenset(_ASSIGNED.split(" "))
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CreateSpec:
    """The validated essentials of a container-creation request, JSON parameters parsed."""

    media_type: str
    is_carousel_item: bool
    children: tuple[str, ...]
    media_url: str | None
    reply_to_id: str | None
    quote_post_id: str | None
    country_codes: tuple[str, ...]
    flags: Mapping[str, bool] = field(default_factory=dict)
    text: str | None = None
    link_attachment: str | None = None
    topic_tag: str | None = None
    location_id: str | None = None
    poll: dict[str, str] | None = None
    text_entities: tuple[dict[str, Any], ...] | None = None
    gif: dict[str, str] | None = None
    text_attachment: dict[str, Any] | None = None

    def flag(self, name: str) -> bool:
        return self.flags.get(name, False)


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

    text = params.get("text")
    if is_text and not (text or "").strip():
        raise invalid_param("The parameter text is required for TEXT posts")
    if text is not None and threads_length(text) > TEXT_LIMIT:
        raise invalid_param(
            f"Param text must be at most {TEXT_LIMIT} characters long "
            f"(emoji count as their UTF-8 bytes); got {threads_length(text)}"
        )

    media_url = _media_url(media_type, params)
    children = _children(media_type, params.get("children"))
    _check_simple_options(media_type, params, flags)
    poll = _parse_poll(params["poll_attachment"]) if "poll_attachment" in params else None
    gif = _parse_gif(params["gif_attachment"]) if "gif_attachment" in params else None
    attachment = (
        _parse_text_attachment(params["text_attachment"]) if "text_attachment" in params else None
    )
    if attachment is not None:
        if poll is not None:
            raise invalid_param("Param text_attachment cannot be combined with poll_attachment")
        if "link_attachment_url" in attachment and "link_attachment" in params:
            raise invalid_param(
                "Param text_attachment.link_attachment_url cannot be used when the post has a "
                "link_attachment"
            )
    entities = (
        _parse_text_entities(params["text_entities"], text or "")
        if "text_entities" in params
        else None
    )

    reply_to_id = params.get("reply_to_id", "").strip() or None
    if flags["is_ghost_post"]:
        _check_ghost(is_text, params, flags, reply_to_id)

    links = _link_count(params.get("text", ""), params.get("link_attachment"), attachment)
    if links > LINK_LIMIT:
        raise invalid_param(
            f"THREADS_API__LINK_LIMIT_EXCEEDED: a post may contain at most {LINK_LIMIT} unique "
            f"links (text, link_attachment and text_attachment); this one has {links}",
            user_msg="THREADS_API__LINK_LIMIT_EXCEEDED",
        )
    return CreateSpec(
        media_type=media_type,
        is_carousel_item=is_item,
        children=children,
        media_url=media_url,
        reply_to_id=reply_to_id,
        quote_post_id=params.get("quote_post_id", "").strip() or None,
        country_codes=_countries(params.get("allowlisted_country_codes")),
        flags=flags,
        text=text,
        link_attachment=params.get("link_attachment"),
        topic_tag=params.get("topic_tag"),
        location_id=params.get("location_id"),
        poll=poll,
        text_entities=entities,
        gif=gif,
        text_attachment=attachment,
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


def _check_simple_options(media_type: str, params: dict[str, str], flags: dict[str, bool]) -> None:
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
        if len(alt_text) > ALT_TEXT_LIMIT:
            raise invalid_param(f"Param alt_text must be at most {ALT_TEXT_LIMIT} characters long")
    for name in TEXT_ONLY:
        if name in params and not is_text:
            raise invalid_param(f"Param {name} is only allowed on TEXT posts")
    if flags["auto_publish_text"] and not is_text:
        raise invalid_param("Param auto_publish_text is only allowed on TEXT posts")
    link = params.get("link_attachment")
    if link is not None and not is_http_url(link):
        raise invalid_param("Param link_attachment must be a valid http or https URL")
    tag = params.get("topic_tag")
    if tag is not None and (
        not 1 <= len(tag) <= TOPIC_TAG_LIMIT or any(ch in tag for ch in ".&\n\t")
    ):
        raise invalid_param(
            f"Param topic_tag must be 1-{TOPIC_TAG_LIMIT} characters without '.' or '&'"
        )
    location = params.get("location_id")
    if location is not None and not _DIGITS.fullmatch(location):
        raise invalid_param("Param location_id must be a numeric location id")
    if flags["is_spoiler_media"]:
        if media_type not in ("IMAGE", "VIDEO", "CAROUSEL"):
            raise invalid_param(
                "Param is_spoiler_media is only allowed on IMAGE, VIDEO or CAROUSEL"
            )
        if flags["is_carousel_item"]:
            raise invalid_param(
                "Param is_spoiler_media is not allowed on a carousel item: set it on the "
                "CAROUSEL container"
            )


def _check_ghost(
    is_text: bool, params: dict[str, str], flags: dict[str, bool], reply_to_id: str | None
) -> None:
    if not is_text:
        raise invalid_param("Param is_ghost_post is only allowed on TEXT posts")
    if reply_to_id:
        raise invalid_param("Param is_ghost_post cannot be used on a reply (reply_to_id)")
    if flags["enable_reply_approvals"]:
        raise invalid_param("Param enable_reply_approvals is not allowed on ghost posts")
    for other in GHOST_EXCLUDED:
        if other in params:
            raise invalid_param(f"Param is_ghost_post cannot be combined with {other}")
    for other in ("crossreshare_to_ig", "crossreshare_to_ig_dark_mode"):
        if flags[other]:
            raise invalid_param(f"Param is_ghost_post cannot be combined with {other}")


# JSON parameters ---------------------------------------------------------------------------
def _json_value(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise invalid_param(f"Param {name} must be valid JSON") from None


def _json_object(name: str, raw: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    value = _json_value(name, raw)
    if not isinstance(value, dict):
        raise invalid_param(f"Param {name} must be a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise invalid_param(f"Param {name} has unknown keys: {unknown}")
    return value


def _span(name: str, item: dict[str, Any]) -> tuple[int, int]:
    """The (offset, length) of a range object: integers (not booleans), >= 0 and >= 1."""
    offset, length = item.get("offset"), item.get("length")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise invalid_param(f"Param {name}.offset must be an integer >= 0")
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise invalid_param(f"Param {name}.length must be an integer >= 1")
    return offset, length


def _parse_poll(raw: str) -> dict[str, str]:
    poll = _json_object("poll_attachment", raw, POLL_KEYS)
    present = [key for key in POLL_KEYS if key in poll]
    if len(present) < 2 or present != list(POLL_KEYS[: len(present)]):
        raise invalid_param(
            "Param poll_attachment needs 2 to 4 options in order: option_a, option_b, then "
            "option_c and option_d (no gaps)"
        )
    for key in present:
        value = poll[key]
        if not isinstance(value, str) or not value.strip() or len(value) > POLL_OPTION_LIMIT:
            raise invalid_param(
                f"Param poll_attachment.{key} must be 1-{POLL_OPTION_LIMIT} characters"
            )
    return {key: str(poll[key]) for key in present}


def _parse_gif(raw: str) -> dict[str, str]:
    gif = _json_object("gif_attachment", raw, ("gif_id", "provider"))
    gif_id = gif.get("gif_id")
    if not isinstance(gif_id, str) or not gif_id.strip():
        raise invalid_param("Param gif_attachment.gif_id is required (the provider's GIF id)")
    provider = gif.get("provider")
    if provider == "TENOR":
        raise invalid_param(
            "Param gif_attachment.provider TENOR is no longer supported (sunset on 2026-03-31); "
            "use GIPHY"
        )
    if provider not in GIF_PROVIDERS:
        raise invalid_param("Param gif_attachment.provider must be GIPHY")
    return {"gif_id": gif_id, "provider": str(provider)}


def _check_ranges(name: str, spans: list[tuple[int, int, int]], total: int, unit: str) -> None:
    """Each (offset, length, index) must lie inside `total` and not overlap another."""
    for offset, length, index in spans:
        if offset + length > total:
            raise invalid_param(
                f"Param {name}[{index}] (offset {offset}, length {length}) runs past the end of "
                f"the {unit} ({total} characters)"
            )
    ordered = sorted(spans)
    for (a_off, a_len, a_idx), (b_off, _, b_idx) in pairwise(ordered):
        if b_off < a_off + a_len:
            raise invalid_param(f"Param {name}: ranges {a_idx} and {b_idx} overlap")


def _parse_text_entities(raw: str, text: str) -> tuple[dict[str, Any], ...]:
    entities = _json_value("text_entities", raw)
    if not isinstance(entities, list):
        raise invalid_param("Param text_entities must be a JSON array")
    if len(entities) > ENTITY_LIMIT:
        raise invalid_param(
            f"Param text_entities allows at most {ENTITY_LIMIT} entities; got {len(entities)}"
        )
    spans: list[tuple[int, int, int]] = []
    for i, entity in enumerate(entities):
        name = f"text_entities[{i}]"
        if not isinstance(entity, dict):
            raise invalid_param(f"Param {name} must be a JSON object")
        # Meta's carousel examples carry a "text" key whose purpose is undocumented: allowed.
        unknown = sorted(set(entity) - {"entity_type", "offset", "length", "text"})
        if unknown:
            raise invalid_param(f"Param {name} has unknown keys: {unknown}")
        if entity.get("entity_type") not in ENTITY_TYPES:
            raise invalid_param(f"Param {name}.entity_type must be SPOILER")
        spans.append((*_span(name, entity), i))
    # The offset unit is undocumented (threads-api.md §3.8: UTF-16 code units or code points?).
    # The sandbox counts Python code points of `text`, not threads_length()'s emoji bytes.
    _check_ranges("text_entities", spans, len(text), "text")
    return tuple(dict(entity) for entity in entities)


def _parse_text_attachment(raw: str) -> dict[str, Any]:
    keys = ("plaintext", "link_attachment_url", "text_with_styling_info")
    attachment = _json_object("text_attachment", raw, keys)
    plaintext = attachment.get("plaintext")
    if not isinstance(plaintext, str) or not plaintext.strip():
        raise invalid_param("Param text_attachment.plaintext is required")
    if len(plaintext) > ATTACHMENT_TEXT_LIMIT:
        raise invalid_param(
            f"Param text_attachment.plaintext must be at most {ATTACHMENT_TEXT_LIMIT} "
            f"characters long; got {len(plaintext)}"
        )
    if "link_attachment_url" in attachment:
        url = attachment["link_attachment_url"]
        if not isinstance(url, str) or not is_http_url(url):
            raise invalid_param(
                "Param text_attachment.link_attachment_url must be a valid http or https URL"
            )
    if "text_with_styling_info" in attachment:
        _check_styling(attachment["text_with_styling_info"], plaintext)
    return attachment


def _check_styling(styling: Any, plaintext: str) -> None:
    base = "text_attachment.text_with_styling_info"
    if not isinstance(styling, list):
        raise invalid_param(f"Param {base} must be a JSON array")
    spans: list[tuple[int, int, int]] = []
    for i, item in enumerate(styling):
        name = f"{base}[{i}]"
        if not isinstance(item, dict):
            raise invalid_param(f"Param {name} must be a JSON object")
        unknown = sorted(set(item) - {"offset", "length", "styling_info"})
        if unknown:
            raise invalid_param(f"Param {name} has unknown keys: {unknown}")
        offset, length = _span(name, item)
        styles = item.get("styling_info")
        if (
            not isinstance(styles, list)
            or not styles
            or not all(isinstance(s, str) and s in STYLES for s in styles)
        ):
            raise invalid_param(
                f"Param {name}.styling_info must be a non-empty list of " + "|".join(STYLES)
            )
        spans.append((offset, length, i))
    # Offsets in Python code points of the plaintext (the unit is undocumented, as for spoilers).
    _check_ranges(base, spans, len(plaintext), "plaintext")


def _link_count(text: str, link: str | None, attachment: dict[str, Any] | None) -> int:
    extra = [link or ""]
    if attachment is not None:
        url = attachment.get("link_attachment_url")
        if isinstance(url, str):
            extra.append(url)
    return len(unique_links(text, *extra))


def _countries(raw: str | None) -> tuple[str, ...]:
    if raw is None:
        return ()
    codes = tuple(code.strip() for code in raw.split(","))
    if not codes or not all(code in ASSIGNED_COUNTRY_CODES for code in codes):
        raise invalid_param(
            "THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES: Param allowlisted_country_codes "
            "must be a comma-separated list of ISO 3166-1 alpha-2 codes (e.g. US,CA)",
            user_msg="THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES",
        )
    return codes
