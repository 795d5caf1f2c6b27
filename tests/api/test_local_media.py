"""Local media: every input kind hosted on the fake GitHub, and always cleaned up."""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
from pathlib import Path
from typing import Any

import pytest
import requests

from threadspipepy import MediaHostingError, ThreadsPipe, ValidationError
from threadspipepy._log import logger_for
from threadspipepy._retry import RetryPolicy
from threadspipepy.hosting import GitHubHost, HostedFiles
from threadspipepy.media import LocalFile, classify_all
from threadspipepy.publishing import ChainPublisher
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import JPEG, MP4, PDF, png
from .conftest import FakeTime


def puts(sb: ThreadsSandbox) -> list[Any]:
    return sb.requests_to("PUT", "/github/*")


def deletes(sb: ThreadsSandbox) -> list[Any]:
    return sb.requests_to("DELETE", "/github/*")


def item_urls(sb: ThreadsSandbox) -> list[str]:
    return [c["url"] for c in sb.posts[-1]["children"]]


def test_every_input_kind_in_one_call(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("photo.jpg").write_bytes(JPEG)
    absolute = tmp_path / "abs.png"
    absolute.write_bytes(png(1))
    as_path = tmp_path / "clip.mp4"
    as_path.write_bytes(MP4)
    files = [
        "https://cdn.example.com/remote%20photo.jpg?size=large+wide#top",
        "photo.jpg",
        str(absolute),
        as_path,
        png(2),
        base64.b64encode(png(3)).decode(),
        "data:image/png;base64," + base64.b64encode(png(4)).decode(),
        io.BytesIO(png(5)),
    ]
    result = tp.pipe("Everything at once", files=files)
    assert result.ok, result

    assert len(puts(sandbox)) == 7  # all but the URL
    for put in puts(sandbox):
        assert put.headers["Authorization"] == f"Bearer {sandbox.gh_token}"
        assert put.path.startswith(
            f"/github/repos/{sandbox.gh_username}/{sandbox.gh_repo_name}/contents/threadspipepy-tmp/"
        )
    names = {put.path.rsplit("/", 1)[1] for put in puts(sandbox)}
    assert len(names) == 7 and all(len(n.split(".")[0]) >= 20 for n in names)
    urls = item_urls(sandbox)
    assert urls[0] == files[0]
    assert all(u.startswith(sandbox.raw_url) for u in urls[1:])
    assert [u.rsplit(".", 1)[1] for u in urls[1:]] == [
        "jpg",
        "png",
        "mp4",
        "png",
        "png",
        "png",
        "png",
    ]
    kinds = [c["media_type"] for c in sandbox.posts[-1]["children"]]
    assert kinds[3] == "VIDEO" and kinds.count("IMAGE") == 7
    # Everything hosted was deleted after the chain, each with the sha GitHub gave.
    assert sandbox.github_files == {}
    assert len(deletes(sandbox)) == 7
    assert all(d.json and d.json.get("sha") for d in deletes(sandbox))


def local_pngs(n: int) -> list[bytes]:
    return [png(i) for i in range(n)]


def test_an_upload_failure_removes_the_other_uploads(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("PUT", "/github/*", status=500, times=1)
    result = tp.pipe("Five files", files=local_pngs(5))
    assert result["message"] == "Could not upload local media"
    assert result["error"]["error_class"] == "MediaHostingError"
    assert "Could not upload files[" in result["error"]["message"]
    assert len(puts(sandbox)) == 5
    assert sandbox.github_files == {}
    assert sandbox.requests_to("POST", "/v1.0/*") == []  # nothing was posted


@pytest.mark.parametrize("failure", ["container_error", "publish_error"])
def test_api_failures_leave_nothing_on_github(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, failure: str
) -> None:
    if failure == "container_error":
        sandbox.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="IMAGE")
    else:
        sandbox.fail("POST", "/v1.0/*/threads_publish", status=400, code=100, times=1)
    result = tp.pipe("Doomed", files=local_pngs(3))
    assert result["info"] == "error"
    assert len(puts(sandbox)) == 3
    assert sandbox.github_files == {}


def test_a_quota_refusal_uploads_nothing(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.set_quota_usage(posts=250)
    result = tp.pipe("No room", files=local_pngs(2))
    assert result["message"] == "Rate limit exceeded!"
    assert puts(sandbox) == []


def test_an_exception_inside_the_chain_still_cleans_up(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(ChainPublisher, "publish_one", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tp.pipe("Ctrl-C", files=local_pngs(2))
    assert len(puts(sandbox)) == 2
    assert sandbox.github_files == {}


def test_the_next_call_posts_only_its_own_media(sandbox: ThreadsSandbox, tp: ThreadsPipe) -> None:
    sandbox.fail("POST", "/v1.0/*/threads_publish", status=400, code=100, times=1)
    assert not tp.pipe("Fails", files=local_pngs(2)).ok
    result = tp.pipe("Only text this time")
    assert result.ok
    assert sandbox.posts[-1]["media_type"] == "TEXT_POST"
    assert tp.pipe("One URL", files=["https://cdn.example.com/a.jpg"]).ok
    assert sandbox.posts[-1]["url"] == "https://cdn.example.com/a.jpg"


def test_concurrent_calls_on_one_instance_stay_separate(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    outcomes: dict[str, Any] = {}

    def post(name: str, seeds: range) -> None:
        outcomes[name] = tp.pipe(f"From {name}", files=[png(i) for i in seeds])

    threads = [
        threading.Thread(target=post, args=("alpha", range(0, 3))),
        threading.Thread(target=post, args=("beta", range(10, 12))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes["alpha"].ok and outcomes["beta"].ok
    by_text = {p["text"]: p for p in sandbox.posts}
    assert len(by_text["From alpha"]["children"]) == 3
    assert len(by_text["From beta"]["children"]) == 2
    assert sandbox.github_files == {}


def test_the_github_token_goes_only_to_github(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        result = tp.pipe("Token check", files=local_pngs(2))
    assert result.ok
    for request in sandbox.requests:
        auth = request.headers.get("Authorization", "")
        if sandbox.gh_token in auth:
            assert request.path.startswith("/github/")
        else:
            assert not request.path.startswith("/github/")
    assert sandbox.gh_token not in caplog.text
    assert sandbox.gh_token not in repr(result) and sandbox.gh_token not in repr(tp)


def test_missing_github_configuration_is_refused_before_anything(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    tp = fake_time.install(sandbox.client(gh_bearer_token=None))
    with pytest.raises(ValidationError, match="gh_bearer_token") as caught:
        tp.pipe("Local", files=["https://cdn.example.com/a.jpg", png(1)])
    assert caught.value.parameter == "gh_bearer_token"
    assert "files[1] (bytes)" in str(caught.value)
    assert sandbox.requests == []


class DictHost:
    """A custom media host: serves uploads from the sandbox's static file host."""

    def __init__(self, sandbox: ThreadsSandbox) -> None:
        self.sandbox = sandbox
        self.live: set[str] = set()
        self.deleted: list[str] = []

    def upload(self, data: Any, filename: str, mime: str) -> tuple[str, str]:
        url = self.sandbox.host_file(f"custom/{filename}", data.read(), mime)
        self.live.add(filename)
        return url, filename

    def delete(self, handle: str) -> None:
        self.live.discard(handle)
        self.deleted.append(handle)


def test_any_object_with_upload_and_delete_is_a_host(
    sandbox: ThreadsSandbox, fake_time: FakeTime
) -> None:
    host = DictHost(sandbox)
    tp = fake_time.install(sandbox.client(gh_bearer_token=None, media_host=host))
    result = tp.pipe("Custom host", files=local_pngs(2))
    assert result.ok, result
    assert len(host.deleted) == 2 and host.live == set()
    assert puts(sandbox) == []
    assert all("/media/custom/" in u for u in item_urls(sandbox))


def test_a_failed_delete_is_retried_then_reported(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.fail("DELETE", "/github/*", status=500, times=3)
    with caplog.at_level(logging.ERROR, logger="threadspipepy"):
        result = tp.pipe("Delete trouble", files=[png(7)])
    assert result.ok, result  # the post is live: the delete problem does not hide that
    [problem] = result["data"]["cleanup_errors"]
    assert "files[0] (bytes)" in problem
    assert "remove it by hand" in caplog.text
    assert len(deletes(sandbox)) == 3


def test_media_rules_are_checked_before_any_upload(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match="images may be at most 8 MB") as caught:
        tp.pipe("Too big", files=[png(0) + b"\x00" * (8 * 1024 * 1024)])
    assert caught.value.parameter == "files[0]"
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as handle:
        handle.write(MP4)
        handle.truncate(101 * 1024 * 1024)  # sparse: no real 101 MB written
    with pytest.raises(ValidationError, match=r"at most 100\.0 MB"):
        tp.pipe("Over GitHub's limit", files=[huge])
    with pytest.raises(ValidationError, match="application/pdf"):
        tp.pipe("A PDF", files=[PDF])
    with pytest.raises(ValidationError, match="no such file"):
        tp.pipe("Typo", files=["./phot.jpg"])
    assert sandbox.requests == []


def test_resume_hosts_the_callers_local_media_again(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail_next_container(status="ERROR", error_message="UNKNOWN", media_type="CAROUSEL")
    text = "Long enough to need two parts. " * 20
    files = [png(i) for i in range(1, 23)]
    broken = tp.pipe(text, files=files)
    assert broken["info"] == "error" and broken["data"]["remaining"]
    assert sandbox.github_files == {}  # the first run's copies are gone
    remaining_media = [m for p in broken["data"]["remaining"] for m in p["media"]]
    assert all(m["url"] == "" and m["source"] for m in remaining_media)  # no dead URLs

    done = tp.resume_pipe(broken)
    assert done.ok, done
    assert len(sandbox.posts) == 2
    hosted = sorted(c["url"].rsplit("/", 1)[-1] for c in sandbox.posts[0]["children"])
    assert len(hosted) == 20
    assert len(puts(sandbox)) == 22 + 22  # every file hosted again for the resumed parts
    assert sandbox.github_files == {}


def test_resume_from_json_reads_files_on_disk_again(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    sandbox.fail("POST", "/v1.0/*/threads_publish", code=100)  # a definite refusal
    broken = tp.pipe("A photo", files=[photo])
    assert not broken.ok
    saved = json.loads(json.dumps(broken))  # the CLI's resume FILE path
    assert saved["data"]["remaining"][0]["media"][0]["path"] == str(photo.resolve())
    done = tp.resume_pipe(saved)
    assert done.ok, done
    assert len(sandbox.posts) == 1 and sandbox.github_files == {}


def test_resume_from_json_cannot_rebuild_content_given_in_memory(
    sandbox: ThreadsSandbox, tp: ThreadsPipe
) -> None:
    sandbox.fail("POST", "/v1.0/*/threads_publish", code=100)
    broken = tp.pipe("Bytes", files=[png(1)])
    saved = json.loads(json.dumps(broken))
    sandbox.clear_requests()
    with pytest.raises(ValidationError, match="in memory") as caught:
        tp.resume_pipe(saved)
    assert caught.value.parameter == "error_result"
    assert sandbox.requests == []
    assert tp.resume_pipe(broken).ok  # the result of this process still holds the bytes


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_github_requests_go_through_the_transport_and_retry_a_refused_connection() -> None:
    sleeps: list[float] = []
    host = GitHubHost(
        token="ghp_" + "t" * 36,
        owner="someone",
        repo="media",
        base_url=f"http://127.0.0.1:{closed_port()}",
        api_version="2022-11-28",
        timeout=2,
        session=requests.Session(),
        retry=RetryPolicy(max_retries=2),
        sleep=sleeps.append,
    )
    with pytest.raises(MediaHostingError) as raised:
        host.upload(io.BytesIO(png(1)), "a.png", "image/png")
    message = str(raised.value)
    assert message == (
        "GitHub PUT threadspipepy-tmp/a.png failed before an answer: the connection was refused."
    )
    assert len(sleeps) == 2  # never sent, so safe to send again: twice, with backoff
    assert raised.value.__context__ is None and "ghp_" not in message


class FlakyHost(DictHost):
    """Deletes fail twice (a user's host may raise anything), then work."""

    def __init__(self, sandbox: ThreadsSandbox) -> None:
        super().__init__(sandbox)
        self.attempts = 0

    def delete(self, handle: str) -> None:
        self.attempts += 1
        if self.attempts <= 2:
            raise RuntimeError("busy")
        super().delete(handle)


def test_hosted_files_retry_deletes_with_the_transports_backoff(sandbox: ThreadsSandbox) -> None:
    host, sleeps = FlakyHost(sandbox), []
    files = [f for f in classify_all([png(3)]) if isinstance(f, LocalFile)]
    hosted = HostedFiles(host, logger_for("test"), sleep=sleeps.append)
    hosted.upload_all(files)
    assert hosted.cleanup() == []
    assert host.attempts == 3 and host.live == set()
    assert len(sleeps) == 2 and 0.05 <= sleeps[0] <= 0.5 and 0.05 <= sleeps[1] <= 1.0
