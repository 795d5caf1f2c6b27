"""Argument checks that run before any request: each error names the parameter and the fix.

Every check of the library lives here: the posting side's (ids, reply controls, countries,
topic tags, polls, spoilers, GIFs, attachments, captions, hosts, GitHub names, idempotency keys)
and the reading side's (dates and time ranges, `fields=`, page sizes and item limits, cursors,
choices, usernames, node ids, flags).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import re
import socket
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any, TypeAlias, get_args
from urllib.parse import urlsplit

from .errors import ValidationError
from .shapes import ApprovalStatus, SearchMediaType, SearchMode, SearchType, WhoCanReply

REPLY_CONTROLS: tuple[str, ...] = get_args(WhoCanReply)  # the values of the Literal type
TOPIC_TAG_MAX = 50
_DIGITS = re.compile(r"[0-9]+")
# ISO 3166-1 alpha-2: the 249 officially assigned codes (not the reserved ones such as UK, EU).
_ISO_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
"""
ISO_COUNTRY_CODES: frozenset[str] = frozenset(_ISO_CODES.split())
# Codes people reach for that ISO does not assign, and the one it does.
_COUNTRY_HINTS = {"UK": "GB", "EN": "GB"}


def require_id(value: Any, parameter: str) -> str:
    """A Threads id (digits) given as str or int; returns it as a string."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not _DIGITS.fullmatch(text):
        raise ValidationError(
            f"{parameter} must be a Threads id (a string of digits), got {value!r}.",
            parameter=parameter,
        )
    return text


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
    """ISO 3166-1 alpha-2 codes -> Meta's comma-separated form.

    A list (or tuple, set) of codes, or one comma-separated string ("US,CA"); any case. Each
    must be an assigned code (ISO_COUNTRY_CODES): "XX" or "UK" (which is "GB") is refused.
    """
    if value is None:
        return None
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, Iterable) and not isinstance(value, Mapping | bytes | bytearray):
        items = list(value)
    else:
        raise ValidationError(
            "allowed_country_codes must be a list of ISO 3166-1 alpha-2 codes such as "
            f"['US', 'CA'] (or the string 'US,CA'), got {type(value).__name__} {value!r}.",
            parameter="allowed_country_codes",
        )
    not_text = [item for item in items if not isinstance(item, str)]
    if not_text:
        raise ValidationError(
            f"allowed_country_codes entries must be strings such as 'US', got {not_text[0]!r}.",
            parameter="allowed_country_codes",
        )
    codes = [code.strip().upper() for code in items if code.strip()]
    bad = [code for code in codes if code not in ISO_COUNTRY_CODES]
    if not codes or bad:
        hints = [f"{code} is {_COUNTRY_HINTS[code]}" for code in bad if code in _COUNTRY_HINTS]
        raise ValidationError(
            "allowed_country_codes must be two-letter ISO 3166-1 codes such as ['US', 'CA']"
            + (f"; not valid: {', '.join(map(repr, bad))}" if bad else "")
            + (f" ({'; '.join(hints)})" if hints else "")
            + ".",
            parameter="allowed_country_codes",
        )
    return ",".join(codes)


def topic_tag(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"topic_tag must be a string such as 'python', got {type(value).__name__} {value!r}.",
            parameter="topic_tag",
        )
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


POLL_OPTION_NAMES = ("option_a", "option_b", "option_c", "option_d")
POLL_OPTION_MAX = 25
MAX_SPOILERS = 10
ALT_TEXT_MAX = 1000
TEXT_ATTACHMENT_MAX = 10_000
STYLES = frozenset({"bold", "italic", "highlight", "underline", "strikethrough"})


def poll(options: Sequence[str] | Mapping[str, str] | None) -> str | None:
    """2-4 options of 1-25 characters -> Meta's `poll_attachment` JSON.

    A list of option strings (`['Yes', 'No']`), or Meta's own shape
    (`{'option_a': 'Yes', 'option_b': 'No'}`, keys in order without gaps): both are checked
    the same way.
    """
    if options is None:
        return None
    values = _poll_values(options)
    if not 2 <= len(values) <= len(POLL_OPTION_NAMES):
        raise ValidationError(
            "poll must be a list of 2 to 4 option strings, e.g. poll=['Yes', 'No'] (or "
            "{'option_a': 'Yes', 'option_b': 'No'}).",
            parameter="poll",
        )
    for name, option in zip(POLL_OPTION_NAMES, values, strict=False):
        if not isinstance(option, str) or not 1 <= len(option.strip()) <= POLL_OPTION_MAX:
            raise ValidationError(
                f"poll {name} must be 1-{POLL_OPTION_MAX} characters, got {option!r}.",
                parameter="poll",
            )
    return _json({name: o.strip() for name, o in zip(POLL_OPTION_NAMES, values, strict=False)})


def _poll_values(options: Any) -> list[Any]:
    """The options in order, from a list or from Meta's {'option_a': ...} mapping."""
    if isinstance(options, Mapping):
        keys = list(options)
        if keys != list(POLL_OPTION_NAMES[: len(keys)]):
            raise ValidationError(
                "poll as a dict takes the keys option_a, option_b, then option_c and option_d, "
                f"in order and without gaps; got {keys!r}.",
                parameter="poll",
            )
        return list(options.values())
    if isinstance(options, str | bytes) or not isinstance(options, Sequence):
        raise ValidationError(
            "poll must be a list of 2 to 4 option strings, e.g. poll=['Yes', 'No'], got "
            f"{type(options).__name__}.",
            parameter="poll",
        )
    return list(options)


