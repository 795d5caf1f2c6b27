"""Media URLs are fetched when the container is created (threads-api.md §3.1, §3.3, §3.12):
URLs the sandbox serves are looked up and their content type checked; the failure shows as
status ERROR once processing ends."""

from __future__ import annotations

import base64

import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32


def settle(graph: Graph, sb: ThreadsSandbox, cid: str) -> dict[str, str]:
    sb.advance(5)
    return graph.status(cid)


def test_hosted_jpeg_png_mp4_mov_are_fine(graph: Graph, sb: ThreadsSandbox) -> None:
    image_ids = [
        graph.create(media_type="IMAGE", image_url=sb.host_file("a.jpg", JPEG)),
        graph.create(media_type="IMAGE", image_url=sb.host_file("b.png", b"\x89PNG")),
        graph.create(media_type="IMAGE", image_url=sb.host_file("c", JPEG, "image/jpeg")),
    ]
    video_ids = [
        graph.create(media_type="VIDEO", video_url=sb.host_file("d.mp4", MP4)),
        graph.create(media_type="VIDEO", video_url=sb.host_file("e.mov", MP4)),
    ]
    sb.advance(5)
    for cid in image_ids + video_ids:
        assert graph.status(cid)["status"] == "FINISHED", cid


def test_missing_hosted_file_is_an_error(graph: Graph, sb: ThreadsSandbox) -> None:
    image = graph.create(media_type="IMAGE", image_url=f"{sb.url}/media/none.jpg")
    video = graph.create(media_type="VIDEO", video_url=f"{sb.url}/media/none.mp4")
    raw = graph.create(
        media_type="IMAGE", image_url=f"{sb.raw_url}/{sb.gh_username}/{sb.gh_repo_name}/main/x.png"
    )
    assert graph.status(image)["status"] == "IN_PROGRESS"  # the outcome shows after processing
    sb.advance(5)
    assert graph.status(image) == {"id": image, "status": "ERROR", "error_message": "UNKNOWN"}
    assert graph.status(video)["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    assert graph.status(raw)["error_message"] == "UNKNOWN"


def test_a_file_hosted_after_creation_is_still_an_error(graph: Graph, sb: ThreadsSandbox) -> None:
    url = f"{sb.url}/media/late.jpg"
    cid = graph.create(media_type="IMAGE", image_url=url)
    sb.host_file("late.jpg", JPEG)  # too late: the fetch happened at creation
    assert settle(graph, sb, cid)["status"] == "ERROR"


def test_wrong_content_type_is_an_error(graph: Graph, sb: ThreadsSandbox) -> None:
    page = graph.create(media_type="IMAGE", image_url=sb.host_file("page.html", b"<html>"))
    gif = graph.create(media_type="IMAGE", image_url=sb.host_file("anim.gif", b"GIF89a"))
    image_as_video = graph.create(media_type="VIDEO", video_url=sb.host_file("p.jpg", JPEG))
    video_as_image = graph.create(media_type="IMAGE", image_url=sb.host_file("v.mp4", MP4))
    unknown = graph.create(media_type="VIDEO", video_url=sb.host_file("blob", MP4))
    sb.advance(5)
    assert graph.status(page)["error_message"] == "UNKNOWN"
    assert graph.status(gif)["status"] == "ERROR"
    assert graph.status(image_as_video) == {
        "id": image_as_video,
        "status": "ERROR",
        "error_message": "FAILED_PROCESSING_VIDEO",
    }
    assert graph.status(video_as_image)["status"] == "ERROR"
    assert graph.status(unknown)["status"] == "ERROR"  # application/octet-stream


def test_raw_host_types_come_from_the_extension(graph: Graph, sb: ThreadsSandbox) -> None:
    contents = f"{sb.github_url}/repos/{sb.gh_username}/{sb.gh_repo_name}/contents"
    auth = {"Authorization": f"Bearer {sb.gh_token}"}
    urls = {}
    for name in ("pic.jpg", "clip.mp4", "notes.txt"):
        body = {"message": "up", "content": base64.b64encode(JPEG).decode()}
        put = requests.put(f"{contents}/{name}", json=body, headers=auth, timeout=TIMEOUT)
        urls[name] = put.json()["content"]["download_url"]
    good_image = graph.create(media_type="IMAGE", image_url=urls["pic.jpg"])
    good_video = graph.create(media_type="VIDEO", video_url=urls["clip.mp4"])
    text_file = graph.create(media_type="IMAGE", image_url=urls["notes.txt"])
    sb.advance(5)
    assert graph.status(good_image)["status"] == "FINISHED"
    assert graph.status(good_video)["status"] == "FINISHED"
    assert graph.status(text_file)["status"] == "ERROR"


def test_invalid_hosts_fail_and_other_hosts_succeed(graph: Graph, sb: ThreadsSandbox) -> None:
    invalid = graph.create(media_type="VIDEO", video_url="https://cdn.example.invalid/v.mp4")
    bare = graph.create(media_type="IMAGE", image_url="http://invalid/a.jpg")
    external = graph.create(media_type="IMAGE", image_url="https://cdn.example.com/anything")
    sb.advance(5)
    assert graph.status(invalid)["error_message"] == "FAILED_DOWNLOADING_VIDEO"
    assert graph.status(bare)["error_message"] == "UNKNOWN"
    assert graph.status(external)["status"] == "FINISHED"


def test_carousel_items_are_fetched_too(graph: Graph, sb: ThreadsSandbox) -> None:
    good = graph.create(
        media_type="IMAGE", image_url=sb.host_file("ok.jpg", JPEG), is_carousel_item="true"
    )
    bad = graph.create(
        media_type="IMAGE", image_url=f"{sb.url}/media/gone.jpg", is_carousel_item="true"
    )
    sb.advance(5)
    assert graph.status(good)["status"] == "FINISHED"
    assert graph.status(bad)["status"] == "ERROR"
    answer = graph.post("me/threads", media_type="CAROUSEL", children=f"{good},{bad}")
    assert answer.status_code == 400
    assert "children" in answer.json()["error"]["message"]
