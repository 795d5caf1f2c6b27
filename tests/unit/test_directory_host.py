"""DirectoryHost on a real folder: the copy appears under its final name only whole (a
temporary name in the same folder, then a rename), readable by the web server; find and
delete by name; nothing left behind by a copy that fails."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadspipepy import MediaHostingError, ValidationError
from threadspipepy.hosting import DirectoryFile, DirectoryHost

BASE = "https://media.example.com/threads"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "www"
    path.mkdir()
    return path


@pytest.fixture
def restrictive_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


class SlowStream(io.RawIOBase):
    """Hands out `total` bytes in small pieces, calling `between()` before each piece."""

    def __init__(self, total: int, between: object = None, fail_after: int | None = None):
        self.left = total
        self.sent = 0
        self.between = between
        self.fail_after = fail_after

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if callable(self.between):
            self.between()
        if self.fail_after is not None and self.sent >= self.fail_after:
            raise OSError(28, "No space left on device")
        n = min(len(buffer), self.left, 64 * 1024)
        buffer[:n] = b"x" * n
        self.left -= n
        self.sent += n
        return n


def test_upload_find_delete(folder: Path, restrictive_umask: None) -> None:
    host = DirectoryHost(folder, BASE + "/")
    url, handle = host.upload(io.BytesIO(b"\xff\xd8\xffphoto"), "abc.jpg", "image/jpeg")
    assert url == f"{BASE}/abc.jpg"
    assert handle == DirectoryFile(str(folder.resolve() / "abc.jpg"))
    target = folder / "abc.jpg"
    assert target.read_bytes() == b"\xff\xd8\xffphoto"
    # Readable by the web server's user whatever the process's umask (here 077).
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert host.find("abc.jpg") == handle and host.find("other.jpg") is None
    host.delete(handle)
    assert list(folder.iterdir()) == []
    host.delete(handle)  # already gone: deleted all the same
    assert host.find("abc.jpg") is None


def test_the_file_mode_can_be_chosen(folder: Path) -> None:
    host = DirectoryHost(folder, BASE, file_mode=0o640)
    host.upload(io.BytesIO(b"data"), "a.png", "image/png")
    assert stat.S_IMODE((folder / "a.png").stat().st_mode) == 0o640


def test_a_partial_copy_is_never_visible_under_the_final_name(folder: Path) -> None:
    host = DirectoryHost(folder, BASE)
    target = folder / "video.mp4"
    seen: list[list[str]] = []

    def look() -> None:
        assert not target.exists()
        seen.append(sorted(p.name for p in folder.iterdir()))

    host.upload(SlowStream(1024 * 1024, between=look), "video.mp4", "video/mp4")
    assert target.stat().st_size == 1024 * 1024
    # While copying, only a hidden temporary file was there.
    assert len(seen) > 10
    assert all(len(names) == 1 and names[0].startswith(".threadspipepy-") for names in seen)
    assert [p.name for p in folder.iterdir()] == ["video.mp4"]


def test_a_reader_polling_the_final_name_only_ever_sees_the_whole_file(folder: Path) -> None:
    host = DirectoryHost(folder, BASE)
    target = folder / "big.mp4"
    total = 8 * 1024 * 1024
    sizes: set[int] = set()
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            with contextlib.suppress(FileNotFoundError):
                sizes.add(target.stat().st_size)

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        host.upload(SlowStream(total), "big.mp4", "video/mp4")
    finally:
        done.set()
        reader.join(5)
    assert sizes <= {total}


def test_a_failed_copy_leaves_nothing(folder: Path) -> None:
    host = DirectoryHost(folder, BASE)
    with pytest.raises(MediaHostingError, match="No space left on device"):
        host.upload(SlowStream(1024 * 1024, fail_after=256 * 1024), "v.mp4", "video/mp4")
    assert list(folder.iterdir()) == []
    with pytest.raises(ZeroDivisionError):  # any error of the stream: temp file removed
        host.upload(SlowStream(10, between=lambda: 1 / 0), "w.mp4", "video/mp4")
    assert list(folder.iterdir()) == []


def test_a_folder_that_vanished_is_an_upload_error(folder: Path) -> None:
    host = DirectoryHost(folder, BASE)
    folder.rmdir()
    with pytest.raises(MediaHostingError, match="Could not write into"):
        host.upload(io.BytesIO(b"x"), "a.jpg", "image/jpeg")


@pytest.mark.parametrize("name", ["../escape.jpg", "sub/a.jpg", ".hidden.jpg", ""])
def test_only_plain_names_inside_the_folder(folder: Path, name: str) -> None:
    host = DirectoryHost(folder, BASE)
    with pytest.raises(MediaHostingError, match="not a plain file name"):
        host.upload(io.BytesIO(b"x"), name, "image/jpeg")
    assert list(folder.iterdir()) == [] and list(folder.parent.glob("escape*")) == []


def test_arguments_are_checked(folder: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        DirectoryHost(folder / "missing", BASE)
    assert caught.value.parameter == "directory"
    with pytest.raises(ValidationError) as caught:
        DirectoryHost(folder, "/threads")
    assert caught.value.parameter == "base_url"
    with pytest.raises(ValidationError) as caught:
        DirectoryHost(folder, BASE, file_mode=0o1777)
    assert caught.value.parameter == "file_mode"
    with pytest.raises(TypeError):
        DirectoryHost(folder, BASE).delete("a.jpg")
    assert repr(DirectoryHost(folder, BASE)) == (
        f"DirectoryHost(directory={str(folder.resolve())!r}, base_url={BASE!r})"
    )
