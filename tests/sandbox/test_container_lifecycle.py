"""Container status: IN_PROGRESS -> FINISHED / ERROR / EXPIRED / PUBLISHED (threads-api.md §3.3)."""

from __future__ import annotations

import base64

import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT, Graph, graph_error

VIDEO = {"media_type": "VIDEO", "video_url": "https://cdn.example.com/clip.mp4"}
IMAGE = {"media_type": "IMAGE", "image_url": "https://cdn.example.com/pic.jpg"}


def test_status_default_fields_and_selection(graph: Graph) -> None:
    cid = graph.create(media_type="TEXT", text="hello")
    assert graph.get(cid).json() == {"id": cid, "status": "FINISHED"}
    assert graph.get(cid, fields="status").json() == {"status": "FINISHED"}
    assert graph_error(graph.get(cid, fields="id,media_url"))["code"] == 100


def test_in_progress_until_the_processing_delay_passes(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(**VIDEO)
    assert graph.status(cid)["status"] == "IN_PROGRESS"
    sb.advance(1.0)
    assert graph.status(cid)["status"] == "IN_PROGRESS"
    sb.advance(1.0)
    assert graph.status(cid) == {"id": cid, "status": "FINISHED"}
    assert sb.container(cid)["status"] == "FINISHED"


def test_custom_processing_delays() -> None:
    with ThreadsSandbox(processing_delays={"IMAGE": 100.0}) as sb:
        graph = Graph(sb, sb.access_token)
        cid = graph.create(**IMAGE)
        sb.advance(99)
        assert graph.status(cid)["status"] == "IN_PROGRESS"
        sb.advance(1)
        assert graph.status(cid)["status"] == "FINISHED"
        assert graph.status(graph.create(media_type="TEXT", text="t"))["status"] == "FINISHED"


def test_carousel_items_use_their_own_media_type_delay(graph: Graph, sb: ThreadsSandbox) -> None:
    image_item = graph.create(**IMAGE, is_carousel_item="true")
    video_item = graph.create(**VIDEO, is_carousel_item="true")
    sb.advance(0.5)
    assert graph.status(image_item)["status"] == "FINISHED"
    assert graph.status(video_item)["status"] == "IN_PROGRESS"


def test_fail_next_container_ends_in_error(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail_next_container(media_type="VIDEO")
    text_id = graph.create(media_type="TEXT", text="not a video")
    video_id = graph.create(**VIDEO)
    assert graph.status(text_id)["status"] == "FINISHED"
    assert graph.status(video_id)["status"] == "IN_PROGRESS"
    sb.advance(2)
    assert graph.status(video_id) == {
        "id": video_id,
        "status": "ERROR",
        "error_message": "FAILED_DOWNLOADING_VIDEO",
    }
    assert graph.status(graph.create(**VIDEO))["status"] == "IN_PROGRESS"  # only the next one


def test_fail_next_container_expired_and_any_type(graph: Graph, sb: ThreadsSandbox) -> None:
    sb.fail_next_container(status="EXPIRED")
    cid = graph.create(media_type="TEXT", text="x")
    assert graph.status(cid) == {"id": cid, "status": "EXPIRED"}


def test_fail_container_forces_a_status(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(**IMAGE)
    sb.fail_container(cid)
    assert graph.status(cid)["status"] == "ERROR"
    assert graph.status(cid)["error_message"] == "UNKNOWN"
    other = graph.create(**IMAGE)
    sb.fail_container(other, status="EXPIRED")
    assert graph.status(other)["status"] == "EXPIRED"


def test_unpublished_container_expires_after_24_hours(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="soon stale")
    sb.advance(86399)
    assert graph.status(cid)["status"] == "FINISHED"
    sb.advance(2)
    assert graph.status(cid)["status"] == "EXPIRED"
    assert sb.container(cid)["status"] == "EXPIRED"


def test_unreachable_media_urls_fail_processing(graph: Graph, sb: ThreadsSandbox) -> None:
    invalid_host = graph.create(media_type="IMAGE", image_url="https://img.example.invalid/a.jpg")
    missing_media = graph.create(**{**VIDEO, "video_url": f"{sb.url}/media/nothing.mp4"})
    hosted = graph.create(media_type="IMAGE", image_url=sb.host_file("ok.jpg", b"jpeg bytes"))
    sb.advance(2)
    assert graph.status(invalid_host)["error_message"] == "UNKNOWN"
    assert graph.status(missing_media) == {
        "id": missing_media,
        "status": "ERROR",
        "error_message": "FAILED_DOWNLOADING_VIDEO",
    }
    assert graph.status(hosted)["status"] == "FINISHED"


def test_raw_file_deleted_before_processing_fails(graph: Graph, sb: ThreadsSandbox) -> None:
    contents = f"{sb.github_url}/repos/{sb.gh_username}/{sb.gh_repo_name}/contents/tmp/a.jpg"
    gh = {"Authorization": f"Bearer {sb.gh_token}"}
    put = requests.put(
        contents,
        json={"message": "up", "content": base64.b64encode(b"img").decode()},
        headers=gh,
        timeout=TIMEOUT,
    ).json()
    url = put["content"]["download_url"]
    kept = graph.create(media_type="IMAGE", image_url=url)
    sb.advance(1)
    assert graph.status(kept)["status"] == "FINISHED"
    lost = graph.create(media_type="IMAGE", image_url=url)
    deleted = requests.delete(
        contents,
        json={"message": "rm", "sha": put["content"]["sha"]},
        headers=gh,
        timeout=TIMEOUT,
    )
    assert deleted.status_code == 200
    sb.advance(1)
    assert graph.status(lost)["status"] == "ERROR"
    assert graph.status(kept)["status"] == "FINISHED"  # processed before the delete


def test_other_accounts_containers_are_invisible(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="mine")
    other = Graph(sb, sb.add_account().access_token)
    error = graph_error(other.get(cid))
    assert (error["code"], error["error_subcode"]) == (100, 33)


def test_container_snapshot(graph: Graph, sb: ThreadsSandbox) -> None:
    cid = graph.create(media_type="TEXT", text="snap", reply_control="mentioned_only")
    snap = sb.container(cid)
    assert snap["id"] == cid
    assert snap["owner"] == sb.user_id
    assert snap["media_type"] == "TEXT"
    assert snap["status"] == "FINISHED"
    assert snap["error_message"] is None
    assert snap["params"] == {
        "media_type": "TEXT",
        "text": "snap",
        "reply_control": "mentioned_only",
    }
    assert snap["published_media_id"] is None
    assert isinstance(snap["created_at"], float)
    assert [c["id"] for c in sb.containers] == [cid]
