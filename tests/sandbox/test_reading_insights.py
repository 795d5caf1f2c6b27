"""Media and user insights: the three response shapes, demographics, and the rules
(threads-api.md §5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from threadspipepy.testing import ThreadsSandbox

from .conftest import Graph, graph_error

BREAKDOWN_KEYS = {
    "country": {"US", "GB", "IN", "BR", "DE", "JP", "MX", "CA"},
    "age": {"13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"},
    "gender": {"F", "M", "U"},
}


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in body["data"]}


def test_media_insights_lifetime_shape(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.seed_replies(post["id"], 2, depth=2)
    sb.seed_insights(post["id"], views=1200, likes=80)
    body = graph.get(f"{post['id']}/insights", metric="likes,views,replies,shares").json()
    assert [item["name"] for item in body["data"]] == ["likes", "views", "replies", "shares"]
    likes = body["data"][0]
    assert likes == {
        "name": "likes",
        "period": "lifetime",
        "values": [{"value": 80}],
        "title": "Likes",
        "description": "The number of likes on your post.",
        "id": f"{post['id']}/insights/likes/lifetime",
    }
    assert body["data"][1]["values"] == [{"value": 1200}]
    assert body["data"][2]["values"] == [{"value": 4}]  # every level under a root post
    shares = body["data"][3]["values"][0]["value"]
    assert isinstance(shares, int) and shares >= 0


def test_media_insights_defaults_are_deterministic(graph: Graph) -> None:
    with ThreadsSandbox() as one, ThreadsSandbox() as two:
        values = []
        for sandbox in (one, two):
            (post,) = sandbox.seed_posts(1)
            g = Graph(sandbox, sandbox.access_token)
            values.append(g.get(f"{post['id']}/insights", metric="views,likes,quotes").json())
        assert values[0] == values[1]


def test_media_insights_rules(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    assert graph_error(graph.get(f"{post['id']}/insights"))["code"] == 100  # metric required
    assert graph_error(graph.get(f"{post['id']}/insights", metric="views,clicks"))["code"] == 100
    reply, _, _ = sb.seed_replies(post["id"], 1, depth=3, username=None)
    direct = graph.get(f"{reply['id']}/insights", metric="replies").json()
    assert direct["data"][0]["values"] == [{"value": 1}]  # a reply: direct replies only
    root = graph.get(f"{post['id']}/insights", metric="replies").json()
    assert root["data"][0]["values"] == [{"value": 3}]
    (theirs,) = sb.seed_posts(1, username="other_author")
    assert graph_error(graph.get(f"{theirs['id']}/insights", metric="likes"), 403)["code"] == 10
    repost = graph.post(f"{theirs['id']}/repost").json()["id"]
    assert graph.get(f"{repost}/insights", metric="views,likes").json() == {"data": []}
    sb.seed_insights(likes=7)  # a default for every post not seeded on its own
    assert graph.get(f"{post['id']}/insights", metric="likes").json()["data"][0]["values"] == [
        {"value": 7}
    ]
    with pytest.raises(ValueError, match="clicks"):
        sb.seed_insights(post["id"], clicks=3)


def test_user_views_time_series(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(views=[5, 6, 7, 8, 9, 10])  # ends today
    today = datetime.now(timezone.utc).date()
    since = datetime.combine(today - timedelta(days=3), datetime.min.time(), timezone.utc)
    body = graph.get(
        "me/threads_insights", metric="views", since=int(since.timestamp()), until="now"
    ).json()
    (views,) = body["data"]
    assert views["period"] == "day"
    assert views["id"] == f"{sb.user_id}/insights/views/day"
    assert [v["value"] for v in views["values"]] == [7, 8, 9, 10]
    ends = [v["end_time"] for v in views["values"]]
    assert ends[-1] == f"{today + timedelta(days=1)}T00:00:00+0000"
    assert ends[0] == f"{today - timedelta(days=2)}T00:00:00+0000"
    default = graph.get("me/threads_insights", metric="views").json()["data"][0]["values"]
    assert [v["value"] for v in default] == [9, 10]  # yesterday and today


def test_user_total_values_and_link_clicks(graph: Graph, sb: ThreadsSandbox) -> None:
    day = date.fromisoformat("2024-06-10")
    sb.seed_user_insights(
        likes={day: 3, day + timedelta(days=1): 4, "2024-06-20": 100},
        replies=42,
        clicks=[("https://ai.meta.com/blog/", 11), ("https://example.com/", 2)],
        followers_count=1234,
    )
    body = graph.get(
        "me/threads_insights",
        metric="likes,replies,reposts,clicks",
        since="2024-06-10",
        until="2024-06-12",
    ).json()
    items = by_name(body)
    assert items["likes"]["total_value"] == {"value": 7}
    assert items["replies"]["total_value"] == {"value": 42}
    assert isinstance(items["reposts"]["total_value"]["value"], int)
    assert items["clicks"]["link_total_values"] == [
        {"value": 11, "link_url": "https://ai.meta.com/blog/"},
        {"value": 2, "link_url": "https://example.com/"},
    ]
    assert "values" not in items["likes"]
    followers = graph.get("me/threads_insights", metric="followers_count").json()["data"][0]
    assert followers["total_value"] == {"value": 1234}


@pytest.mark.parametrize("breakdown", ["country", "city", "age", "gender"])
def test_follower_demographics_per_breakdown(
    graph: Graph, sb: ThreadsSandbox, breakdown: str
) -> None:
    sb.seed_user_insights(followers_count=500)
    body = graph.get(
        "me/threads_insights", metric="follower_demographics", breakdown=breakdown
    ).json()
    (item,) = body["data"]
    assert item["name"] == "follower_demographics"
    (group,) = item["total_value"]["breakdowns"]
    assert group["dimension_keys"] == [breakdown]
    values = [r["value"] for r in group["results"]]
    assert sum(values) == 500
    assert values == sorted(values, reverse=True)
    assert all(len(r["dimension_values"]) == 1 for r in group["results"])
    if breakdown in BREAKDOWN_KEYS:
        assert {r["dimension_values"][0] for r in group["results"]} <= BREAKDOWN_KEYS[breakdown]


def test_seeded_demographics(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(
        followers_count=150,
        demographics={"country": {"US": 40, "BR": 90, "FR": 20}, "gender": {"F": 80, "M": 70}},
    )
    body = graph.get("me/threads_insights", metric="follower_demographics", breakdown="country")
    results = body.json()["data"][0]["total_value"]["breakdowns"][0]["results"]
    assert results == [
        {"dimension_values": ["BR"], "value": 90},
        {"dimension_values": ["US"], "value": 40},
        {"dimension_values": ["FR"], "value": 20},
    ]


def test_demographics_rules(graph: Graph, sb: ThreadsSandbox) -> None:
    def error(**params: str) -> dict[str, Any]:
        return graph_error(graph.get("me/threads_insights", **params))

    demo = "follower_demographics"
    assert error(metric=demo)["code"] == 100  # breakdown required
    assert error(metric=demo, breakdown="country,age")["code"] == 100  # exactly one
    assert error(metric=demo, breakdown="language")["code"] == 100
    assert error(metric="views", breakdown="country")["code"] == 100  # breakdown without it
    assert error(metric=demo, breakdown="age", since="2024-06-01")["code"] == 100
    assert error(metric="followers_count", until="2024-06-01")["code"] == 100
    sb.seed_user_insights(followers_count=99)
    small = error(metric=demo, breakdown="age")
    assert small["code"] == 100
    assert small["error_user_msg"] == "THREADS_API__FEATURE_NOT_AVAILABLE"


def test_user_insights_rules(graph: Graph, sb: ThreadsSandbox) -> None:
    def error(**params: str) -> dict[str, Any]:
        return graph_error(graph.get("me/threads_insights", **params))

    assert error()["code"] == 100  # metric required
    assert error(metric="views,shares")["code"] == 100  # shares is a media metric
    assert error(metric="views", since="1712991599")["code"] == 100  # before 2024-04-13
    assert error(metric="views", since="2024-04-01")["code"] == 100
    assert error(metric="likes", since="2024-06-02", until="2024-06-01")["code"] == 100
    tomorrow = (datetime.now(timezone.utc) + timedelta(days=1)).date().isoformat()
    assert error(metric="likes", until=tomorrow)["code"] == 100
    ok = graph.get("me/threads_insights", metric="likes", since="1712991600", until="2024-04-14")
    assert ok.status_code == 200
    other = sb.add_account(username="someone_else")
    assert (
        graph_error(graph.get(f"{other.user_id}/threads_insights", metric="views"), 403)["code"]
        == 10
    )
