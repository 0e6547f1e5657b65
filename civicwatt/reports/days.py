"""Local days on the site's clock: UTC bounds, day types, minute of day.

The report is about one local calendar day; inside, times are UTC epoch ns.
A local day is 23 or 25 hours long across a DST change, so every bound is
computed through zoneinfo, never as 24 × 3600 s.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np

NS = 1_000_000_000
HOUR_NS = 3600 * NS
DayType = str  # "workday" | "weekend" | "holiday" | "adjusted_workday"


def day_start_ns(day: dt.date, tz: str) -> int:
    """Local midnight of `day` as UTC epoch ns."""
    local = dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(tz))
    return int(local.timestamp()) * NS


def day_bounds(day: dt.date, tz: str) -> tuple[int, int]:
    """[start, end) of the local day in UTC epoch ns."""
    return day_start_ns(day, tz), day_start_ns(day + dt.timedelta(days=1), tz)


def to_local(time_ns: int, tz: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_ns / NS, tz=ZoneInfo(tz))


def minute_of_day(time_ns: np.ndarray, tz: str) -> np.ndarray:
    """Local minutes after midnight for each UTC time (vectorised over unique UTC offsets)."""
    if time_ns.size == 0:
        return np.empty(0, np.int64)
    offsets = _offsets(time_ns, tz)
    local_s = time_ns // NS + offsets
    return (local_s % 86400) // 60


def local_day_index(time_ns: np.ndarray, tz: str, first_day: dt.date) -> np.ndarray:
    """Days since `first_day` of each UTC time on the local calendar."""
    if time_ns.size == 0:
        return np.empty(0, np.int64)
    local_s = time_ns // NS + _offsets(time_ns, tz)
    epoch_day = (first_day - dt.date(1970, 1, 1)).days
    return local_s // 86400 - epoch_day


def _offsets(time_ns: np.ndarray, tz: str) -> np.ndarray:
    """UTC offset in seconds for each time; looked up once per distinct hour."""
    hours = time_ns // HOUR_NS
    unique, inverse = np.unique(hours, return_inverse=True)
    zone = ZoneInfo(tz)
    table = np.array([int(dt.datetime.fromtimestamp(int(h) * 3600, tz=zone).utcoffset()
                          .total_seconds()) for h in unique], np.int64)
    return table[inverse]


@lru_cache(maxsize=4096)
def day_type(day: dt.date, country: str) -> DayType:
    """Workday, weekend or public holiday; China's 调休 adjusted workdays count as work.

    China uses `chinesecalendar` (official holiday and adjusted-workday lists)
    for the years it covers and the `holidays` package otherwise.
    """
    if country == "CN":
        try:
            import chinese_calendar
            if chinese_calendar.is_workday(day):
                return "adjusted_workday" if day.weekday() >= 5 else "workday"
            _, name = chinese_calendar.get_holiday_detail(day)
            return "holiday" if name or day.weekday() < 5 else "weekend"
        except NotImplementedError:
            pass
    if _named_holiday(day, country):
        return "holiday"
    return "weekend" if day.weekday() >= 5 else "workday"


def _named_holiday(day: dt.date, country: str) -> bool:
    import holidays
    try:
        return day in holidays.country_holidays(country, years=day.year)
    except NotImplementedError:
        return False


def is_working(kind: DayType) -> bool:
    return kind in ("workday", "adjusted_workday")
