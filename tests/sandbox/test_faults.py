"""Fault injection: server errors, HTML pages, rate limits, drops, delays, after=True, times=N."""

from __future__ import annotations

import time

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error


def test_fail_gives_a_transient_graph_envelope(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("GET", "/v1.0/me")
    error = graph_error(graph.get("me"), status=500)
    assert error["code"] == 1
    assert error["is_transient"] is True
    assert graph.get("me").status_code == 200  # times=1: then normal again
    sb.fail("GET", "/v1.0/me", status=503)
    assert graph_error(graph.get("me"), status=503)["code"] == 2


def test_fail_html_is_a_proxy_page(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("POST", "/v1.0/*/threads", status=502, html=True)
    answer = graph.post("me/threads", media_type="TEXT", text="x")
    assert answer.status_code == 502
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "<html>" in answer.text
    assert sb.containers == []  # a before-fault never reaches the API


def test_rate_limit_with_retry_after(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.rate_limit("GET", "/v1.0/me", retry_after=7)
    answer = graph.get("me")
    error = graph_error(answer, status=429)
    assert error["code"] == 4
    assert answer.headers["Retry-After"] == "7"
    sb.rate_limit("*", "/v1.0/me", code=17, status=400)
    answer = graph.get("me")
    assert graph_error(answer)["code"] == 17
    assert "Retry-After" not in answer.headers


def test_drop_closes_without_response(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.drop("GET", "/v1.0/me")
    with pytest.raises(requests.ConnectionError):
        graph.get("me")
    assert graph.get("me").status_code == 200
    assert [r.status for r in sb.requests_to("GET", "/v1.0/me")] == [0, 200]


def test_delay_sleeps_then_answers_normally(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.delay("GET", "/v1.0/me", 0.3)
    started = time.monotonic()
    assert graph.get("me").status_code == 200
    assert time.monotonic() - started >= 0.3
    sb.delay("GET", "/v1.0/me", 0.5)
    with pytest.raises(requests.Timeout):
        requests.get(f"{sb.url}/v1.0/me", headers=graph.headers, timeout=0.1)


def test_after_true_publishes_then_answers_500(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="ambiguous")
    sb.fail("POST", "/v1.0/me/threads_publish", after=True)
    assert graph.publish(cid).status_code == 500
    assert len(sb.posts) == 1  # it WAS published
    assert graph.status(cid)["status"] == "PUBLISHED"
    assert graph_error(graph.publish(cid))["code"] == 100  # a retry cannot double-post
    assert len(sb.posts) == 1


def test_drop_after_publishes_then_closes(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="lost answer")
    sb.drop("POST", "/v1.0/*/threads_publish", after=True)
    with pytest.raises(requests.ConnectionError):
        graph.publish(cid)
    assert graph.status(cid)["status"] == "PUBLISHED"
    assert len(sb.posts) == 1


def test_times_n_then_normal(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("GET", "/v1.0/me", times=3)
    statuses = [graph.get("me").status_code for _ in range(4)]
    assert statuses == [500, 500, 500, 200]


def test_matching_by_method_and_glob(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("POST", "/v1.0/me")
    assert graph.get("me").status_code == 200  # method differs: the fault waits
    sb.clear_faults()
    sb.fail("GET", "/v1.0/*_limit")
    assert graph.get("me").status_code == 200
    assert graph.get("me/threads_publishing_limit").status_code == 500


def test_faults_on_github_and_raw_hosts(sb: ThreadsSandbox) -> None:
    url = sb.host_file("pic.jpg", b"data")
    sb.fail("GET", "/media/*", status=503)
    assert requests.get(url, timeout=TIMEOUT).status_code == 503
    assert requests.get(url, timeout=TIMEOUT).content == b"data"
    sb.rate_limit("PUT", "/github/*", status=403)
    answer = requests.put(
        f"{sb.github_url}/repos/{sb.gh_username}/{sb.gh_repo_name}/contents/a.txt",
        json={"message": "m", "content": "YQ=="},
        headers={"Authorization": f"Bearer {sb.gh_token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 403
    assert "rate limit" in answer.json()["message"]
    assert sb.github_files == {}


def test_redirect_answers_with_a_location_and_processes_nothing(
    graph: Graph, sb: ThreadsSandbox
) -> None:
    elsewhere = "https://elsewhere.example/oauth/access_token"
    sb.redirect("POST", "/oauth/access_token", elsewhere, status=308)
    answer = requests.post(
        f"{sb.url}/oauth/access_token",
        data={"client_id": sb.app_id, "client_secret": sb.app_secret, "code": "x"},
        allow_redirects=False,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 308
    assert answer.headers["Location"] == elsewhere
    assert sb.requests_to("POST", "/oauth/access_token")[0].status == 308
    sb.redirect("GET", "/v1.0/me", "/v1.0/me?moved=1")  # 307 by default, then normal again
    moved = graph.get("me")
    assert moved.status_code == 200  # requests followed the relative redirect to the sandbox
    assert [r.status for r in sb.requests_to("GET", "/v1.0/me*")] == [307, 200]
    with pytest.raises(ValueError, match="redirect"):
        sb.redirect("GET", "/v1.0/me", elsewhere, status=200)
