"""The Pacific day boundary behind the sandbox's daily insights, and the hand-computed US rules
used where the platform has no time-zone database."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from threadspipepy.testing import _pacific as pacific

UTC = timezone.utc


def stamp(unix: int) -> str:
    return datetime.fromtimestamp(unix, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


@pytest.mark.parametrize(
    ("day", "end"),
    [
        (date(2024, 7, 12), "2024-07-13T07:00:00+0000"),  # summer (PDT)
        (date(2024, 12, 1), "2024-12-02T08:00:00+0000"),  # winter (PST)
        (date(2025, 3, 8), "2025-03-09T08:00:00+0000"),  # the eve of the spring change
        (date(2025, 3, 9), "2025-03-10T07:00:00+0000"),  # 23 hours long
        (date(2025, 11, 1), "2025-11-02T07:00:00+0000"),
        (date(2025, 11, 2), "2025-11-03T08:00:00+0000"),  # 25 hours long
    ],
)
def test_day_ends(day: date, end: str) -> None:
    assert stamp(pacific.day_end(day)) == end
    assert stamp(pacific.fallback_day_start(day + timedelta(days=1))) == end


def test_day_lengths_around_the_changes() -> None:
    assert pacific.day_end(date(2025, 3, 9)) - pacific.day_start(date(2025, 3, 9)) == 23 * 3600
    assert pacific.day_end(date(2025, 11, 2)) - pacific.day_start(date(2025, 11, 2)) == 25 * 3600


def test_dates_of_moments() -> None:
    assert pacific.pacific_date(1720594800) == date(2024, 7, 10)  # 07:00 UTC: midnight PDT
    assert pacific.pacific_date(1720594799) == date(2024, 7, 9)
    assert pacific.fallback_date(1720594799) == date(2024, 7, 9)
    assert pacific.fallback_offset(1733040000) == timedelta(hours=-8)


@pytest.mark.skipif(pacific.ZONE is None, reason="no time-zone database to compare with")
def test_fallback_agrees_with_the_time_zone_database() -> None:
    day = date(2007, 1, 1)
    while day < date(2040, 1, 1):
        assert pacific.fallback_day_start(day) == pacific.day_start(day), day
        day += timedelta(days=1)
    for year in range(2007, 2040):
        start, end = pacific._daylight_bounds(year)
        for edge in (start, end):
            for minutes in range(-90, 91, 15):
                unix = int((edge + timedelta(minutes=minutes)).timestamp())
                assert pacific.fallback_date(unix) == pacific.pacific_date(unix), (edge, minutes)


def test_without_a_database_the_fallback_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pacific, "ZONE", None)
    assert stamp(pacific.day_end(date(2025, 3, 9))) == "2025-03-10T07:00:00+0000"
    assert pacific.pacific_date(1733040000) == date(2024, 12, 1)


def test_a_missing_database_is_detected(monkeypatch: pytest.MonkeyPatch) -> None:
    import zoneinfo

    def missing(key: str) -> None:
        raise zoneinfo.ZoneInfoNotFoundError(key)

    monkeypatch.setattr(zoneinfo, "ZoneInfo", missing)
    assert pacific._load_zone() is None
