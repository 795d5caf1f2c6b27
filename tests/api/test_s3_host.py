"""S3Host against a real S3 API on 127.0.0.1 (moto's server, behind a gate that checks
presigned URLs as S3 does), with the sandbox fetching every media URL for real: at container
creation and when processing ends. Whatever happens (an upload refused, an answer lost, a
delete refused, Ctrl-C, a URL that expired), nothing is left in the bucket unless the result
names it, and no credential reaches a log, a repr or a result."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from threadspipepy import MediaHostingError, ThreadsPipe
from threadspipepy.hosting import HostedFiles, S3Host
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import JPEG, MP4, png
from ..s3_server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3TestServer
from .conftest import FakeTime

MIB = 1024 * 1024


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[ThreadsSandbox]:
    """The sandbox, with processing delays from an indirect parameter if any."""
    with ThreadsSandbox(processing_delays=getattr(request, "param", None)) as sb:
        yield sb


@pytest.fixture
def s3(sandbox: ThreadsSandbox) -> Iterator[S3TestServer]:
    """The S3 server, on the sandbox's clock, and the sandbox fetching from it."""
    with S3TestServer(clock=sandbox.wall_time) as server:
        sandbox.fetch_external_media(server.host)
        yield server


@pytest.fixture
def bucket(s3: S3TestServer) -> str:
    return s3.new_bucket()


def make_host(s3: S3TestServer, bucket: str, **options: Any) -> S3Host:
    settings: dict[str, Any] = {
        "endpoint_url": s3.endpoint_url,
        "region": REGION,
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "max_attempts": 1,  # the faults below reach the library, not boto3's own retries
        **options,
    }
    return S3Host(bucket, **settings)


def client_with(sandbox: ThreadsSandbox, fake_time: FakeTime, host: Any, **options: Any) -> Any:
    return fake_time.install(sandbox.client(gh_bearer_token=None, media_host=host, **options))


@pytest.fixture
def tp(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str
) -> Iterator[ThreadsPipe]:
    with client_with(sandbox, fake_time, make_host(s3, bucket)) as client:
        yield client


def item_urls(sb: ThreadsSandbox) -> list[str]:
    post = sb.posts[-1]
    return [c["url"] for c in post["children"]] if post["children"] else [post["url"]]


def keys_of(urls: list[str], bucket: str) -> list[str]:
    return [urlsplit(u).path.removeprefix(f"/{bucket}/") for u in urls]


