"""A canary token planted in the client never reaches a log record, repr, message or result."""

from __future__ import annotations

import json
import logging

import pytest

from threadspipepy import ThreadsPipeError
from threadspipepy.testing import ThreadsSandbox

from .conftest import FakeTime

CANARY = "CANARY-threads-token-5f2b9c1e"
GH_CANARY = "CANARY-github-token-77aa01"


def test_canary_token_never_leaks(
    sandbox: ThreadsSandbox, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    account = sandbox.add_account(access_token=CANARY)
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):  # the root logger: urllib3's lines included
        tp = fake_time.install(
            sandbox.client(user_id=account.user_id, access_token=CANARY, gh_bearer_token=GH_CANARY)
        )
        seen.append(repr(tp))
        outcomes = [tp.pipe("A fine post")]
        sandbox.fail("POST", "/v1.0/*/threads", status=500)
        outcomes.append(tp.pipe("Create fails"))
        sandbox.fail("POST", "/v1.0/*/threads", status=502, html=True)
        outcomes.append(tp.pipe("Proxy page"))
        sandbox.rate_limit("GET", "/v1.0/*/threads_publishing_limit", retry_after=3, times=5)
        outcomes.append(tp.pipe("Throttled"))
        sandbox.fail("POST", "/v1.0/*/threads_publish", status=500, after=True)
        outcomes.append(tp.pipe("Ambiguous publish"))
        tp.update_param(access_token=CANARY + "-wrong")
        outcomes.append(tp.pipe("Bad token"))
        tp.update_param(access_token=CANARY)
        outcomes.append(tp.get_publishing_limit())

    assert [o.ok for o in outcomes] == [True, False, False, False, True, False, True]
    assert outcomes[5]["error"]["error_class"] == "AuthenticationError"
    for outcome in outcomes:
        seen.append(json.dumps(outcome))
        seen.append(repr(outcome))
        exc = outcome.exception
        if exc is not None:
            seen.extend([str(exc), repr(exc), repr(exc.args)])
            with pytest.raises(ThreadsPipeError) as caught:
                outcome.raise_for_error()
            seen.append(str(caught.value))
    for record in caplog.records:
        seen.append(record.getMessage())
        seen.append(str(record.args))
    assert any("threadspipepy" in r.name for r in caplog.records)
    assert any(r.name.startswith("urllib3") for r in caplog.records)
    for text in seen:
        assert CANARY not in text
        assert GH_CANARY not in text
