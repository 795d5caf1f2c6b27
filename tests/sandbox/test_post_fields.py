"""What a published post carries: sb.posts entries and GET /{media-id} fields (threads-api.md
§3.5-§3.11, §4.2)."""

from __future__ import annotations

import json

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error

POLL = {"option_a": "Tea", "option_b": "Coffee", "option_c": "Water"}
ENTITIES = [{"entity_type": "SPOILER", "offset": 4, "length": 6}]
ATTACHMENT = {
    "plaintext": "A long read.",
    "link_attachment_url": "https://example.com/read",
    "text_with_styling_info": [{"offset": 0, "length": 6, "styling_info": ["bold"]}],
}


def test_text_post_snapshot_has_parsed_options(graph: Graph, sb: ThreadsSandbox) -> None:
    root = graph.post_text("root")
    media_id = graph.post_text(
        "The butler did it.",
        reply_to_id=root,
        quote_post_id=root,
        reply_control="mentioned_only",
        topic_tag="Mystery",
        poll_attachment=json.dumps(POLL),
        text_entities=json.dumps(ENTITIES),
        location_id="112233",
        allowlisted_country_codes="US,CA",
        enable_reply_approvals="true",
    )
    post = sb.posts[-1]
    assert post["id"] == media_id
    assert post["media_type"] == "TEXT_POST"
    assert post["text"] == "The butler did it."
    assert post["reply_to_id"] == root
    assert post["quote_post_id"] == root
    assert post["reply_audience"] == "MENTIONED_ONLY"
    assert post["topic_tag"] == "Mystery"
    assert post["poll_attachment"] == POLL
    assert post["text_entities"] == ENTITIES
    assert post["location_id"] == "112233"
    assert post["allowlisted_country_codes"] == ["US", "CA"]
    assert post["enable_reply_approvals"] is True
    assert post["is_ghost_post"] is False
    assert post["is_spoiler_media"] is False
    assert post["gif_attachment"] is None
    assert post["text_attachment"] is None
    assert post["link_attachment_url"] is None
    assert post["reposted_post"] is None
    assert post["children"] == []
    assert post["url"] is None


def test_gif_attachment_and_link_snapshots(graph: Graph, sb: ThreadsSandbox) -> None:
    gif = {"gif_id": "xT9IgzoKnwFNmISR8I", "provider": "GIPHY"}
    graph.post_text("gif", gif_attachment=json.dumps(gif))
    graph.post_text("attachment", text_attachment=json.dumps(ATTACHMENT))
    graph.post_text("link", link_attachment="https://example.com/x")
    graph.post_text("ghost", is_ghost_post="true")
    gif_post, attachment_post, link_post, ghost_post = sb.posts
    assert gif_post["gif_attachment"] == gif
    assert attachment_post["text_attachment"] == ATTACHMENT
    assert link_post["link_attachment_url"] == "https://example.com/x"
    assert link_post["is_ghost_post"] is False
    assert ghost_post["is_ghost_post"] is True
    assert [p["reply_audience"] for p in sb.posts] == ["EVERYONE"] * 4
    assert [p["allowlisted_country_codes"] for p in sb.posts] == [[], [], [], []]


def test_carousel_snapshot_lists_items(graph: Graph, sb: ThreadsSandbox) -> None:
    first = graph.create(
        media_type="IMAGE",
        image_url="https://cdn.example.com/1.jpg",
        alt_text="first",
        is_carousel_item="true",
    )
    second = graph.create(
        media_type="VIDEO", video_url="https://cdn.example.com/2.mp4", is_carousel_item="true"
    )
    sb.advance(5)
    album = graph.create(
        media_type="CAROUSEL", children=f"{first},{second}", text="album", is_spoiler_media="true"
    )
    sb.advance(1)
    graph.publish(album)
    (post,) = sb.posts
    assert post["media_type"] == "CAROUSEL_ALBUM"
    assert post["is_spoiler_media"] is True
    children = post["children"]
    assert [(c["media_type"], c["url"], c["alt_text"]) for c in children] == [
        ("IMAGE", "https://cdn.example.com/1.jpg", "first"),
        ("VIDEO", "https://cdn.example.com/2.mp4", None),
    ]
    assert all(c["is_spoiler_media"] for c in children)  # set on the carousel, marks all
    assert [c["container_id"] for c in children] == [first, second]


