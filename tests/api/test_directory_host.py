"""DirectoryHost with a real folder served by a local web server (http.server on 127.0.0.1),
and the sandbox fetching every media URL from it for real: the same promises as every host
(the folder is empty after the chain whatever happened, unless the result names what is
left)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from threadspipepy import MediaHostingError, ThreadsPipe
from threadspipepy.hosting import DirectoryFile, DirectoryHost
from threadspipepy.testing import ThreadsSandbox

from ..folder_server import FolderServer
from ..media_samples import JPEG, MP4, png
from .conftest import FakeTime


@pytest.fixture
def www(tmp_path: Path, sandbox: ThreadsSandbox) -> Iterator[FolderServer]:
    folder = tmp_path / "www"
    folder.mkdir()
    with FolderServer(folder) as server:
        sandbox.fetch_external_media(server.host)
        yield server


def client_with(sandbox: ThreadsSandbox, fake_time: FakeTime, host: Any) -> ThreadsPipe:
    return fake_time.install(sandbox.client(gh_bearer_token=None, media_host=host))


def files_in(server: FolderServer) -> list[str]:
    return sorted(p.name for p in server.folder.iterdir())


def test_files_are_copied_fetched_and_deleted(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer, tmp_path: Path
) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(JPEG)
    tp = client_with(sandbox, fake_time, DirectoryHost(www.folder, www.url + "/"))
    result = tp.pipe("From my server", files=[photo, MP4, png(1)])
    assert result.ok, result
    urls = [c["url"] for c in sandbox.posts[-1]["children"]]
    assert all(u.startswith(f"{www.url}/") for u in urls)
    names = [u.rsplit("/", 1)[1] for u in urls]
    assert [n.rsplit(".", 1)[1] for n in names] == ["jpg", "mp4", "png"]
    fetches = sandbox.media_fetches
    assert {(f["url"], f["stage"], f["status"]) for f in fetches} == {
        (u, stage, 200) for u in urls for stage in ("create", "processing")
    }
    assert {f["url"]: f["content_type"] for f in fetches} == dict(
        zip(urls, ["image/jpeg", "video/mp4", "image/png"], strict=True)
    )
    assert files_in(www) == []


class Misbehaving(DirectoryHost):
    """The real host, with one fault per test: a copy that breaks, an answer lost after the
    copy landed, deletes refused, an upload held until released."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls = 0
        self.break_copy_of: int | None = None
        self.lose_answer_of: int | None = None
        self.refuse_deletes = False
        self.hold_upload: int | None = None
        self.held, self.release = threading.Event(), threading.Event()
        self._count = threading.Lock()

    def upload(self, data: BinaryIO, filename: str, mime: str) -> tuple[str, DirectoryFile]:
        with self._count:
            self.calls += 1
            call = self.calls
        if call == self.hold_upload:
            self.held.set()
            self.release.wait(10)
        if call == self.break_copy_of:
            data = _Failing(data)  # type: ignore[assignment]
        answer = super().upload(data, filename, mime)
        if call == self.lose_answer_of:
            raise TimeoutError("the answer never came")
        return answer

    def delete(self, handle: Any) -> None:
        if self.refuse_deletes:
            raise MediaHostingError(f"Could not delete {handle.path}: Permission denied")
        super().delete(handle)


class _Failing:
    """A source that breaks after its first piece, as a full disk breaks a copy."""

    def __init__(self, data: BinaryIO) -> None:
        self.data = data
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            raise OSError(28, "No space left on device")
        return self.data.read(8)


def test_a_copy_that_fails_removes_the_others_and_leaves_no_temporary_file(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    host = Misbehaving(www.folder, www.url)
    host.break_copy_of = 2
    result = client_with(sandbox, fake_time, host).pipe("Disk full", files=[png(1), png(2), png(3)])
    assert result["message"] == "Could not upload local media"
    assert "No space left on device" in result["error"]["message"]
    assert files_in(www) == []  # no copy, no hidden .part file
    assert sandbox.requests_to("POST", "/v1.0/*") == []


def test_a_folder_that_vanished_fails_before_any_post(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    host = DirectoryHost(www.folder, www.url)
    www.folder.rmdir()
    result = client_with(sandbox, fake_time, host).pipe("Gone", files=[png(1)])
    assert result["message"] == "Could not upload local media"
    assert str(www.folder) in result["error"]["message"]
    assert sandbox.requests_to("POST", "/v1.0/*") == []


def test_a_copy_whose_answer_was_lost_is_found_by_name_and_deleted(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    host = Misbehaving(www.folder, www.url)
    host.lose_answer_of = 1
    result = client_with(sandbox, fake_time, host).pipe("Lost", files=[png(1), png(2)])
    assert not result.ok and "cleanup_errors" not in result["data"]
    assert files_in(www) == []


def test_a_file_that_cannot_be_deleted_is_reported_by_path(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    host = Misbehaving(www.folder, www.url)
    host.refuse_deletes = True
    result = client_with(sandbox, fake_time, host).pipe("Stuck", files=[png(1)])
    assert result.ok, result
    [left] = files_in(www)
    [problem] = result["data"]["cleanup_errors"]
    assert str(www.folder.resolve() / left) in problem and "files[0]" in problem


def test_ctrl_c_during_copies_deletes_what_landed(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    host = Misbehaving(www.folder, www.url)
    host.hold_upload = 2

    def press_ctrl_c() -> None:
        assert host.held.wait(5)
        os.kill(os.getpid(), signal.SIGINT)
        threading.Timer(0.2, host.release.set).start()  # it lands while cleanup waits

    threading.Thread(target=press_ctrl_c, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        client_with(sandbox, fake_time, host).pipe("Ctrl-C", files=[png(i) for i in range(4)])
    assert host.calls >= 2
    assert files_in(www) == []
    assert sandbox.posts == []


def test_a_file_deleted_too_early_fails_its_container(
    sandbox: ThreadsSandbox, fake_time: FakeTime, www: FolderServer
) -> None:
    """What the sandbox's second fetch is for: media gone before processing ends."""
    tp = client_with(sandbox, fake_time, DirectoryHost(www.folder, www.url))
    original = sandbox.advance

    def advance_and_clean_up(seconds: float) -> None:
        for path in www.folder.iterdir():  # someone empties the folder mid-processing
            path.unlink()
        original(seconds)

    sandbox.advance = advance_and_clean_up  # type: ignore[method-assign]
    result = tp.pipe("Too early", files=[MP4])
    assert not result.ok and "FAILED_DOWNLOADING_VIDEO" in result["error"]["message"]
    assert [(f["stage"], f["status"]) for f in sandbox.media_fetches] == [
        ("create", 200),
        ("processing", 404),
    ]
