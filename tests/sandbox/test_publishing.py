"""POST /{user-id}/threads_publish and reading posts back (threads-api.md §3.2-§3.5, §4.1-§4.3)."""

from __future__ import annotations

import re

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error

IMAGE = {"media_type": "IMAGE", "image_url": "https://cdn.example.com/pic.jpg"}


def test_publish_text_post(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="Hello Threads", topic_tag="Sandbox")
    answer = graph.publish(cid)
    assert answer.status_code == 200
    media_id = answer.json()["id"]
    assert set(answer.json()) == {"id"}
    assert media_id != cid
    assert graph.status(cid)["status"] == "PUBLISHED"
    (post,) = sb.posts
    assert post["id"] == media_id
    assert post["owner"] == sb.user_id
    assert post["media_type"] == "TEXT_POST"
    assert post["text"] == "Hello Threads"
    assert post["topic_tag"] == "Sandbox"
    assert post["reply_to_id"] is None
    assert post["container_id"] == cid
    assert post["children"] == []
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000", post["timestamp"])
    assert sb.container(cid)["published_media_id"] == media_id


def test_publishing_an_unfinished_container_is_refused(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="VIDEO", video_url="https://cdn.example.com/v.mp4")
    error = graph_error(graph.publish(cid))
    assert (error["code"], error["error_subcode"]) == (9007, 2207027)
    assert sb.posts == []
    sb.advance(2)
    assert graph.publish(cid).status_code == 200


def test_publishing_twice_is_refused_and_posts_once(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="once")
    assert graph.publish(cid).status_code == 200
    error = graph_error(graph.publish(cid))
    assert error["code"] == 506  # Meta's "Duplicate Post"
    assert error["error_user_msg"] == "Duplicate Post"
    assert "already" in error["message"]
    assert len(sb.posts) == 1
    assert sb.publish_attempts == 2


