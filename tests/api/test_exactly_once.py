"""Exactly-once publishing and zero leaks, one promise at a time (issue: unattended use).

Each test injects the fault a cron job meets and checks the sandbox's state afterwards:
every part live exactly once, nothing left on the fake GitHub, every outcome a result (or,
with raise_on_error=True, an exception carrying the same state), and a resume that finishes.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from threadspipepy import (
    RateLimitError,
    ServerError,
    ThreadsConnectionError,
    ThreadsPipe,
    ThreadsPipeError,
)
from threadspipepy import publishing as publishing_mod
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import png
from .chain_checks import (
    CREATE,
    GITHUB,
    PUBLISH,
    QUOTA,
    STATUS,
    assert_nothing_hosted,
    assert_published_once,
    finish,
    wait_for,
)
from .conftest import FakeTime

TWO_PARTS = ("First part of a story. " * 14).strip() + " " + ("Second part. " * 30).strip()
URLS = ["https://cdn.example.com/a.jpg", "https://cdn.example.com/b.jpg"]


def texts_of(tp: ThreadsPipe, text: str) -> list[str]:
    return tp.split_post(text)


# -- nothing escapes -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inject", "error_class"),
    [
        (lambda sb: sb.fail("GET", STATUS, times=None), ServerError),
        (lambda sb: sb.rate_limit("GET", STATUS, times=None), RateLimitError),
        (lambda sb: sb.drop("GET", STATUS, times=None), ThreadsConnectionError),
    ],
    ids=["5xx", "rate-limit", "drop"],
)
def test_status_reads_that_keep_failing_become_a_result(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, inject: Any, error_class: type[Exception]
) -> None:
    inject(sandbox)
    result = tp.pipe("A carousel", files=URLS)
    assert isinstance(result, dict) and not result.ok
    assert result["error"]["error_class"] == error_class.__name__
    assert result["data"]["parts"] == [{"index": 0, "state": "not_sent"}]
    assert sandbox.posts == []
    sandbox.clear_faults()
    final = finish(tp, result)
    assert_published_once(sandbox, final, ["A carousel"])


def test_raise_on_error_carries_the_state_and_resumes(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(raise_on_error=True))
    sandbox.fail("POST", CREATE, code=100, skip=1)  # the second part's container is refused
    with pytest.raises(ThreadsPipeError) as caught:
        tp.pipe(TWO_PARTS)
    exc = caught.value
    assert exc.media_ids == [sandbox.posts[0]["id"]]
    assert [p["state"] for p in exc.parts] == ["published", "not_sent"]
    assert [p["index"] for p in exc.remaining] == [1]
    assert exc.result is not None and exc.result["data"]["next_reply_to_id"] == exc.media_ids[0]
    final = tp.resume_pipe(exc)
    assert_published_once(sandbox, final, texts_of(tp, TWO_PARTS))


def test_a_bug_inside_the_chain_is_still_a_result(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = publishing_mod.post_params
    calls = {"n": 0}

    def broken_on_second(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyError("a bug")
        return real(*args, **kwargs)

    monkeypatch.setattr(publishing_mod, "post_params", broken_on_second)
    result = tp.pipe(TWO_PARTS)
    assert not result.ok and "Unexpected KeyError" in result["error"]["message"]
    assert [p["state"] for p in result["data"]["parts"]] == ["published", "not_sent"]
    monkeypatch.setattr(publishing_mod, "post_params", real)
    assert_published_once(sandbox, finish(tp, result), texts_of(tp, TWO_PARTS))


def test_a_failed_quota_read_says_what_is_left_and_resumes(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("GET", QUOTA, times=None)
    result = tp.pipe(TWO_PARTS)
    assert result["message"] == "Could not check the publishing quota"
    assert result["data"]["media_ids"] == []
    assert [p["state"] for p in result["data"]["parts"]] == ["not_sent", "not_sent"]
    assert len(result["data"]["remaining"]) == 2
    sandbox.clear_faults()
    assert_published_once(sandbox, finish(tp, result), texts_of(tp, TWO_PARTS))


def test_ctrl_c_mid_chain_propagates_after_cleanup(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = sandbox.client()

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    tp._sleep = interrupt  # the first wait for Threads to process the carousel
    with pytest.raises(KeyboardInterrupt):
        tp.pipe("Interrupted", files=[png(1), png(2)])
    assert len(sandbox.requests_to("PUT", GITHUB)) == 2
    assert_nothing_hosted(sandbox)


# -- a publish whose answer is lost -----------------------------------------------------------
def test_a_publish_slower_than_the_timeout_lands_once(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(timeout=0.5))
    sandbox.delay("POST", PUBLISH, 1.0)  # processed after the client gave up
    sandbox.fail("POST", PUBLISH, skip=1, times=2)  # the sends after it fail outright
    result = tp.pipe("Slow lane")
    assert not result.ok
    [part] = result["data"]["parts"]
    assert part["state"] == "in_doubt"
    wait_for(lambda: len(sandbox.posts) == 1)  # the first request lands a moment later
    final = finish(tp, result)
    assert_published_once(sandbox, final, ["Slow lane"])
    assert len(sandbox.containers) == 1  # resolved on its container, never a new one


def test_a_held_publish_landing_after_the_resume_is_still_once(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(timeout=0.3))
    held = sandbox.hold("POST", PUBLISH)
    sandbox.fail("POST", PUBLISH, skip=1, times=2)
    result = tp.pipe("Held in flight")
    assert result["data"]["parts"][0]["state"] == "in_doubt"
    assert held.arrived and sandbox.posts == []
    final = finish(tp, result)  # same container published now
    held.release()  # the first request lands late: Meta answers it "Duplicate Post"
    wait_for(lambda: len(sandbox.requests_to("POST", PUBLISH)) == 4)
    assert sandbox.requests_to("POST", PUBLISH)[0].status == 400  # the held one: 506
    assert_published_once(sandbox, final, ["Held in flight"])
    assert len(sandbox.containers) == 1


def test_duplicate_post_means_published(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    # The second part's publish lands, but Meta's answer is "Duplicate Post" (code 506).
    sandbox.fail("POST", PUBLISH, code=506, after=True, skip=1)
    result = tp.pipe(TWO_PARTS)
    assert result.ok, result
    assert_published_once(sandbox, result, texts_of(tp, TWO_PARTS))


def test_an_in_doubt_part_whose_container_expired_is_built_again(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", PUBLISH, times=3)
    result = tp.pipe("Expires meanwhile")
    [part] = result["data"]["parts"]
    assert part["state"] == "in_doubt"
    sandbox.advance(86400 + 1)  # a day later the container has expired, unpublished
    final = finish(tp, result)
    assert_published_once(sandbox, final, ["Expires meanwhile"])
    assert len(sandbox.containers) == 2


def test_an_in_doubt_part_whose_container_vanished_is_found_or_rebuilt(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", PUBLISH, after=True)  # published, answer lost...
    sandbox.fail("GET", STATUS, times=None)  # ...and its status cannot be read
    result = tp.pipe("Vanishing act")
    assert result["data"]["parts"][0]["state"] == "in_doubt"
    sandbox.clear_faults()
    sandbox.lose_container(result["data"]["in_doubt"]["container_id"])
    final = finish(tp, result)  # found among the newest posts: not published again
    assert_published_once(sandbox, final, ["Vanishing act"])


# -- hosted files -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "inject",
    [
        lambda sb: sb.fail("PUT", GITHUB, after=True),
        lambda sb: sb.drop("PUT", GITHUB, after=True),
        lambda sb: sb.reset("PUT", GITHUB, after=True),
        lambda sb: sb.delay("PUT", GITHUB, 1.0, after=True),
    ],
    ids=["5xx-after", "drop-after", "reset-after", "slower-than-timeout"],
)
def test_an_upload_whose_answer_was_lost_is_found_and_deleted(
    sandbox: ThreadsSandbox, fake_time: FakeTime, inject: Any
) -> None:
    tp = fake_time.install(sandbox.client(gh_upload_timeout=0.5))
    inject(sandbox)
    result = tp.pipe("Photos", files=[png(1), png(2)])
    assert result["message"] == "Could not upload local media"
    assert "cleanup_errors" not in result["data"]
    assert_nothing_hosted(sandbox)
    assert len(sandbox.requests_to("DELETE", GITHUB)) == 2  # the stored file and the other
    final = finish(tp, result)
    assert_published_once(sandbox, final, ["Photos"])
    assert_nothing_hosted(sandbox)


def test_an_upload_still_landing_after_the_timeout_is_waited_for(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(gh_upload_timeout=0.3))
    held = sandbox.hold("PUT", GITHUB)

    def sleep(seconds: float) -> None:  # the upload lands during the settle wait
        if held.arrived and not sandbox.github_files:
            held.release()
            wait_for(lambda: bool(sandbox.github_files))
        fake_time.sleep(seconds)

    tp._sleep = sleep
    result = tp.pipe("Late upload", files=[png(1)])
    assert not result.ok and "cleanup_errors" not in result["data"]
    assert_nothing_hosted(sandbox)


def test_a_delete_whose_answer_was_lost_is_not_reported(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("DELETE", GITHUB, after=True)
    sandbox.drop("DELETE", GITHUB, after=True)
    result = tp.pipe("Clean", files=[png(1), png(2)])
    assert result.ok and "cleanup_errors" not in result["data"]
    assert_nothing_hosted(sandbox)


def test_a_file_that_cannot_be_deleted_is_reported_by_path(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("DELETE", GITHUB, times=None)
    result = tp.pipe("Stuck", files=[png(1)])
    [left] = sandbox.github_files
    [problem] = result["data"]["cleanup_errors"]
    assert left in problem and "files[0]" in problem
    assert result.ok  # the post is live; only the cleanup is reported


def test_ctrl_c_during_parallel_uploads_deletes_what_landed(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    held = sandbox.hold("PUT", GITHUB, skip=1)  # the second upload is in flight

    def press_ctrl_c() -> None:
        assert held.wait_arrived(5)
        os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(0.2, held.release).start()  # it lands while cleanup waits

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        tp.pipe("Interrupted uploads", files=[png(i) for i in range(1, 5)])
    assert len(sandbox.requests_to("PUT", GITHUB)) >= 2
    assert_nothing_hosted(sandbox)
    assert sandbox.posts == []


def test_a_host_without_find_reports_an_unanswered_upload(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    class Flaky:
        def upload(self, data: Any, filename: str, mime: str) -> tuple[str, Any]:
            (tmp_path / filename).write_bytes(data.read())
            raise TimeoutError("no answer")

        def delete(self, handle: Any) -> None:  # pragma: no cover - nothing to delete
            raise AssertionError

    tp.update_param(media_host=Flaky())
    result = tp.pipe("Custom host", files=[png(1)])
    [stored] = [p.name for p in tmp_path.iterdir()]
    [problem] = result["data"]["cleanup_errors"]
    assert stored in problem and "no find()" in problem


def test_a_bug_behind_a_getter_is_still_a_result(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        raise KeyError("a malformed answer")

    monkeypatch.setattr(tp._graph, "request", broken)
    for result in (tp.get_post("17900000000000001"), tp.get_quota_usage(), tp.delete_post("1")):
        assert not result.ok
        assert "Unexpected KeyError" in result["error"]["message"]
