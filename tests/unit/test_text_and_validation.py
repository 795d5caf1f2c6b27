"""Threads length counting and the argument checks that run before any request."""

from __future__ import annotations

import pytest

from threadspipepy import validation
from threadspipepy.errors import ValidationError
from threadspipepy.splitting import threads_length, unique_link_count


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("hello", 5),
        ("héllo", 5),  # accented letters are one character each
        ("日本語", 3),
        ("👍", 4),  # emoji count as their UTF-8 bytes
        ("👍🏽", 8),  # with a skin-tone modifier
        ("❤️", 6),  # U+2764 (3 bytes) + variation selector (3 bytes)
        ("👨‍👩‍👧", 18),  # ZWJ family: 3 x 4 bytes + 2 ZWJ x 3 bytes
    ],
)
def test_threads_length(text: str, length: int) -> None:
    assert threads_length(text) == length


def test_link_counting_follows_metas_examples() -> None:
    assert unique_link_count("see https://facebook.com", "https://facebook.com") == 1
    assert (
        unique_link_count("https://instagram.com and https://threads.com", "https://facebook.com")
        == 3
    )
    assert (
        unique_link_count(
            "https://example.com https://example.com https://test.com", "https://test.com"
        )
        == 2
    )


def test_reply_control_values() -> None:
    for value in validation.REPLY_CONTROLS:
        assert validation.reply_control(value) == value
    with pytest.raises(ValidationError, match="followers_only") as caught:
        validation.reply_control("friends")
    assert caught.value.parameter == "who_can_reply"


def test_country_codes() -> None:
    assert validation.country_codes(["us", "CA"]) == "US,CA"
    assert validation.country_codes("US, ng") == "US,NG"
    with pytest.raises(ValidationError, match="'USA'"):
        validation.country_codes(["USA"])
    with pytest.raises(ValidationError):
        validation.country_codes([])


def test_topic_tag() -> None:
    assert validation.topic_tag("#python") == "python"
    for bad in ("", "a.b", "a&b", "x" * 51):
        with pytest.raises(ValidationError):
            validation.topic_tag(bad)


def test_ids_and_urls() -> None:
    assert validation.require_id(123, "reply_to_id") == "123"
    for bad in ("", "  ", None, True, 1.5):
        with pytest.raises(ValidationError, match="reply_to_id"):
            validation.require_id(bad, "reply_to_id")
    with pytest.raises(ValidationError, match="link"):
        validation.http_url("ftp://x", "link")