def spoilers(ranges: Sequence[Any] | None, text: str) -> str | None:
    """Spoiler ranges over the post text -> Meta's `text_entities` JSON.

    A range is `(offset, length)` or `{'offset': ..., 'length': ...}` in characters of the
    (stripped) post text; at most 10, inside the text, not overlapping.
    """
    if not ranges:
        return None
    if len(ranges) > MAX_SPOILERS:
        raise ValidationError(
            f"spoilers allows at most {MAX_SPOILERS} ranges per post, got {len(ranges)}.",
            parameter="spoilers",
        )
    spans = sorted(_span(r, "spoilers") for r in ranges)
    for (offset, length), following in zip(spans, [*spans[1:], None], strict=True):
        if offset + length > len(text):
            raise ValidationError(
                f"spoilers: the range ({offset}, {length}) runs past the end of the text "
                f"({len(text)} characters).",
                parameter="spoilers",
            )
        if following is not None and following[0] < offset + length:
            raise ValidationError("spoilers: the ranges must not overlap.", parameter="spoilers")
    return _json(
        [{"entity_type": "SPOILER", "offset": offset, "length": length} for offset, length in spans]
    )


def _span(value: Any, parameter: str) -> tuple[int, int]:
    if isinstance(value, Mapping):
        offset, length = value.get("offset"), value.get("length")
    elif isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2:
        offset, length = value
    else:
        offset = length = None
    if not isinstance(offset, int) or not isinstance(length, int) or offset < 0 or length < 1:
        raise ValidationError(
            f"{parameter}: each range is (offset, length) with offset >= 0 and length >= 1, "
            f"got {value!r}.",
            parameter=parameter,
        )
    return offset, length


def gif(gif_id: str | None) -> str | None:
    """A GIPHY GIF id -> Meta's `gif_attachment` JSON (GIPHY is the only provider left)."""
    if gif_id is None:
        return None
    if not isinstance(gif_id, str) or not gif_id.strip() or any(c.isspace() for c in gif_id):
        raise ValidationError(
            f"gif must be a GIPHY GIF id such as 'xT9IgzoKnwFNmISR8I', got {gif_id!r}.",
            parameter="gif",
        )
    return _json({"gif_id": gif_id.strip(), "provider": "GIPHY"})


