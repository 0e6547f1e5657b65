"""Local calendar features: hour of day and day type, from the site's one calendar.

Day types come from `rules.calendar` (public holidays with China's 调休, the
site's own holidays and workdays, closures) and local time from `rules.clock`,
the same modules billing, the report and the setpoint rules use. For the
model's hour-of-week indicators a non-working weekday (holiday, site holiday)
counts as a Sunday, a closed day as a Sunday whatever its weekday, and a
worked weekend day (调休, a site workday) as a Wednesday.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

from rules.calendar import CalendarSpec, day_kind
from rules.clock import DAY_NS, HOUR_NS, Clock

__all__ = ["LocalCalendar"]

SUNDAY, WEDNESDAY = 6, 2
_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class LocalCalendar:
    """Maps UTC hour starts to local hour, weekday and day type for one site.

    `spec` is the site's calendar; without it, `country`'s (and `subdivision`'s)
    public holidays, or weekends only when no country is given.
    """

    def __init__(self, timezone: str, country: str | None = None, subdivision: str | None = None,
                 spec: CalendarSpec | None = None) -> None:
        self.timezone = timezone
        self.spec = spec or CalendarSpec(country=country, subdivision=subdivision)

    def local(self, time_ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(time_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(
            self.timezone
        )

    def _local_ns(self, time_ns: np.ndarray) -> np.ndarray:
        t = np.asarray(time_ns, np.int64)
        if t.size == 0:
            return t
        return Clock.for_range(self.timezone, int(t.min()), int(t.max())).local_ns(t)

    def features(self, time_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local hour 0-23, day type 0-6 where 0 = Monday, local day ordinal) per hour."""
        local = self._local_ns(time_ns)
        hour = ((local % DAY_NS) // HOUR_NS).astype(np.int64)
        days_since_epoch = local // DAY_NS
        ordinal = days_since_epoch + _EPOCH_ORDINAL
        daytype = (days_since_epoch + 3) % 7  # 1970-01-01 was a Thursday
        first, last = (dt.date.fromordinal(int(o)) for o in (ordinal.min(), ordinal.max())) \
            if ordinal.size else (dt.date(1970, 1, 1), dt.date(1969, 1, 1))
        for year in range(first.year, last.year + 1):
            sundays, wednesdays = _special_days(self.spec, year)
            daytype[np.isin(ordinal, sundays)] = SUNDAY
            daytype[np.isin(ordinal, wednesdays)] = WEDNESDAY
        return hour, daytype, ordinal

    def utc_offset_ns(self, time_ns: np.ndarray) -> np.ndarray:
        """Local UTC offset at each instant, in ns (for 'same local hour last week')."""
        return self._local_ns(time_ns) - np.asarray(time_ns, np.int64)


@lru_cache(maxsize=256)
def _special_days(spec: CalendarSpec, year: int) -> tuple[np.ndarray, np.ndarray]:
    """(ordinals that count as Sundays, ordinals that count as Wednesdays) in one year."""
    sundays, wednesdays = [], []
    day = dt.date(year, 1, 1)
    while day.year == year:
        kind = day_kind(day, spec)
        weekend = day.weekday() in spec.weekend
        if kind == "closed" or (kind == "holiday" and not weekend):
            sundays.append(day.toordinal())
        elif weekend and kind in ("workday", "adjusted_workday"):
            wednesdays.append(day.toordinal())
        day += dt.timedelta(days=1)
    return np.asarray(sundays, np.int64), np.asarray(wednesdays, np.int64)
