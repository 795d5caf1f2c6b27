"""What POST /{user-id}/threads accepts and rejects (threads-api.md §3.1, §3.4, §3.6, §3.7, §6)."""

from __future__ import annotations

import json

import pytest

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error


def rejected(graph: Graph, **data: str) -> str:
    """Create must fail with Graph code 100; returns the message."""
    error = graph_error(graph.post("me/threads", **data))
    assert error["code"] == 100, error
    return str(error["message"])


def test_media_type_is_required_and_checked(graph: Graph, sb: ThreadsSandbox) -> None:
    assert "media_type" in rejected(graph, text="hello")
    assert "media_type" in rejected(graph, media_type="GIF", text="hello")
    assert sb.containers == []


def test_text_limit_is_500_threads_characters(graph: Graph) -> None:
    assert graph.create(media_type="TEXT", text="a" * 500)
    assert "text" in rejected(graph, media_type="TEXT", text="a" * 501)
    assert "text" in rejected(graph, media_type="TEXT", text="")


def test_emoji_count_as_their_utf8_bytes(graph: Graph) -> None:
    # 😀 is 4 UTF-8 bytes: 124 of them plus 4 letters is exactly 500.
    assert graph.create(media_type="TEXT", text="😀" * 124 + "abcd")
    assert "text" in rejected(graph, media_type="TEXT", text="😀" * 124 + "abcde")
    # BMP emoji (☀, 3 bytes) and accented letters (é, 1 character).
    assert graph.create(media_type="TEXT", text="☀" * 166 + "ab")
    assert "text" in rejected(graph, media_type="TEXT", text="☀" * 167)
    assert graph.create(media_type="TEXT", text="é" * 500)


def test_text_is_optional_on_media_but_limited(graph: Graph) -> None:
    assert graph.create(media_type="IMAGE", image_url="https://cdn.example.com/a.jpg")
    message = rejected(
        graph, media_type="IMAGE", image_url="https://cdn.example.com/a.jpg", text="x" * 501
    )
    assert "text" in message


def test_image_and_video_need_an_http_url(graph: Graph) -> None:
    assert "image_url" in rejected(graph, media_type="IMAGE")
    assert "video_url" in rejected(graph, media_type="VIDEO")
    assert "image_url" in rejected(graph, media_type="IMAGE", image_url="ftp://host/a.jpg")
    assert "video_url" in rejected(graph, media_type="VIDEO", video_url="/local/file.mp4")


@pytest.mark.parametrize("count", [1, 21])
def test_carousel_child_count_out_of_range_is_rejected(graph: Graph, count: int) -> None:
    children = ",".join(graph.finished_item() for _ in range(count))
    assert "children" in rejected(graph, media_type="CAROUSEL", children=children)


@pytest.mark.parametrize("count", [2, 20])
def test_carousel_with_2_and_20_children_is_accepted(graph: Graph, count: int) -> None:
    children = ",".join(graph.finished_item() for _ in range(count))
    assert graph.create(media_type="CAROUSEL", children=children, text="album")


def test_carousel_children_must_be_own_finished_items(graph: Graph, sb: ThreadsSandbox) -> None:
    item = graph.finished_item()
    assert "children" in rejected(graph, media_type="CAROUSEL")
    assert "children" in rejected(graph, media_type="CAROUSEL", children=f"{item},999")
    not_item = graph.create(media_type="IMAGE", image_url="https://cdn.example.com/b.jpg")
    sb.advance(5)
    assert "children" in rejected(graph, media_type="CAROUSEL", children=f"{item},{not_item}")
    unfinished = graph.create(
        media_type="VIDEO", video_url="https://cdn.example.com/v.mp4", is_carousel_item="true"
    )
    assert "children" in rejected(graph, media_type="CAROUSEL", children=f"{item},{unfinished}")
    assert "children" in rejected(graph, media_type="CAROUSEL", children=f"{item},{item}")
    other = Graph(sb, sb.add_account().access_token)
    foreign = other.finished_item()
    assert "children" in rejected(graph, media_type="CAROUSEL", children=f"{item},{foreign}")


def test_is_carousel_item_only_on_image_or_video(graph: Graph) -> None:
    assert "is_carousel_item" in rejected(
        graph, media_type="TEXT", text="x", is_carousel_item="true"
    )
    assert "is_carousel_item" in rejected(
        graph, media_type="IMAGE", image_url="https://a.com/x.jpg", is_carousel_item="maybe"
    )


def test_reply_control_values(graph: Graph) -> None:
    for value in (
        "everyone",
        "accounts_you_follow",
        "mentioned_only",
        "parent_post_author_only",
        "followers_only",
    ):
        assert graph.create(media_type="TEXT", text="x", reply_control=value)
    assert "reply_control" in rejected(graph, media_type="TEXT", text="x", reply_control="nobody")
    assert "reply_control" in rejected(graph, media_type="TEXT", text="x", reply_control="EVERYONE")


