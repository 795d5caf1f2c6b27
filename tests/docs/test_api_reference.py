"""Every public method, the constructor and the public functions document every parameter,
and docs/15-api-reference.md is what docs/scripts/api_reference.py generates from them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "scripts" / "api_reference.py"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_reference"] = module
    spec.loader.exec_module(module)
    return module


api = load()
ENTRIES = [entry for _, items in api.entries() for entry in items]


def test_the_reference_covers_the_client_and_the_public_functions() -> None:
    titles = {entry.title for entry in ENTRIES}
    assert {"ThreadsPipe(...)", "ThreadsPipe.pipe", "ThreadsPipe.iter_posts"} <= titles
    assert {"notebook.plot_insights", "auth.complete_authorization"} <= titles
    assert len(ENTRIES) >= 65


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.title for e in ENTRIES])
def test_every_parameter_is_documented_with_an_example(entry: Any) -> None:
    assert api.problems(entry) == []


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.title for e in ENTRIES])
def test_every_example_is_python(entry: Any) -> None:
    compile(api.parse(entry.docstring).example, entry.title, "exec")


def test_an_undocumented_parameter_is_caught() -> None:
    def send(text: str, *, retries: int = 2) -> None:
        """Send it.

        Args:
            text: What to send.
            colour: Not a parameter.

        Example:
            send("hi")
        """

    problems = api.problems(api.Entry("send", send, send.__doc__ or ""))
    assert problems == [
        "send: parameter retries is not documented",
        "send: Args names colour, which it does not take",
    ]


def test_the_committed_page_is_the_generated_one() -> None:
    committed = api.OUTPUT.read_text(encoding="utf-8")
    assert committed == api.render(), "run: python docs/scripts/api_reference.py"
