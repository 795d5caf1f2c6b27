"""The chain plan: where text, media and every option go. Pure, so examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadspipepy.errors import ValidationError
from threadspipepy.planning import (
    ChainPlan,
    PlannedMedia,
    PlannedPost,
    PostOptions,
    batch_media,
    plan_chain,
)


def media(n: int) -> list[PlannedMedia]:
    return [PlannedMedia(i, f"https://x.example/{i}.jpg", "IMAGE", None) for i in range(n)]


def test_45_files_with_short_text() -> None:
    plan = plan_chain(["Hi"], media(45), PostOptions())
    assert [(p.text, len(p.media), p.media_type) for p in plan.posts] == [
        ("Hi", 20, "CAROUSEL"),
        (None, 20, "CAROUSEL"),
        (None, 5, "CAROUSEL"),
    ]
    assert plan.quota_needs() == (1, 2)


def test_a_batch_of_one_is_a_single_post() -> None:
    plan = plan_chain(["a", "b"], media(21), PostOptions())
    assert [p.media_type for p in plan.posts] == ["CAROUSEL", "IMAGE"]
    assert plan.posts[1].text == "b"


def test_media_only() -> None:
    plan = plan_chain([], media(1), PostOptions())
    assert [(p.text, p.media_type) for p in plan.posts] == [(None, "IMAGE")]


def test_reply_chain_counts_every_post_as_a_reply() -> None:
    plan = plan_chain(["a", "b", "c"], [], PostOptions(), reply_to_id="42")
    assert plan.quota_needs() == (0, 3)
    assert plan_chain([], [], PostOptions()).quota_needs() == (0, 0)


def test_every_post_and_first_post_options() -> None:
    options = PostOptions(
        every_post={"reply_control": "everyone", "topic_tag": None},
        first_post={"location_id": "7"},
        quote_post_id="99",
    )
    plan = plan_chain(["a", "b"], [], options)
    assert plan.posts[0].options == {
        "reply_control": "everyone",
        "location_id": "7",
        "quote_post_id": "99",
    }
    assert plan.posts[1].options == {"reply_control": "everyone"}
    persisted = plan_chain(
        ["a", "b"], [], PostOptions(quote_post_id="99", persist_quoted_post=True)
    )
    assert [p.options.get("quote_post_id") for p in persisted.posts] == ["99", "99"]


def test_links_go_on_text_parts_without_media() -> None:
    plan = plan_chain(["a", "b"], [], PostOptions(link_attachments=["https://l/0", None]))
    assert plan.posts[0].options == {"link_attachment": "https://l/0"}
    with pytest.raises(ValidationError) as caught:
        plan_chain(["a", "b"], media(1), PostOptions(link_attachments=["https://l/0"]))
    assert caught.value.parameter == "link_attachments[0]"
    with pytest.raises(ValidationError, match="2 part"):
        plan_chain(["a", "b"], [], PostOptions(link_attachments=[None, None, "https://l/2"]))


def test_text_only_attachments_go_on_the_last_text_part() -> None:
    options = PostOptions(last_text_post={"poll_attachment": "{}", "gif_attachment": None})
    plan = plan_chain(["a", "b", "c"], media(2), options)
    assert [("poll_attachment" in p.options) for p in plan.posts] == [False, False, True]
    with pytest.raises(ValidationError) as caught:
        plan_chain(["a"], media(2), options)
    assert caught.value.parameter == "poll"


def test_chained_post_false_keeps_the_first_post_and_says_so() -> None:
    plan = plan_chain(["a", "b", "c"], media(25), PostOptions(), chained_post=False)
    assert len(plan.posts) == 1 and len(plan.posts[0].media) == 20
    assert plan.unposted_text == ("b", "c")
    assert len(plan.unposted_media) == 5
    assert "not posted" in plan.notes[0]


def test_round_trip_through_dicts() -> None:
    plan = plan_chain(["a", "b"], media(3), PostOptions(every_post={"reply_control": "everyone"}))
    again = ChainPlan(tuple(PlannedPost.from_dict(p.to_dict()) for p in plan.posts))
    assert again.posts == plan.posts


@given(st.integers(0, 8), st.integers(0, 130))
def test_every_part_and_file_is_placed_once_in_order(parts: int, files: int) -> None:
    texts = [f"part {i}" for i in range(parts)]
    plan = plan_chain(texts, media(files), PostOptions())
    assert [p.text for p in plan.posts if p.text is not None] == texts
    placed = [m.index for p in plan.posts for m in p.media]
    assert placed == list(range(files))
    assert all(len(p.media) <= 20 for p in plan.posts)
    assert len(plan.posts) == max(parts, len(batch_media(media(files))))
