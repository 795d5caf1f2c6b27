"""Splitting a post into a chain: boundaries, limits, markers and hashtags.

Examples pin the behaviour (and the 0.4.5 defects it fixes, threadspipe-0.4.5.md §5.2-§5.4);
hypothesis properties check the promises on arbitrary text: no part over the limit or over 5
links, no text lost or added or reordered, no tag lost, no cut inside a grapheme cluster.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadspipepy.errors import ValidationError
from threadspipepy.splitting import (
    MARKER,
    extract_trailing_tags,
    graphemes,
    has_hashtag,
    links_in,
    normalize_tags,
    split_post,
    split_text,
    strip_markers,
    tags_of,
    threads_length,
    unique_link_count,
)

LOREM = (
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor "
    "incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud "
    "exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. "
)
TEXT_1200 = (LOREM * 6)[:1200].rsplit(" ", 1)[0] + "."
FAMILY = "👨\u200d👩\u200d👧"


def compact(text: str) -> str:
    return "".join(text.split())


def assert_well_formed(parts: Sequence[str], limit: int = 500) -> None:
    """Every part fits, carries at most 5 links, and has its markers where they belong."""
    for index, part in enumerate(parts):
        assert threads_length(part) <= limit, part
        assert unique_link_count(part) <= 5, part
        if index > 0:
            assert part.startswith(MARKER)
        if index < len(parts) - 1:
            before_tag_line = part.rpartition("\n")[0] if tags_of(part) else part
            assert before_tag_line.endswith(MARKER)


def assert_bodies_rebuild(bodies: Sequence[str], text: str, room: int = 500 - 6 - 80) -> None:
    """The bodies are `text` in order, cut only at whitespace (which is dropped) or, inside
    a token longer than `room` (a post less markers and tag line), between grapheme clusters."""
    clusters = graphemes(text)
    starts, offset = {0: 0}, 0  # text offset of each cluster boundary -> cluster index
    for index, cluster in enumerate(clusters, start=1):
        offset += len(cluster)
        starts[offset] = index
    position = 0
    for body in bodies:
        body_clusters = graphemes(body)
        assert not body_clusters[0].isspace() and not body_clusters[-1].isspace()
        start = text.find(body, position)
        assert start >= 0 and text[position:start].isspace() is (start > position), body
        assert start in starts and start + len(body) in starts  # never inside a cluster
        if start == position and position > 0:  # a cut inside a token: the token is huge
            assert token_is_longer_than(clusters, starts[position], room)
        position = start + len(body)
    assert position == len(text)


def token_is_longer_than(clusters: Sequence[str], index: int, size: int) -> bool:
    """Whether the run of non-whitespace clusters around cluster `index` is over `size` long."""
    for step, stop in ((-1, -1), (1, len(clusters))):
        i = index if step == 1 else index - 1
        while i != stop and not clusters[i].isspace():
            size -= threads_length(clusters[i])
            if size < 0:
                return True
            i += step
    return False


# --- short text, long text, boundaries ---------------------------------------------------------


def test_short_text_is_one_part_unchanged_but_stripped() -> None:
    assert split_post("  Hello world!  ") == ["Hello world!"]
    assert split_text("a" * 500) == ["a" * 500]
    assert split_post("👍" * 125) == ["👍" * 125]  # 500 as Threads counts


def test_empty_text() -> None:
    assert split_post("") == []
    assert split_post("  \n ") == []
    assert split_text("") == []
    assert split_post(" ", ["#a"], handle_hashtags=False) == []


def test_1200_characters_become_three_full_parts() -> None:
    parts = split_post(TEXT_1200)
    assert len(parts) == 3
    assert_well_formed(parts)
    assert parts[0].endswith(MARKER) and not parts[0].startswith(MARKER)
    assert parts[1].startswith(MARKER) and parts[1].endswith(MARKER)
    assert parts[2].startswith(MARKER) and not parts[2].endswith(MARKER)
    assert all(threads_length(p) > 400 for p in parts[:2])  # filled, not needlessly short
    assert_bodies_rebuild(strip_markers(parts), TEXT_1200)
    assert not any(p.startswith(MARKER + " ") or p.endswith(" " + MARKER) for p in parts)


def test_paragraph_then_sentence_then_word() -> None:
    first, second = LOREM.strip() + " " + LOREM.strip(), LOREM.strip() * 2
    parts = split_post(first + "\n\n" + second)
    assert strip_markers(parts)[0] == first  # a paragraph break, though more would fit

    sentences = LOREM * 3
    parts = split_post(sentences)
    assert strip_markers(parts)[0].endswith("consequat.")  # a sentence end
    assert strip_markers(parts)[1].startswith("Lorem")

    words = LOREM.replace(".", "").replace(",", "") * 3
    body = strip_markers(split_post(words))[0]
    assert words.startswith(body + " ")  # a word boundary, never mid-word
    assert threads_length(body) > 480


def test_an_early_paragraph_break_does_not_make_a_short_part() -> None:
    text = "Title\n\n" + LOREM * 3
    body = strip_markers(split_post(text))[0]
    assert body.startswith("Title\n\nLorem") and threads_length(body) > 400


def test_short_paragraphs_share_a_part_rather_than_take_one_each() -> None:
    paragraph = (LOREM * 2)[:250].rsplit(" ", 1)[0] + "."
    parts = split_post("\n\n".join([paragraph] * 12))
    assert len(parts) <= 8  # not 12 half-empty posts: posts are a daily quota
    assert all(threads_length(p) >= 0.75 * 494 for p in parts[:-1])
    assert all(len(p.split("\n\n")) >= 2 for p in parts[:-1])


def test_line_breaks_and_other_sentence_ends_count_as_sentence_ends() -> None:
    lines = "\n".join(f"item number {i} of a long list" for i in range(30))
    assert strip_markers(split_post(lines))[0].endswith("of a long list")
    quoted = ('He said "stop." ' + "a" * 40 + " ") * 12
    assert strip_markers(split_post(quoted))[0].endswith('"stop."')


def test_a_long_word_or_url_is_cut_only_when_unavoidable() -> None:
    assert split_text("x" * 600) == ["x" * 497 + MARKER, MARKER + "x" * 103]
    url = "https://example.com/" + "a" * 600
    text = "intro " * 70 + url + " outro"
    parts = split_post(text)
    assert_well_formed(parts)
    bodies = strip_markers(parts)
    assert bodies[0] == ("intro " * 70).strip()  # ends before the URL, not inside it
    assert len(parts) == 3 and url.startswith(bodies[1]) and bodies[2].endswith(" outro")
    # A short lead-in is filled with the start of a token that must be cut anyway.
    parts = split_post("see " + url)
    assert len(parts) == 2 and threads_length(parts[0]) == 500


@pytest.mark.parametrize(
    "cluster",
    [FAMILY, "🇫🇷", "1\ufe0f\u20e3", "e\u0301", "\u1100\u1161\u11a8", "👍🏽", "각"],
)
def test_grapheme_clusters_are_never_split(cluster: str) -> None:
    text = cluster * (1500 // threads_length(cluster))  # one token, longer than a post
    parts = split_post(text)
    assert len(parts) >= 2
    assert_well_formed(parts)
    for body in strip_markers(parts):
        assert set(graphemes(body)) == {cluster}


def test_emoji_count_as_utf8_bytes() -> None:
    parts = split_post("a" * 496 + " 👍")  # 501 as Threads counts
    assert parts == ["a" * 496 + MARKER, MARKER + "👍"]
    assert split_post("b" * 495 + " 👍") == ["b" * 495 + " 👍"]
    parts = split_post("👍 " * 130)
    assert len(parts) == 2 and all(threads_length(p) <= 500 for p in parts)


@pytest.mark.parametrize(
    "token", ["@someone.with_a_long_name", "#inline_hashtag", "https://x.io/p?q=1"]
)
def test_mentions_tags_and_urls_stay_whole(token: str) -> None:
    for shift in range(0, 30, 3):
        text = "w " * (240 - shift) + (token + " ") * 10 + "end of text"
        parts = split_post(text, handle_hashtags=False)
        for body in strip_markers(parts, tag_lines=False):
            assert set(body.split()) <= {"w", token, "end", "of", "text"}


def test_no_part_carries_more_than_five_links() -> None:
    links = [f"https://site{i}.example/page" for i in range(7)]
    parts = split_post("Reading list: " + " ".join(links))
    assert len(parts) == 2
    assert [len(links_in(p)) for p in parts] == [5, 2]
    assert split_post(" ".join([links[0]] * 9)) == [" ".join([links[0]] * 9)]  # one unique
    parts = split_text(" ".join(links), max_links=2)
    assert [unique_link_count(p) for p in parts] == [2, 2, 2, 1]


# --- hashtags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "body", "tags"),
    [
        ("Hello world #x #y", "Hello world", ["#x", "#y"]),
        ("Hello world\n#a\n#b", "Hello world", ["#a", "#b"]),  # 0.4.5 glued "#a\n#b"
        ("Hello world #a, #b", "Hello world #a,", ["#b"]),
        ("I love #python so much", "I love #python so much", []),
        ("Hello#a", "Hello#a", []),
        ("Year #2024", "Year #2024", []),  # Threads does not convert #<number>
        ("Tag #" + "x" * 51, "Tag #" + "x" * 51, []),  # too long to be a tag
        ("#only #tags ", "", ["#only", "#tags"]),
        ("  Spaced out   #a \t #b  ", "Spaced out", ["#a", "#b"]),
        ("Caf\u00e9 #caf\u00e9 #日本", "Caf\u00e9", ["#caf\u00e9", "#日本"]),
    ],
)
def test_extract_trailing_tags(text: str, body: str, tags: list[str]) -> None:
    assert extract_trailing_tags(text) == (body, tags)


def test_normalize_tags() -> None:
    assert normalize_tags(["python", " #code ", "#python", "", "  ", "#"]) == ["#python", "#code"]
    assert normalize_tags([]) == []


@pytest.mark.parametrize(
    ("tag", "rule"),
    [
        ("my tag", "whitespace"),
        ("a.b", "'.'"),
        ("a&b", "'&'"),
        ("hi!", "'!'"),
        ("a#b", "another #"),
        ("x" * 51, "1-50"),
        ("#2024", "whole number"),
    ],
)
def test_normalize_tags_refuses_what_threads_would_not_convert(tag: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as caught:
        normalize_tags(["#ok", tag])
    assert caught.value.parameter == "tags"
    assert repr(tag) in str(caught.value)


def test_normalize_tags_refuses_a_single_string() -> None:
    with pytest.raises(ValidationError, match="list of strings") as caught:
        normalize_tags("#python")
    assert caught.value.parameter == "tags"


def test_explicit_tags_come_first_and_trailing_tags_are_kept() -> None:
    # 0.4.5 gave 'Hello world\n#p': explicit tags replaced the extracted ones.
    assert split_post("Hello world #x #y", ["#p", "#q"]) == ["Hello world\n#p #q #x #y"]
    assert split_post("Hi #a", ["a"]) == ["Hi\n#a"]  # no repeat


def test_one_tag_per_part_and_the_surplus_on_the_last() -> None:
    parts = split_post(TEXT_1200 + " #alpha #beta")
    assert [tags_of(p) for p in parts] == [["#alpha"], ["#beta"], []]
    parts = split_post(TEXT_1200 + " #t1 #t2 #t3 #t4 #t5")
    assert [tags_of(p) for p in parts] == [["#t1"], ["#t2"], ["#t3", "#t4", "#t5"]]
    assert parts[0].endswith(MARKER + "\n#t1")
    assert split_post("Hello world #one #two #three") == ["Hello world\n#one #two #three"]
    assert_well_formed(parts)


def test_persist_puts_every_tag_on_every_part() -> None:
    parts = split_post(TEXT_1200 + " #solo", persist_tags_multipost=True)
    assert len(parts) == 3 and all(p.endswith("\n#solo") for p in parts)  # 0.4.5: first only
    parts = split_post("x " * 900 + "#a #b", persist_tags_multipost=True)
    assert all(tags_of(p) == ["#a", "#b"] for p in parts)
    assert_well_formed(parts)


def test_flags_off_posts_the_text_as_written() -> None:
    assert split_post("Hello world #x", ["#p"], handle_hashtags=False) == ["Hello world #x"]
    parts = split_post(TEXT_1200 + " #x", ["#p"], handle_hashtags=False)
    assert parts[-1].endswith(" #x") and not any("#p" in p for p in parts)


def test_a_post_that_only_goes_over_with_its_tag_is_split_to_fit() -> None:
    text = ("word " * 99).strip()  # 494 characters, 502 with "\n#python"
    parts = split_post(text + " #python")
    assert_well_formed(parts)
    assert len(parts) == 2 and tags_of(parts[0]) == ["#python"]
    assert compact("".join(strip_markers(parts))) == compact(text)


def test_seven_kilobytes_with_four_tags_loses_nothing() -> None:
    text = (LOREM * 40)[:7000].rsplit(" ", 1)[0]
    parts = split_post(text + " #one #two #three #four")
    assert len(parts) >= 15
    assert_well_formed(parts)
    assert [t for p in parts for t in tags_of(p)] == ["#one", "#two", "#three", "#four"]
    assert_bodies_rebuild(strip_markers(parts), text)


@pytest.mark.parametrize("length", [980, 992, 997, 1000, 1479, 1500, 2000, 4944, 5000])
def test_lengths_where_0_4_5_lost_text(length: int) -> None:
    text = ("abcd " * 1000)[:length].strip()
    for tags in ([], ["#tag1", "#tag2"]):
        parts = split_post(text, tags)
        assert_well_formed(parts)
        assert_bodies_rebuild(strip_markers(parts), text)
        assert [t for p in parts for t in tags_of(p)] == tags


def test_auto_mode_moves_a_tag_past_a_part_that_has_a_hashtag() -> None:
    text = "I love #python. " + TEXT_1200
    parts = split_post(text + " #t1 #t2 #t3", auto_handle_hashtags=True)
    assert [tags_of(p) for p in parts] == [[], ["#t1"], ["#t2", "#t3"]]  # 0.4.5 dropped #t1
    assert_well_formed(parts)
    # The last part takes what is left even when it holds a hashtag itself: nothing is lost.
    assert split_post("I love #python a lot #t1", auto_handle_hashtags=True) == [
        "I love #python a lot\n#t1"
    ]
    parts = split_post(text + " #t1", auto_handle_hashtags=True, persist_tags_multipost=True)
    assert [tags_of(p) for p in parts] == [[], ["#t1"], ["#t1"]]


def test_text_of_only_tags_is_posted_as_those_tags() -> None:
    assert split_post("#a #b") == ["#a #b"]
    assert split_post("", ["#a", "b"]) == ["#a #b"]
    assert split_post("  \n", ["#a"], persist_tags_multipost=True) == ["#a"]


def test_tags_that_cannot_fit_are_refused_not_dropped() -> None:
    tags = [f"#{i:02}{'x' * 48}" for i in range(12)]  # 51 characters each with the space
    with pytest.raises(ValidationError, match="tags") as caught:
        split_post("hi", tags)  # 11 tags left for the last part: 561 characters
    assert caught.value.parameter == "tags"
    with pytest.raises(ValidationError) as caught:
        split_post(TEXT_1200, tags[:10], persist_tags_multipost=True)  # 510 on every part
    assert caught.value.parameter == "tags"
    # With text to spread them over, every tag finds a part.
    parts = split_post("hi there, how are you", tags[:8])
    assert_well_formed(parts)
    assert [t for p in parts for t in tags_of(p)] == tags[:8]


def test_a_word_that_fits_no_part_with_its_tags_counts_as_longer_than_a_post() -> None:
    url = "https://example.com/" + "a" * 460  # fits a post, but not with its five tags
    tags = ["#tag1", "#tag2", "#tag3", "#tag4", "#tag5"]
    parts = split_post(url, tags)
    assert_well_formed(parts)
    assert "".join(strip_markers(parts)) == url
    assert [t for p in parts for t in tags_of(p)] == tags


def test_has_hashtag() -> None:
    assert has_hashtag("I love #python")
    assert has_hashtag("#first thing")
    assert not has_hashtag("C# and F#, issue #12, x#y, a # b")


def test_limits_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        split_text("hello", limit=9)
    assert caught.value.parameter == "limit"
    with pytest.raises(ValidationError) as caught:
        split_post("hello", max_links=0)
    assert caught.value.parameter == "max_links"


def test_split_text_suffixes_have_their_room_reserved() -> None:
    parts = split_text(TEXT_1200, suffixes=["\n(1)", "\n(2)", "\n(3)"])
    assert [p[-4:] for p in parts] == ["\n(1)", "\n(2)", "\n(3)"]
    assert all(threads_length(p) <= 500 for p in parts)


def test_strip_markers_and_tags_of() -> None:
    parts = ["first...\n#a", "...middle #x...", "...last\n#b #c"]
    assert strip_markers(parts) == ["first", "middle #x", "last"]
    assert [tags_of(p) for p in parts] == [["#a"], [], ["#b", "#c"]]
    assert strip_markers(["ends with\n#a"], tag_lines=False) == ["ends with\n#a"]
    assert tags_of("no tag line #a") == []


# --- properties ----------------------------------------------------------------------------------

WORDS = st.sampled_from(
    [
        "lorem",
        "ipsum",
        "dolor.",
        "sit!",
        "amet?",
        "naïve",
        "e\u0301te\u0301",
        FAMILY,
        "🇫🇷",
        "1\ufe0f\u20e3",
        "👍🏽",
        "각",
        "日本語",
        "@mention_1",
        "#tag",
        "#inline2",
        "#123",
        "C#",
        "www",
        "https://example.com/a",
        "https://example.org/b?q=1.",
        "www.site.net/x",
        "(see",
        "this)",
        "x" * 130,
    ]
)
LINKS = st.integers(0, 12).map(lambda i: f"https://site{i}.example/p")
LONG_TOKENS = st.text(st.sampled_from("ab👍é\u0301"), min_size=300, max_size=700)
SEPARATORS = st.sampled_from([" ", " ", " ", " ", "\n", "\n\n", "\t", "  "])
TOKENS = st.one_of(WORDS, WORDS, WORDS, LINKS, LONG_TOKENS)
BUILT_TEXT = st.lists(st.tuples(TOKENS, SEPARATORS), max_size=120).map(
    lambda pairs: "".join(token + sep for token, sep in pairs)
)
TEXTS = st.one_of(st.text(max_size=1500), BUILT_TEXT)
TAGS = st.lists(
    st.one_of(
        st.from_regex(r"#?[a-z_][a-z0-9_]{0,15}", fullmatch=True),
        st.sampled_from(["#café", "日本", "#👍", "#tag"]),
    ),
    max_size=4,
)


@settings(max_examples=150, deadline=None)
@given(
    text=TEXTS,
    tags=TAGS,
    handle=st.booleans(),
    auto=st.booleans(),
    persist=st.booleans(),
)
def test_split_post_properties(
    text: str, tags: list[str], handle: bool, auto: bool, persist: bool
) -> None:
    parts = split_post(
        text,
        tags,
        handle_hashtags=handle,
        auto_handle_hashtags=auto,
        persist_tags_multipost=persist,
    )
    assert_well_formed(parts)
    if not (handle or auto):
        assert_bodies_rebuild(strip_markers(parts, tag_lines=False), text.strip())
        return
    body, trailing = extract_trailing_tags(text)
    expected = normalize_tags([*tags, *trailing])
    if not body:  # only tags: they are the text
        assert compact("".join(strip_markers(parts))) == compact("".join(expected))
        return
    assert_bodies_rebuild(strip_markers(parts), body)
    placed = [tags_of(part) for part in parts]
    if persist:
        assert all(line in ([], expected) for line in placed)
        assert placed[-1] == expected
    else:
        assert [tag for line in placed for tag in line] == expected  # each once, in order
        assert all(len(line) <= 1 for line in placed[:-1])
    if auto:
        bodies = strip_markers(parts)  # a non-final part holding a hashtag passes its tag on
        assert all(not placed[i] for i in range(len(parts) - 1) if has_hashtag(bodies[i]))


@settings(max_examples=150, deadline=None)
@given(text=TEXTS, limit=st.integers(10, 80), max_links=st.integers(1, 5))
def test_split_text_properties_at_small_limits(text: str, limit: int, max_links: int) -> None:
    parts = split_text(text, limit=limit, max_links=max_links)
    for index, part in enumerate(parts):
        assert threads_length(part) <= limit
        assert unique_link_count(part) <= max_links
        assert (index > 0) is part.startswith(MARKER) or part.startswith(MARKER * 2)
    stripped = text.strip()
    if all(threads_length(c) <= limit - 2 * len(MARKER) for c in graphemes(stripped)):
        room = limit - 2 * len(MARKER)
        assert_bodies_rebuild(strip_markers(parts, tag_lines=False), stripped, room)
    else:  # a freak cluster bigger than a part is cut by code point: the limit wins
        assert compact("".join(strip_markers(parts, tag_lines=False))) == compact(stripped)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(LINKS, WORDS), max_size=80).map(" ".join))
def test_many_links_are_spread_over_parts(text: str) -> None:
    parts = split_post(text, handle_hashtags=False)
    assert all(unique_link_count(part) <= 5 for part in parts)
    assert_bodies_rebuild(strip_markers(parts, tag_lines=False), text.strip())
