"""Retry math: exponential backoff with jitter, Retry-After honoured up to a cap."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from threadspipepy._retry import RetryPolicy, call_with_retries, parse_retry_after


@pytest.mark.parametrize(("attempt", "ceiling"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (9, 8.0)])
def test_backoff_doubles_up_to_the_cap(attempt: int, ceiling: float) -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    assert policy.delay(attempt, rand=lambda: 1.0) == ceiling
    assert policy.delay(attempt, rand=lambda: 0.5) == ceiling / 2


def test_jitter_never_goes_to_zero() -> None:
    assert RetryPolicy().delay(1, rand=lambda: 0.0) > 0


def test_retry_after_wins_and_is_capped() -> None:
    policy = RetryPolicy(retry_after_cap=60)
    assert policy.delay(1, retry_after=7) == 7
    assert policy.delay(1, retry_after=3600) == 60


def test_parse_retry_after_seconds_and_dates() -> None:
    now = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)
    assert parse_retry_after("12") == 12
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30)), now=now) == 30
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30)), now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


class Flaky:
    """Fails `failures` times with `error`, then answers 'done'."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "done"


def test_call_with_retries_waits_the_policy_between_tries() -> None:
    sleeps: list[float] = []
    action = Flaky(2, OSError("reset"))
    told: list[tuple[str, int]] = []
    result = call_with_retries(
        action,
        RetryPolicy(max_retries=2),
        sleeps.append,
        on_retry=lambda exc, delay, n: told.append((str(exc), n)),
    )
    assert result == "done" and action.calls == 3
    assert len(sleeps) == 2 and 0.05 <= sleeps[0] <= 0.5 and 0.05 <= sleeps[1] <= 1.0
    assert told == [("reset", 1), ("reset", 2)]


def test_call_with_retries_gives_up_with_the_last_failure() -> None:
    sleeps: list[float] = []
    error = OSError("still down")
    with pytest.raises(OSError) as raised:
        call_with_retries(Flaky(5, error), RetryPolicy(max_retries=1), sleeps.append)
    assert raised.value is error and len(sleeps) == 1


def test_call_with_retries_raises_what_is_not_retryable_at_once() -> None:
    sleeps: list[float] = []
    action = Flaky(1, ValueError("bad"))
    with pytest.raises(ValueError):
        call_with_retries(
            action,
            RetryPolicy(),
            sleeps.append,
            retryable=lambda exc: not isinstance(exc, ValueError),
        )
    assert action.calls == 1 and sleeps == []


def test_call_with_retries_honours_a_retry_after_hint_up_to_the_cap() -> None:
    sleeps: list[float] = []
    call_with_retries(
        Flaky(2, OSError()),
        RetryPolicy(max_retries=2, retry_after_cap=10),
        sleeps.append,
        retry_after=lambda exc: 30.0 if not sleeps else 3.0,
    )
    assert sleeps == [10.0, 3.0]
