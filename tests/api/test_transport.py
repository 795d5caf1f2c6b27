"""Retries, timeouts, error envelopes and non-JSON bodies, against the sandbox over HTTP."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from unittest.mock import ANY

import pytest

from tests import servers
from threadspipepy import (
    RateLimitError,
    ServerError,
    ThreadsConnectionError,
    ThreadsPipe,
)
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime

QUOTA = "/v1.0/*/threads_publishing_limit"
PUBLISH = "/v1.0/*/threads_publish"


def test_get_that_gets_503_then_200_succeeds_after_one_retry(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, fake_time: FakeTime
) -> None:
    sandbox.fail("GET", QUOTA, status=503, times=1)
    result = tp.get_publishing_limit()
    assert result.ok, result
    assert result["data"][0]["config"]["quota_total"] == 250
    assert [r.status for r in sandbox.requests_to("GET", QUOTA)] == [503, 200]
    assert len(fake_time.sleeps) == 1 and 0 < fake_time.sleeps[0] <= 0.5


def test_get_gives_up_after_max_retries(sandbox: ThreadsSandbox, fake_time: FakeTime) -> None:
    tp = fake_time.install(sandbox.client(max_retries=2))
    sandbox.fail("GET", QUOTA, status=500, times=10)
    result = tp.get_quota_usage()
    assert result["error"]["error_class"] == "ServerError"
    assert len(sandbox.requests_to("GET", QUOTA)) == 3


def test_publish_that_gets_a_500_after_landing_is_not_sent_again(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", PUBLISH, status=500, after=True)
    result = tp.pipe("Published once")
    assert result.ok, result
    assert sandbox.publish_attempts == 1
    [post] = sandbox.posts
    assert result["data"]["media_ids"] == [post["id"]]
    # The status was read after the ambiguous answer, before deciding anything.
    order = [f"{r.method} {r.path}" for r in sandbox.requests]
    publish_at = next(i for i, line in enumerate(order) if line.endswith("/threads_publish"))
    assert order[publish_at + 1] == f"GET /v1.0/{sandbox.containers[0]['id']}"


def test_publish_that_gets_a_500_before_landing_is_sent_once_more(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", PUBLISH, status=500, after=False)
    result = tp.pipe("Second try")
    assert result.ok, result
    assert sandbox.publish_attempts == 2
    assert len(sandbox.posts) == 1


def test_publish_with_a_dropped_answer_is_not_duplicated(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.drop("POST", PUBLISH, after=True)
    result = tp.pipe("Dropped answer")
    assert result.ok, result
    assert sandbox.publish_attempts == 1
    assert [p["text"] for p in sandbox.posts] == ["Dropped answer"]


def test_publish_that_keeps_failing_stops_with_a_server_error(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", PUBLISH, status=500, times=10)
    result = tp.pipe("Never lands")
    assert result["error"]["error_class"] == "ServerError"
    container = sandbox.containers[0]["id"]
    assert result["message"] == (
        f"Could not publish post; its publish got no clear answer (container {container}): "
        "resume_pipe(result) checks it before sending anything again"
    )
    # A 500 may come after Meta acted: the part stays in doubt, tied to its one container.
    assert result["data"]["parts"] == [
        {"index": 0, "state": "in_doubt", "container_id": container, "sent_at": ANY}
    ]
    assert sandbox.publish_attempts == 3
    assert sandbox.posts == []
    sandbox.clear_faults()
    done = tp.resume_pipe(result)
    assert done.ok and len(sandbox.posts) == 1
    assert len(sandbox.containers) == 1  # the same container, published once


def test_container_creation_is_not_retried_on_a_500(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", "/v1.0/*/threads", status=500, times=1)
    result = tp.pipe("Create fails")
    assert result["error"]["error_class"] == "ServerError"
    assert len(sandbox.requests_to("POST", "/v1.0/*/threads")) == 1


def test_an_html_502_page_becomes_a_clear_server_error(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", "/v1.0/*/threads", status=502, html=True)
    result = tp.pipe("Behind a proxy")
    error = result["error"]
    assert error["error_class"] == "ServerError"
    assert error["status_code"] == 502
    assert "not JSON" in error["message"] and "text/html" in error["message"]
    with pytest.raises(ServerError):
        result.raise_for_error()


def test_rate_limit_becomes_rate_limit_error_with_retry_after(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, fake_time: FakeTime
) -> None:
    sandbox.rate_limit("GET", QUOTA, retry_after=120, times=1)
    result = tp.get_publishing_limit()
    with pytest.raises(RateLimitError) as caught:
        result.raise_for_error()
    assert caught.value.retry_after == 120
    assert caught.value.code == 4
    # Longer than the cap: the library does not hide a two-minute sleep inside a GET.
    assert fake_time.sleeps == []


def test_a_short_retry_after_is_honoured(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, fake_time: FakeTime
) -> None:
    sandbox.rate_limit("GET", QUOTA, retry_after=7, times=1)
    assert tp.get_publishing_limit().ok
    assert fake_time.sleeps == [7.0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_dead_port_raises_connection_error_within_the_timeout() -> None:
    tp = ThreadsPipe(
        "1",
        "token-abcdef",
        threads_base_url=f"http://127.0.0.1:{free_port()}",
        timeout=3,
        raise_on_error=True,
    )
    started = time.monotonic()
    with pytest.raises(ThreadsConnectionError) as caught:
        tp.pipe("Nobody listens")
    assert time.monotonic() - started < 3
    assert "timeout" in str(caught.value)
    assert caught.value.request_sent is False


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers: a hung upstream."""
    with servers.silent_server() as url:
        yield url


def test_a_hung_server_times_out(silent_server: str) -> None:
    tp = ThreadsPipe(
        "1", "token-abcdef", threads_base_url=silent_server, timeout=0.3, max_retries=0
    )
    started = time.monotonic()
    result = tp.get_publishing_limit()
    elapsed = time.monotonic() - started
    assert result["error"]["error_class"] == "ThreadsConnectionError"
    assert "timed out" in result["error"]["message"]
    assert elapsed < 2


def test_base_url_comes_from_the_environment(
    sandbox: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADS_API_BASE_URL", sandbox.url)
    tp = ThreadsPipe(sandbox.user_id, sandbox.access_token)
    assert tp.get_publishing_limit().ok
    # An argument still wins over the environment.
    tp2 = ThreadsPipe(sandbox.user_id, sandbox.access_token, threads_base_url="http://127.0.0.1:9")
    assert "127.0.0.1:9" in repr(tp2)


def test_a_reply_whose_publish_answer_was_lost_is_found_among_replies(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    root = tp.pipe("Root post")["data"]["media_ids"][0]
    sandbox.fail("POST", PUBLISH, status=500, after=True)
    result = tp.pipe("A reply", reply_to_id=root)
    assert result.ok, result
    assert sandbox.publish_attempts == 2  # one for the root, one for the reply
    assert result["data"]["media_ids"] == [sandbox.posts[-1]["id"]]