def text_attachment(value: Mapping[str, Any] | None, link_attachment: bool) -> str | None:
    """Meta's long-text attachment: plaintext <= 10,000 chars, optional link and styles."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(
            "text_attachment must be a dict like {'plaintext': '...'}.", parameter="text_attachment"
        )
    unknown = set(value) - {"plaintext", "link_attachment_url", "text_with_styling_info"}
    plaintext = value.get("plaintext")
    if unknown or not isinstance(plaintext, str) or not plaintext.strip():
        raise ValidationError(
            "text_attachment needs a non-empty 'plaintext' and may have 'link_attachment_url' "
            "and 'text_with_styling_info'" + (f"; unknown: {sorted(unknown)}." if unknown else "."),
            parameter="text_attachment",
        )
    if len(plaintext) > TEXT_ATTACHMENT_MAX:
        raise ValidationError(
            f"text_attachment plaintext is {len(plaintext)} characters; at most "
            f"{TEXT_ATTACHMENT_MAX}.",
            parameter="text_attachment",
        )
    out: dict[str, Any] = {"plaintext": plaintext}
    if value.get("link_attachment_url") is not None:
        if link_attachment:
            raise ValidationError(
                "text_attachment cannot carry a link when the post has a link attachment.",
                parameter="text_attachment",
            )
        out["link_attachment_url"] = http_url(value["link_attachment_url"], "text_attachment")
    styles = value.get("text_with_styling_info")
    if styles is not None:
        out["text_with_styling_info"] = _styles(styles, len(plaintext))
    return _json(out)


def _styles(styles: Any, size: int) -> list[dict[str, Any]]:
    spans: list[dict[str, Any]] = []
    for item in styles if isinstance(styles, Sequence) else [None]:
        names = item.get("styling_info") if isinstance(item, Mapping) else None
        offset, length = _span(item, "text_attachment") if isinstance(item, Mapping) else (-1, 0)
        if not names or not set(names) <= STYLES or offset + length > size:
            raise ValidationError(
                "text_with_styling_info items are {'offset', 'length', 'styling_info': [...]} "
                f"inside the plaintext, styles from {sorted(STYLES)}.",
                parameter="text_attachment",
            )
        spans.append({"offset": offset, "length": length, "styling_info": list(names)})
    ordered = sorted(spans, key=lambda s: s["offset"])
    for a, b in itertools.pairwise(ordered):
        if b["offset"] < a["offset"] + a["length"]:
            raise ValidationError("styled ranges must not overlap.", parameter="text_attachment")
    return spans


def captions(values: Sequence[str | None] | None, files: int) -> list[str | None]:
    """Alt texts by file index, padded with None; more captions than files is an error."""
    values = list(values or [])
    if len(values) > files:
        raise ValidationError(
            f"file_captions has {len(values)} entries for {files} file(s); caption i describes "
            "file i.",
            parameter="file_captions",
        )
    for i, caption in enumerate(values):
        if caption is not None and (not isinstance(caption, str) or len(caption) > ALT_TEXT_MAX):
            raise ValidationError(
                f"file_captions[{i}] must be a string of at most {ALT_TEXT_MAX} characters.",
                parameter=f"file_captions[{i}]",
            )
    return values + [None] * (files - len(values))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- hosts: told apart by the literal name only (no DNS lookup at validation time) -----------
_IPV4_SHORTHAND = re.compile(r"(?i)^[0-9a-fx.]+$")


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name spells literally, IPv4 shorthands included (127.1, 0x7f.1)."""
    name = host.strip("[]").lower()
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        if not _IPV4_SHORTHAND.fullmatch(name):
            return None
        try:
            address = ipaddress.IPv4Address(socket.inet_aton(name))  # no lookup: a parser
        except OSError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def host_is_loopback(host: str | None) -> bool:
    """`localhost` (and `*.localhost`) or a loopback IP literal (127.0.0.0/8, ::1)."""
    if not host:
        return False
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = _ip_literal(name)
    return address is not None and address.is_loopback


