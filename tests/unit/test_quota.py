"""Quota arithmetic: pure logic pinned by examples."""

from __future__ import annotations

import logging

import pytest

from threadspipepy._log import logger_for
from threadspipepy.errors import RateLimitError
from threadspipepy.quota import QuotaUsage, ensure_room, parse_publishing_limit

BODY = {
    "data": [
        {
            "quota_usage": 249,
            "config": {"quota_total": 250, "quota_duration": 86400},
            "reply_quota_usage": 10,
            "reply_config": {"quota_total": 1000, "quota_duration": 86400},
        }
    ]
}


def test_parse_and_fit() -> None:
    quota = parse_publishing_limit(BODY)
    assert quota == QuotaUsage(249, 250, 10, 1000, 86400)
    assert quota.shortfall(posts=1, replies=0) is None
    assert quota.shortfall(posts=2, replies=0) == "249 of 250 posts used, 2 needed"
    assert quota.shortfall(posts=1, replies=990) is None
    assert "replies" in (quota.shortfall(posts=0, replies=991) or "")


def test_full_quota_at_exactly_the_total_does_not_fit() -> None:
    # 0.4.5 compared usage > total, so at 250/250 it still posted.
    assert QuotaUsage(250, 250, 0, 1000, 86400).shortfall(1, 0) is not None


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def test_ensure_room_raises_without_waiting() -> None:
    fake = FakeTime()
    with pytest.raises(RateLimitError, match="Nothing was posted"):
        ensure_room(
            lambda: QuotaUsage(250, 250, 0, 1000, 86400),
            1,
            0,
            wait=False,
            max_wait=3600,
            sleep=fake.sleep,
            clock=fake.clock,
            log=logger_for("test"),
        )
    assert fake.sleeps == []


def test_ensure_room_rechecks_until_room_or_deadline(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeTime()
    readings = iter(
        [QuotaUsage(250, 250, 0, 1000, 86400)] * 3 + [QuotaUsage(249, 250, 0, 1000, 86400)]
    )
    with caplog.at_level(logging.INFO, logger="threadspipepy"):
        quota = ensure_room(
            lambda: next(readings),
            1,
            0,
            wait=True,
            max_wait=3600,
            sleep=fake.sleep,
            clock=fake.clock,
            log=logger_for("test"),
        )
    assert quota.posts_used == 249
    assert fake.sleeps == [300.0, 300.0, 300.0]
    assert "Publishing quota full" in caplog.text

    fake = FakeTime()
    with pytest.raises(RateLimitError):
        ensure_room(
            lambda: QuotaUsage(250, 250, 0, 1000, 86400),
            1,
            0,
            wait=True,
            max_wait=700,
            sleep=fake.sleep,
            clock=fake.clock,
            log=logger_for("test"),
        )
    assert fake.sleeps == [300.0, 300.0, 100.0]
