"""The one local clock: local days, interval grids, local day/minute of UTC instants.

Inside, time is UTC epoch nanoseconds. Tariffs, reports, forecasts and
setpoints speak local time, so this module turns an IANA zone into (a) the
UTC bounds of a local day (23 or 25 hours across a DST change, never
24 × 3600 s), (b) the UTC instants of a grid aligned to the local clock, e.g.
every 15 min from local midnight, and (c) the local day index and minute of
the day of any instant. It finds the zone's UTC-offset changes once (a loop
per day, not per instant) and then works on arrays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

NS = 1_000_000_000
MINUTE_NS = 60 * NS
HOUR_NS = 3600 * NS
DAY_NS = 86_400 * NS
_EPOCH = dt.date(1970, 1, 1)


def _zone(tz: ZoneInfo | str) -> ZoneInfo:
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def local_midnight_ns(day: dt.date, tz: ZoneInfo | str) -> int:
    """UTC instant (ns) of the local midnight starting `day`."""
    local = dt.datetime(day.year, day.month, day.day, tzinfo=_zone(tz))
    return int(local.timestamp()) * NS


def day_bounds(day: dt.date, tz: ZoneInfo | str) -> tuple[int, int]:
    """[start, end) of the local day in UTC epoch ns."""
    return local_midnight_ns(day, tz), local_midnight_ns(day + dt.timedelta(days=1), tz)


def to_local(time_ns: int, tz: ZoneInfo | str) -> dt.datetime:
    """An aware local datetime for a UTC instant (ns)."""
    return dt.datetime.fromtimestamp(time_ns / NS, tz=_zone(tz))


def minute_of_day(time_ns: np.ndarray, tz: ZoneInfo | str) -> np.ndarray:
    """Local minutes after midnight (0..1439) of each UTC instant."""
    if time_ns.size == 0:
        return np.empty(0, np.int64)
    clock = Clock.for_range(tz, int(time_ns.min()), int(time_ns.max()))
    return (clock.local_ns(time_ns) % DAY_NS) // MINUTE_NS


def local_day_index(time_ns: np.ndarray, tz: ZoneInfo | str, first_day: dt.date) -> np.ndarray:
    """Local days since `first_day` of each UTC instant (negative before it)."""
    if time_ns.size == 0:
        return np.empty(0, np.int64)
    clock = Clock.for_range(tz, int(time_ns.min()), int(time_ns.max()))
    return clock.local_ns(time_ns) // DAY_NS - (first_day - _EPOCH).days


def _offset_s(t_s: int, tz: ZoneInfo) -> int:
    return int(dt.datetime.fromtimestamp(t_s, dt.UTC).astimezone(tz).utcoffset().total_seconds())


@dataclass(frozen=True)
class Clock:
    """A zone's UTC offsets over a range: offset_ns[i] holds from change_ns[i]."""

    tz: ZoneInfo
    change_ns: np.ndarray
    offset_ns: np.ndarray

    @classmethod
    def for_range(cls, tz: ZoneInfo | str, start_ns: int, end_ns: int) -> Clock:
        zone = _zone(tz)
        first = start_ns // NS - 86_400
        last = end_ns // NS + 86_400
        changes = [first]
        offsets = [_offset_s(first, zone)]
        for day_s in range(first + 86_400, last + 86_400, 86_400):
            off = _offset_s(day_s, zone)
            if off != offsets[-1]:
                lo, hi = day_s - 86_400, day_s  # offset changes in (lo, hi]
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if _offset_s(mid, zone) == offsets[-1]:
                        lo = mid
                    else:
                        hi = mid
                changes.append(hi)
                offsets.append(off)
        return cls(
            zone,
            np.asarray(changes, np.int64) * NS,
            np.asarray(offsets, np.int64) * NS,
        )

    def local_ns(self, t_ns: np.ndarray) -> np.ndarray:
        """Local wall-clock time as if it were UTC (ns)."""
        idx = np.searchsorted(self.change_ns, t_ns, side="right") - 1
        return t_ns + self.offset_ns[np.clip(idx, 0, None)]

    def day_and_minute(self, t_ns: np.ndarray, first_day: dt.date) -> tuple[np.ndarray, np.ndarray]:
        """Local day index (0 = first_day) and minute of the local day (0..1439)."""
        local = self.local_ns(t_ns)
        day = local // DAY_NS - (first_day - _EPOCH).days
        minute = (local % DAY_NS) // MINUTE_NS
        return day.astype(np.int64), minute.astype(np.int16)


def parse_interval(text: str) -> int:
    """'15m', '1h', '30min', '900s' → nanoseconds; must divide an hour evenly."""
    raw = text.strip().lower()
    units = {"min": 60, "m": 60, "h": 3600, "s": 1}
    for suffix, seconds in units.items():
        if raw.endswith(suffix) and raw[: -len(suffix)].isdigit():
            total = int(raw[: -len(suffix)]) * seconds
            break
    else:
        raise ValueError(f"interval {text!r}: write it like 15m, 30m or 1h")
    if total <= 0 or total > 3600 or 3600 % total or total % 60:
        raise ValueError(f"interval {text!r}: must be whole minutes dividing 1 hour (1m … 60m)")
    return total * NS


def grid(first_day: dt.date, end_day: dt.date, clock: Clock, interval_ns: int) -> np.ndarray:
    """Interval boundaries (UTC ns) from local midnight of first_day to that of end_day.

    Every boundary falls on the local clock grid (e.g. :00/:15/:30/:45);
    a DST day simply has 92 or 100 quarter hours.
    """
    if end_day <= first_day:
        raise ValueError(f"empty range: {first_day} to {end_day} (end is exclusive)")
    start = local_midnight_ns(first_day, clock.tz)
    end = local_midnight_ns(end_day, clock.tz)
    # integer arithmetic: np.arange(start, stop, step) sizes itself in floating point
    bounds = start + np.arange((end - start) // interval_ns + 1, dtype=np.int64) * interval_ns
    _, minute = clock.day_and_minute(bounds, first_day)
    step_min = interval_ns // MINUTE_NS
    if bounds[-1] != end or np.any(minute % step_min):
        raise ValueError(
            f"interval of {step_min} min does not fit the local clock of {clock.tz.key} "
            "(its UTC offset changes by a part of the interval); use a shorter interval"
        )
    return bounds
