"""Shared helpers for tests that drive the library against the sandbox over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from threadspipepy import ThreadsPipe
from threadspipepy.testing import ThreadsSandbox


class FakeTime:
    """A clock and sleep for the client that also move the sandbox's clock."""

    def __init__(self, sandbox: ThreadsSandbox | None = None) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self.sandbox = sandbox

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.sandbox is not None:
            self.sandbox.advance(seconds)

    def clock(self) -> float:
        return self.now

    def install(self, tp: ThreadsPipe) -> ThreadsPipe:
        tp._sleep = self.sleep
        tp._clock = self.clock
        return tp


@pytest.fixture
def sandbox() -> Iterator[ThreadsSandbox]:
    with ThreadsSandbox() as sb:
        yield sb


@pytest.fixture
def fake_time(sandbox: ThreadsSandbox) -> FakeTime:
    return FakeTime(sandbox)


@pytest.fixture
def tp(sandbox: ThreadsSandbox, fake_time: FakeTime) -> Iterator[ThreadsPipe]:
    client = fake_time.install(sandbox.client())
    with client:
        yield client
