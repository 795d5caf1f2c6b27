"""The sandbox's media probe (`HEAD /media-probe?url=...`): what type a media URL is, answered
on this machine, so a client pointed at the sandbox never sends a HEAD to the internet."""

from __future__ import annotations

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def probe(sb: ThreadsSandbox, url: str | None, method: str = "HEAD") -> requests.Response:
    params = {} if url is None else {"url": url}
    return requests.request(method, f"{sb.url}/media-probe", params=params, timeout=TIMEOUT)


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("https://cdn.example.com/clip.mp4?sig=1", "video/mp4"),
        ("https://cdn.example.com/photo.png", "image/png"),
        ("https://cdn.example.com/page.html", "text/html"),
        ("https://cdn.example.com/photos/latest", "image/jpeg"),  # unknown: taken as fine
    ],
)
def test_an_external_url_is_typed_by_its_extension(
    sb: ThreadsSandbox, url: str, content_type: str
) -> None:
    answer = probe(sb, url)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == content_type


def test_a_type_set_by_the_test_wins(sb: ThreadsSandbox) -> None:
    sb.set_media_type("https://cdn.example.com/photo.png", "video/quicktime")
    sb.set_media_type("https://cdn.example.com/gone", None)
    assert probe(sb, "https://cdn.example.com/photo.png").headers["Content-Type"] == (
        "video/quicktime"
    )
    assert probe(sb, "https://cdn.example.com/gone").status_code == 404


def test_the_sandboxs_own_files_answer_with_their_type(sb: ThreadsSandbox) -> None:
    url = sb.host_file("clips/latest", JPEG, "image/jpeg")
    assert probe(sb, url, "GET").headers["Content-Type"] == "image/jpeg"
    assert probe(sb, f"{sb.url}/media/nothing-here").status_code == 404


def test_unreachable_hosts_and_bad_requests(sb: ThreadsSandbox) -> None:
    assert probe(sb, "https://media.example.invalid/a").status_code == 404
    assert probe(sb, None).status_code == 400
    assert probe(sb, "https://cdn.example.com/a.jpg", "POST").status_code == 405


def test_probes_are_logged_as_static_requests(sb: ThreadsSandbox) -> None:
    probe(sb, "https://cdn.example.com/a")
    assert sb.stats()["static"] == 1
    assert sb.requests_to("HEAD", "/media-probe")[0].query == {"url": "https://cdn.example.com/a"}