def host_is_internal(host: str | None) -> bool:
    """A loopback, private, link-local or unspecified address: one Meta's servers cannot reach.

    Only literal names are recognised (IP addresses and `localhost`); a DNS name that resolves
    to a private address is not, since nothing is looked up before the request.
    """
    if not host:
        return False
    if host_is_loopback(host):
        return True
    address = _ip_literal(host)
    return address is not None and (
        address.is_private or address.is_link_local or address.is_unspecified
    )


# -- GitHub names (the media host's repository) ---------------------------------------------
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9._-]{1,100}")


def github_owner(value: Any, parameter: str = "gh_username") -> str | None:
    """A GitHub user or organisation name: 1-39 letters, digits or hyphens, not starting with
    a hyphen. None and "" mean "not set"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _GITHUB_OWNER.fullmatch(value):
        raise ValidationError(
            f"{parameter} must be a GitHub user or organisation name (1-39 letters, digits or "
            f"hyphens, not starting with a hyphen; no '/'), got {value!r}.",
            parameter=parameter,
        )
    return value


def github_repo(value: Any, parameter: str = "gh_repo_name") -> str | None:
    """A GitHub repository name: 1-100 letters, digits, '.', '-' or '_', and not '.' or '..'.
    None and "" mean "not set"."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _GITHUB_REPO.fullmatch(value) or value in (".", ".."):
        raise ValidationError(
            f"{parameter} must be a GitHub repository name (1-100 letters, digits, '.', '-' or "
            f"'_'; not '.' or '..'; no '/', give the owner as gh_username), got {value!r}.",
            parameter=parameter,
        )
    return value


MAX_IDEMPOTENCY_KEY = 200


