"""Media and user insights: the three response shapes, demographics, and the rules
(threads-api.md §5)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error

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


def views_of(graph: Graph, **params: Any) -> list[tuple[str, int]]:
    (views,) = graph.get("me/threads_insights", metric="views", **params).json()["data"]
    return [(v["end_time"], v["value"]) for v in views["values"]]


def test_user_views_time_series(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(views={"2024-07-10": 5, "2024-07-11": 6, "2024-07-12": 7})
    # Pacific midnights (PDT: 07:00 UTC) to Pacific midnights: one value per Pacific day, each
    # stamped with the end of its day.
    body = graph.get(
        "me/threads_insights",
        metric="views",
        since="2024-07-10T07:00:00+0000",
        until="2024-07-13T07:00:00+0000",
    ).json()
    (views,) = body["data"]
    assert views["period"] == "day"
    assert views["id"] == f"{sb.user_id}/insights/views/day"
    assert [(v["end_time"], v["value"]) for v in views["values"]] == [
        ("2024-07-11T07:00:00+0000", 5),
        ("2024-07-12T07:00:00+0000", 6),
        ("2024-07-13T07:00:00+0000", 7),
    ]
    # UTC midnights: the Pacific days that begin inside the range, so the same three days.
    assert views_of(graph, since="2024-07-10", until="2024-07-13") == [
        ("2024-07-11T07:00:00+0000", 5),
        ("2024-07-12T07:00:00+0000", 6),
        ("2024-07-13T07:00:00+0000", 7),
    ]
    # A range inside one day: that day.
    assert views_of(graph, since="2024-07-11T09:00:00Z", until="2024-07-11T10:00:00Z") == [
        ("2024-07-12T07:00:00+0000", 6)
    ]


def test_daily_stamps_follow_daylight_saving(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(views={"2024-12-01": 1, "2025-03-09": 2, "2025-11-02": 3})
    winter = views_of(graph, since="2024-12-01T08:00:00Z", until="2024-12-02T08:00:00Z")
    assert winter == [("2024-12-02T08:00:00+0000", 1)]  # PST: Pacific midnight is 08:00 UTC
    # 9 March 2025 springs forward: the day before ends at 08:00 UTC, the day itself (23 hours)
    # at 07:00 UTC.
    spring = views_of(graph, since="2025-03-08T08:00:00Z", until="2025-03-11T07:00:00Z")
    assert spring == [
        ("2025-03-09T08:00:00+0000", 0),
        ("2025-03-10T07:00:00+0000", 2),
        ("2025-03-11T07:00:00+0000", 0),
    ]
    # 2 November 2025 falls back: the day (25 hours) starts at 07:00 UTC and ends at 08:00 UTC.
    autumn = views_of(graph, since="2025-11-02T07:00:00Z", until="2025-11-04T08:00:00Z")
    assert autumn == [("2025-11-03T08:00:00+0000", 3), ("2025-11-04T08:00:00+0000", 0)]


def test_default_range_is_yesterday_and_today_in_pacific_time(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    sb.seed_user_insights(views=[5, 6, 7, 8, 9, 10])  # ends today (a Pacific day)
    default = views_of(graph)
    assert [value for _, value in default] == [9, 10]  # yesterday and today
    now = datetime.now(timezone.utc)
    ends = [datetime.strptime(end, "%Y-%m-%dT%H:%M:%S%z") for end, _ in default]
    assert all(end.strftime("%M:%S") == "00:00" and end.hour in (7, 8) for end in ends)
    assert ends[0] <= now < ends[1] <= now + timedelta(hours=25)  # today ends next


def test_user_insights_paging_windows(graph: Graph, sb: ThreadsSandbox) -> None:
    since, until = 1720594800, 1720854000  # 2024-07-10 and 2024-07-13, Pacific midnights
    body = graph.get("me/threads_insights", metric="views,likes", since=since, until=until)
    paging = body.json()["paging"]
    assert set(paging) == {"previous", "next"}
    for name, window in (("previous", (since - 259200, since)), ("next", (until, until + 259200))):
        link = urlsplit(paging[name])
        assert f"{link.scheme}://{link.netloc}{link.path}" == f"{sb.url}/v1.0/me/threads_insights"
        assert parse_qs(link.query) == {
            "metric": ["views,likes"],
            "since": [str(window[0])],
            "until": [str(window[1])],
        }
    earlier = requests.get(paging["previous"], headers=graph.headers, timeout=TIMEOUT).json()
    (views,) = [item for item in earlier["data"] if item["name"] == "views"]
    assert views["values"][-1]["end_time"] == "2024-07-10T07:00:00+0000"
    # Clamped to what Meta accepts: nothing before 1712991600, nothing after now.
    first = graph.get("me/threads_insights", metric="likes", since=1712991600, until=1713250800)
    assert "previous" not in first.json()["paging"]
    recent = graph.get("me/threads_insights", metric="likes").json()["paging"]
    assert set(recent) == {"previous"}  # the default range ends now
    now = int(datetime.now(timezone.utc).timestamp())
    near = graph.get("me/threads_insights", metric="likes", since=now - 86400, until=now - 60)
    assert int(parse_qs(urlsplit(near.json()["paging"]["next"]).query)["until"][0]) <= now + 5
    # Current values take no since/until: no windows either side.
    assert "paging" not in graph.get("me/threads_insights", metric="followers_count").json()
    sb.paging_links = False
    assert "paging" not in graph.get("me/threads_insights", metric="likes").json()


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
