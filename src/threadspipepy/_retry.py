"""Retry policy: how long to wait between tries, and the one retry loop that waits it.

`RetryPolicy` and `parse_retry_after` are pure, so tests can pin them. `call_with_retries` is
the loop every retrying caller uses (the Graph transport, the GitHub client, the cleanup of
hosted files): what to retry is the caller's decision, the waiting is the policy's, and the
sleep is injected.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, honouring Retry-After up to a cap.

    `max_retries` counts retries after the first attempt (2 means at most 3 sends).
    """

    max_retries: int = 2
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    retry_after_cap: float = 60.0

    def delay(
        self,
        attempt: int,
        retry_after: float | None = None,
        rand: Callable[[], float] = random.random,
    ) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first retry)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.retry_after_cap)
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        # Full jitter keeps many clients from retrying in lockstep; never below a small floor.
        return max(0.05, ceiling * rand())


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date. None if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    current = now or datetime.now(timezone.utc)
    return max(0.0, (when - current).total_seconds())


def _always(exc: Exception) -> bool:
    return True


def _no_hint(exc: Exception) -> float | None:
    return None


def call_with_retries(
    action: Callable[[], T],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
    *,
    retryable: Callable[[Exception], bool] = _always,
    retry_after: Callable[[Exception], float | None] = _no_hint,
    on_retry: Callable[[Exception, float, int], None] | None = None,
) -> T:
    """`action()`'s value, retrying the exceptions `retryable` accepts at most
    `policy.max_retries` times.

    Before retry n it sleeps `policy.delay(n, retry_after(exc))` with `sleep` (so a server's
    Retry-After is honoured up to the cap) and tells `on_retry(exc, delay, n)`. The last
    failure, or one that is not retryable, is raised as it came.
    """
    attempt = 0
    while True:
        try:
            return action()
        except Exception as exc:
            if attempt >= policy.max_retries or not retryable(exc):
                raise
            attempt += 1
            delay = policy.delay(attempt, retry_after(exc))
            if on_retry is not None:
                on_retry(exc, delay, attempt)
        sleep(delay)
