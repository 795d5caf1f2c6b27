"""Pacific time (America/Los_Angeles): the day boundary Meta's daily insights use.

The sandbox stamps its daily values with it, and the client reads the stamps back as the day
each value covers (`day_covered`).

Meta stamps a daily insight value with the end of the day it covers, Pacific midnight:
`T07:00:00+0000` while daylight saving time is in force, `T08:00:00+0000` in winter. The zone
comes from `zoneinfo`; where the platform has no time-zone database (Windows without the
`tzdata` package) the US rules in force since 2007 are computed by hand: daylight time from
the second Sunday of March at 02:00 standard time until the first Sunday of November at 02:00
daylight time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

ZONE_NAME = "America/Los_Angeles"
STANDARD = timedelta(hours=-8)  # PST
DAYLIGHT = timedelta(hours=-7)  # PDT


def load_zone() -> tzinfo | None:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(ZONE_NAME)
    except (ImportError, KeyError, OSError, ValueError):  # no tz database on this platform
        return None


ZONE = load_zone()


def pacific_date(unix: float) -> date:
    """The Pacific calendar day a Unix time falls on."""
    if ZONE is not None:
        return datetime.fromtimestamp(unix, ZONE).date()
    return fallback_date(unix)


def day_start(day: date) -> int:
    """Unix time of the Pacific midnight that starts `day`."""
    if ZONE is not None:
        return int(datetime.combine(day, time(), ZONE).timestamp())
    return fallback_day_start(day)


def day_covered(end_time: str) -> date | None:
    """The Pacific day a daily value stamped `end_time` covers: Meta stamps each day with its
    end, Pacific midnight, so `2024-06-02T07:00:00+0000` holds 1 June. None if unreadable."""
    moment = parse_time(end_time)
    if moment is None:
        return None
    return pacific_date(moment.timestamp() - 1)


def parse_time(text: str) -> datetime | None:
    """Meta's `2024-07-12T08:00:00+0000` (or any ISO 8601 time; naive means UTC)."""
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def day_end(day: date) -> int:
    """Unix time of the Pacific midnight that ends `day` (23, 24 or 25 hours after its start)."""
    return day_start(day + timedelta(days=1))


# -- the hand-computed rules ------------------------------------------------------------------
def sunday(year: int, month: int, nth: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))


def daylight_bounds(year: int) -> tuple[datetime, datetime]:
    """The UTC instants daylight time starts and ends in `year`."""
    start = datetime.combine(sunday(year, 3, 2), time(2), timezone.utc) - STANDARD
    end = datetime.combine(sunday(year, 11, 1), time(2), timezone.utc) - DAYLIGHT
    return start, end


def fallback_offset(unix: float) -> timedelta:
    """Pacific UTC offset at a Unix time, from the US rules alone."""
    moment = datetime.fromtimestamp(unix, timezone.utc)
    start, end = daylight_bounds(moment.year)
    return DAYLIGHT if start <= moment < end else STANDARD


def fallback_date(unix: float) -> date:
    return (datetime.fromtimestamp(unix, timezone.utc) + fallback_offset(unix)).date()


def fallback_day_start(day: date) -> int:
    # Midnight never falls inside a transition (they happen at 02:00), so the offset at
    # midnight is the one of the date: daylight after the March Sunday, up to and including
    # the November Sunday.
    daylight = sunday(day.year, 3, 2) < day <= sunday(day.year, 11, 1)
    offset = DAYLIGHT if daylight else STANDARD
    return int((datetime.combine(day, time(), timezone.utc) - offset).timestamp())
