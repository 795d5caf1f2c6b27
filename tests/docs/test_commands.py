"""The shell commands in README.md and docs/ work from a fresh checkout.

- Every `pip install` of this library installs the checkout (`.`, `-e .`, `".[notebook]"`)
  with extras that exist: the name `threadspipepy` on the package index is ThreadsPipe-py
  0.4.5, an older, different release, so installing by that name gets 0.4.5.
- Every `threadspipepy ...` line of a shell block parses: the command and its options exist.
"""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from threadspipepy.cli import build_parser

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_BLOCK = re.compile(r"^```(?:bash|sh|shell|console)\n(.*?)^```", re.S | re.M)
PIP_INSTALL = re.compile(r"pip3? install ([^`\n&|;#]*)")
EXTRAS = set(
    tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
)


def pip_installs() -> Iterator[Any]:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in PIP_INSTALL.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            yield pytest.param(match.group(1), id=f"{page.name}:{line}")


def test_the_docs_have_install_commands() -> None:
    assert len(list(pip_installs())) >= 4


@pytest.mark.parametrize("arguments", list(pip_installs()))
def test_every_pip_install_works_from_a_checkout(arguments: str) -> None:
    requirements = [a for a in shlex.split(arguments) if not a.startswith("-")]
    assert requirements, arguments
    for requirement in requirements:
        target, _, extras = requirement.partition("[")
        name = re.split(r"[<>=!~ ]", target, maxsplit=1)[0].lower().replace("_", "-")
        assert name != "threadspipepy", (
            f"{requirement!r} installs ThreadsPipe-py 0.4.5 from the package index; install "
            'this checkout instead: pip install ".[extra]"'
        )
        if target in (".", "./"):
            wanted = {e.strip() for e in extras.rstrip("]").split(",") if e.strip()}
            assert wanted <= EXTRAS, f"no such extra: {sorted(wanted - EXTRAS)}"


def test_0_4_5s_cli_extra_still_exists() -> None:
    assert {"cli", "notebook", "test", "dev"} <= EXTRAS


def command_lines() -> Iterator[Any]:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in SHELL_BLOCK.finditer(text):
            body = block.group(1).replace("\\\n", " ")
            for offset, raw in enumerate(body.splitlines()):
                line = raw.strip().removeprefix("$ ")
                if not line.startswith("threadspipepy ") or " [" in line or "$(" in line:
                    continue  # output, another program, a synopsis, a shell loop
                line = re.split(r"\s(?:\||>|2>|&&|;|<)\s", line)[0]
                number = text.count("\n", 0, block.start(1)) + offset + 1
                yield pytest.param(line, id=f"{page.name}:{number}")


def test_the_docs_have_command_lines() -> None:
    assert len(list(command_lines())) >= 20


def parses(arguments: list[str]) -> bool:
    try:
        build_parser().parse_args(arguments)
    except SystemExit as exc:  # --help exits 0; a usage error 2
        return not exc.code
    return True


@pytest.mark.parametrize("line", list(command_lines()))
def test_every_documented_command_parses(line: str) -> None:
    assert parses(shlex.split(line, comments=True)[1:]), f"threadspipepy does not accept: {line}"
