"""Keyword search, profile discovery, locations and oEmbed (threads-api.md §4.7-§4.11)."""

from __future__ import annotations

from typing import Any

import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def ids(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]]


# keyword search ---------------------------------------------------------------------------
def test_keyword_search_modes_and_filters(graph: Graph, sb: ThreadsSandbox) -> None:
    cats = sb.seed_posts(3, text="Cats are great {i}", username="cat_fan")
    tagged = sb.seed_posts(1, text="Look at this", topic_tag="Caturday", media_type="IMAGE")
    sb.seed_posts(1, text="Dogs are great too", username="dog_fan")
    recent = graph.get("keyword_search", q="cats great", search_type="RECENT").json()
    assert ids(recent) == [p["id"] for p in reversed(cats)]
    tag = graph.get("keyword_search", q="caturday", search_mode="TAG", fields="id,topic_tag")
    assert tag.json()["data"] == [{"id": tagged[0]["id"], "topic_tag": "Caturday"}]
    images = graph.get("keyword_search", q="look", media_type="IMAGE").json()
    assert ids(images) == [tagged[0]["id"]]
    assert graph.get("keyword_search", q="look", media_type="VIDEO").json() == {"data": []}
    by_author = graph.get("keyword_search", q="great", author_username="dog_fan").json()
    assert len(by_author["data"]) == 1
    fields = "id,username,text,owner,media_type"
    body = graph.get("keyword_search", q="dogs", fields=fields).json()
    assert set(body["data"][0]) == {"id", "username", "text", "media_type"}  # owner: never
    assert body["data"][0]["media_type"] == "TEXT_POST"


def test_keyword_search_top_ranks_by_engagement(graph: Graph, sb: ThreadsSandbox) -> None:
    low, high, mid = sb.seed_posts(3, text="ranking test {i}")
    for post, likes in ((low, 1), (high, 500), (mid, 50)):
        sb.seed_insights(post["id"], likes=likes, reposts=0, quotes=0)
    top = graph.get("keyword_search", q="ranking").json()  # search_type=TOP by default
    assert ids(top) == [high["id"], mid["id"], low["id"]]


def test_keyword_search_validation(graph: Graph, sb: ThreadsSandbox) -> None:
    bad = [
        {},
        {"q": ""},
        {"q": "x", "search_type": "top"},
        {"q": "x", "search_mode": "HASHTAG"},
        {"q": "x", "media_type": "CAROUSEL"},
        {"q": "x", "author_username": "@someone"},
        {"q": "x", "since": "2023-01-01"},
        {"q": "x", "fields": "id,likes"},
    ]
    for params in bad:
        assert graph_error(graph.get("keyword_search", **params))["code"] == 100, params


