"""Threads text rules: how Threads measures a post's length. Pure functions, no I/O.

Meta documents a 500-character limit in which "emojis are counted as the number of UTF-8
bytes". Every other character counts as one.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, groupby

from .errors import ValidationError

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
    if cp < 0x200D:
        return False  # below the first range: the common case, answered quickly
    return any(lo <= cp <= hi for lo, hi in _BMP_EMOJI_RANGES)


def threads_length(text: str) -> int:
    """The length of `text` as Threads counts it against the 500-character limit."""
    if text.isascii():
        return len(text)  # no emoji in ASCII: the common case, answered quickly
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


# --- Grapheme clusters ------------------------------------------------------------------------
# A cut must never fall inside what a reader sees as one character. No dependency of the design
# card segments text, so these are the simplified UAX #29 rules that matter in posts.

_ZWJ = "\u200d"
_CONTROL_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})  # line breaks and controls stand alone
_MARK_CATEGORIES = frozenset({"Mn", "Me", "Mc"})  # includes FE0E/FE0F (Mn) and keycap 20E3 (Me)
# Which Hangul jamo kind may follow which inside one syllable (L, V, T, LV and LVT syllables).
_HANGUL_FOLLOWERS: dict[str, frozenset[str]] = {
    "L": frozenset({"L", "V", "LV", "LVT"}),
    "LV": frozenset({"V", "T"}),
    "V": frozenset({"V", "T"}),
    "LVT": frozenset({"T"}),
    "T": frozenset({"T"}),
}


def graphemes(text: str) -> list[str]:
    """`text` as user-perceived characters (extended grapheme clusters, simplified UAX #29).

    `"".join(graphemes(text)) == text` always holds.
    """
    clusters: list[str] = []
    for ch in text:
        if clusters and _joins_cluster(clusters[-1], ch):
            clusters[-1] += ch
        else:
            clusters.append(ch)
    return clusters


def _joins_cluster(cluster: str, ch: str) -> bool:
    """Whether `ch` belongs to the cluster before it. Every segmentation rule lives here."""
    prev, cp = cluster[-1], ord(ch)
    if prev == "\r" or cp < 0x80:
        return prev == "\r" and ch == "\n"  # CR LF is one line break; ASCII joins nothing
    if unicodedata.category(prev) in _CONTROL_CATEGORIES:
        return False  # nothing attaches to a line break or a control character
    if unicodedata.category(ch) in _CONTROL_CATEGORIES:
        return False
    if ch == _ZWJ or unicodedata.category(ch) in _MARK_CATEGORIES:
        return True  # combining marks, variation selectors, keycap, joiner
    if 0x1F3FB <= cp <= 0x1F3FF or 0xE0020 <= cp <= 0xE007F:
        return True  # skin-tone modifiers; tag characters of subdivision flags
    if prev == _ZWJ:
        # An emoji ZWJ sequence such as the family emoji: emoji, joiner, emoji, ...
        return is_emoji_code_point(cp) and is_emoji_code_point(ord(cluster[0]))
    if _is_regional_indicator(cp):
        return len(cluster) == 1 and _is_regional_indicator(ord(prev))  # flags are pairs
    return _hangul_kind(ch) in _HANGUL_FOLLOWERS.get(_hangul_kind(prev), frozenset())


def _is_regional_indicator(cp: int) -> bool:
    return 0x1F1E6 <= cp <= 0x1F1FF


def _hangul_kind(ch: str) -> str:
    """The Hangul syllable type of `ch` (L, V, T, LV, LVT), or "" for anything else."""
    cp = ord(ch)
    if 0x1100 <= cp <= 0x115F or 0xA960 <= cp <= 0xA97C:
        return "L"
    if 0x1160 <= cp <= 0x11A7 or 0xD7B0 <= cp <= 0xD7C6:
        return "V"
    if 0x11A8 <= cp <= 0x11FF or 0xD7CB <= cp <= 0xD7FB:
        return "T"
    if 0xAC00 <= cp <= 0xD7A3:
        return "LV" if (cp - 0xAC00) % 28 == 0 else "LVT"
    return ""


# --- Hashtags ---------------------------------------------------------------------------------
# Threads: a tag is 1-50 characters and ends before whitespace and . & @ ! ? , ; :
# "#<whole number>" is not converted. We also end a tag at another "#".

MAX_TAG_LENGTH = 50
_TAG_ENDERS = ".&@!?,;:#"
_TAG_BODY = re.compile(r"[^\s.&@!?,;:#]+")
_INLINE_TAG = re.compile(r"(?<!\S)#([^\s.&@!?,;:#]+)")


def _is_tag_body(body: str) -> bool:
    return (
        1 <= len(body) <= MAX_TAG_LENGTH
        and _TAG_BODY.fullmatch(body) is not None
        and not body.isdecimal()
    )


def _is_tag(token: str) -> bool:
    return token.startswith("#") and _is_tag_body(token[1:])


def has_hashtag(text: str) -> bool:
    """Whether `text` holds a `#tag` (after whitespace or at the start) that Threads converts."""
    return any(_is_tag_body(m.group(1)) for m in _INLINE_TAG.finditer(text))


def extract_trailing_tags(text: str) -> tuple[str, list[str]]:
    """Split the run of `#tag` tokens at the very end of `text` off it.

    The run must follow whitespace (or be the whole text); its tags may be separated by any
    whitespace. Returns the text without them (stripped) and the tags in order. Inline tags and
    anything that is not a valid tag (`#a,`, `#123`, 51+ characters) stay in the text.
    """
    tokens = re.split(r"(\s+)", text.strip())  # words at even indexes, whitespace between
    end = len(tokens)
    while end > 0 and _is_tag(tokens[end - 1]):
        end -= 2
    # tokens[end - 1] is the last word that is not a tag; the tags are the words after it
    return "".join(tokens[: max(end, 0)]), tokens[end + 1 :: 2]


def normalize_tags(tags: Sequence[str]) -> list[str]:
    """Tags as `#word`: `#` added when missing, whitespace stripped, empties and repeats dropped.

    Raises ValidationError (parameter "tags") for a tag Threads would cut short or not convert.
    """
    if isinstance(tags, str):
        raise ValidationError(
            f"tags must be a list of strings such as ['#python'], not the string {tags!r}.",
            parameter="tags",
        )
    items: Sequence[object] = tags
    normalized: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise ValidationError(
                f"tags must be strings, got {type(item).__name__} {item!r}.", parameter="tags"
            )
        tag = item.strip()
        tag = tag if tag.startswith("#") else "#" + tag
        if tag == "#":
            continue
        _check_tag(item, tag[1:])
        if tag not in normalized:
            normalized.append(tag)
    return normalized


def _check_tag(raw: str, body: str) -> None:
    enders = sorted({ch for ch in body if ch.isspace() or ch in _TAG_ENDERS})
    if enders:
        shown = " ".join(repr(ch) for ch in enders)
        problem = (
            f"contains {shown}: on Threads a tag ends at whitespace and at . & @ ! ? , ; : "
            "(and another # starts a new tag)"
        )
    elif len(body) > MAX_TAG_LENGTH:
        problem = f"is {len(body)} characters long: Threads accepts 1-{MAX_TAG_LENGTH}"
    elif body.isdecimal():
        problem = "is a whole number: Threads does not turn #<number> into a tag"
    else:
        return
    raise ValidationError(f"tag {raw!r} {problem}.", parameter="tags")


def _tag_line(tags: Sequence[str]) -> str:
    return "\n" + " ".join(tags) if tags else ""


# --- Splitting --------------------------------------------------------------------------------

MARKER = "..."  # ends every part but the last and starts every part but the first (as 0.4.5)
# A paragraph or sentence break is preferred only when it leaves the part at least this full;
# otherwise the next weaker boundary is used, so no part is needlessly short (posts are a
# quota: 250 a day).
_MIN_FILL = 0.75
# How good a cut point is: a cut inside a token is allowed only for a token longer than a post.
_INSIDE_TOKEN, _WORD, _SENTENCE, _PARAGRAPH = 0, 1, 2, 3
_LINE_BREAKS = frozenset({"\n", "\r", "\r\n", "\x85", "\u2028", "\u2029"})
_SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]»]*$")

# (tag lines of the parts so far, body of this part, is it the last part) -> line appended.
# Called with body "" to learn the line a body without a hashtag would get.
_LineFor = Callable[[Sequence[str], str, bool], str]


@dataclass(frozen=True)
class _Segment:
    """A maximal run of whitespace units (a place to cut) or of other units (a token)."""

    start: int
    end: int
    is_space: bool
    strength: int  # for whitespace: how good a cut it is
    links: frozenset[str]  # for tokens: the links inside


@dataclass(frozen=True)
class _Cut:
    body_end: int  # this part's text ends before this unit
    next_start: int  # the next part starts here; whitespace in between is dropped
    strength: int


@dataclass(frozen=True)
class _Room:
    limit: int
    max_links: int
    line_for: _LineFor


class _Units:
    """The text as grapheme units with running Threads lengths, grouped into segments."""

    def __init__(self, text: str, max_unit: int) -> None:
        self.units = _units_of(text, max_unit)
        self.offsets = list(accumulate(map(_unit_size, self.units), initial=0))
        self.segments = _segments_of(self.units)
        self.segment_starts = [segment.start for segment in self.segments]

    def __len__(self) -> int:
        return len(self.units)

    def size(self, start: int, end: int) -> int:
        return self.offsets[end] - self.offsets[start]

    def text(self, start: int, end: int) -> str:
        return "".join(self.units[start:end])

    def segment_index(self, unit: int) -> int:
        return bisect_right(self.segment_starts, unit) - 1


@lru_cache(maxsize=4096)
def _unit_size(unit: str) -> int:
    return threads_length(unit)  # cached: a text repeats the same few characters


def _units_of(text: str, max_unit: int) -> list[str]:
    units: list[str] = []
    for cluster in graphemes(text):
        if len(cluster) > 1 and _unit_size(cluster) > max_unit:
            units.extend(cluster)  # a freak cluster bigger than a post: the limit wins
        else:
            units.append(cluster)
    return units


def _segments_of(units: Sequence[str]) -> list[_Segment]:
    segments: list[_Segment] = []
    previous_token = ""
    for is_space, group in groupby(range(len(units)), key=lambda i: units[i].isspace()):
        indexes = list(group)
        start, end = indexes[0], indexes[-1] + 1
        chunk = units[start:end]
        if is_space:
            strength = _break_strength(chunk, previous_token)
            segments.append(_Segment(start, end, True, strength, frozenset()))
        else:
            previous_token = "".join(chunk)
            links = frozenset(links_in(previous_token))
            segments.append(_Segment(start, end, False, _INSIDE_TOKEN, links))
    return segments


def _break_strength(space: Sequence[str], previous_token: str) -> int:
    line_breaks = sum(unit in _LINE_BREAKS for unit in space)
    if line_breaks >= 2 or "\u2029" in space:
        return _PARAGRAPH
    if line_breaks == 1 or _SENTENCE_END.search(previous_token):
        return _SENTENCE  # a line break is at least as strong as a sentence end
    return _WORD


def _check_room(limit: int, max_links: int) -> None:
    if limit < 2 * len(MARKER) + 4:
        raise ValidationError(
            f"limit must leave room for two '{MARKER}' markers and one emoji "
            f"(at least {2 * len(MARKER) + 4}), got {limit}.",
            parameter="limit",
        )
    if max_links < 1:
        raise ValidationError(
            f"max_links must be at least 1, got {max_links}.", parameter="max_links"
        )


def _split(text: str, room: _Room, *, longest_line: int, parameter: str) -> list[str]:
    """The greedy, boundary-aware cut of stripped, non-empty `text` into parts."""
    units = _Units(text, max_unit=max(room.limit - 2 * len(MARKER) - longest_line, 4))
    parts: list[str] = []
    lines: list[str] = []
    start = 0
    while start < len(units):
        prefix = MARKER if parts else ""
        last = _last_part(units, start, prefix, lines, room)
        if last is not None:
            parts.append(last)
            break
        cut = _choose_cut(units, start, prefix, lines, room)
        if cut is None:
            raise ValidationError(
                f"the text cannot be split into posts of at most {room.limit} characters and "
                f"{room.max_links} links once the {parameter} are added; use fewer or shorter "
                f"{parameter}.",
                parameter=parameter,
            )
        body = units.text(start, cut.body_end)
        line = room.line_for(lines, body, False)
        parts.append(prefix + body + MARKER + line)
        lines.append(line)
        start = cut.next_start
    return parts


def _last_part(
    units: _Units, start: int, prefix: str, lines: Sequence[str], room: _Room
) -> str | None:
    """The rest of the text as the final part, if it fits there."""
    size = len(prefix) + units.size(start, len(units))
    if size > room.limit:
        return None  # checked first so that a long text is not joined again for every part
    body = units.text(start, len(units))
    line = room.line_for(lines, body, True)
    part = prefix + body + line
    if size + threads_length(line) > room.limit or unique_link_count(part) > room.max_links:
        return None
    return part


def _choose_cut(
    units: _Units, start: int, prefix: str, lines: Sequence[str], room: _Room
) -> _Cut | None:
    """Where the part starting at `start` ends: the strongest boundary that fills it enough."""
    room_for_body = room.limit - len(prefix) - len(MARKER)
    # A token "longer than a post" is one that fits neither here with the tag line a body
    # without a hashtag gets, nor as the last part with the tags left over for it.
    token_room = min(
        room_for_body - threads_length(room.line_for(lines, "", False)),
        room.limit - len(prefix) - threads_length(room.line_for(lines, "", True)),
    )
    candidates = _cut_candidates(units, start, room_for_body, token_room, room.max_links)

    verdicts: dict[_Cut, tuple[bool, float]] = {}

    def judge(cut: _Cut) -> tuple[bool, float]:
        if cut not in verdicts:
            verdicts[cut] = _judge(cut)
        return verdicts[cut]

    def _judge(cut: _Cut) -> tuple[bool, float]:
        """(whether the part fits with its tag line, how full it is)."""
        body = units.text(start, cut.body_end)
        line = room.line_for(lines, body, False)
        body_room = room_for_body - threads_length(line)
        size = units.size(start, cut.body_end)
        part = prefix + body + MARKER + line
        fits = size <= body_room and unique_link_count(part) <= room.max_links
        return fits, size / body_room if body_room > 0 else 0.0

    def furthest(weakest: int, strongest: int = _PARAGRAPH) -> tuple[_Cut, float] | None:
        for cut in reversed(candidates):
            if weakest <= cut.strength <= strongest:
                fits, fill = judge(cut)
                if fits:
                    return cut, fill
        return None

    for strength in (_PARAGRAPH, _SENTENCE, _WORD):
        found = furthest(strength)
        if found is not None and found[1] >= _MIN_FILL:
            return found[0]
    # Nothing fills the part enough: fill it with the start of a token longer than a post,
    # or else take the furthest whitespace after all.
    found = furthest(_INSIDE_TOKEN, _INSIDE_TOKEN) or furthest(_WORD)
    return found[0] if found is not None else None


def _cut_candidates(
    units: _Units, start: int, room_for_body: int, token_room: int, max_links: int
) -> list[_Cut]:
    """Every cut whose body fits `room_for_body` and `max_links`, in text order.

    Cuts fall on whitespace; inside a token only when that token is too big for a part of its
    own (bigger than `token_room`, the room left by a tag line, or holding too many links),
    which includes the rest of a token already cut.
    """
    cuts: list[_Cut] = []
    used, links = 0, set[str]()
    for index in range(units.segment_index(start), len(units.segments)):
        segment = units.segments[index]  # (indexing: a slice would copy the rest of the text)
        seg_start = max(segment.start, start)  # the part may start inside a cut-up token
        size = units.size(seg_start, segment.end)
        if segment.is_space:
            cuts.append(_Cut(seg_start, segment.end, segment.strength))
            used += size
            continue
        already_cut = seg_start > segment.start
        if already_cut or size > token_room or len(segment.links) > max_links:
            cuts.extend(_cuts_inside(units, start, seg_start, segment.end, room_for_body))
        if used + size > room_for_body:
            break
        token_links = segment.links
        if already_cut:  # only the rest of the token counts (and it is short: it fits)
            token_links = frozenset(links_in(units.text(seg_start, segment.end)))
        if len(links | token_links) > max_links:
            break
        used += size
        links |= token_links
    return cuts


def _cuts_inside(
    units: _Units, start: int, token_start: int, token_end: int, room_for_body: int
) -> list[_Cut]:
    """The cuts between the grapheme units of a token that keep the body within room."""
    cuts: list[_Cut] = []
    for end in range(token_start + 1, token_end):
        if units.size(start, end) > room_for_body:
            break
        cuts.append(_Cut(end, end, _INSIDE_TOKEN))
    return cuts


def split_text(
    text: str,
    *,
    limit: int = POST_LENGTH_LIMIT,
    max_links: int = MAX_LINKS_PER_POST,
    suffixes: Sequence[str] = (),
) -> list[str]:
    """Cut stripped `text` into parts of at most `limit` (Threads length) and `max_links`.

    Cuts fall on paragraph breaks, then sentence ends and line breaks, then any whitespace
    (dropped at the cut), never inside a word, URL, mention, tag or grapheme cluster unless one
    token is longer than a post. `...` ends every part but the last and starts every part but
    the first; `suffixes[i]` (if any) is appended to part i after its marker, its room reserved.
    Empty text gives [].
    """
    _check_room(limit, max_links)
    text = text.strip()
    if not text:
        return []

    def suffix_for(lines: Sequence[str], body: str, last: bool) -> str:
        return suffixes[len(lines)] if len(lines) < len(suffixes) else ""

    longest = max((threads_length(s) for s in suffixes), default=0)
    return _split(
        text, _Room(limit, max_links, suffix_for), longest_line=longest, parameter="suffixes"
    )


@dataclass(frozen=True)
class _TagPlan:
    """Which tags go on which part: one each in order, the surplus on the last part."""

    tags: tuple[str, ...]
    persist: bool  # every part carries every tag
    skip_tagged_parts: bool  # auto mode: a part that holds a hashtag passes its tag on

    def line_for(self, previous_lines: Sequence[str], body: str, last: bool) -> str:
        if self.skip_tagged_parts and not last and has_hashtag(body):
            return ""
        if self.persist:
            return _tag_line(self.tags)
        placed = len(previous_lines) - previous_lines.count("")  # a tagged part holds one tag
        remaining = self.tags[placed:]
        return _tag_line(remaining if last else remaining[:1])


def split_post(
    text: str,
    tags: Sequence[str] | None = None,
    *,
    handle_hashtags: bool = True,
    auto_handle_hashtags: bool = False,
    persist_tags_multipost: bool = False,
    limit: int = POST_LENGTH_LIMIT,
    max_links: int = MAX_LINKS_PER_POST,
) -> list[str]:
    """The parts of a chain for `text`, each at most `limit` long as Threads counts.

    With `handle_hashtags` or `auto_handle_hashtags`, the trailing tags of the text are taken
    off and the tags are `tags` followed by those (normalized, repeats dropped, none lost).
    Part i gets `"\\n#tag_i"`; the last part also gets every tag left over, space-separated.
    `persist_tags_multipost` puts all tags on every part. `auto_handle_hashtags` passes a part's
    tag on to the next part when its text already holds a hashtag (the last part always takes
    what is left). Text that is only tags is posted as those tags, space-separated, untouched.
    With both flags off the text is split as written and `tags` is ignored.
    """
    _check_room(limit, max_links)
    if not (handle_hashtags or auto_handle_hashtags):
        return split_text(text, limit=limit, max_links=max_links)
    body, trailing = extract_trailing_tags(text)
    all_tags = normalize_tags([*normalize_tags(tags or ()), *trailing])
    if not body:
        return split_text(" ".join(all_tags), limit=limit, max_links=max_links)
    plan = _TagPlan(tuple(all_tags), persist_tags_multipost, auto_handle_hashtags)
    room = _Room(limit, max_links, plan.line_for)
    return _split(body, room, longest_line=threads_length(_tag_line(all_tags)), parameter="tags")


def strip_markers(parts: Sequence[str], *, tag_lines: bool = True) -> list[str]:
    """The bodies of `parts` from split_post or split_text: without the `...` markers and,
    unless `tag_lines=False` (hashtag handling was off), without the appended tag lines."""
    last = len(parts) - 1
    bodies: list[str] = []
    for index, part in enumerate(parts):
        body = _without_tag_line(part) if tag_lines else part
        if index < last:
            body = body.removesuffix(MARKER)
        if index > 0:
            body = body.removeprefix(MARKER)
        bodies.append(body)
    return bodies


def tags_of(part: str) -> list[str]:
    """The tags on the tag line appended to `part`, if it has one."""
    _, newline, line = part.rpartition("\n")
    tags = line.split(" ")
    return tags if newline and all(_is_tag(tag) for tag in tags) else []


def _without_tag_line(part: str) -> str:
    return part.rpartition("\n")[0] if tags_of(part) else part
