"""Local calendar features: hour of day, day type (weekday / holiday / adjusted workday).

Public holidays come from `holidays` by ISO country code; for CN, from
`chinesecalendar`, which also knows the adjusted workdays (调休) on weekends.
A holiday is treated as a Sunday, an adjusted workday as a Wednesday.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["LocalCalendar"]

SUNDAY, WEDNESDAY = 6, 2


@lru_cache(maxsize=256)
def _special_days(country: str | None, subdiv: str | None, year: int,
                  closures: tuple[str, ...]) -> tuple[frozenset[int], frozenset[int]]:
    """(holiday ordinals, adjusted-workday ordinals) for one year."""
    hol: set[int] = set()
    work: set[int] = set()
    if country and country.upper() == "CN":
        import chinese_calendar as cc

        day = dt.date(year, 1, 1)
        while day.year == year:
            try:
                is_work = cc.is_workday(day)
            except NotImplementedError:  # year outside the package's table
                is_work = day.weekday() < 5
            if day.weekday() < 5 and not is_work:
                hol.add(day.toordinal())
            elif day.weekday() >= 5 and is_work:
                work.add(day.toordinal())
            day += dt.timedelta(days=1)
    elif country:
        import holidays

        for day in holidays.country_holidays(country.upper(), subdiv=subdiv, years=year):
            hol.add(day.toordinal())
    for mmdd in closures:
        m, d = (int(p) for p in mmdd.split("-"))
        with contextlib.suppress(ValueError):  # 02-29 in a common year
            hol.add(dt.date(year, m, d).toordinal())
    return frozenset(hol), frozenset(work)


class LocalCalendar:
    """Maps UTC hour starts to local hour, weekday and day type for one site."""

    def __init__(self, timezone: str, country: str | None = None, subdivision: str | None = None,
                 closures: tuple[str, ...] = ()) -> None:
        self.timezone, self.country, self.subdivision = timezone, country, subdivision
        self.closures = closures

    def local(self, time_ns: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(time_ns.astype("datetime64[ns]"), tz="UTC").tz_convert(
            self.timezone
        )

    def features(self, time_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(local hour 0-23, day type 0-6 where 0 = Monday, local day ordinal) per hour."""
        loc = self.local(time_ns)
        hour = loc.hour.to_numpy()
        naive_days = loc.tz_localize(None).normalize().as_unit("ns")
        ordinal = (naive_days.asi8 // 86_400_000_000_000).astype(np.int64) + 719_163
        daytype = loc.day_of_week.to_numpy().copy()
        years = np.unique(loc.year.to_numpy())
        for year in years:
            hol, work = _special_days(self.country, self.subdivision, int(year), self.closures)
            if hol:
                daytype[np.isin(ordinal, list(hol))] = SUNDAY
            if work:
                daytype[np.isin(ordinal, list(work))] = WEDNESDAY
        return hour, daytype, ordinal

    def utc_offset_ns(self, time_ns: np.ndarray) -> np.ndarray:
        """Local UTC offset at each instant, in ns (for 'same local hour last week')."""
        loc = self.local(time_ns)
        return loc.tz_localize(None).as_unit("ns").asi8 - time_ns
