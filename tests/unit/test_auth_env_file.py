"""update_env_file: one variable changes, every other byte of the file stays as it was.

python-dotenv's `set_key` was checked against these cases and fails several (it rewrites CRLF
files with LF, drops a BOM, `export` and the line's comment, replaces a symlink with a plain
file and cannot read non-UTF-8 bytes), which is why the library writes the file itself with
dotenv's parser.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from hypothesis import given, settings
from hypothesis import strategies as st

from threadspipepy import ValidationError, auth
from threadspipepy.auth import EnvFileError, check_env_target, update_env_file

NEW = "THAAnewLongLivedToken0123456789"

OTHER = (
    b"# Threads credentials -- keep this file private\n"
    b"THREADS_USER_ID=17841400000000001\n"
    b"\n"
    b"   # an indented comment\n"
    b"GH_REPO_NAME='media repo'  # inline comment\n"
    b'QUOTED="a \\"b\\" $HOME"\n'
    b"export EXPORTED=yes\n"
    b"MULTI='line one\nline two'\n"
    b"EMPTY=\n"
    b"NOT A VALID LINE\n"
)


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def without(data: bytes, line: bytes) -> bytes:
    assert data.count(line) == 1
    return data.replace(line, b"")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"THREADS_ACCESS_TOKEN=old\n", b"THREADS_ACCESS_TOKEN=" + NEW.encode() + b"\n"),
        (b"THREADS_ACCESS_TOKEN='old'\n", b"THREADS_ACCESS_TOKEN='" + NEW.encode() + b"'\n"),
        (b'THREADS_ACCESS_TOKEN="old"\n', b'THREADS_ACCESS_TOKEN="' + NEW.encode() + b'"\n'),
        (
            b"export THREADS_ACCESS_TOKEN=old  # refreshed weekly\n",
            b"export THREADS_ACCESS_TOKEN=" + NEW.encode() + b"  # refreshed weekly\n",
        ),
        (b"THREADS_ACCESS_TOKEN = 'old'\n", b"THREADS_ACCESS_TOKEN = '" + NEW.encode() + b"'\n"),
        (b"THREADS_ACCESS_TOKEN=\n", b"THREADS_ACCESS_TOKEN=" + NEW.encode() + b"\n"),
    ],
)
def test_the_line_changes_in_its_own_style_and_nothing_else(
    tmp_path: Path, line: bytes, expected: bytes
) -> None:
    # The line goes after the first two lines, among the others.
    cut = OTHER.index(b"\n", 40) + 1
    before = OTHER[:cut] + line + OTHER[cut:]
    path = write(tmp_path / ".env", before)
    assert update_env_file(path, "THREADS_ACCESS_TOKEN", NEW) is True
    after = path.read_bytes()
    assert after == OTHER[:cut] + expected + OTHER[cut:]
    assert dotenv_values(path)["THREADS_ACCESS_TOKEN"] == NEW


def test_crlf_bom_and_non_utf8_bytes_survive(tmp_path: Path) -> None:
    before = b"\xef\xbb\xbf# caf\xe9\r\nA=1\r\nTOK=old\r\nB=caf\xe9\r\n"
    path = write(tmp_path / ".env", before)
    update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == before.replace(b"TOK=old", b"TOK=" + NEW.encode())


def test_a_missing_variable_is_appended_in_the_files_line_ending(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", b"A=1\r\nB=2")  # no final newline
    assert update_env_file(path, "TOK", NEW) is False
    assert path.read_bytes() == b"A=1\r\nB=2\r\nTOK=" + NEW.encode() + b"\r\n"


def test_every_copy_of_a_repeated_variable_is_updated(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", b"TOK=a\nX=1\nTOK=b\n")
    update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == f"TOK={NEW}\nX=1\nTOK={NEW}\n".encode()


def test_a_similar_name_is_left_alone(tmp_path: Path) -> None:
    data = b"TOK_OLD=a\nMY_TOK=b\n# TOK=c\n"
    path = write(tmp_path / ".env", data)
    update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == data + f"TOK={NEW}\n".encode()


@pytest.mark.parametrize(
    "value", ["abc", "a b", "it's", 'say "hi"', "back\\slash", "$HOME", "a#b", "x # y"]
)
def test_values_read_back_exactly(tmp_path: Path, value: str) -> None:
    for line in (b"", b"V=old\n", b"V='old'\n", b'V="old"\n'):
        path = write(tmp_path / ".env", line)
        update_env_file(path, "V", value)
        assert dotenv_values(path)["V"] == value, path.read_bytes()


def test_a_new_file_is_created_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == f"TOK={NEW}\n".encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_files_mode_is_kept(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", b"TOK=old\n")
    path.chmod(0o640)
    update_env_file(path, "TOK", NEW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_symlink_is_followed_not_replaced(tmp_path: Path) -> None:
    real = write(tmp_path / "secrets.env", b"# shared\nTOK=old\n")
    link = tmp_path / ".env"
    link.symlink_to(real)
    update_env_file(link, "TOK", NEW)
    assert link.is_symlink()
    assert real.read_bytes() == f"# shared\nTOK={NEW}\n".encode()


def test_the_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = b"A=1\nTOK=old\n"
    path = write(tmp_path / ".env", data)

    def broken_replace(src: str, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(auth.os, "replace", broken_replace)
    with pytest.raises(EnvFileError, match="No space left"):
        update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == data
    # No temporary file left; .env.lock is the writers' lock file, kept by design.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", ".env.lock"]


def test_the_file_is_replaced_by_rename(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", b"TOK=old\n")
    inode = path.stat().st_ino
    update_env_file(path, "TOK", NEW)
    assert path.stat().st_ino != inode  # a new file renamed over the old one


@pytest.mark.parametrize("value", ["two\nlines", "cr\r", "nul\x00"])
def test_multi_line_values_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ValidationError):
        update_env_file(tmp_path / ".env", "TOK", value)
    assert not (tmp_path / ".env").exists()


_line = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(_line, max_size=8),
    ending=st.sampled_from(["\n", "\r\n"]),
    position=st.integers(min_value=0, max_value=8),
)
def test_property_other_lines_are_byte_identical(
    tmp_path_factory: pytest.TempPathFactory, lines: list[str], ending: str, position: int
) -> None:
    # Lines that are not assignments to TOK (whatever else they are: comments, other
    # variables, garbage) must come out unchanged around the updated line.
    lines = [line for line in lines if "TOK" not in line and "'" not in line and '"' not in line]
    position = min(position, len(lines))
    head = "".join(line + ending for line in lines[:position])
    tail = "".join(line + ending for line in lines[position:])
    path = tmp_path_factory.mktemp("env") / ".env"
    path.write_bytes((head + "TOK=old" + ending + tail).encode())
    update_env_file(path, "TOK", NEW)
    assert path.read_bytes() == (head + f"TOK={NEW}" + ending + tail).encode()


# -- check_env_target ---------------------------------------------------------------------------
def test_target_needs_both_or_neither(tmp_path: Path) -> None:
    assert check_env_target(None, None) is None
    with pytest.raises(ValidationError) as caught:
        check_env_target(tmp_path / ".env", None)
    assert caught.value.parameter == "env_variable"
    with pytest.raises(ValidationError) as caught:
        check_env_target(None, "TOK")
    assert caught.value.parameter == "env_path"


@pytest.mark.parametrize("name", ["", "1TOK", "TOK-EN", "TOK EN", "TÖK"])
def test_target_variable_must_be_a_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValidationError):
        check_env_target(tmp_path / ".env", name)


def test_target_directory_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="directory"):
        check_env_target(tmp_path / "missing" / ".env", "TOK")
    with pytest.raises(ValidationError, match="not a file"):
        check_env_target(tmp_path, "TOK")
    target = check_env_target(tmp_path / ".env", "TOK")
    assert target == (Path(os.path.realpath(tmp_path / ".env")), "TOK")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anything")
def test_target_must_be_writable(tmp_path: Path) -> None:
    path = write(tmp_path / ".env", b"TOK=old\n")
    path.chmod(0o400)
    with pytest.raises(ValidationError, match="writable"):
        check_env_target(path, "TOK")