# -- the whole way ------------------------------------------------------------------------------
def test_files_go_up_are_fetched_by_their_presigned_urls_and_are_deleted(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    result = tp.pipe("From S3", files=[photo, MP4, png(1)])
    assert result.ok, result

    urls = item_urls(sandbox)
    keys = keys_of(urls, bucket)
    assert [k.rsplit(".", 1)[1] for k in keys] == ["jpg", "mp4", "png"]
    assert all(k.startswith("threadspipepy-tmp/") and len(k) > 40 for k in keys)
    for url in urls:
        query = parse_qs(urlsplit(url).query)
        assert url.startswith(f"{s3.endpoint_url}/{bucket}/threadspipepy-tmp/")
        assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
        assert query["X-Amz-Expires"] == ["1200"]  # container_timeout 300 + margin 900
    # The sandbox fetched each URL twice over HTTP, and S3 sent the sniffed content type.
    fetches = {(f["url"], f["stage"]): f for f in sandbox.media_fetches}
    assert set(fetches) == {(u, stage) for u in urls for stage in ("create", "processing")}
    assert all(f["status"] == 200 for f in fetches.values())
    assert [fetches[(u, "create")]["content_type"] for u in urls] == [
        "image/jpeg",
        "video/mp4",
        "image/png",
    ]
    assert fetches[(urls[1], "create")]["size"] == len(MP4)
    # Everything was deleted after the chain, by key.
    assert s3.objects(bucket) == {}
    deleted = sorted(r.path.removeprefix(f"/{bucket}/") for r in s3.requests_to("DELETE"))
    assert deleted == sorted(keys)
    assert "cleanup_errors" not in result["data"]


def test_a_large_video_goes_up_in_parts(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str, tmp_path: Path
) -> None:
    video = tmp_path / "long.mp4"
    with video.open("wb") as out:
        out.write(MP4)
        out.truncate(12 * MIB)  # sparse: nothing big is written
    tp = client_with(sandbox, fake_time, make_host(s3, bucket, part_size=5 * MIB))
    result = tp.pipe("A long video", files=[video])
    assert result.ok, result
    assert len(s3.requests_to("POST", "uploads")) == 1  # CreateMultipartUpload
    parts = s3.requests_to("PUT", "partNumber")
    assert sorted(int(r.query["partNumber"]) for r in parts) == [1, 2, 3]
    assert len(s3.requests_to("POST", "uploadId")) == 1  # CompleteMultipartUpload
    [created] = [f for f in sandbox.media_fetches if f["stage"] == "create"]
    assert created["size"] == 12 * MIB and created["content_type"] == "video/mp4"
    assert s3.objects(bucket) == {} and s3.multipart_uploads(bucket) == []


def test_a_public_base_url_is_served_instead_of_presigned_urls(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str
) -> None:
    base = f"{s3.endpoint_url}/{bucket}"  # as a CDN in front of a public bucket would be
    anonymous = base + "/threadspipepy-tmp/x.png"
    s3.client().put_object(Bucket=bucket, Key="threadspipepy-tmp/x.png", Body=png(0))
    assert requests.get(anonymous, timeout=5).status_code == 403  # private until a policy
    s3.allow_public_reads(bucket, "threadspipepy-tmp")
    assert requests.get(anonymous, timeout=5).status_code == 200
    s3.client().delete_object(Bucket=bucket, Key="threadspipepy-tmp/x.png")
    tp = client_with(sandbox, fake_time, make_host(s3, bucket, public_base_url=base + "/"))
    assert tp.pipe("Public", files=[png(1)]).ok
    [url] = item_urls(sandbox)
    assert url.startswith(f"{base}/threadspipepy-tmp/") and "?" not in url
    assert [f["status"] for f in sandbox.media_fetches] == [200, 200]
    assert s3.objects(bucket) == {}


# -- URLs Meta cannot fetch ----------------------------------------------------------------------
@pytest.mark.parametrize("sandbox", [{"VIDEO": 120.0}], indirect=True)
def test_a_presigned_url_that_expires_before_processing_ends_fails_the_container(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str
) -> None:
    # URLs live 60 s; processing takes 120 s (sandbox time, which the S3 server keeps too).
    host = make_host(s3, bucket, container_timeout=0, url_margin=60)
    tp = client_with(sandbox, fake_time, host)
    result = tp.pipe("Too slow", files=[MP4])
    assert not result.ok
    assert result["error"]["error_class"] == "MediaProcessingError"
    assert "FAILED_DOWNLOADING_VIDEO" in result["error"]["message"]
    assert [(f["stage"], f["status"]) for f in sandbox.media_fetches] == [
        ("create", 200),
        ("processing", 403),  # S3: AccessDenied, Request has expired
    ]
    assert sandbox.posts == [] and s3.objects(bucket) == {}
    assert result["data"]["remaining"]  # resume_pipe hosts it again, with fresh URLs


@pytest.mark.parametrize("sandbox", [{"VIDEO": 120.0}], indirect=True)
def test_a_url_that_outlives_processing_is_fine(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str
) -> None:
    tp = client_with(sandbox, fake_time, make_host(s3, bucket, container_timeout=120))
    assert tp.pipe("Slow but fine", files=[MP4]).ok
    assert [(f["stage"], f["status"]) for f in sandbox.media_fetches] == [
        ("create", 200),
        ("processing", 200),
    ]


def test_a_wrongly_signed_url_fails_the_container(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str
) -> None:
    host = make_host(s3, bucket, secret_access_key="not-the-key-s3-knows")
    tp = client_with(sandbox, fake_time, host)
    result = tp.pipe("Bad signature", files=[png(1)])
    assert not result.ok and "UNKNOWN" in result["error"]["message"]
    assert [f["status"] for f in sandbox.media_fetches] == [403]  # SignatureDoesNotMatch
    assert s3.objects(bucket) == {}


# -- faults --------------------------------------------------------------------------------------
def test_an_upload_refused_removes_the_other_uploads(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    s3.fail("PUT")
    result = tp.pipe("Three files", files=[png(1), png(2), png(3)])
    assert result["message"] == "Could not upload local media"
    assert result["error"]["error_class"] == "MediaHostingError"
    assert f"s3://{bucket}/threadspipepy-tmp/" in result["error"]["message"]
    assert "InternalError (HTTP 500)" in result["error"]["message"]
    assert len(s3.requests_to("PUT")) == 3
    assert len(s3.requests_to("DELETE")) == 2  # the two that landed
    assert s3.objects(bucket) == {}
    assert sandbox.requests_to("POST", "/v1.0/*") == []  # nothing was posted


def test_an_upload_whose_answer_was_lost_is_found_by_its_key_and_deleted(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    s3.fail("PUT", after=True)  # S3 stored it; the client heard a 500
    result = tp.pipe("Lost answer", files=[png(1), png(2)])
    assert result["message"] == "Could not upload local media"
    assert "cleanup_errors" not in result["data"]
    [lost] = [r for r in s3.requests if r.method == "PUT" and r.status == 500]
    assert any(r.method == "HEAD" and r.path == lost.path for r in s3.requests)
    assert any(r.method == "DELETE" and r.path == lost.path for r in s3.requests)
    assert s3.objects(bucket) == {}


def test_a_look_up_refused_for_want_of_list_bucket_says_so(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    s3.fail("PUT")  # no answer worth the name: did it land?
    s3.fail("HEAD", status=403, code="AccessDenied", times=None)  # S3 without s3:ListBucket
    result = tp.pipe("Refused look-up", files=[png(1)])
    [problem] = result["data"]["cleanup_errors"]
    assert "Could not check whether files[0] (bytes) reached the host" in problem
    assert "s3:ListBucket" in problem
    assert s3.objects(bucket) == {}


def test_a_multipart_upload_whose_completion_answer_was_lost_is_deleted(
    sandbox: ThreadsSandbox, fake_time: FakeTime, s3: S3TestServer, bucket: str, tmp_path: Path
) -> None:
    video = tmp_path / "long.mp4"
    with video.open("wb") as out:
        out.write(MP4)
        out.truncate(11 * MIB)
    s3.fail("POST", after=True, query_key="uploadId")  # CompleteMultipartUpload took effect
    tp = client_with(sandbox, fake_time, make_host(s3, bucket, part_size=5 * MIB))
    result = tp.pipe("Lost completion", files=[video])
    assert not result.ok and "cleanup_errors" not in result["data"]
    assert s3.objects(bucket) == {} and s3.multipart_uploads(bucket) == []


def test_a_delete_refused_is_reported_by_key(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    s3.fail("DELETE", status=403, code="AccessDenied", times=None)
    result = tp.pipe("Stuck", files=[png(1), png(2)])
    assert result.ok, result  # the post is live; only the cleanup is reported
    left = sorted(s3.objects(bucket))
    assert len(left) == 2
    problems = result["data"]["cleanup_errors"]
    assert len(problems) == 2
    for key in left:
        assert sum(f"s3://{bucket}/{key}" in p for p in problems) == 1
    assert all("AccessDenied (HTTP 403)" in p for p in problems)


def test_a_delete_whose_answer_was_lost_is_not_reported(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    s3.fail("DELETE", after=True, times=2)
    result = tp.pipe("Clean", files=[png(1), png(2)])
    assert result.ok and "cleanup_errors" not in result["data"]
    assert s3.objects(bucket) == {}


def test_ctrl_c_during_uploads_deletes_what_landed(
    sandbox: ThreadsSandbox, tp: ThreadsPipe, s3: S3TestServer, bucket: str
) -> None:
    held = s3.hold("PUT", skip=1)  # the second upload is in flight

    def press_ctrl_c() -> None:
        assert held.wait_arrived(5)
        os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(0.2, held.release).start()  # it lands while cleanup waits

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        tp.pipe("Interrupted", files=[png(i) for i in range(1, 5)])
    assert len(s3.requests_to("PUT")) >= 2
    assert s3.objects(bucket) == {}
    assert sandbox.posts == []


class _Killed(BaseException):
    """The process dies: nothing after this line of the run happens."""


def test_a_run_killed_before_cleanup_is_cleaned_by_the_next_run_with_its_key(
    sandbox: ThreadsSandbox,
    fake_time: FakeTime,
    s3: S3TestServer,
    bucket: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    journal = tmp_path / "journal.sqlite3"
    tp = client_with(sandbox, fake_time, make_host(s3, bucket), journal=journal)

    def killed(self: HostedFiles) -> list[str]:
        raise _Killed

    with monkeypatch.context() as patch:
        patch.setattr(HostedFiles, "cleanup", killed)
        with pytest.raises(_Killed):
            tp.pipe("Killed", files=[png(1), png(2)], idempotency_key="daily-1")
    assert len(s3.objects(bucket)) == 2  # the dead run's files are still there

    again = client_with(sandbox, fake_time, make_host(s3, bucket), journal=journal)
    result = again.pipe("Killed", files=[png(1), png(2)], idempotency_key="daily-1")
    assert result.ok, result
    assert len(sandbox.posts) == 1  # published once
    assert s3.objects(bucket) == {}  # the leftovers were found by name and deleted


# -- credentials ---------------------------------------------------------------------------------
def test_credentials_never_reach_a_log_a_repr_or_a_result(
    sandbox: ThreadsSandbox,
    tp: ThreadsPipe,
    s3: S3TestServer,
    bucket: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    host = tp._media_host()
    s3.fail("PUT")
    s3.fail("DELETE", times=None)
    with caplog.at_level(logging.DEBUG):  # every logger: botocore, urllib3, the library
        failed = tp.pipe("Upload refused", files=[png(1), png(2)])
        done = tp.pipe("Delete refused", files=[png(3)])
    assert not failed.ok and done["data"]["cleanup_errors"]
    assert "botocore" in caplog.text  # boto3's own DEBUG lines were captured too
    seen: list[Mapping[str, Any] | str] = [
        caplog.text,
        repr(host),
        repr(vars(host)),
        repr(tp),
        json.dumps(failed),
        json.dumps(done),
        repr(failed.get("error")),
    ]
    with pytest.raises(MediaHostingError) as caught:
        failed.raise_for_error()
    seen.append("".join(traceback.format_exception(caught.value)))  # the whole chain
    for text in seen:
        assert SECRET_ACCESS_KEY not in str(text)
