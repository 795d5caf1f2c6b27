"""Grapheme clusters: what a reader sees as one character is never cut apart."""

from __future__ import annotations

import unicodedata
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threadspipepy.splitting import graphemes

FAMILY = "👨\u200d👩\u200d👧"  # man, ZWJ, woman, ZWJ, girl
ENGLAND = "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"  # tag sequence
KEYCAP_1 = "1\ufe0f\u20e3"


@pytest.mark.parametrize(
    ("text", "clusters"),
    [
        ("abc", ["a", "b", "c"]),
        ("", []),
        ("e\u0301x", ["e\u0301", "x"]),  # combining acute accent
        ("a\u0308\u0323", ["a\u0308\u0323"]),  # several marks
        ("\r\n\n", ["\r\n", "\n"]),
        ("\n\u0301", ["\n", "\u0301"]),  # a mark does not attach to a line break
        (FAMILY + "x", [FAMILY, "x"]),
        ("👍🏽👍", ["👍🏽", "👍"]),  # skin-tone modifier
        ("❤\ufe0f!", ["❤\ufe0f", "!"]),  # emoji presentation selector
        ("🇫🇷🇩🇪", ["🇫🇷", "🇩🇪"]),  # regional indicators pair up
        ("🇫🇷🇩", ["🇫🇷", "🇩"]),  # an odd one stands alone
        (KEYCAP_1 + "#\ufe0f\u20e3", [KEYCAP_1, "#\ufe0f\u20e3"]),
        (ENGLAND + "🇫🇷", [ENGLAND, "🇫🇷"]),
        ("\u1100\u1161\u11a8", ["\u1100\u1161\u11a8"]),  # Hangul L V T jamo: one syllable
        ("\uac00\u11a8\uac00", ["\uac00\u11a8", "\uac00"]),  # LV syllable + T, then LV
        ("\uac01\u11a8\u1161", ["\uac01\u11a8", "\u1161"]),  # LVT + T; a V cannot follow T
        ("a\u200d😀", ["a\u200d", "😀"]),  # ZWJ joins emoji to emoji only
        ("👩\u200d💻 ok", ["👩\u200d💻", " ", "o", "k"]),
    ],
)
def test_clusters(text: str, clusters: list[str]) -> None:
    assert graphemes(text) == clusters


EMOJI_ISH = st.sampled_from(
    [
        "a",
        " ",
        "\n",
        "\r",
        "\u200d",
        "\ufe0f",
        "\u20e3",
        "\u0301",
        "🏽",
        "👨",
        "🇫",
        "🇷",
        "\U000e0067",
        "\U000e007f",
        "\u1100",
        "\u1161",
        "\u11a8",
        "\uac00",
        "1",
        "#",
    ]
)
TEXTS = st.one_of(st.text(), st.lists(EMOJI_ISH).map("".join))


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_clusters_rebuild_the_text(text: str) -> None:
    clusters = graphemes(text)
    assert "".join(clusters) == text
    assert all(clusters)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_marks_only_start_a_cluster_where_there_is_nothing_to_attach_to(text: str) -> None:
    clusters = graphemes(text)
    for before, cluster in pairwise(clusters):
        if unicodedata.category(cluster[0]) in {"Mn", "Me", "Mc"}:
            assert unicodedata.category(before[-1]) in {"Cc", "Zl", "Zp"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([FAMILY, ENGLAND, KEYCAP_1, "🇫🇷", "e\u0301", "👍🏽", "각"])))
def test_known_clusters_come_back_whole(clusters: list[str]) -> None:
    assert graphemes("".join(clusters)) == clusters
