"""Fault injection: server errors, HTML pages, rate limits, drops, delays, after=True, times=N."""

from __future__ import annotations

import threading
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
    assert graph_error(graph.publish(cid))["code"] == 506  # a retry cannot double-post
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


def test_skip_lets_the_first_matches_through(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("GET", "/v1.0/me", skip=2)
    assert [graph.get("me").status_code for _ in range(4)] == [200, 200, 500, 200]


def test_params_narrow_a_fault_to_some_requests(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("POST", "/v1.0/*/threads", params={"media_type": "IMAGE"})
    text = graph.post("me/threads", media_type="TEXT", text="untouched")
    image = graph.post("me/threads", media_type="IMAGE", image_url="https://cdn.example/a.jpg")
    assert (text.status_code, image.status_code) == (200, 500)
    assert [c["media_type"] for c in sb.containers] == ["TEXT"]


def test_times_none_persists_until_cleared(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail("GET", "/v1.0/me", times=None)
    assert [graph.get("me").status_code for _ in range(5)] == [500] * 5
    sb.clear_faults()
    assert graph.get("me").status_code == 200


def test_reset_aborts_the_connection(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="reset after")
    sb.reset("POST", "/v1.0/*/threads_publish", after=True)
    with pytest.raises(requests.ConnectionError):
        graph.publish(cid)
    assert len(sb.posts) == 1  # processed, then the connection was reset
    sb.reset("GET", "/v1.0/me")
    with pytest.raises(requests.ConnectionError):
        graph.get("me")
    assert sb.requests_to("GET", "/v1.0/me")[-1].status == 0


def test_hold_processes_the_request_only_when_released(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="held")
    held = sb.hold("POST", "/v1.0/*/threads_publish")
    with pytest.raises(requests.Timeout):
        requests.post(
            f"{sb.url}/v1.0/me/threads_publish",
            data={"creation_id": cid},
            headers=graph.headers,
            timeout=0.3,
        )
    assert held.wait_arrived(1) and held.count == 1
    assert sb.posts == []  # the client gave up; nothing happened yet
    held.release()
    deadline = time.monotonic() + 5
    while not sb.posts and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(sb.posts) == 1  # it landed after the client stopped listening
    assert graph.status(cid)["status"] == "PUBLISHED"


def test_clear_faults_releases_held_requests(graph: Graph, sb: ThreadsSandbox) -> None:
    held = sb.hold("GET", "/v1.0/me")
    answers: list[int] = []
    worker = threading.Thread(target=lambda: answers.append(graph.get("me").status_code))
    worker.start()
    assert held.wait_arrived(2)
    sb.clear_faults()
    worker.join(5)
    assert answers == [200]


def test_chaos_fails_a_seeded_share_of_requests(graph: Graph, sb: ThreadsSandbox) -> None:
    def run() -> list[int]:
        sb.chaos(0.3, seed=7, kinds=["5xx", "429"])
        statuses = [graph.get("me").status_code for _ in range(200)]
        sb.chaos(0)
        return statuses

    first, second = run(), run()
    assert first == second  # the same seed draws the same faults
    failed = sum(s != 200 for s in first)
    assert 40 <= failed <= 80  # about 30 %
    assert set(first) == {200, 429, 500}
    assert graph.get("me").status_code == 200  # rate 0 stops it


def test_chaos_after_kinds_take_effect(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.chaos(1.0, seed=1, kinds=["5xx-after"], path="/v1.0/*/threads")
    assert graph.post("me/threads", media_type="TEXT", text="x").status_code == 500
    assert len(sb.containers) == 1  # created, answer lost
    assert sb.chaos_injected == 1
    with pytest.raises(ValueError, match="kinds"):
        sb.chaos(0.5, kinds=["meteor"])


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