def test_keyword_search_pages(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(30, text="paged result {i}")
    first = graph.get("keyword_search", q="paged", search_type="RECENT", limit=20).json()
    assert len(first["data"]) == 20
    rest = graph.get(
        "keyword_search", q="paged", search_type="RECENT", after=first["paging"]["cursors"]["after"]
    ).json()
    assert len(rest["data"]) == 10
    assert "next" not in rest["paging"] and "after" in rest["paging"]["cursors"]  # the end
    assert not set(ids(first)) & set(ids(rest))


def test_keyword_search_quota_counts_only_hits(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(1, text="findable")
    sb.set_discovery_usage(keyword_searches=2199)
    assert graph.get("keyword_search", q="nothing matches").json() == {"data": []}
    assert graph.get("keyword_search", q="nothing matches").status_code == 200  # not counted
    assert len(graph.get("keyword_search", q="findable").json()["data"]) == 1  # the 2,200th
    error = graph_error(graph.get("keyword_search", q="findable"))
    assert error["code"] == 17
    sb.advance(86400)  # a rolling 24 hours
    assert graph.get("keyword_search", q="findable").status_code == 200
    recent = graph.get("me", fields="recently_searched_keywords").json()
    queries = [k["query"] for k in recent["recently_searched_keywords"]]
    assert queries[0] == "findable"
    assert set(queries) == {"findable", "nothing matches"}
    assert all(k["timestamp"] > 10**12 for k in recent["recently_searched_keywords"])  # ms


def test_search_leaves_out_private_ghost_and_pending(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_profile("hidden_person", 500, private=True)
    sb.seed_posts(1, text="secret word", username="hidden_person")
    sb.seed_posts(1, text="secret word", is_ghost_post=True)
    (moderated,) = sb.seed_posts(1, text="moderated", enable_reply_approvals=True)
    sb.seed_replies(moderated["id"], 1, text="secret word", username="fan")
    assert graph.get("keyword_search", q="secret word").json() == {"data": []}


# profile discovery ------------------------------------------------------------------------
def test_profile_lookup(graph: Graph, sb: ThreadsSandbox) -> None:
    seeded = sb.seed_profile(
        "nasa", 2500, name="NASA", biography="Exploring the universe", is_verified=True
    )
    assert seeded["follower_count"] == 2500
    body = graph.get("profile_lookup", username="nasa").json()
    assert set(body) == {
        "username",
        "name",
        "profile_picture_url",
        "biography",
        "follower_count",
        "likes_count",
        "quotes_count",
        "replies_count",
        "reposts_count",
        "views_count",
        "is_verified",
    }
    assert body["name"] == "NASA"
    assert body["follower_count"] == 2500
    assert body["is_verified"] is True
    assert body["likes_count"] == 0  # no posts in the last 7 days
    picked = graph.get("profile_lookup", username="nasa", fields="username,biography").json()
    assert picked == {"username": "nasa", "biography": "Exploring the universe"}
    sb.seed_profile("nasa", 2500, likes_count=99)
    assert graph.get("profile_lookup", username="nasa", fields="likes_count").json() == {
        "likes_count": 99
    }
    bad_field = graph.get("profile_lookup", username="nasa", fields="username,email")
    assert graph_error(bad_field)["code"] == 100


def test_profile_lookup_eligibility(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_profile("tiny", 99)
    sb.seed_profile("locked", 5000, private=True)
    sb.seed_profile("just_enough", 100)
    for username in ("tiny", "locked", "nobody_here", "@just_enough"):
        assert graph_error(graph.get("profile_lookup", username=username))["code"] == 100
    assert graph_error(graph.get("profile_lookup"))["code"] == 100
    assert graph.get("profile_lookup", username="just_enough").status_code == 200


def test_profile_posts_and_quota(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_profile("zuck", 10000, posts=30)
    body = graph.get("profile_posts", username="zuck", fields="id,username,owner,text").json()
    assert len(body["data"]) == 25
    assert {tuple(sorted(p)) for p in body["data"]} == {("id", "text", "username")}
    rest = graph.get("profile_posts", username="zuck", after=body["paging"]["cursors"]["after"])
    assert len(rest.json()["data"]) == 5
    assert (
        graph_error(graph.get("profile_posts", username="zuck", since="2020-01-01"))["code"] == 100
    )
    sb.set_discovery_usage(profile_requests=1000)
    assert graph_error(graph.get("profile_lookup", username="zuck"))["code"] == 17
    assert graph_error(graph.get("profile_posts", username="zuck"))["code"] == 17


# locations --------------------------------------------------------------------------------
def test_location_search_and_node(graph: Graph, sb: ThreadsSandbox) -> None:
    (cafe,) = sb.seed_locations(
        [{"name": "Blue Bottle Coffee", "city": "Oakland", "latitude": 37.8, "longitude": -122.27}]
    )
    fields = "id,name,city,latitude"
    body = graph.get("location_search", q="coffee", fields=fields).json()
    assert body == {
        "data": [
            {
                "id": int(cafe["id"]),
                "name": "Blue Bottle Coffee",
                "city": "Oakland",
                "latitude": 37.8,
            }
        ]
    }  # not paginated; ids are numbers as in Meta's example
    assert graph.get("location_search", query="coffee").json()["data"] == [{"id": int(cafe["id"])}]
    near = graph.get("location_search", latitude="37.48", longitude="-122.15", fields="name").json()
    assert near["data"] == [{"name": "Facebook Headquarters"}]
    both = graph.get("location_search", q="park", latitude="37.77", longitude="-122.48")
    assert len(both.json()["data"]) == 1
    node = graph.get(cafe["id"], fields="id,name,postal_code").json()
    assert node == {"id": cafe["id"], "name": "Blue Bottle Coffee"}  # absent values left out
    assert graph.get(cafe["id"]).json() == {"id": cafe["id"]}
    assert graph_error(graph.get(cafe["id"], fields="id,rating"))["code"] == 100


def test_location_search_rules_and_quota(graph: Graph, sb: ThreadsSandbox) -> None:
    for params in (
        {},
        {"latitude": "37.4"},
        {"longitude": "1"},
        {"latitude": "x", "longitude": "1"},
    ):
        assert graph_error(graph.get("location_search", **params))["code"] == 100, params
    assert graph_error(graph.get("location_search", latitude="91", longitude="0"))["code"] == 100
    graph.get("location_search", q="tower")
    limit = graph.get("me/threads_publishing_limit", fields="location_search_quota_usage").json()
    assert limit == {"data": [{"location_search_quota_usage": 1}]}
    sb.set_discovery_usage(location_searches=500)
    assert graph_error(graph.get("location_search", q="tower"))["code"] == 4


# oEmbed -----------------------------------------------------------------------------------
def oembed(sb: ThreadsSandbox, **params: Any) -> requests.Response:
    return requests.get(f"{sb.url}/v1.0/oembed", params=params, timeout=TIMEOUT)


def test_oembed_without_token(sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1, text="Embed me")
    answer = oembed(sb, url=post["permalink"])
    assert answer.status_code == 200
    body = answer.json()
    assert {k: v for k, v in body.items() if k != "html"} == {
        "version": "1.0",
        "provider_name": "Threads",
        "provider_url": "https://www.threads.com/",
        "type": "rich",
        "width": 658,
    }
    assert post["permalink"] in body["html"]
    assert "Embed me" in body["html"]
    code = post["shortcode"]
    for url in (
        f"https://www.threads.net/@sandbox_user/post/{code}/",
        f"https://www.threads.com/t/{code}",
        f"https://threads.com/@sandbox_user/post/{code}?xmt=abc",
    ):
        assert oembed(sb, url=url).status_code == 200, url
    assert oembed(sb, url=post["permalink"], maxwidth=320).json()["width"] == 320


def test_oembed_rules(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    code = post["shortcode"]

    def error(**params: Any) -> dict[str, Any]:
        return graph_error(oembed(sb, **params))

    assert error()["code"] == 100
    assert error(url="https://example.com/post/1")["code"] == 100
    assert error(url="https://www.threads.com/@sandbox_user/post/NOPE")["code"] == 100
    assert error(url=f"https://www.threads.com/@someone_else/post/{code}")["code"] == 100
    assert error(url=post["permalink"], maxwidth=319)["code"] == 100
    assert error(url=post["permalink"], maxwidth=659)["code"] == 100
    assert error(url=post["permalink"], maxwidth="wide")["code"] == 100
    sb.seed_profile("private_one", 500, private=True)
    (private,) = sb.seed_posts(1, username="private_one")
    assert error(url=private["permalink"])["code"] == 100
    (gated,) = sb.seed_posts(1, allowlisted_country_codes="US")
    assert error(url=gated["permalink"])["code"] == 100
    bad_token = oembed(sb, url=post["permalink"], access_token="not-a-token")
    assert graph_error(bad_token)["code"] == 190
    assert graph.get("oembed", url=post["permalink"]).status_code == 200  # a user token is fine
    app_token = f"{sb.app_id}|{sb.app_secret}"
    assert oembed(sb, url=post["permalink"], access_token=app_token).status_code == 200


def test_oembed_tokenless_hourly_limit(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.set_discovery_usage(oembed_tokenless=1000)
    assert graph_error(oembed(sb, url=post["permalink"]))["code"] == 4
    assert graph.get("oembed", url=post["permalink"]).status_code == 200  # with a token
    sb.advance(3600)
    assert oembed(sb, url=post["permalink"]).status_code == 200
