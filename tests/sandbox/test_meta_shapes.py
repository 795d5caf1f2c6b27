"""The sandbox answers with the same shapes as the Meta-shaped bodies in tests/fixtures (the
library's parser tests read the same files)."""

from __future__ import annotations

from typing import Any

import requests

from threadspipepy.testing import ThreadsSandbox

from ..fixtures import PACIFIC_MIDNIGHT, load, shape
from .conftest import TIMEOUT, Graph, graph_error

PAGE_QUERY = {"fields": "id,text,timestamp", "limit": 2}


def follow(graph: Graph, url: str) -> dict[str, Any]:
    response = requests.get(url, headers=graph.headers, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_list_pages_with_links(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_posts(5)
    first = graph.get("me/threads", **PAGE_QUERY).json()
    assert shape(first) == shape(load("threads_page_1"))
    middle = follow(graph, first["paging"]["next"])
    assert shape(middle) == shape(load("threads_page_2"))
    last = follow(graph, middle["paging"]["next"])
    assert shape(last) == shape(load("threads_page_3"))
    beyond = graph.get("me/threads", **PAGE_QUERY, after=last["paging"]["cursors"]["after"])
    assert beyond.json() == load("empty_page")


def test_list_page_without_links() -> None:
    with ThreadsSandbox(paging_links=False) as sb:
        sb.seed_posts(2)
        body = Graph(sb, sb.access_token).get("me/threads", **PAGE_QUERY).json()
    assert shape(body) == shape(load("threads_page_without_links"))


def test_user_insights(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(
        views={"2024-07-10": 31, "2024-07-11": 44, "2024-07-12": 27},
        likes=19,
        clicks=[("https://example.com/launch", 11), ("https://example.com/docs", 3)],
    )
    body = graph.get(
        "me/threads_insights", metric="views,likes,clicks", since=1720594800, until=1720854000
    ).json()
    fixture = load("user_insights")
    assert shape(body) == shape(fixture)
    ours = [{**item, "id": item["id"].replace(sb.user_id, "1234567")} for item in body["data"]]
    assert ours == fixture["data"]  # the same values too, once the user ids match
    ends = [v["end_time"] for v in body["data"][0]["values"]]
    assert all(PACIFIC_MIDNIGHT.fullmatch(end) for end in ends)


def test_user_insights_in_winter(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.seed_user_insights(views={"2024-12-01": 12, "2024-12-02": 9})
    body = graph.get("me/threads_insights", metric="views", since=1733040000, until=1733212800)
    fixture = load("user_insights_winter")
    assert shape(body.json()) == shape(fixture)
    assert body.json()["data"][0]["values"] == fixture["data"][0]["values"]


def test_media_insights(graph: Graph, sb: ThreadsSandbox) -> None:
    (post,) = sb.seed_posts(1)
    sb.seed_insights(post["id"], likes=100, views=2400)
    body = graph.get(f"{post['id']}/insights", metric="likes,views").json()
    assert shape(body) == shape(load("media_insights"))


def test_unknown_object_error(graph: Graph) -> None:
    error = graph_error(graph.get("17999999999999999", fields="id"))
    expected = load("error_unknown_object")["error"]
    assert shape({"error": error}) == shape({"error": expected})
    assert error | {"fbtrace_id": expected["fbtrace_id"]} == expected
    assert error["type"] == "THApiException"
    assert (error["code"], error["error_subcode"]) == (100, 33)
    wrong_method = graph_error(graph.post("oembed", url="https://www.threads.com/t/x"))
    assert (wrong_method["type"], wrong_method["code"]) == ("THApiException", 100)
