"""The fault matrix: every step of a chain that talks to a server x every fault the sandbox
injects. The chain is a carousel of two local files with text, then two text replies, so it
reads the quota, uploads, creates items, a carousel and text containers, reads statuses,
publishes three times and deletes the uploads.

For every cell: pipe() returns a result (nothing escapes), a resume finishes the chain when
it stopped, every part is live exactly once and in order, and nothing is left on the fake
GitHub unless its removal failed for good, in which case the result names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from threadspipepy import Result, ThreadsPipe
from threadspipepy.hosting import UPLOAD_SETTLE_SECONDS
from threadspipepy.testing import ThreadsSandbox

from ..media_samples import png
from .chain_checks import (
    CREATE,
    GITHUB,
    PUBLISH,
    QUOTA,
    STATUS,
    assert_published_once,
    finish,
)
from .conftest import FakeTime

TEXT = (
    "The carousel comes first, with the opening words of a story that needs three posts. " * 14
).strip()
TIMEOUT = 0.8  # the client's timeout (Graph and GitHub) in these tests
SLOW = 1.3  # a "slower than the timeout" answer

# step -> (method, path, params, how many matching requests pass before it)
STEPS: dict[str, tuple[str, str, Mapping[str, str] | None, int]] = {
    "quota-read": ("GET", QUOTA, None, 0),
    "upload": ("PUT", GITHUB, None, 0),
    "delete": ("DELETE", GITHUB, None, 0),
    "item-create": ("POST", CREATE, {"is_carousel_item": "true"}, 0),
    "status-read": ("GET", STATUS, None, 0),
    "carousel-create": ("POST", CREATE, {"media_type": "CAROUSEL"}, 0),
    "text-create": ("POST", CREATE, {"media_type": "TEXT"}, 0),
    "publish-first": ("POST", PUBLISH, None, 0),
    "publish-middle": ("POST", PUBLISH, None, 1),
    "publish-last": ("POST", PUBLISH, None, 2),
}

Inject = Callable[[ThreadsSandbox, str, str, Mapping[str, str] | None, int], None]


def _two_faults(sb: ThreadsSandbox, m: str, p: str, q: Mapping[str, str] | None, s: int) -> None:
    """A request slower than the timeout, then a 500 for the next one of the same step."""
    sb.delay(m, p, SLOW, params=q, skip=s)
    sb.fail(m, p, params=q, skip=s + 1)


FAULTS: dict[str, Inject] = {
    "5xx": lambda sb, m, p, q, s: sb.fail(m, p, params=q, skip=s),
    "5xx-after": lambda sb, m, p, q, s: sb.fail(m, p, after=True, params=q, skip=s),
    "html-502": lambda sb, m, p, q, s: sb.fail(m, p, 502, html=True, params=q, skip=s),
    "html-502-after": lambda sb, m, p, q, s: sb.fail(
        m, p, 502, html=True, after=True, params=q, skip=s
    ),
    "429": lambda sb, m, p, q, s: sb.rate_limit(m, p, params=q, skip=s),
    "429-retry-after": lambda sb, m, p, q, s: sb.rate_limit(m, p, retry_after=2, params=q, skip=s),
    "drop": lambda sb, m, p, q, s: sb.drop(m, p, params=q, skip=s),
    "drop-after": lambda sb, m, p, q, s: sb.drop(m, p, after=True, params=q, skip=s),
    "reset": lambda sb, m, p, q, s: sb.reset(m, p, params=q, skip=s),
    "reset-after": lambda sb, m, p, q, s: sb.reset(m, p, after=True, params=q, skip=s),
    "slower-than-timeout": lambda sb, m, p, q, s: sb.delay(m, p, SLOW, params=q, skip=s),
    "answer-slower-than-timeout": lambda sb, m, p, q, s: sb.delay(
        m, p, SLOW, after=True, params=q, skip=s
    ),
    "persists": lambda sb, m, p, q, s: sb.fail(m, p, times=None, params=q, skip=s),
    "two-faults": _two_faults,
}


@pytest.fixture
def client(sandbox: ThreadsSandbox) -> Iterator[ThreadsPipe]:
    fake = FakeTime(sandbox)

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if seconds >= UPLOAD_SETTLE_SECONDS:
            # The settle wait for an upload still landing is real in production, and the
            # sandbox lands a slow upload in real time: let a little real time pass.
            threading.Event().wait(0.6)

    tp = sandbox.client(timeout=TIMEOUT, gh_upload_timeout=TIMEOUT)
    tp._sleep, tp._clock = sleep, fake.clock
    with tp:
        yield tp


def test_the_chain_has_three_parts_and_one_carousel(client: ThreadsPipe) -> None:
    plan = client.pipe(TEXT, files=[png(1), png(2)], dry_run=True)["data"]["posts"]
    assert [p["media_type"] for p in plan] == ["CAROUSEL", "TEXT", "TEXT"]


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("step", list(STEPS))
def test_fault_at_step(sandbox: ThreadsSandbox, client: ThreadsPipe, step: str, fault: str) -> None:
    method, path, params, skip = STEPS[step]
    FAULTS[fault](sandbox, method, path, params, skip)
    result = client.pipe(TEXT, files=[png(1), png(2)])
    assert isinstance(result, Result)  # nothing escaped
    if fault == "persists":
        assert any(r.status >= 500 for r in sandbox.requests_to(method, path))
    elif fault == "two-faults":  # a step that is not sent again within the call meets one
        assert sandbox.faults_pending in (0, 1)
    else:
        assert sandbox.faults_pending == 0  # the fault did hit the step
    sandbox.clear_faults()
    final = finish(client, result)
    assert_published_once(sandbox, final, client.split_post(TEXT))
    _assert_hosted_files_removed_or_reported(sandbox, result, final)


def _assert_hosted_files_removed_or_reported(
    sandbox: ThreadsSandbox, *results: Mapping[str, Any]
) -> None:
    reported = " ".join(
        problem for r in results for problem in (r.get("data") or {}).get("cleanup_errors", [])
    )
    for path in sandbox.github_files:
        assert path in reported, f"{path} was left on GitHub and not reported"
    if not sandbox.github_files:
        assert reported == "", reported
