""".env writes that stay safe: concurrent writers across processes lose nothing, an interrupt
leaves no temporary copy of the token, a file others could read is made 0600 (with a warning),
and what python-dotenv reads is what a shell that sources the file reads."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from threadspipepy import ValidationError, auth
from threadspipepy.auth import InsecureEnvFileWarning, update_env_file

NEW = "THAAnewLongLivedToken0123456789"
WRITERS = 6
VARIABLES_EACH = 4
SH = shutil.which("sh")


def _write_variables(path: str, writer: int, start: object) -> None:
    """One process: wait for the others, then set its own variables one after another."""
    start.wait()  # type: ignore[attr-defined]
    for n in range(VARIABLES_EACH):
        update_env_file(path, f"W{writer}_V{n}", f"value-{writer}-{n}")


def test_concurrent_processes_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("# shared by several bots\nKEEP=1\n")
    path.chmod(0o600)
    context = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    start = context.Event()
    processes = [
        context.Process(target=_write_variables, args=(str(path), w, start)) for w in range(WRITERS)
    ]
    for process in processes:
        process.start()
    start.set()
    for process in processes:
        process.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * WRITERS
    values = dotenv_values(path)
    expected = {
        f"W{w}_V{n}": f"value-{w}-{n}" for w in range(WRITERS) for n in range(VARIABLES_EACH)
    }
    assert {k: v for k, v in values.items() if k != "KEEP"} == expected  # all 24 kept
    assert values["KEEP"] == "1"
    assert path.read_text().startswith("# shared by several bots\nKEEP=1\n")
    leftovers = sorted(p.name for p in tmp_path.iterdir())
    assert leftovers == [".env", ".env.lock"]  # the lock file stays; no temporary file does


@pytest.mark.parametrize("step", ["fsync", "chmod", "replace"])
def test_an_interrupt_during_the_write_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    data = b"A=1\nTOK=old\n"
    path = tmp_path / ".env"
    path.write_bytes(data)
    path.chmod(0o600)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(auth.os if step != "fsync" else os, step, interrupted)
    with pytest.raises(KeyboardInterrupt):
        update_env_file(path, "TOK", NEW)
    monkeypatch.undo()
    assert path.read_bytes() == data  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env", ".env.lock"]
    update_env_file(path, "TOK", NEW)  # and the lock was released
    assert dotenv_values(path)["TOK"] == NEW


@pytest.mark.parametrize("mode", [0o644, 0o604, 0o666])
def test_a_file_others_can_read_is_made_0600_with_a_warning(tmp_path: Path, mode: int) -> None:
    path = tmp_path / ".env"
    path.write_text("TOK=old\n")
    path.chmod(mode)
    with pytest.warns(InsecureEnvFileWarning, match=rf"mode {mode:04o}.*made 0600"):
        update_env_file(path, "TOK", NEW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert dotenv_values(path)["TOK"] == NEW


def test_a_private_file_keeps_its_mode_without_a_warning(
    tmp_path: Path, recwarn: pytest.WarningsRecorder
) -> None:
    path = tmp_path / ".env"
    path.write_text("TOK=old\n")
    path.chmod(0o640)
    update_env_file(path, "TOK", NEW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not [w for w in recwarn if issubclass(w.category, InsecureEnvFileWarning)]


SHELL_VALUES = [
    "'; X=1 #",
    "a|b",
    "~/token",
    "it's",
    'say "hi"',
    "back\\slash",
    "$HOME",
    "a b;c&d",
    "`whoami`",
    "x # y",
    "semi;colon",
    "",
    "APP|secret",
]


def sourced(path: Path, variable: str) -> str:
    """What `sh` reads when it sources the file (and that sourcing it runs nothing else)."""
    assert SH is not None
    script = f'set -a; . "$1"; printf %s "${variable}"; [ -z "${{X+x}}" ] || printf " X-SET"'
    env = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent-home"}
    proc = subprocess.run(
        [SH, "-c", script, "sh", str(path)],
        capture_output=True,
        text=True,
        env=env,
        cwd=path.parent,
        check=True,
        timeout=10,
    )
    return proc.stdout


@pytest.mark.skipif(SH is None, reason="needs a POSIX sh")
@pytest.mark.parametrize("value", SHELL_VALUES)
@pytest.mark.parametrize("line", [b"", b"V=old\n", b"V='old'\n", b'V="old"\n'])
def test_python_dotenv_and_sh_read_the_same_value(tmp_path: Path, value: str, line: bytes) -> None:
    path = tmp_path / ".env"
    path.write_bytes(line)
    path.chmod(0o600)
    update_env_file(path, "V", value)
    assert dotenv_values(path)["V"] == value, path.read_bytes()
    assert dotenv_values(path, interpolate=False)["V"] == value
    assert sourced(path, "V") == value, path.read_bytes()


@pytest.mark.parametrize("value", ["it's $5", "don't `run`", "a${HOME}b", "${X}"])
def test_values_no_quoting_carries_to_both_are_refused(tmp_path: Path, value: str) -> None:
    path = tmp_path / ".env"
    path.write_text("V=old\n")
    path.chmod(0o600)
    with pytest.raises(ValidationError) as caught:
        update_env_file(path, "V", value)
    assert caught.value.parameter == "value"
    assert path.read_text() == "V=old\n"  # untouched
