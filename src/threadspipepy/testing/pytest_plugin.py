"""pytest plugin (registered as the `threadspipepy` pytest11 entry point): `threads_sandbox`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._sandbox import ThreadsSandbox


@pytest.fixture
def threads_sandbox() -> Iterator[ThreadsSandbox]:
    """A started ThreadsSandbox for one test, stopped afterwards."""
    with ThreadsSandbox() as sandbox:
        yield sandbox
