"""Pacific time, as the sandbox stamps daily insights: the library's own module (the client
reads the same stamps back as days, in insights and notebook frames)."""

from __future__ import annotations

from .._pacific import (
    DAYLIGHT,
    STANDARD,
    ZONE,
    ZONE_NAME,
    day_end,
    day_start,
    daylight_bounds,
    fallback_date,
    fallback_day_start,
    fallback_offset,
    load_zone,
    pacific_date,
    sunday,
)

# The names tests/sandbox/test_pacific_days.py knows them by.
_daylight_bounds, _load_zone, _sunday = daylight_bounds, load_zone, sunday

__all__ = [
    "DAYLIGHT",
    "STANDARD",
    "ZONE",
    "ZONE_NAME",
    "_daylight_bounds",
    "_load_zone",
    "_sunday",
    "day_end",
    "day_start",
    "fallback_date",
    "fallback_day_start",
    "fallback_offset",
    "pacific_date",
]
