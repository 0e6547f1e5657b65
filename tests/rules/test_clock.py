"""The local clock grid: DST days, full years, odd offsets."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from rules.clock import MINUTE_NS, Clock, grid, local_midnight_ns, parse_interval


def make(tz: str, first: dt.date, end: dt.date, minutes: int = 15):
    zone = ZoneInfo(tz)
    clock = Clock.for_range(zone, local_midnight_ns(first, zone), local_midnight_ns(end, zone))
    return clock, grid(first, end, clock, minutes * MINUTE_NS)


def test_full_year_grid_has_every_quarter_hour():
    """365 × 96 = 35,040 quarter hours (regression: np.arange sized in float dropped one)."""
    _, bounds = make("Asia/Shanghai", dt.date(2025, 1, 1), dt.date(2026, 1, 1))
    assert bounds.size - 1 == 35_040


def test_dst_days_are_short_and_long():
    clock, spring = make("America/New_York", dt.date(2026, 3, 8), dt.date(2026, 3, 9))
    assert spring.size - 1 == 92
    _, minute = clock.day_and_minute(spring[:-1], dt.date(2026, 3, 8))
    assert 120 not in minute and 180 in minute  # 02:00 does not exist
    _, autumn = make("America/New_York", dt.date(2026, 11, 1), dt.date(2026, 11, 2))
    assert autumn.size - 1 == 100


def test_kathmandu_hourly_grid_is_on_local_hours():
    clock, bounds = make("Asia/Kathmandu", dt.date(2026, 1, 1), dt.date(2026, 1, 2), 60)
    _, minute = clock.day_and_minute(bounds[:-1], dt.date(2026, 1, 1))
    assert list(minute[:3]) == [0, 60, 120]


@pytest.mark.parametrize("text", ["7m", "90m", "2h", "0m", "15"])
def test_bad_intervals(text):
    with pytest.raises(ValueError, match="interval"):
        parse_interval(text)
