"""Retry math: exponential backoff with jitter, Retry-After honoured up to a cap."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from threadspipepy._retry import RetryPolicy, parse_retry_after


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