def test_errored_and_expired_containers_cannot_be_published(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    failed = graph.create(**IMAGE)
    sb.fail_container(failed)
    assert graph_error(graph.publish(failed))["code"] == 9007
    stale = graph.create(media_type="TEXT", text="late")
    sb.advance(86401)
    assert graph_error(graph.publish(stale))["code"] == 9007
    assert sb.posts == []


def test_unknown_or_foreign_container_is_code_24(graph: Graph, sb: ThreadsSandbox) -> None:
    error = graph_error(graph.publish("18100000099999999"))
    assert (error["code"], error["error_subcode"]) == (24, 4279009)
    other = Graph(sb, sb.add_account().access_token)
    foreign = other.create(media_type="TEXT", text="theirs")
    assert graph_error(graph.publish(foreign))["error_subcode"] == 4279009
    assert graph_error(graph.post("me/threads_publish"))["code"] == 100  # no creation_id


def test_publish_attempts_counts_every_attempt(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="count me")
    graph.publish("nope")
    graph.publish(cid)
    graph.publish(cid)
    sb.fail("POST", "/v1.0/me/threads_publish")
    graph.publish(cid)
    assert sb.publish_attempts == 4
    assert len(sb.posts) == 1


def test_carousel_publishes_as_one_album(graph: Graph, sb: ThreadsSandbox) -> None:
    items = [graph.finished_item("IMAGE"), graph.finished_item("VIDEO")]
    error = graph_error(graph.publish(items[0]))  # an item alone cannot be published
    assert error["code"] == 100
    album = graph.create(media_type="CAROUSEL", children=",".join(items), text="album")
    sb.advance(1)
    media_id = graph.publish(album).json()["id"]
    (post,) = sb.posts
    assert post["media_type"] == "CAROUSEL_ALBUM"
    assert [c["container_id"] for c in post["children"]] == items
    assert [c["media_type"] for c in post["children"]] == ["IMAGE", "VIDEO"]
    body = graph.get(media_id, fields="id,media_type,children{id,media_type}").json()
    assert body["media_type"] == "CAROUSEL_ALBUM"
    assert [c["media_type"] for c in body["children"]["data"]] == ["IMAGE", "VIDEO"]
    assert graph.status(items[0])["status"] == "PUBLISHED"
    limit = graph.get("me/threads_publishing_limit").json()
    assert limit == {"data": [{"quota_usage": 1}]}  # a carousel counts once


def test_read_a_post_and_a_reply(graph: Graph, sb: ThreadsSandbox) -> None:
    root = graph.post_text("root https://example.com", reply_control="followers_only")
    reply = graph.post_text("reply", reply_to_id=root)
    fields = (
        "id,media_product_type,media_type,text,permalink,shortcode,username,timestamp,owner,"
        "is_reply,has_replies,reply_audience"
    )
    body = graph.get(root, fields=fields).json()
    assert body["id"] == root
    assert body["media_product_type"] == "THREADS"
    assert body["media_type"] == "TEXT_POST"
    assert body["username"] == sb.default_account.username
    assert body["permalink"].endswith(f"/post/{body['shortcode']}")
    assert body["owner"] == {"id": sb.user_id}
    assert body["is_reply"] is False
    assert body["has_replies"] is True
    assert body["reply_audience"] == "FOLLOWERS_ONLY"
    reply_body = graph.get(reply, fields="is_reply,replied_to,root_post").json()
    assert reply_body == {"is_reply": True, "replied_to": {"id": root}, "root_post": {"id": root}}
    assert graph.get(root).json() == {"id": root}
    assert graph_error(graph.get(root, fields="id,likes"))["code"] == 100
    assert sb.posts[1]["reply_to_id"] == root


def test_list_threads_newest_first_with_cursors(graph: Graph, sb: ThreadsSandbox) -> None:
    ids = [graph.post_text(f"post {i}") for i in range(5)]
    graph.post_text("a reply is not listed", reply_to_id=ids[0])
    first = graph.get("me/threads", fields="id,text,timestamp", limit=2).json()
    assert [p["id"] for p in first["data"]] == [ids[4], ids[3]]
    assert set(first["data"][0]) == {"id", "text", "timestamp"}
    after = first["paging"]["cursors"]["after"]
    second = graph.get("me/threads", limit=2, after=after).json()
    assert [p["id"] for p in second["data"]] == [ids[2], ids[1]]
    back = graph.get("me/threads", limit=2, before=second["paging"]["cursors"]["before"]).json()
    assert [p["id"] for p in back["data"]] == [ids[4], ids[3]]
    last = graph.get("me/threads", limit=2, after=second["paging"]["cursors"]["after"]).json()
    assert [p["id"] for p in last["data"]] == [ids[0]]
    # The end of the list: no `next` link, yet both cursors stay, as on Meta's last pages.
    assert "next" not in last["paging"] and set(last["paging"]["cursors"]) == {"before", "after"}
    beyond = graph.get("me/threads", limit=2, after=last["paging"]["cursors"]["after"]).json()
    assert beyond == {"data": []}
    end = graph.get("me/threads", after=last["paging"]["cursors"]["before"]).json()
    assert end == {"data": []}
    assert len(graph.get("me/threads").json()["data"]) == 5
    both = graph.get("me/threads", before=after, after=after)
    assert graph_error(both)["code"] == 100
    other = Graph(sb, sb.add_account().access_token)
    assert other.get("me/threads").json() == {"data": []}


def test_list_threads_limit_caps_at_100(graph: Graph) -> None:
    assert graph_error(graph.get("me/threads", limit=0))["code"] == 100
    assert graph.get("me/threads", limit=500).status_code == 200


def test_list_replies_holds_the_replies(graph: Graph) -> None:
    root = graph.post_text("root")
    first = graph.post_text("first reply", reply_to_id=root)
    second = graph.post_text("second reply", reply_to_id=first)
    body = graph.get("me/replies", fields="id,text,is_reply,replied_to").json()
    assert [p["id"] for p in body["data"]] == [second, first]
    assert body["data"][0]["replied_to"] == {"id": first}
    assert [p["id"] for p in graph.get("me/threads").json()["data"]] == [root]


def test_parallel_publishing_is_consistent(graph: Graph, sb: ThreadsSandbox) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        media_ids = list(pool.map(lambda i: graph.post_text(f"parallel {i}"), range(24)))
    assert len(set(media_ids)) == 24
    assert sorted(p["id"] for p in sb.posts) == sorted(media_ids)
    assert sb.publish_attempts == 24
    limit = graph.get("me/threads_publishing_limit").json()
    assert limit == {"data": [{"quota_usage": 24}]}
    assert len(sb.requests) == 49  # 24 creates, 24 publishes, 1 limit read
