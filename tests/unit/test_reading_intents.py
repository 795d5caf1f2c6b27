"""Web intents: the current host, every parameter percent-encoded, the new parameters checked."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from threadspipepy import ThreadsPipe, ValidationError
from threadspipepy.reading import follow_intent_url, post_intent_url


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_post_intent_encodes_everything() -> None:
    text = "Hi & bye / 50% off? #tag émoji 🧵 a+b=c"
    url = post_intent_url(text, "https://example.com/a?b=1&c=2")
    assert url.startswith("https://www.threads.com/intent/post?text=")
    raw = urlsplit(url).query
    assert "/" not in raw and "&c=" not in raw and " " not in raw and "#" not in raw
    assert "+" not in raw  # spaces are %20, a literal plus is %2B
    assert query(url) == {"text": [text], "url": ["https://example.com/a?b=1&c=2"]}


def test_post_intent_new_parameters_in_order() -> None:
    url = post_intent_url(
        "Hello",
        tag="#Threads API",
        reply_control="FOLLOWERS_ONLY",
        reply_post_shortcode="C8abc_-1",
        quote_post_shortcode="DxYz",
    )
    assert query(url) == {
        "text": ["Hello"],
        "tag": ["Threads API"],
        "reply_control": ["followers_only"],
        "reply_post_shortcode": ["C8abc_-1"],
        "quote_post_shortcode": ["DxYz"],
    }
    assert list(query(url)) == ["text", "tag", "reply_control", "reply_post_shortcode",
                                "quote_post_shortcode"]  # fmt: skip


def test_post_intent_without_parameters() -> None:
    assert post_intent_url() == "https://www.threads.com/intent/post"
    assert ThreadsPipe(1, "t").get_post_intent() == "https://www.threads.com/intent/post"


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        ({"tag": "a.b"}, "tag"),
        ({"tag": "a&b"}, "tag"),
        ({"tag": "line\nbreak"}, "tag"),
        ({"tag": "x" * 51}, "tag"),
        ({"tag": ""}, "tag"),
        ({"reply_control": "parent_post_author_only"}, "reply_control"),
        ({"reply_control": "nobody"}, "reply_control"),
        ({"reply_post_shortcode": "../x"}, "reply_post_shortcode"),
        ({"quote_post_shortcode": ""}, "quote_post_shortcode"),
        ({"link": "example.com"}, "link"),
        ({"text": 5}, "text"),
    ],
)
def test_post_intent_checks(kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ValidationError) as caught:
        post_intent_url(**kwargs)  # type: ignore[arg-type]
    assert caught.value.parameter == parameter


def test_follow_intent() -> None:
    assert follow_intent_url("@some.user_1") == (
        "https://www.threads.com/intent/follow?username=some.user_1"
    )
    for bad in ("", "a b", "x&y=1", None, "a" * 31):
        with pytest.raises(ValidationError, match="username"):
            follow_intent_url(bad)


def test_facade_intent_keeps_045_positional_order() -> None:
    tp = ThreadsPipe(1, "t")
    assert tp.get_post_intent("Hi", "https://x.example/") == (
        "https://www.threads.com/intent/post?text=Hi&url=https%3A%2F%2Fx.example%2F"
    )
    assert tp.get_follow_intent("zuck") == "https://www.threads.com/intent/follow?username=zuck"