def idempotency_key(value: Any) -> str:
    """A non-empty key of printable characters (at most 200): one per chain, such as
    "daily-2026-12-06" or a job id."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_IDEMPOTENCY_KEY
        or not value.isprintable()
    ):
        raise ValidationError(
            "idempotency_key must be a non-empty string of printable characters (at most "
            f"{MAX_IDEMPOTENCY_KEY}) naming one chain, e.g. 'daily-2026-12-06'.",
            parameter="idempotency_key",
        )
    return value.strip()


def missing_credentials_message(missing: list[str]) -> str:
    """What to do about empty credentials (a client built for the OAuth flow)."""
    names = " and ".join(missing)
    return (
        f"{names} {'is' if len(missing) == 1 else 'are'} empty: this client was built without "
        "credentials (as for the OAuth flow), and this call needs them. Set them with "
        "update_param(user_id=..., access_token=...) after get_access_tokens(), or build the "
        "client with ThreadsPipe.from_env() (THREADS_USER_ID, THREADS_ACCESS_TOKEN)."
    )


# -- reading: dates, fields, pages, choices --------------------------------------------------
# A moment as callers give it: "YYYY-MM-DD" (or an ISO 8601 date-time), a date, a datetime
# (naive means UTC) or a Unix time in seconds.
TimeLike: TypeAlias = "str | date | datetime | int | float"
Fields: TypeAlias = "str | Iterable[str] | None"
MAX_PAGE_SIZE = 100  # Meta's largest `limit` on list endpoints (threads-api.md §4.1)
_FIELD_NAME = re.compile(r"^[a-z_][a-z0-9_]*(\{[a-z0-9_,{}]+\})?$")
_UNIX = re.compile(r"^\d+(\.\d+)?$")
_USERNAME = re.compile(r"^[A-Za-z0-9._]{1,30}$")


# dates -------------------------------------------------------------------------------------
def to_unix(value: TimeLike, parameter: str) -> int:
    """A moment -> Unix seconds. Naive datetimes and plain dates are UTC.

    Accepts `"YYYY-MM-DD"`, an ISO 8601 date-time string, a digit string, `date`, `datetime`,
    `int` or `float` (fractions are dropped).
    """
    if isinstance(value, bool):
        raise _bad_time(value, parameter)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return math.floor(moment.timestamp())
    if isinstance(value, date):
        return math.floor(
            datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp()
        )
    if isinstance(value, int | float):
        if not math.isfinite(value) or value < 0:
            raise _bad_time(value, parameter)
        return math.floor(value)
    if isinstance(value, str):
        text = value.strip()
        if _UNIX.match(text):
            return math.floor(float(text))
        try:
            if len(text) == 10:
                return to_unix(date.fromisoformat(text), parameter)
            return to_unix(datetime.fromisoformat(text.replace("Z", "+00:00")), parameter)
        except ValueError:
            raise _bad_time(value, parameter) from None
    raise _bad_time(value, parameter)


def _bad_time(value: object, parameter: str) -> ValidationError:
    return ValidationError(
        f"{parameter} must be a date as 'YYYY-MM-DD', a date or datetime (naive means UTC) or "
        f"a Unix time in seconds, got {value!r}.",
        parameter=parameter,
    )


def time_range(
    since: TimeLike | None,
    until: TimeLike | None,
    *,
    since_name: str = "since_date",
    until_name: str = "until_date",
    earliest: int | None = None,
    earliest_label: str | None = None,
) -> tuple[int | None, int | None]:
    """`(since, until)` as Unix seconds (None stays None); since must come before until.

    `earliest`: moments before it are rejected (insights start on 2024-04-13).
    """
    low = None if since is None else to_unix(since, since_name)
    high = None if until is None else to_unix(until, until_name)
    if earliest is not None:
        for name, moment in ((since_name, low), (until_name, high)):
            if moment is not None and moment < earliest:
                label = earliest_label or _iso(earliest)
                raise ValidationError(
                    f"{name} is {_iso(moment)}; Threads refuses times before {label}, "
                    f"Unix {earliest}.",
                    parameter=name,
                )
    if low is not None and high is not None and low >= high:
        raise ValidationError(
            f"{since_name} ({_iso(low)}) must be before {until_name} ({_iso(high)}).",
            parameter=since_name,
        )
    return low, high


def _iso(moment: int) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# parameters -------------------------------------------------------------------
def fields_param(fields: Fields, default: Sequence[str] | str) -> str:
    """`fields=` as a comma string (a list or a comma string given), or the endpoint's default."""
    if fields is None:
        return default if isinstance(default, str) else ",".join(default)
    names = _split_fields(fields) if isinstance(fields, str) else list(fields)
    cleaned = [str(name).strip() for name in names if str(name).strip()]
    bad = [name for name in cleaned if not _FIELD_NAME.match(name)]
    if not cleaned or bad:
        raise ValidationError(
            "fields must be field names as a list or a comma string, such as "
            "['id', 'text', 'timestamp']" + (f"; not valid: {bad}." if bad else "."),
            parameter="fields",
        )
    return ",".join(dict.fromkeys(cleaned))


def _split_fields(text: str) -> list[str]:
    """Split on the commas outside braces: `id,children{id,media_url}` is two fields."""
    names: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        depth += (char == "{") - (char == "}")
        current.append(char)
    names.append("".join(current))
    return names


def page_limit(limit: int | None, parameter: str = "limit") -> int | None:
    """A page size: a positive integer (Meta returns at most 100 per page)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(
            f"{parameter} must be a positive integer (items per page, at most "
            f"{MAX_PAGE_SIZE}), got {limit!r}.",
            parameter=parameter,
        )
    return limit


def item_limit(limit: int | None) -> int | None:
    """The number of items an iterator stops at: None (all) or an integer >= 0."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValidationError(
            f"limit must be None (every item) or an integer >= 0, got {limit!r}.",
            parameter="limit",
        )
    return limit


def cursors(before: str | None, after: str | None) -> dict[str, str]:
    """The `before`/`after` cursors; Meta refuses both at once."""
    if before is not None and after is not None:
        raise ValidationError(
            "before and after cannot be passed at the same time; page one way at a time.",
            parameter="before",
        )
    out: dict[str, str] = {}
    for name, value in (("before", before), ("after", after)):
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(
                f"{name} must be a cursor string from a previous page's "
                f"paging.cursors.{name}, got {value!r}.",
                parameter=name,
            )
        out[name] = value.strip()
    return out


