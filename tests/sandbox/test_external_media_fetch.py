"""Media on other local servers, fetched for real (fetch_media_from / fetch_external_media):
at container creation and again when processing ends, outside the sandbox's lock, as Meta
fetches a media URL (threads-api.md §3.1, §3.12). Only loopback hosts are ever fetched."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from ..folder_server import FolderServer
from .conftest import TIMEOUT, Graph

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32


@pytest.fixture
def media(tmp_path: Path, sb: ThreadsSandbox) -> Iterator[FolderServer]:
    with FolderServer(tmp_path) as server:
        sb.fetch_external_media(server.host)
        yield server


def test_media_is_fetched_at_creation_and_when_processing_ends(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    (media.folder / "a.jpg").write_bytes(JPEG)
    (media.folder / "b.mp4").write_bytes(MP4)
    image = graph.create(media_type="IMAGE", image_url=f"{media.url}/a.jpg")
    video = graph.create(media_type="VIDEO", video_url=f"{media.url}/b.mp4")
    assert [(f["stage"], f["status"]) for f in sb.media_fetches] == [
        ("create", 200),
        ("create", 200),
    ]
    assert graph.status(image)["status"] == "IN_PROGRESS"
    sb.advance(5)
    assert graph.status(image)["status"] == "FINISHED"
    assert graph.status(video)["status"] == "FINISHED"
    fetches = sb.media_fetches
    assert [(f["url"], f["stage"], f["status"]) for f in fetches[2:]] == [
        (f"{media.url}/a.jpg", "processing", 200),
        (f"{media.url}/b.mp4", "processing", 200),
    ]
    assert fetches[0]["content_type"] == "image/jpeg" and fetches[0]["size"] == len(JPEG)
    assert [path for path, _ in media.requests] == ["/a.jpg", "/b.mp4"] * 2


def test_a_missing_file_fails_the_container_at_creation(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    image = graph.create(media_type="IMAGE", image_url=f"{media.url}/none.jpg")
    video = graph.create(media_type="VIDEO", video_url=f"{media.url}/none.mp4")
    sb.advance(5)
    assert graph.status(image) == {"id": image, "status": "ERROR", "error_message": "UNKNOWN"}
    assert graph.status(video)["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    assert [(f["stage"], f["status"]) for f in sb.media_fetches] == [("create", 404)] * 2


def test_a_file_removed_before_processing_ends_fails_the_container(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    (media.folder / "gone.mp4").write_bytes(MP4)
    video = graph.create(media_type="VIDEO", video_url=f"{media.url}/gone.mp4")
    (media.folder / "gone.mp4").unlink()
    sb.advance(5)
    assert graph.status(video)["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    assert [(f["stage"], f["status"]) for f in sb.media_fetches] == [
        ("create", 200),
        ("processing", 404),
    ]


def test_the_served_content_type_is_checked(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    (media.folder / "page.html").write_bytes(b"<html></html>")
    (media.folder / "photo.jpg").write_bytes(JPEG)
    page = graph.create(media_type="IMAGE", image_url=f"{media.url}/page.html")
    image_as_video = graph.create(media_type="VIDEO", video_url=f"{media.url}/photo.jpg")
    sb.advance(5)
    assert graph.status(page)["error_message"] == "UNKNOWN"
    assert graph.status(image_as_video)["error_message"] == "FAILED_PROCESSING_VIDEO"


def test_other_hosts_are_not_fetched(graph: Graph, sb: ThreadsSandbox, tmp_path: Path) -> None:
    with FolderServer(tmp_path) as unlisted:
        image = graph.create(media_type="IMAGE", image_url=f"{unlisted.url}/none.jpg")
        sb.advance(5)
        assert graph.status(image)["status"] == "FINISHED"  # not contacted: counted as fine
        assert unlisted.requests == [] and sb.media_fetches == []


@pytest.mark.parametrize(
    "host",
    ["example.com:80", "10.0.0.1:80", "192.168.1.2:8080", "127.0.0.1", "localhost", "::1"],
)
def test_only_loopback_hosts_with_a_port_are_accepted(sb: ThreadsSandbox, host: str) -> None:
    with pytest.raises(ValueError, match=r"127\.0\.0\.1|loopback"):
        sb.fetch_external_media(host)


def test_loopback_forms_are_accepted(tmp_path: Path) -> None:
    with ThreadsSandbox(fetch_media_from=["127.0.0.2:81", "localhost:8080", "[::1]:9000"]):
        pass


def test_the_fetch_runs_outside_the_lock(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    (media.folder / "slow.jpg").write_bytes(JPEG)
    arrived, release = media.hold("/slow.jpg")
    created: list[str] = []
    creator = threading.Thread(
        target=lambda: created.append(
            graph.create(media_type="IMAGE", image_url=f"{media.url}/slow.jpg")
        )
    )
    creator.start()
    try:
        assert arrived.wait(5)  # the sandbox is fetching, and the media server holds it
        started = time.monotonic()
        profile = requests.get(
            f"{sb.url}/v1.0/me", headers=graph.headers, params={"fields": "id"}, timeout=TIMEOUT
        )
        assert profile.status_code == 200
        assert time.monotonic() - started < 2  # other requests go on meanwhile
        assert created == []
    finally:
        release.set()
        creator.join(5)
    assert len(created) == 1
    sb.advance(5)
    assert graph.status(created[0])["status"] == "FINISHED"


def test_a_container_stays_in_progress_while_its_last_fetch_runs(
    graph: Graph, sb: ThreadsSandbox, media: FolderServer
) -> None:
    (media.folder / "clip.mp4").write_bytes(MP4)
    video = graph.create(media_type="VIDEO", video_url=f"{media.url}/clip.mp4")
    (media.folder / "clip.mp4").unlink()  # the fetch at the end of processing will fail
    arrived, release = media.hold("/clip.mp4")
    sb.advance(5)
    first: list[dict[str, str]] = []
    reader = threading.Thread(target=lambda: first.append(graph.status(video)))
    reader.start()
    try:
        assert arrived.wait(5)  # that read's request is fetching the media again
        # Another read meanwhile: not settled from the fetch at creation, still processing.
        assert graph.status(video)["status"] == "IN_PROGRESS"
    finally:
        release.set()
        reader.join(5)
    assert first[0]["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    assert graph.status(video)["status"] == "ERROR"