def test_reply_and_quote_targets_must_exist(graph: Graph) -> None:
    assert "reply_to_id" in rejected(graph, media_type="TEXT", text="x", reply_to_id="123")
    assert "quote_post_id" in rejected(graph, media_type="TEXT", text="x", quote_post_id="123")
    root = graph.post_text("root")
    assert graph.create(media_type="TEXT", text="reply", reply_to_id=root)
    assert graph.create(media_type="TEXT", text="quote", quote_post_id=root)


def test_alt_text_rules(graph: Graph) -> None:
    image = {"media_type": "IMAGE", "image_url": "https://cdn.example.com/a.jpg"}
    assert graph.create(**image, alt_text="a" * 1000)
    assert "alt_text" in rejected(graph, **image, alt_text="a" * 1001)
    assert "alt_text" in rejected(graph, media_type="TEXT", text="x", alt_text="nope")


def test_link_attachment_only_on_text(graph: Graph) -> None:
    assert graph.create(media_type="TEXT", text="x", link_attachment="https://example.com")
    assert "link_attachment" in rejected(
        graph,
        media_type="IMAGE",
        image_url="https://cdn.example.com/a.jpg",
        link_attachment="https://example.com",
    )


def test_more_than_five_unique_links_is_the_link_limit_error(graph: Graph) -> None:
    five = "see a.com b.com https://c.com/x d.org www.e.net and a.com again"
    assert graph.create(media_type="TEXT", text=five)
    # Meta's examples: the attachment counts only when it differs from every link in the text.
    assert graph.create(media_type="TEXT", text=five, link_attachment="https://a.com")
    error = graph_error(
        graph.post("me/threads", media_type="TEXT", text=five, link_attachment="https://f.io")
    )
    assert error["code"] == 100
    assert "THREADS_API__LINK_LIMIT_EXCEEDED" in error["message"]
    six = five + " https://f.io/page"
    assert "THREADS_API__LINK_LIMIT_EXCEEDED" in rejected(graph, media_type="TEXT", text=six)


def test_topic_tag_rules(graph: Graph) -> None:
    assert graph.create(media_type="TEXT", text="x", topic_tag="a" * 50)
    for bad in ("", "a" * 51, "dots.here", "this&that"):
        assert "topic_tag" in rejected(graph, media_type="TEXT", text="x", topic_tag=bad)


def test_allowlisted_country_codes(graph: Graph, sb: ThreadsSandbox) -> None:
    assert graph.create(media_type="TEXT", text="x", allowlisted_country_codes="US,CA")
    for bad in ("us", "USA", "US,,CA", "U1"):
        message = rejected(graph, media_type="TEXT", text="x", allowlisted_country_codes=bad)
        assert "THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES" in message
    # Two letters are not enough: the code must be assigned by ISO 3166-1.
    for unassigned in ("XX", "ZZ", "QQ", "US,UK", "EU"):
        message = rejected(graph, media_type="TEXT", text="x", allowlisted_country_codes=unassigned)
        assert "THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES" in message
    assert graph.create(media_type="TEXT", text="x", allowlisted_country_codes="GB,AX,SS,ZW")
    ineligible = Graph(sb, sb.add_account(geo_gating_eligible=False).access_token)
    message = rejected(ineligible, media_type="TEXT", text="x", allowlisted_country_codes="US")
    assert "THREADS_API__FEATURE_NOT_AVAILABLE" in message


def test_poll_attachment(graph: Graph) -> None:
    def poll(**options: str) -> str:
        return json.dumps(options)

    assert graph.create(
        media_type="TEXT", text="q?", poll_attachment=poll(option_a="y", option_b="n")
    )
    four = poll(option_a="a", option_b="b", option_c="c", option_d="d" * 25)
    assert graph.create(media_type="TEXT", text="q?", poll_attachment=four)
    for bad in (
        poll(option_a="only one"),
        poll(option_a="a", option_b="b" * 26),
        poll(option_a="a", option_b=""),
        poll(option_a="a", option_b="b", option_e="e"),
        "not json",
    ):
        assert "poll_attachment" in rejected(
            graph, media_type="TEXT", text="q?", poll_attachment=bad
        )
    assert "poll_attachment" in rejected(
        graph,
        media_type="IMAGE",
        image_url="https://cdn.example.com/a.jpg",
        poll_attachment=poll(option_a="a", option_b="b"),
    )


def test_rejections_create_no_container(graph: Graph, sb: ThreadsSandbox) -> None:
    rejected(graph, media_type="TEXT", text="x" * 600)
    rejected(graph, media_type="IMAGE")
    assert sb.containers == []
    assert [r.status for r in sb.requests_to("POST", "/v1.0/me/threads")] == [400, 400]
