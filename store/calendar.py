"""Local calendar buckets for `Store.totals`: where each bucket of a zone's clock starts.

A day in Asia/Shanghai starts at 16:00 UTC; one in Europe/London lasts 23 or 25 hours twice a
year; a month is 28 to 31 days. The database sums at the finest calendar unit it can bucket
natively — InfluxDB with `GROUP BY time(15m|1h|1d) tz('…')`, SQLite with a CASE over runs of
equal-length buckets (`sql_key`) — and months and years are folded from days here: a few
thousand sums, never raw rows.

`all` is one bucket for the whole range (a statistics period): the database sums it without
grouping by time, so a year of 12,000 series answers 12,000 sums, not 4 million day sums.

Sub-day buckets follow the zone's UTC offset at the range's start (every zone with DST shifts
by whole hours except Lord Howe Island, whose half-hour shift would move its hour buckets).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

Every = Literal["15m", "hour", "day", "month", "year", "all"]
EVERY: tuple[str, ...] = ("15m", "hour", "day", "month", "year", "all")
NS = 1_000_000_000
STEP_NS = {"15m": 900 * NS, "hour": 3600 * NS, "day": 86_400 * NS}
INFLUX_UNIT = {"15m": "15m", "hour": "1h", "day": "1d"}


@dataclass(frozen=True)
class Calendar:
    """The buckets of [start_ns, end_ns) on a zone's clock.

    `native` is the unit the database sums at; native bucket i is
    [native_starts[i], native_starts[i + 1]) and belongs to output bucket `fold[i]`, which
    starts at `starts[fold[i]]` (UTC ns).
    """

    every: Every
    tz: str
    native: str
    native_starts: tuple[int, ...]
    fold: tuple[int, ...]
    starts: tuple[int, ...]

    def index(self, native_start_ns: int) -> int | None:
        """The output bucket of a native bucket the database reported by its start."""
        i = bisect_right(self.native_starts, native_start_ns) - 1
        return self.fold[i] if 0 <= i < len(self.fold) else None

    def sql_key(self, column: str) -> str:
        """An SQL expression giving each time's native bucket index (runs of equal steps;
        the integers are computed here, never taken from input)."""
        runs = _runs(self.native_starts)
        parts = [f"{first} + ({column} - {start}) / {step}" for start, step, first in runs]
        if len(parts) == 1:
            return parts[0]
        cases = " ".join(f"WHEN {column} < {runs[i + 1][0]} THEN {part}"
                         for i, part in enumerate(parts[:-1]))
        return f"CASE {cases} ELSE {parts[-1]} END"


def calendar(every: Every, start_ns: int, end_ns: int, tz: str) -> Calendar:
    """The local buckets covering [start_ns, end_ns); ValueError for an unknown unit."""
    if every not in EVERY:
        raise ValueError(f"every={every!r}: one of {', '.join(EVERY)}")
    if every == "all":  # one sum over the range: the statistics of a month or a year
        return Calendar(every, tz, "all", (start_ns, end_ns), (0,), (start_ns,))
    zone = ZoneInfo(tz)
    if every in ("15m", "hour"):
        step = STEP_NS[every]
        offset = _local(start_ns, zone).utcoffset()
        local = start_ns + int(offset.total_seconds()) * NS
        first = start_ns - local % step
        starts = tuple(range(first, end_ns, step)) + (_after(first, end_ns, step),)
        return Calendar(every, tz, every, starts, tuple(range(len(starts) - 1)), starts[:-1])
    first_day = _local(start_ns, zone).date()
    last_day = _local(end_ns - 1, zone).date()
    days = [first_day + dt.timedelta(days=i) for i in range((last_day - first_day).days + 2)]
    native = tuple(_midnight(d, zone) for d in days)
    label = {"day": lambda d: d, "month": lambda d: d.replace(day=1),
             "year": lambda d: d.replace(month=1, day=1)}[every]
    labels: list[dt.date] = []
    fold = []
    for d in days[:-1]:
        if not labels or label(d) != labels[-1]:
            labels.append(label(d))
        fold.append(len(labels) - 1)
    return Calendar(every, tz, "day", native, tuple(fold),
                    tuple(_midnight(d, zone) for d in labels))


def _after(first: int, end_ns: int, step: int) -> int:
    return first + -(-(end_ns - first) // step) * step


def _local(time_ns: int, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.fromtimestamp(time_ns // NS, dt.UTC).astimezone(zone)


def _midnight(day: dt.date, zone: ZoneInfo) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()) * NS


def _runs(starts: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(start, step, first index) of each run of equal-length buckets."""
    runs: list[tuple[int, int, int]] = []
    for i in range(len(starts) - 1):
        step = starts[i + 1] - starts[i]
        if not runs or runs[-1][1] != step:
            runs.append((starts[i], step, i))
    return runs