def test_image_snapshot(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(
        media_type="IMAGE",
        image_url="https://cdn.example.com/a.jpg",
        alt_text="a cat",
        is_spoiler_media="true",
    )
    sb.advance(5)
    graph.publish(cid)
    (post,) = sb.posts
    assert post["media_type"] == "IMAGE"
    assert post["url"] == "https://cdn.example.com/a.jpg"
    assert post["alt_text"] == "a cat"
    assert post["is_spoiler_media"] is True
    assert post["text"] is None


def test_get_media_fields(graph: Graph, sb: ThreadsSandbox) -> None:
    media_id = graph.post_text(
        "The butler did it.",
        poll_attachment=json.dumps({"option_a": "yes", "option_b": "no"}),
        text_entities=json.dumps(ENTITIES),
        topic_tag="Mystery",
        location_id="42",
        allowlisted_country_codes="US",
    )
    fields = (
        "id,media_type,text,topic_tag,location_id,location,text_entities,is_spoiler_media,"
        "allowlisted_country_codes,poll_attachment{option_a,option_b,total_votes},"
        "is_quote_post,profile_picture_url"
    )
    body = graph.get(media_id, fields=fields).json()
    assert body["media_type"] == "TEXT_POST"
    assert body["topic_tag"] == "Mystery"
    assert body["location_id"] == "42"
    assert body["location"] == {"id": "42"}
    assert body["text_entities"] == {"data": ENTITIES}
    assert body["is_spoiler_media"] is False
    assert body["allowlisted_country_codes"] == ["US"]
    assert body["poll_attachment"] == {"option_a": "yes", "option_b": "no", "total_votes": 0}
    assert body["is_quote_post"] is False
    assert body["profile_picture_url"].startswith("https://")
    assert "gif_url" not in graph.get(media_id, fields="id,gif_url").json()


def test_get_media_fields_gif_attachment_video(graph: Graph, sb: ThreadsSandbox) -> None:
    gif_post = graph.post_text(
        "gif", gif_attachment=json.dumps({"gif_id": "abc123", "provider": "GIPHY"})
    )
    gif_url = graph.get(gif_post, fields="gif_url").json()["gif_url"]
    assert "abc123" in gif_url
    attached = graph.post_text("read", text_attachment=json.dumps(ATTACHMENT))
    assert graph.get(attached, fields="text_attachment").json() == {"text_attachment": ATTACHMENT}
    video = graph.create(media_type="VIDEO", video_url="https://cdn.example.com/v.mp4")
    sb.advance(5)
    video_id = graph.publish(video).json()["id"]
    body = graph.get(video_id, fields="media_type,media_url,thumbnail_url").json()
    assert body["media_type"] == "VIDEO"
    assert body["media_url"] == "https://cdn.example.com/v.mp4"
    assert body["thumbnail_url"].startswith("https://")
    assert "thumbnail_url" not in graph.get(gif_post, fields="thumbnail_url").json()


def test_ghost_post_fields(graph: Graph, sb: ThreadsSandbox) -> None:
    ghost = graph.post_text("boo", is_ghost_post="true")
    fields = "ghost_post_status,ghost_post_expiration_timestamp"
    assert graph.get(ghost, fields=fields).json()["ghost_post_status"] == "ACTIVE"
    sb.advance(86401)
    assert graph.get(ghost, fields=fields).json()["ghost_post_status"] == "ARCHIVED"
    plain = graph.post_text("plain")
    assert graph.get(plain, fields=fields).json() == {}


def test_unknown_media_fields_are_errors(graph: Graph) -> None:
    media_id = graph.post_text("x")
    assert graph_error(graph.get(media_id, fields="id,like_count"))["code"] == 100