def choice(value: str | None, allowed: Sequence[str], parameter: str, *, upper: bool) -> str | None:
    """One of `allowed` (case-insensitive, sent in Meta's case), or None."""
    if value is None:
        return None
    text = value.strip() if isinstance(value, str) else ""
    text = text.upper() if upper else text.lower()
    if text not in allowed:
        raise ValidationError(
            f"{parameter}={value!r} is not accepted; use one of {', '.join(allowed)}.",
            parameter=parameter,
        )
    return text


def username(value: Any, parameter: str = "username") -> str:
    """An exact Threads username; a leading '@' is dropped."""
    text = value.strip().removeprefix("@") if isinstance(value, str) else ""
    if not _USERNAME.match(text):
        raise ValidationError(
            f"{parameter} must be a Threads username (letters, digits, '.' and '_', at most "
            f"30), got {value!r}.",
            parameter=parameter,
        )
    return text


def node_id(value: Any, parameter: str) -> str:
    """An id for a Graph path, as the reading side takes it: any non-blank string or int (it is
    percent-encoded where it goes in the path; Meta answers an id it does not know). The
    publishing side's `require_id` asks for digits."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise ValidationError(
            f"{parameter} must be a Threads id (a string of digits), got {value!r}.",
            parameter=parameter,
        )
    return str(value).strip()


def flag(value: Any, parameter: str) -> bool:
    """A yes/no argument: True/False (1 and 0 accepted, as 0.4.5 did)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValidationError(f"{parameter} must be True or False, got {value!r}.", parameter=parameter)


# endpoint options -------------------------------------------------------------------------
# The values of the Literal types in shapes.py.
SEARCH_TYPES: tuple[str, ...] = get_args(SearchType)
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)
SEARCH_MEDIA_TYPES: tuple[str, ...] = get_args(SearchMediaType)
APPROVAL_STATUSES: tuple[str, ...] = get_args(ApprovalStatus)
OEMBED_MIN_WIDTH, OEMBED_MAX_WIDTH = 320, 658
# Reply controls the post intent accepts (threads-api.md §8): parent_post_author_only is not one.
INTENT_REPLY_CONTROLS = ("everyone", "accounts_you_follow", "mentioned_only", "followers_only")
INTENT_TAG_MAX = 50


def keyword(q: Any) -> str:
    """keyword_search's `q`: a non-empty keyword (or a tag's text)."""
    if not isinstance(q, str) or not q.strip():
        raise ValidationError(
            "q must be a non-empty keyword (or the tag text with search_mode='TAG').",
            parameter="q",
        )
    return q.strip()


def search_type(value: str | None) -> str | None:
    return choice(value, SEARCH_TYPES, "search_type", upper=True)


def search_mode(value: str | None) -> str | None:
    return choice(value, SEARCH_MODES, "search_mode", upper=True)


def search_media_type(value: str | None) -> str | None:
    return choice(value, SEARCH_MEDIA_TYPES, "media_type", upper=True)


def author_username(value: str | None) -> str | None:
    return None if value is None else username(value, "author_username")


def approval_status(value: str | None) -> str | None:
    return choice(value, APPROVAL_STATUSES, "approval_status", upper=False)


def place_query(
    q: str | None, latitude: float | None, longitude: float | None
) -> dict[str, str | float | None]:
    """location_search's `q` and coordinates: a name, a point (both numbers), or both."""
    if q is not None and (not isinstance(q, str) or not q.strip()):
        raise ValidationError("q must be a non-empty place name or address.", parameter="q")
    if (latitude is None) != (longitude is None):
        raise ValidationError(
            "latitude and longitude go together: give both or neither.",
            parameter="latitude" if latitude is None else "longitude",
        )
    if q is None and latitude is None:
        raise ValidationError(
            "search_locations() needs q (a name or address) or latitude and longitude.",
            parameter="q",
        )
    params: dict[str, str | float | None] = {"q": q.strip() if q is not None else None}
    for name, value, bound in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
            or not -bound <= value <= bound
        ):
            raise ValidationError(
                f"{name} must be a number from -{bound} to {bound}, got {value!r}.",
                parameter=name,
            )
        params[name] = float(value)
    return params


