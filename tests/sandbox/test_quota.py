"""Publishing quotas and GET /{user-id}/threads_publishing_limit (threads-api.md §3.13)."""

from __future__ import annotations

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error

ALL_FIELDS = (
    "quota_usage,config,reply_quota_usage,reply_config,delete_quota_usage,delete_config,"
    "location_search_quota_usage,location_search_config"
)


def test_limit_endpoint_shape(graph: Graph) -> None:
    body = graph.get("me/threads_publishing_limit", fields=ALL_FIELDS).json()
    assert body == {
        "data": [
            {
                "quota_usage": 0,
                "config": {"quota_total": 250, "quota_duration": 86400},
                "reply_quota_usage": 0,
                "reply_config": {"quota_total": 1000, "quota_duration": 86400},
                "delete_quota_usage": 0,
                "delete_config": {"quota_total": 100, "quota_duration": 86400},
                "location_search_quota_usage": 0,
                "location_search_config": {"quota_total": 500, "quota_duration": 86400},
            }
        ]
    }
    assert graph.get("me/threads_publishing_limit").json() == {"data": [{"quota_usage": 0}]}
    unknown = graph.get("me/threads_publishing_limit", fields="quota_usage,search_quota_usage")
    assert graph_error(unknown)["code"] == 100


def test_usage_counts_posts_and_replies_separately(graph: Graph) -> None:
    root = graph.post_text("root")
    graph.post_text("reply 1", reply_to_id=root)
    graph.post_text("reply 2", reply_to_id=root)
    body = graph.get("me/threads_publishing_limit", fields="quota_usage,reply_quota_usage").json()
    assert body == {"data": [{"quota_usage": 1, "reply_quota_usage": 2}]}


def test_quotas_are_per_account(graph: Graph, sb: ThreadsSandbox) -> None:
    small = sb.add_account(quota_total=3, reply_quota_total=7)
    other = Graph(sb, small.access_token)
    graph.post_text("default account")
    body = other.get(f"{small.user_id}/threads_publishing_limit", fields=ALL_FIELDS).json()
    data = body["data"][0]
    assert data["quota_usage"] == 0
    assert data["config"]["quota_total"] == 3
    assert data["reply_config"]["quota_total"] == 7


def test_over_quota_publish_is_refused(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.set_quota_usage(posts=250)
    cid = graph.create(media_type="TEXT", text="one too many")
    error = graph_error(graph.publish(cid))
    assert error["code"] == 4
    assert sb.posts == []
    assert graph.status(cid)["status"] == "FINISHED"  # still publishable later


def test_replies_use_the_reply_quota(graph: Graph, sb: ThreadsSandbox) -> None:
    root = graph.post_text("root")
    sb.set_quota_usage(posts=250)
    assert graph.post_text("replies still fit", reply_to_id=root)
    sb.set_quota_usage(replies=1000)
    cid = graph.create(media_type="TEXT", text="no more replies", reply_to_id=root)
    assert graph_error(graph.publish(cid))["code"] == 4


def test_usage_rolls_off_after_24_hours(graph: Graph, sb: ThreadsSandbox) -> None:
    limited = sb.add_account(quota_total=1)
    as_limited = Graph(sb, limited.access_token)
    as_limited.post_text("first")
    blocked = as_limited.create(media_type="TEXT", text="second")
    assert graph_error(as_limited.publish(blocked))["code"] == 4
    sb.advance(43200)
    assert as_limited.get("me/threads_publishing_limit").json()["data"][0]["quota_usage"] == 1
    sb.advance(43201)
    assert as_limited.get("me/threads_publishing_limit").json()["data"][0]["quota_usage"] == 0
    fresh = as_limited.create(media_type="TEXT", text="second, next day")
    assert as_limited.publish(fresh).status_code == 200


def test_set_quota_usage_for_another_account(sb: ThreadsSandbox) -> None:
    acct = sb.add_account()
    sb.set_quota_usage(acct.user_id, posts=12, replies=3)
    body = Graph(sb, acct.access_token).get(
        "me/threads_publishing_limit", fields="quota_usage,reply_quota_usage"
    )
    assert body.json() == {"data": [{"quota_usage": 12, "reply_quota_usage": 3}]}
    default = Graph(sb, sb.access_token).get("me/threads_publishing_limit").json()
    assert default == {"data": [{"quota_usage": 0}]}
