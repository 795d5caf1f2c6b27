"""Container options beyond the basics: polls, spoilers, GIFs, text attachments, ghost posts,
booleans, locations (threads-api.md §3.1, §3.6-§3.11, §4.6)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, rejected

IMAGE = {"media_type": "IMAGE", "image_url": "https://cdn.example.com/a.jpg"}
VIDEO = {"media_type": "VIDEO", "video_url": "https://cdn.example.com/v.mp4"}
TEXT = {"media_type": "TEXT", "text": "The butler did it in the library."}


def js(value: Any) -> str:
    return json.dumps(value)


def poll(*options: str) -> str:
    keys = ("option_a", "option_b", "option_c", "option_d")
    return js(dict(zip(keys, options, strict=False)))


def spoiler(offset: int, length: int, entity_type: str = "SPOILER") -> dict[str, Any]:
    return {"entity_type": entity_type, "offset": offset, "length": length}


# polls (§3.7) ------------------------------------------------------------------------------
def test_poll_with_two_to_four_options(graph: Graph) -> None:
    assert graph.create(**TEXT, poll_attachment=poll("yes", "no"))
    assert graph.create(**TEXT, poll_attachment=poll("a", "b", "c"))
    assert graph.create(**TEXT, poll_attachment=poll("a", "b", "c", "d" * 25))


@pytest.mark.parametrize(
    "value",
    [
        js({"option_a": "a", "option_b": "b", "option_d": "d"}),  # gap before option_d
        js({"option_b": "b", "option_c": "c"}),  # no option_a
        js({"option_a": "a"}),
        js({"option_a": "a", "option_b": "b" * 26}),
        js({"option_a": "a", "option_b": ""}),
        js({"option_a": "a", "option_b": "  "}),
        js({"option_a": "a", "option_b": 2}),
        js({"option_a": "a", "option_b": "b", "option_e": "e"}),
        js(["a", "b"]),
        "{option_a: a}",
        "",
    ],
)
def test_bad_polls_are_rejected(graph: Graph, value: str) -> None:
    assert "poll_attachment" in rejected(graph, **TEXT, poll_attachment=value)


def test_poll_is_text_only_and_excludes_text_attachment(graph: Graph) -> None:
    assert "poll_attachment" in rejected(graph, **IMAGE, poll_attachment=poll("a", "b"))
    both = rejected(
        graph, **TEXT, poll_attachment=poll("a", "b"), text_attachment=js({"plaintext": "long"})
    )
    assert "poll_attachment" in both and "text_attachment" in both


# text spoilers (§3.8) ----------------------------------------------------------------------
def test_text_entities_accepted(graph: Graph) -> None:
    text = TEXT["text"]  # 33 characters
    entities = [spoiler(4, 6), spoiler(11, 3, "spoiler"), spoiler(32, 1)]
    assert graph.create(**TEXT, text_entities=js(entities))
    ten = [spoiler(i * 3, 2) for i in range(10)]
    assert graph.create(**TEXT, text_entities=js(ten))
    adjacent = [spoiler(0, 4), spoiler(4, 4)]
    assert graph.create(**TEXT, text_entities=js(adjacent))
    # Meta's carousel examples add a "text" key; it is accepted.
    assert graph.create(**TEXT, text_entities=js([{**spoiler(0, 3), "text": "spoiler"}]))
    assert len(text) == 33


def test_text_entity_offsets_count_code_points(graph: Graph) -> None:
    # "😀 ab": 4 code points (the unit is undocumented; the sandbox uses code points).
    emoji = {"media_type": "TEXT", "text": "😀 ab"}
    assert graph.create(**emoji, text_entities=js([spoiler(2, 2)]))
    assert "text_entities" in rejected(graph, **emoji, text_entities=js([spoiler(2, 3)]))


def test_text_entities_on_media_posts_need_text(graph: Graph) -> None:
    assert graph.create(**IMAGE, text="caption here", text_entities=js([spoiler(0, 7)]))
    assert "text_entities" in rejected(graph, **IMAGE, text_entities=js([spoiler(0, 1)]))


@pytest.mark.parametrize(
    "value",
    [
        js([spoiler(i * 2, 1) for i in range(11)]),  # more than 10
        js([spoiler(0, 3), spoiler(2, 3)]),  # overlap
        js([spoiler(5, 3), spoiler(0, 6)]),  # overlap, out of order
        js([spoiler(30, 4)]),  # past the end of the 33-character text
        js([spoiler(33, 1)]),
        js([spoiler(-1, 2)]),
        js([spoiler(0, 0)]),
        js([{"entity_type": "SPOILER", "offset": "0", "length": 2}]),
        js([{"entity_type": "SPOILER", "offset": True, "length": 2}]),
        js([{"entity_type": "SPOILER", "offset": 0}]),
        js([{"entity_type": "BOLD", "offset": 0, "length": 2}]),
        js([{"entity_type": "Spoiler", "offset": 0, "length": 2}]),
        js([{**spoiler(0, 2), "colour": "red"}]),
        js(spoiler(0, 2)),  # an object, not an array
        js(["SPOILER"]),
        "[{",
    ],
)
def test_bad_text_entities_are_rejected(graph: Graph, value: str) -> None:
    assert "text_entities" in rejected(graph, **TEXT, text_entities=value)


# media spoilers (§3.8) ---------------------------------------------------------------------
def test_is_spoiler_media_on_image_video_and_carousel(graph: Graph, sb: ThreadsSandbox) -> None:
    assert graph.create(**IMAGE, is_spoiler_media="true")
    assert graph.create(**VIDEO, is_spoiler_media="true")
    children = ",".join(graph.finished_item() for _ in range(2))
    assert graph.create(media_type="CAROUSEL", children=children, is_spoiler_media="true")
    assert graph.create(**TEXT, is_spoiler_media="false")


def test_is_spoiler_media_rejected_on_text_and_on_carousel_items(graph: Graph) -> None:
    assert "is_spoiler_media" in rejected(graph, **TEXT, is_spoiler_media="true")
    message = rejected(graph, **IMAGE, is_carousel_item="true", is_spoiler_media="true")
    assert "is_spoiler_media" in message and "CAROUSEL" in message


# GIFs (§3.10) ------------------------------------------------------------------------------
def test_gif_attachment_giphy(graph: Graph) -> None:
    assert graph.create(
        **TEXT, gif_attachment=js({"gif_id": "xT9IgzoKnwFNmISR8I", "provider": "GIPHY"})
    )


@pytest.mark.parametrize(
    "value",
    [
        js({"gif_id": "abc", "provider": "TENOR"}),
        js({"gif_id": "abc", "provider": "giphy"}),
        js({"gif_id": "abc", "provider": "IMGUR"}),
        js({"gif_id": "abc"}),
        js({"gif_id": "", "provider": "GIPHY"}),
        js({"gif_id": 42, "provider": "GIPHY"}),
        js({"provider": "GIPHY"}),
        js({"gif_id": "abc", "provider": "GIPHY", "url": "https://giphy.com/x"}),
        js(["abc", "GIPHY"]),
        "gif:abc",
    ],
)
def test_bad_gif_attachments_are_rejected(graph: Graph, value: str) -> None:
    assert "gif_attachment" in rejected(graph, **TEXT, gif_attachment=value)


def test_tenor_is_rejected_as_sunset(graph: Graph) -> None:
    message = rejected(graph, **TEXT, gif_attachment=js({"gif_id": "abc", "provider": "TENOR"}))
    assert "TENOR" in message and "GIPHY" in message


def test_gif_is_text_only(graph: Graph) -> None:
    gif = js({"gif_id": "abc", "provider": "GIPHY"})
    assert "gif_attachment" in rejected(graph, **IMAGE, gif_attachment=gif)


# text attachments (§3.9) -------------------------------------------------------------------
def test_text_attachment_accepted(graph: Graph) -> None:
    assert graph.create(**TEXT, text_attachment=js({"plaintext": "x" * 10_000}))
    full = {
        "plaintext": "Bold and italic text, then more.",
        "link_attachment_url": "https://example.com/read",
        "text_with_styling_info": [
            {"offset": 0, "length": 4, "styling_info": ["bold"]},
            {"offset": 9, "length": 6, "styling_info": ["italic", "underline"]},
            {"offset": 15, "length": 5, "styling_info": ["highlight", "strikethrough"]},
        ],
    }
    assert graph.create(**TEXT, text_attachment=js(full))


@pytest.mark.parametrize(
    "value",
    [
        js({"plaintext": "x" * 10_001}),
        js({"plaintext": ""}),
        js({"link_attachment_url": "https://example.com"}),
        js({"plaintext": 5}),
        js({"plaintext": "x", "link_attachment_url": "ftp://example.com/file"}),
        js({"plaintext": "x", "link_attachment_url": "example.com"}),
        js({"plaintext": "x", "extra": 1}),
        js({"plaintext": "hello", "text_with_styling_info": {"offset": 0}}),
        js(
            {
                "plaintext": "hello world",
                "text_with_styling_info": [
                    {"offset": 0, "length": 5, "styling_info": ["bold"]},
                    {"offset": 4, "length": 3, "styling_info": ["italic"]},
                ],
            }
        ),
        js(
            {
                "plaintext": "hello",
                "text_with_styling_info": [{"offset": 3, "length": 3, "styling_info": ["bold"]}],
            }
        ),
        js(
            {
                "plaintext": "hello",
                "text_with_styling_info": [{"offset": 0, "length": 2, "styling_info": ["shout"]}],
            }
        ),
        js(
            {
                "plaintext": "hello",
                "text_with_styling_info": [{"offset": 0, "length": 2, "styling_info": []}],
            }
        ),
        js(
            {
                "plaintext": "hello",
                "text_with_styling_info": [{"offset": 0, "length": 0, "styling_info": ["bold"]}],
            }
        ),
        js(["plaintext"]),
        "plaintext=hello",
    ],
)
def test_bad_text_attachments_are_rejected(graph: Graph, value: str) -> None:
    assert "text_attachment" in rejected(graph, **TEXT, text_attachment=value)


def test_text_attachment_is_text_only(graph: Graph) -> None:
    value = js({"plaintext": "long read"})
    assert "text_attachment" in rejected(graph, **IMAGE, text_attachment=value)


def test_text_attachment_link_conflicts_with_link_attachment(graph: Graph) -> None:
    with_link = js({"plaintext": "read", "link_attachment_url": "https://example.com/a"})
    message = rejected(
        graph, **TEXT, text_attachment=with_link, link_attachment="https://example.com/b"
    )
    assert "link_attachment" in message
    plain = js({"plaintext": "read"})
    assert graph.create(**TEXT, text_attachment=plain, link_attachment="https://example.com/b")


def test_link_limit_counts_the_text_attachment_link(graph: Graph) -> None:
    five = "a.com b.com c.com d.com e.com"
    same = js({"plaintext": "read", "link_attachment_url": "https://a.com"})
    assert graph.create(media_type="TEXT", text=five, text_attachment=same)
    sixth = js({"plaintext": "read", "link_attachment_url": "https://f.com"})
    message = rejected(graph, media_type="TEXT", text=five, text_attachment=sixth)
    assert "THREADS_API__LINK_LIMIT_EXCEEDED" in message


# ghost posts (§3.11) -----------------------------------------------------------------------
def test_ghost_post_with_text_spoilers(graph: Graph) -> None:
    assert graph.create(**TEXT, is_ghost_post="true")
    assert graph.create(**TEXT, is_ghost_post="true", text_entities=js([spoiler(0, 3)]))
    assert graph.create(**TEXT, is_ghost_post="true", reply_control="followers_only")


def test_ghost_post_restrictions(graph: Graph) -> None:
    root = graph.post_text("root")
    ghost = {**TEXT, "is_ghost_post": "true"}
    assert "is_ghost_post" in rejected(graph, **IMAGE, is_ghost_post="true")
    assert "reply_to_id" in rejected(graph, **ghost, reply_to_id=root)
    assert "enable_reply_approvals" in rejected(graph, **ghost, enable_reply_approvals="true")
    others = {
        "poll_attachment": poll("a", "b"),
        "gif_attachment": js({"gif_id": "abc", "provider": "GIPHY"}),
        "text_attachment": js({"plaintext": "long"}),
        "link_attachment": "https://example.com",
        "quote_post_id": root,
        "topic_tag": "Ghosts",
        "location_id": "123",
        "allowlisted_country_codes": "US",
        "crossreshare_to_ig": "true",
    }
    for name, value in others.items():
        message = rejected(graph, **ghost, **{name: value})
        assert "is_ghost_post" in message and name in message, (name, message)
    # Each of those is fine without the ghost flag.
    assert graph.create(**TEXT, is_ghost_post="false", reply_to_id=root)
    assert graph.create(**TEXT, enable_reply_approvals="true")


# booleans, locations, auto-publish ---------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    [
        "is_spoiler_media",
        "is_ghost_post",
        "enable_reply_approvals",
        "auto_publish_text",
        "crossreshare_to_ig",
        "is_carousel_item",
    ],
)
@pytest.mark.parametrize("value", ["yes", "", "on", "2", "t", "truee", " true"])
def test_booleans_must_be_true_or_false(graph: Graph, name: str, value: str) -> None:
    assert name in rejected(graph, **TEXT, **{name: value})


@pytest.mark.parametrize(
    ("value", "meaning"),
    [
        *[(spelling, True) for spelling in ("true", "True", "TRUE", "1")],
        *[(spelling, False) for spelling in ("false", "False", "FALSE", "0")],
    ],
)
def test_booleans_are_read_as_graph_reads_them(
    graph: Graph, sb: ThreadsSandbox, value: str, meaning: bool
) -> None:
    # Graph takes true/false in any case and 1/0: another client's is_carousel_item=True and
    # hide=True calls must not fail here when they work against Meta.
    item = graph.create(**IMAGE, is_carousel_item=value)
    assert sb.container(item)["is_carousel_item"] is meaning
    spoiler = graph.create(**IMAGE, is_spoiler_media=value)
    sb.advance(5)  # past the image's processing
    post = graph.publish(spoiler).json()["id"]
    assert graph.get(post, fields="is_spoiler_media").json()["is_spoiler_media"] is meaning
    auto = graph.create(**TEXT, auto_publish_text=value)
    assert (graph.status(auto)["status"] == "PUBLISHED") is meaning


def test_boolean_false_is_accepted_everywhere(graph: Graph) -> None:
    assert graph.create(**TEXT, enable_reply_approvals="false", auto_publish_text="false")
    assert graph.create(**IMAGE, enable_reply_approvals="true", is_carousel_item="false")


def test_location_id_is_numeric(graph: Graph) -> None:
    assert graph.create(**TEXT, location_id="112233")
    assert graph.create(**IMAGE, location_id="7")
    for bad in ("", "abc", "12a", "-5", "1.5"):
        assert "location_id" in rejected(graph, **TEXT, location_id=bad)


def test_auto_publish_text_publishes_at_creation(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(**TEXT, auto_publish_text="true")
    (post,) = sb.posts
    assert graph.status(cid)["status"] == "PUBLISHED"
    assert sb.container(cid)["published_media_id"] == post["id"]
    assert post["text"] == TEXT["text"]
    # There is no publish step: publishing it again is "already published".
    assert "already" in graph.publish(cid).json()["error"]["message"]
    assert len(sb.posts) == 1
    assert "auto_publish_text" in rejected(graph, **IMAGE, auto_publish_text="true")


def test_auto_publish_text_respects_the_quota(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.set_quota_usage(posts=250)
    answer = graph.post("me/threads", **TEXT, auto_publish_text="true")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == 4
    assert sb.posts == [] and sb.containers == []


def test_reply_and_quote_targets_cannot_be_reposts_or_carousel_items(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    root = graph.post_text("root")
    repost = graph.post(f"{root}/repost").json()["id"]
    assert "reply_to_id" in rejected(graph, **TEXT, reply_to_id=repost)
    assert "quote_post_id" in rejected(graph, **TEXT, quote_post_id=repost)
    items = [graph.finished_item() for _ in range(2)]
    album = graph.create(media_type="CAROUSEL", children=",".join(items))
    sb.advance(1)
    graph.publish(album)
    child = sb.posts[-1]["children"][0]["id"]
    assert "reply_to_id" in rejected(graph, **TEXT, reply_to_id=child)
