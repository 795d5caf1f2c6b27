"""POST /{media-id}/repost and DELETE /{media-id} (threads-api.md §3.5, §3.13)."""

from __future__ import annotations

import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def delete(graph: Graph, media_id: str) -> requests.Response:
    return requests.delete(f"{graph.base}/{media_id}", headers=graph.headers, timeout=TIMEOUT)


def quota(graph: Graph, field: str) -> int:
    body = graph.get("me/threads_publishing_limit", fields=field).json()
    return int(body["data"][0][field])


# reposts -----------------------------------------------------------------------------------
def test_repost_returns_an_id_and_a_repost_facade(graph: Graph, sb: ThreadsSandbox) -> None:
    original = graph.post_text("worth sharing")
    answer = graph.post(f"{original}/repost")
    assert answer.status_code == 200
    assert set(answer.json()) == {"id"}
    repost_id = answer.json()["id"]
    assert repost_id != original
    repost = sb.posts[-1]
    assert repost["id"] == repost_id
    assert repost["media_type"] == "REPOST_FACADE"
    assert repost["reposted_post"] == {"id": original}
    assert repost["text"] is None
    assert repost["container_id"] is None
    body = graph.get(repost_id, fields="id,media_type,reposted_post,owner,is_quote_post").json()
    assert body == {
        "id": repost_id,
        "media_type": "REPOST_FACADE",
        "reposted_post": {"id": original},
        "owner": {"id": sb.user_id},
        "is_quote_post": False,
    }
    listed = graph.get("me/threads", fields="id,media_type").json()["data"]
    assert listed[0] == {"id": repost_id, "media_type": "REPOST_FACADE"}
    # Reposting does not use the publishing quota (undocumented; the sandbox's choice).
    assert quota(graph, "quota_usage") == 1


def test_another_account_can_repost(graph: Graph, sb: ThreadsSandbox) -> None:
    original = graph.post_text("public post")
    other_account = sb.add_account()
    other = Graph(sb, other_account.access_token)
    repost_id = other.post(f"{original}/repost").json()["id"]
    assert sb.posts[-1]["owner"] == other_account.user_id
    assert other.get("me/threads").json()["data"] == [{"id": repost_id}]
    # The same post can be reposted by its author too, once.
    assert graph.post(f"{original}/repost").status_code == 200


def test_repost_errors(graph: Graph, sb: ThreadsSandbox) -> None:
    error = graph_error(graph.post("17900000099999999/repost"))
    assert (error["code"], error["error_subcode"]) == (100, 33)
    original = graph.post_text("once")
    repost_id = graph.post(f"{original}/repost").json()["id"]
    again = graph_error(graph.post(f"{original}/repost"))
    assert again["code"] == 100 and "already" in again["message"]
    own_repost = graph_error(graph.post(f"{repost_id}/repost"))
    assert own_repost["code"] == 100 and "repost" in own_repost["message"]
    container = graph.create(media_type="TEXT", text="not published")
    assert graph_error(graph.post(f"{container}/repost"))["error_subcode"] == 33
    assert graph_error(graph.get(f"{original}/repost"))["error_subcode"] == 33  # POST only
    assert len([p for p in sb.posts if p["media_type"] == "REPOST_FACADE"]) == 1


# deletes -----------------------------------------------------------------------------------
def test_delete_a_post(graph: Graph, sb: ThreadsSandbox) -> None:
    keep = graph.post_text("keep")
    gone = graph.post_text("delete me")
    answer = delete(graph, gone)
    assert answer.status_code == 200
    assert answer.json() == {"success": True, "deleted_id": gone}
    assert [p["id"] for p in sb.posts] == [keep]
    assert sb.deleted == [gone]
    assert graph_error(graph.get(gone, fields="id,text"))["error_subcode"] == 33
    assert [p["id"] for p in graph.get("me/threads").json()["data"]] == [keep]
    assert quota(graph, "delete_quota_usage") == 1
    again = graph_error(delete(graph, gone))
    assert (again["code"], again["error_subcode"]) == (100, 33)
    assert "delete" in again["message"]
    assert sb.deleted == [gone]


def test_delete_a_reply_and_a_carousel(graph: Graph, sb: ThreadsSandbox) -> None:
    root = graph.post_text("root")
    reply = graph.post_text("reply", reply_to_id=root)
    assert delete(graph, reply).status_code == 200
    assert graph.get("me/replies").json() == {"data": []}
    assert graph.get(root, fields="has_replies").json()["has_replies"] is False
    items = [graph.finished_item() for _ in range(2)]
    album_container = graph.create(media_type="CAROUSEL", children=",".join(items))
    sb.advance(1)
    album = graph.publish(album_container).json()["id"]
    child = sb.posts[-1]["children"][0]["id"]
    assert graph_error(delete(graph, child))["error_subcode"] == 33  # not on its own
    assert delete(graph, album).status_code == 200
    assert graph_error(graph.get(child))["error_subcode"] == 33  # gone with its album
    assert sb.deleted == [reply, album]


def test_delete_a_repost_and_deleting_the_original_removes_reposts(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    original = graph.post_text("original")
    first = graph.post(f"{original}/repost").json()["id"]
    assert delete(graph, first).status_code == 200
    second = graph.post(f"{original}/repost").json()["id"]  # reposting again is fine now
    assert delete(graph, original).status_code == 200
    assert graph_error(graph.get(second))["error_subcode"] == 33
    assert sb.posts == []
    assert graph_error(graph.post(f"{original}/repost"))["error_subcode"] == 33


def test_only_the_owner_may_delete(graph: Graph, sb: ThreadsSandbox) -> None:
    mine = graph.post_text("mine")
    other = Graph(sb, sb.add_account().access_token)
    error = graph_error(delete(other, mine), status=403)
    assert error["code"] == 10
    assert [p["id"] for p in sb.posts] == [mine]
    assert sb.deleted == []
    container = graph.create(media_type="TEXT", text="a container, not a post")
    assert graph_error(delete(graph, container))["error_subcode"] == 33


def test_delete_quota_is_100_per_rolling_day(graph: Graph, sb: ThreadsSandbox) -> None:
    victim = graph.post_text("one too many")
    sb.set_quota_usage(deletes=100)
    error = graph_error(delete(graph, victim))
    assert error["code"] == 4
    assert "100 deletes" in error["message"]
    assert sb.posts[0]["id"] == victim and sb.deleted == []
    sb.advance(86401)
    assert delete(graph, victim).status_code == 200
    small = sb.add_account(delete_quota_total=1)
    limited = Graph(sb, small.access_token)
    first, second = limited.post_text("a"), limited.post_text("b")
    assert delete(limited, first).status_code == 200
    assert graph_error(delete(limited, second))["code"] == 4
    body = limited.get("me/threads_publishing_limit", fields="delete_quota_usage,delete_config")
    assert body.json() == {
        "data": [
            {"delete_quota_usage": 1, "delete_config": {"quota_total": 1, "quota_duration": 86400}}
        ]
    }


def test_replying_to_a_deleted_post_is_rejected(graph: Graph) -> None:
    root = graph.post_text("root")
    assert delete(graph, root).status_code == 200
    answer = graph.post("me/threads", media_type="TEXT", text="late", reply_to_id=root)
    assert "reply_to_id" in graph_error(answer)["message"]