def permalink(url: Any) -> str:
    """A post's permalink (oEmbed's `url`)."""
    if not isinstance(url, str) or not re.match(r"(?i)^https?://[^\s/]+/\S+$", url.strip()):
        raise ValidationError(
            "url must be a Threads post permalink such as "
            f"'https://www.threads.com/@user/post/SHORTCODE', got {url!r}.",
            parameter="url",
        )
    return url.strip()


def embed_width(maxwidth: int | None) -> int | None:
    """oEmbed's `maxwidth`: None, or pixels from 320 to 658."""
    if maxwidth is not None and (
        isinstance(maxwidth, bool)
        or not isinstance(maxwidth, int)
        or not OEMBED_MIN_WIDTH <= maxwidth <= OEMBED_MAX_WIDTH
    ):
        raise ValidationError(
            f"maxwidth must be an integer from {OEMBED_MIN_WIDTH} to {OEMBED_MAX_WIDTH} "
            f"(pixels), got {maxwidth!r}.",
            parameter="maxwidth",
        )
    return maxwidth


# web intents ------------------------------------------------------------------------------
def intent_text(value: Any, parameter: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{parameter} must be a string, got {value!r}.", parameter=parameter)
    return value


def intent_link(link: Any) -> str:
    if not isinstance(link, str) or not re.match(r"(?i)^https?://[^\s/]+", link.strip()):
        raise ValidationError(f"link must be an http(s) URL, got {link!r}.", parameter="link")
    return link.strip()


def intent_tag(tag: Any) -> str:
    topic = intent_text(tag, "tag").strip().removeprefix("#")
    if not 1 <= len(topic) <= INTENT_TAG_MAX or re.search(r"[\n\r\t.&]", topic):
        raise ValidationError(
            f"tag must be 1-{INTENT_TAG_MAX} characters without newlines, tabs, '.' or "
            f"'&', got {tag!r}.",
            parameter="tag",
        )
    return topic


def intent_reply_control(value: str | None) -> str | None:
    return choice(value, INTENT_REPLY_CONTROLS, "reply_control", upper=False)


def shortcode(value: Any, parameter: str) -> str:
    """A post's shortcode (the part after /post/ in its permalink)."""
    if not isinstance(value, str) or not re.match(r"^[A-Za-z0-9_-]+$", value.strip()):
        raise ValidationError(
            f"{parameter} must be a post's shortcode (the part after /post/ in its "
            f"permalink), got {value!r}.",
            parameter=parameter,
        )
    return value.strip()


# OAuth ------------------------------------------------------------------------------------
def app_id(value: str | int) -> str:
    """The numeric Threads App ID."""
    text = str(value).strip() if isinstance(value, str | int) else ""
    if isinstance(value, bool) or not text.isdigit():
        raise ValidationError(
            "app_id must be the numeric Threads App ID (App Dashboard > App settings > Basic, "
            "under Threads; not the Facebook app id).",
            parameter="app_id",
        )
    return text


def app_secret(value: str) -> str:
    """The Threads App Secret, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(
            "app_secret must be the Threads App Secret (App Dashboard > App settings > Basic, "
            "under Threads).",
            parameter="app_secret",
        )
    return value.strip()


def access_token(value: str, parameter: str = "access_token") -> str:
    """A non-empty access token, stripped."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{parameter} must be a non-empty access token.", parameter=parameter)
    return value.strip()


def redirect_uri(value: str) -> str:
    """An absolute http(s) redirect URI, as given (Meta compares it exactly)."""
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationError(
            "redirect_uri must be an absolute https URL listed among the app's Valid OAuth "
            "Redirect URIs (exactly as listed).",
            parameter="redirect_uri",
        )
    return value
