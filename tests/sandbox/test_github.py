"""The fake GitHub contents API and raw host (GitHub REST "repository contents" behaviour)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
import requests

from threadspipepy.testing import ThreadsSandbox

from .conftest import TIMEOUT


class GitHub:
    def __init__(self, sb: ThreadsSandbox, token: str | None = None) -> None:
        self.sb = sb
        self.token = sb.gh_token if token is None else token
        self.repo = f"{sb.github_url}/repos/{sb.gh_username}/{sb.gh_repo_name}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def put(self, path: str, data: bytes | None = None, **body: Any) -> requests.Response:
        if data is not None:
            body.setdefault("content", base64.b64encode(data).decode())
        body.setdefault("message", f"upload {path}")
        return requests.put(
            f"{self.repo}/contents/{path}", json=body, headers=self._headers(), timeout=TIMEOUT
        )

    def get(self, path: str) -> requests.Response:
        return requests.get(
            f"{self.repo}/contents/{path}", headers=self._headers(), timeout=TIMEOUT
        )

    def delete(self, path: str, **body: Any) -> requests.Response:
        return requests.delete(
            f"{self.repo}/contents/{path}", json=body, headers=self._headers(), timeout=TIMEOUT
        )


@pytest.fixture
def gh(threads_sandbox: ThreadsSandbox) -> GitHub:
    return GitHub(threads_sandbox)


def git_blob_sha(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data).hexdigest()


def test_put_creates_a_file(gh: GitHub, sb: ThreadsSandbox) -> None:
    answer = gh.put("threadspipe/img one.png", b"\x89PNG data")
    assert answer.status_code == 201
    body = answer.json()
    content = body["content"]
    assert content["name"] == "img one.png"
    assert content["path"] == "threadspipe/img one.png"
    assert content["sha"] == git_blob_sha(b"\x89PNG data")
    assert content["size"] == len(b"\x89PNG data")
    assert content["type"] == "file"
    assert content["download_url"] == (
        f"{sb.raw_url}/{sb.gh_username}/{sb.gh_repo_name}/main/threadspipe/img%20one.png"
    )
    assert set(content["_links"]) == {"self", "git", "html"}
    assert {"url", "html_url", "git_url"} <= set(content)
    assert body["commit"]["message"] == "upload threadspipe/img one.png"
    assert len(body["commit"]["sha"]) == 40
    assert sb.github_files == {"threadspipe/img one.png": b"\x89PNG data"}


def test_raw_host_serves_then_404_after_delete(gh: GitHub, sb: ThreadsSandbox) -> None:
    content = gh.put("media/photo.jpg", b"jpeg-bytes").json()["content"]
    raw = requests.get(content["download_url"], timeout=TIMEOUT)
    assert raw.status_code == 200
    assert raw.content == b"jpeg-bytes"
    assert raw.headers["Content-Type"] == "image/jpeg"
    head = requests.head(content["download_url"], timeout=TIMEOUT)
    assert (head.status_code, head.headers["Content-Length"]) == (200, "10")
    gh.put("media/blob", b"?")
    unknown = requests.get(f"{sb.raw_url}/{sb.gh_username}/{sb.gh_repo_name}/main/media/blob")
    assert unknown.headers["Content-Type"] == "application/octet-stream"
    deleted = gh.delete("media/photo.jpg", message="cleanup", sha=content["sha"])
    assert deleted.status_code == 200
    assert deleted.json()["content"] is None
    assert deleted.json()["commit"]["message"] == "cleanup"
    assert requests.get(content["download_url"], timeout=TIMEOUT).status_code == 404
    assert "media/photo.jpg" not in sb.github_files


def test_get_returns_base64_content_or_404(gh: GitHub) -> None:
    gh.put("dir/a.txt", b"hello")
    body = gh.get("dir/a.txt").json()
    assert body["encoding"] == "base64"
    assert base64.b64decode(body["content"]) == b"hello"
    assert body["sha"] == git_blob_sha(b"hello")
    listing = gh.get("dir").json()
    assert [entry["name"] for entry in listing] == ["a.txt"]
    missing = gh.get("dir/nothing.txt")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not Found"


def test_bad_or_missing_token_is_401(sb: ThreadsSandbox) -> None:
    for token in ("ghp_wrong", ""):
        answer = GitHub(sb, token).put("x.txt", b"x")
        assert answer.status_code == 401
        assert answer.json()["message"] == "Bad credentials"
        assert "documentation_url" in answer.json()
    assert GitHub(sb, "ghp_wrong").get("x.txt").status_code == 401
    assert sb.github_files == {}


def test_put_validation(gh: GitHub, sb: ThreadsSandbox) -> None:
    no_message = requests.put(
        f"{gh.repo}/contents/a.txt",
        json={"content": "YQ=="},
        headers={"Authorization": f"Bearer {sb.gh_token}"},
        timeout=TIMEOUT,
    )
    assert no_message.status_code == 422
    assert gh.put("a.txt", content="not base64!!").status_code == 422
    assert gh.put("a.txt").status_code == 422  # no content
    assert sb.github_files == {}
    wrapped = base64.encodebytes(b"x" * 200).decode()  # newlines inside base64 are fine
    assert gh.put("wrapped.txt", content=wrapped).status_code == 201


def test_file_size_limit(gh: GitHub, sb: ThreadsSandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from threadspipepy.testing import _github

    monkeypatch.setattr(_github, "MAX_FILE_BYTES", 10)
    answer = gh.put("big.bin", b"x" * 11)
    assert answer.status_code == 422
    assert "large" in answer.json()["message"]
    assert gh.put("small.bin", b"x" * 10).status_code == 201


def test_sha_rules_for_update_and_delete(gh: GitHub) -> None:
    first = gh.put("f.txt", b"v1").json()["content"]["sha"]
    missing_sha = gh.put("f.txt", b"v2")
    assert missing_sha.status_code == 422
    assert "sha" in missing_sha.json()["message"]
    assert gh.put("f.txt", b"v2", sha="0" * 40).status_code == 409
    updated = gh.put("f.txt", b"v2", sha=first)
    assert updated.status_code == 200
    second = updated.json()["content"]["sha"]
    assert gh.delete("f.txt", message="rm").status_code == 422
    assert gh.delete("f.txt", message="rm", sha=first).status_code == 409
    assert gh.delete("f.txt", sha=second).status_code == 422  # message is required
    assert gh.delete("f.txt", message="rm", sha=second).status_code == 200
    assert gh.delete("f.txt", message="rm", sha=second).status_code == 404


def test_unknown_repo_is_404(sb: ThreadsSandbox) -> None:
    answer = requests.put(
        f"{sb.github_url}/repos/{sb.gh_username}/no-such-repo/contents/a.txt",
        json={"message": "m", "content": "YQ=="},
        headers={"Authorization": f"Bearer {sb.gh_token}"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 404
    assert answer.json()["message"] == "Not Found"


def test_large_upload_of_about_70_mb_body(gh: GitHub, sb: ThreadsSandbox) -> None:
    data = bytes(range(256)) * (52 * 1024 * 1024 // 256)  # base64 JSON body of ~73 MB
    answer = gh.put("large.bin", data)
    assert answer.status_code == 201
    assert answer.json()["content"]["size"] == len(data)
    assert sb.requests[-1].body_size > 70_000_000
    assert sb.github_files["large.bin"] == data


def test_host_file_serves_media(sb: ThreadsSandbox) -> None:
    url = sb.host_file("clips/v.mp4", b"\x00\x00\x00\x18ftypmp42")
    assert url == f"{sb.url}/media/clips/v.mp4"
    answer = requests.get(url, timeout=TIMEOUT)
    assert answer.content == b"\x00\x00\x00\x18ftypmp42"
    assert answer.headers["Content-Type"] == "video/mp4"
    assert requests.get(f"{sb.url}/media/none.png", timeout=TIMEOUT).status_code == 404
