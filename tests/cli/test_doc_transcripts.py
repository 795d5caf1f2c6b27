"""The ```console transcripts in docs/02-cli-usage.md are true for the code as built.

Each block is run as one bash script (the `$ ` lines, with `threadspipepy` meaning this
interpreter's `python -m threadspipepy`) in the CLI tests' scrubbed environment, stderr merged
into stdout, and its output must equal the block's other lines. Post ids and fbtrace ids vary
from run to run, so both sides have them replaced by placeholders first.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "02-cli-usage.md"
BLOCK = re.compile(r"^```console\n(.*?)^```", re.S | re.M)
SHELL_PRELUDE = 'threadspipepy() { "$PYTHON" -m threadspipepy "$@"; }\n'


def transcripts() -> Iterator[Any]:
    text = PAGE.read_text(encoding="utf-8")
    for number, match in enumerate(BLOCK.finditer(text), 1):
        line = text.count("\n", 0, match.start()) + 1
        yield pytest.param(match.group(1), id=f"block{number}-line{line}")


def normalise(text: str) -> str:
    text = re.sub(r"\b\d{15,}\b", "<id>", text)
    text = re.sub(r"fbtrace_id=[\w-]+", "fbtrace_id=<trace>", text)
    return text.strip()


def test_the_page_has_transcripts() -> None:
    assert len(list(transcripts())) >= 5


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize("block", list(transcripts()))
def test_transcript(block: str, cli_env: dict[str, str], tmp_path: Path) -> None:
    lines = block.splitlines()
    script = SHELL_PRELUDE + "".join(line[2:] + "\n" for line in lines if line.startswith("$ "))
    expected = "\n".join(line for line in lines if not line.startswith("$ "))
    proc = subprocess.run(
        ["bash", "-c", script],
        input="",
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        env={**cli_env, "PYTHON": sys.executable},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert normalise(proc.stdout) == normalise(expected)
