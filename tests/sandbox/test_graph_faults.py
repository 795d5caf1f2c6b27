"""Injected Graph errors of the test's choosing, lost containers, latency and stats()."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def test_fail_with_a_graph_code_and_subcode(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="x")
    sb.fail("POST", "/v1.0/*/threads_publish", code=24, subcode=4279009)
    error = graph_error(graph.publish(cid))  # HTTP 400 by default with a code
    assert (error["code"], error["error_subcode"]) == (24, 4279009)
    assert error["message"] == "The requested resource does not exist"
    assert error["type"] == "OAuthException"
    assert error["is_transient"] is False
    assert sb.posts == []  # before the request: nothing happened
    assert graph.publish(cid).status_code == 200


def test_fail_with_every_part_chosen(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail(
        "GET",
        "/v1.0/me",
        status=403,
        code=200,
        subcode=4279004,
        message="(#200) Custom words",
        error_type="GraphMethodException",
        times=2,
    )
    for _ in range(2):
        error = graph_error(graph.get("me"), status=403)
        assert error == {
            "message": "(#200) Custom words",
            "type": "GraphMethodException",
            "code": 200,
            "error_subcode": 4279004,
            "is_transient": False,
            "fbtrace_id": error["fbtrace_id"],
        }
    assert graph.get("me").status_code == 200


def test_duplicate_post_after_the_publish_took_effect(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="dup")
    sb.fail("POST", "/v1.0/*/threads_publish", code=506, after=True)
    error = graph_error(graph.publish(cid))
    assert error["code"] == 506
    assert "Duplicate" in error["message"]
    assert len(sb.posts) == 1  # after=True: it was published


def test_throttling_codes_are_transient(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("GET", "/v1.0/me", code=17)
    assert graph_error(graph.get("me"))["is_transient"] is True
    sb.fail("GET", "/v1.0/me", status=503)  # no code: as before, code 2
    assert graph_error(graph.get("me"), status=503)["code"] == 2


def test_fail_code_and_html_conflict(sb: ThreadsSandbox) -> None:
    with pytest.raises(ValueError, match="html"):
        sb.fail("GET", "/v1.0/me", html=True, code=24)


def test_lose_container(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="vanishing")
    sb.lose_container(cid)
    status = graph_error(graph.get(cid, fields="id,status"))
    assert (status["code"], status["error_subcode"]) == (100, 33)
    publish = graph_error(graph.publish(cid))
    assert (publish["code"], publish["error_subcode"]) == (24, 4279009)
    assert sb.containers == [] and sb.posts == []
    with pytest.raises(KeyError):
        sb.lose_container(cid)


def test_lost_carousel_item(graph: Graph, sb: ThreadsSandbox) -> None:
    items = [graph.finished_item() for _ in range(2)]
    album = graph.create(media_type="CAROUSEL", children=",".join(items))
    sb.advance(1)
    sb.lose_container(items[1])
    error = graph_error(graph.publish(album))
    assert (error["code"], error["error_subcode"]) == (24, 4279009)
    assert sb.posts == []
    rebuilt = graph.post("me/threads", media_type="CAROUSEL", children=",".join(items))
    assert "children" in graph_error(rebuilt)["message"]


def test_latency_delays_every_answer() -> None:
    with ThreadsSandbox(latency=0.2) as sb:
        graph = Graph(sb, sb.access_token)
        started = time.monotonic()
        graph.get("me")
        requests.get(sb.host_file("a.jpg", b"x"), timeout=TIMEOUT)
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()  # requests overlap: the latency is not serialised
        with ThreadPoolExecutor(max_workers=5) as pool:
            list(pool.map(lambda _: graph.get("me"), range(5)))
        assert time.monotonic() - started < 0.9
        sb.latency = 0
        started = time.monotonic()
        graph.get("me")
        assert time.monotonic() - started < 0.2
    with pytest.raises(ValueError, match="latency"):
        ThreadsSandbox(latency=-1)


def test_stats_counts_requests_by_kind(graph: Graph, sb: ThreadsSandbox) -> None:
    assert sb.stats() == {
        "create": 0,
        "status": 0,
        "publish": 0,
        "quota": 0,
        "repost": 0,
        "delete": 0,
        "read": 0,
        "github": 0,
        "static": 0,
        "other": 0,
        "total": 0,
        "errors": 0,
    }
    graph.get("me/threads_publishing_limit")
    cid = graph.create(media_type="TEXT", text="counted")
    graph.status(cid)
    graph.status(cid)
    media_id = graph.publish(cid).json()["id"]
    graph.publish(cid)  # an error: already published
    graph.get(media_id, fields="id,text")
    graph.get("me/threads")
    graph.post(f"{media_id}/repost")
    requests.delete(f"{graph.base}/{media_id}", headers=graph.headers, timeout=TIMEOUT)
    requests.get(sb.host_file("a.jpg", b"x"), timeout=TIMEOUT)
    requests.get(f"{sb.github_url}/user", timeout=TIMEOUT)  # 401: no token
    graph.post("me/unknown_edge")
    stats = sb.stats()
    assert stats == {
        "create": 1,
        "status": 2,
        "publish": 2,
        "quota": 1,
        "repost": 1,
        "delete": 1,
        "read": 2,
        "github": 1,
        "static": 1,
        "other": 1,
        "total": 13,
        "errors": 3,
    }
    assert [r.kind for r in sb.requests][:3] == ["quota", "create", "status"]
    sb.clear_requests()
    assert sb.stats()["total"] == 0


def test_stats_count_lost_container_reads_as_status(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="x")
    sb.lose_container(cid)
    graph.get(cid)
    assert sb.stats()["status"] == 1
