"""Which local days the service's metering job meters (pure scheduling, no store)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from civicwatt.jobs.metering_days import due_days, local_days, runs
from collector.spool_state import DirtyRange
from rules.clock import local_midnight_ns

SH = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 7, 10)
MIN = 60 * 10**9


def day(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


def ns(d: dt.date, hour: float = 0, zone: ZoneInfo = SH) -> int:
    return local_midnight_ns(d, zone) + int(hour * 3600) * 10**9


def due(metered=None, dirty=(), regular=1, late=35, widen=30 * MIN):
    return due_days(TODAY, SH, metered or {}, list(dirty), regular, late, widen)


def test_yesterday_and_today_or_the_catch_up_days_on_a_first_run():
    assert due() == ([day(1), day(0)], [])
    assert due(regular=3) == ([day(3), day(2), day(1), day(0)], [])
    assert due(regular=50, late=35)[0][0] == day(35)  # never past late_days


def test_days_not_metered_since_they_ended_are_metered_again():
    metered = {day(6).isoformat(): ns(day(5), 0.1),   # metered after it ended: complete
               day(5).isoformat(): ns(day(5), 12)}    # metered at noon: incomplete
    # day 4 and 3 were never metered (the job failed): due, like day 5
    assert due(metered) == ([day(5), day(4), day(3), day(2), day(1), day(0)], [])
    complete = {d.isoformat(): ns(d + dt.timedelta(days=1)) for d in map(day, range(1, 7))}
    assert due(complete) == ([day(1), day(0)], [])  # yesterday always: late readings land


def test_dirty_ranges_become_local_days_widened_by_the_gap_and_bounded_by_late_days():
    dirty = [DirtyRange(1, ns(day(9), 0.25), ns(day(9), 23.9), "late"),  # ±30 min: 10 and 8
             DirtyRange(2, ns(day(20), 5), ns(day(20), 6), "import"),
             DirtyRange(3, ns(day(40), 5), ns(day(38), 1), "import")]     # 40..38: too old
    days, too_old = due(dirty=dirty, late=35)
    assert days == [day(20), day(10), day(9), day(8), day(1), day(0)]
    assert too_old == [day(40), day(39), day(38)]
    days, _ = due(dirty=[DirtyRange(4, ns(day(0), 1), ns(day(-3), 1), "late")])
    assert days == [day(1), day(0)]  # nothing after today
    assert due(dirty=[DirtyRange(5, ns(day(5), 0.1), ns(day(5), 0.2), "late")],
               widen=0)[0] == [day(5), day(1), day(0)]  # not widened into day 6


def test_local_days_across_a_dst_change():
    london = ZoneInfo("Europe/London")
    change = dt.date(2026, 3, 29)  # clocks go forward at 01:00 UTC
    start = local_midnight_ns(change, london)
    assert local_days(start, start + 23 * 3600 * 10**9, london) == [change]  # a 23 h day
    assert local_days(start - 1, start + 1, london) == [change - dt.timedelta(days=1), change]


def test_consecutive_days_are_metered_as_one_range():
    days = [day(9), day(8), day(5), day(1), day(0), day(7)]
    assert runs(days) == [(day(9), day(6)), (day(5), day(4)), (day(1), TODAY +
                                                               dt.timedelta(days=1))]
