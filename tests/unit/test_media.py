"""Classifying files and encoding uploads: pure logic and local reads only."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadspipepy.errors import ValidationError
from threadspipepy.hosting import Base64JsonBody
from threadspipepy.media import LocalFile, RemoteFile, check_rules, classify

from ..media_samples import GIF, JPEG, MP4, png


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.com/a%20b.jpg",
        "https://cdn.example.com/a.jpg?x=1+2&y=%2F",
        "https://cdn.example.com/path/a.JPEG#frag",
        "http://127.0.0.1:8080/video.mov",
        "https://s3.amazonaws.com/bucket/key?X-Amz-Signature=abc/def",
    ],
)
def test_valid_urls_are_urls(url: str) -> None:
    assert classify(url, 0) == RemoteFile(0, url)


def test_relative_name_is_a_path_when_the_file_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("photo.jpg").write_bytes(JPEG)
    file = classify("photo.jpg", 3)
    assert isinstance(file, LocalFile)
    assert file.path == tmp_path / "photo.jpg"
    assert file.mime == "image/jpeg" and file.label == "files[3] (photo.jpg)"
    assert file.data is None  # streamed from disk when uploaded, never loaded whole


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "clip.mp4").write_bytes(MP4)
    file = classify("~/clip.mp4", 0)
    assert isinstance(file, LocalFile) and file.kind == "VIDEO"


def test_type_comes_from_content_not_name(tmp_path: Path) -> None:
    misnamed = tmp_path / "actually-a-png.jpg"
    misnamed.write_bytes(png())
    file = classify(misnamed, 0)
    assert isinstance(file, LocalFile) and file.mime == "image/png"
    gif = tmp_path / "anim.png"
    gif.write_bytes(GIF)
    with pytest.raises(ValidationError, match="image/gif"):
        classify(gif, 1)


def test_bytes_base64_and_data_uris() -> None:
    for value in (png(), bytearray(png()), memoryview(png())):
        assert isinstance(classify(value, 0), LocalFile)
    encoded = base64.b64encode(JPEG).decode()
    assert classify(encoded, 0) == LocalFile(
        0, "files[0] (base64)", "image/jpeg", len(JPEG), data=JPEG
    )
    uri = classify("data:video/mp4;base64," + base64.b64encode(MP4).decode(), 1)
    assert isinstance(uri, LocalFile) and uri.kind == "VIDEO"


@pytest.mark.parametrize("word", ["test", "abcd", "data", "Zm9vYmFyYmF6cXV4"])
def test_words_that_happen_to_be_base64_are_not_files(word: str) -> None:
    with pytest.raises(ValidationError, match="files\\[0\\]") as caught:
        classify(word, 0)
    assert caught.value.parameter == "files[0]"


def test_missing_path_says_so() -> None:
    with pytest.raises(ValidationError, match=r"no such file"):
        classify("./missing/photo.jpg", 0)
    with pytest.raises(ValidationError, match=r"(?i)no such file"):
        classify(Path("/nonexistent/photo.jpg"), 0)  # "No such file or directory"


def test_file_objects() -> None:
    file = classify(io.BytesIO(png()), 2)
    assert isinstance(file, LocalFile) and file.size == len(png())
    with pytest.raises(ValidationError, match="binary mode"):
        classify(io.StringIO("text"), 0)
    with pytest.raises(ValidationError, match="int"):
        classify(42, 0)


def test_size_rules() -> None:
    image = LocalFile(0, "files[0] (big.png)", "image/png", 9 * 1024 * 1024, data=b"")
    with pytest.raises(ValidationError, match="images may be at most 8 MB"):
        check_rules([image], None)
    video = LocalFile(1, "files[1] (big.mp4)", "video/mp4", 200 * 1024 * 1024, data=b"")
    check_rules([video], None)  # Threads takes up to 1 GB
    with pytest.raises(ValidationError, match="media host takes at most"):
        check_rules([video], 100 * 1024 * 1024)


@given(st.binary(max_size=5000), st.integers(min_value=1, max_value=7))
def test_streamed_body_is_exactly_the_json_document(data: bytes, chunk: int) -> None:
    body = Base64JsonBody('a message with "quotes"', io.BytesIO(data), len(data), chunk)
    sent = b"".join(body)
    assert len(sent) == len(body)
    assert json.loads(sent) == {
        "message": 'a message with "quotes"',
        "content": base64.b64encode(data).decode(),
    }
