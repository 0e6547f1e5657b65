"""Day types for tariffs: workday, weekend or public holiday, per local date.

China's adjusted workdays (调休, a Saturday or Sunday worked in exchange for a
longer holiday) are workdays. Chinese dates come from `chinesecalendar`, which
carries the State Council's yearly notices including 调休; other countries (and
Chinese years `chinesecalendar` does not cover yet) come from `holidays`. A
site's own list of extra holidays and extra workdays overrides both.

Pure: dates in, small integer codes out. Day-type codes are shared with
`rules.tou`: WORKDAY=0, WEEKEND=1, HOLIDAY=2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

WORKDAY, WEEKEND, HOLIDAY = 0, 1, 2
DAY_TYPES = ("workday", "weekend", "holiday")


class CalendarSpec(BaseModel):
    """Which holidays apply. `country` None means weekends only (plus the lists)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    country: str | None = "CN"
    subdivision: str | None = None
    weekend: tuple[int, ...] = (5, 6)  # Python weekday numbers: Monday=0 .. Sunday=6
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()

    @model_validator(mode="after")
    def _known_calendar(self) -> CalendarSpec:
        """A country or region the holidays package lacks would fail only when metering."""
        if self.country is None:
            return self
        import holidays

        code = self.country.strip().upper()
        regions = holidays.list_supported_countries().get(code)
        if regions is None:
            raise ValueError(f"calendar.country {self.country!r} is not a supported ISO 3166 "
                             "code; use e.g. CN, US, GB, or null for weekends only")
        if self.subdivision is not None and self.subdivision not in regions:
            raise ValueError(f"calendar.subdivision {self.subdivision!r} is not a region of "
                             f"{code}; use one of {', '.join(regions[:12])}"
                             + (" ..." if len(regions) > 12 else ""))
        object.__setattr__(self, "country", code)
        return self


@lru_cache(maxsize=64)
def _holidays_package(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _china(day: dt.date) -> tuple[int, bool] | None:
    """(day type, adjusted) from chinesecalendar, or None when the year is not covered."""
    import chinese_calendar

    try:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return None
    weekend = day.weekday() >= 5
    if on_holiday:
        return (HOLIDAY if name is not None else WEEKEND), False
    return WORKDAY, weekend  # a worked weekend day is an adjusted workday


def day_type(day: dt.date, spec: CalendarSpec) -> tuple[int, bool]:
    """The day type of one local date and whether it is an adjusted workday (调休)."""
    if day in spec.extra_workdays:
        return WORKDAY, day.weekday() in spec.weekend
    if day in spec.extra_holidays:
        return HOLIDAY, False
    country = (spec.country or "").upper()
    if country == "CN":
        found = _china(day)
        if found is not None:
            return found
    if country and day in _holidays_package(country, spec.subdivision, day.year):
        return HOLIDAY, False
    return (WEEKEND if day.weekday() in spec.weekend else WORKDAY), False


def day_types(days: Sequence[dt.date], spec: CalendarSpec) -> tuple[np.ndarray, np.ndarray]:
    """Day-type codes (int8) and adjusted-workday flags (bool) for many dates."""
    codes = np.empty(len(days), np.int8)
    adjusted = np.zeros(len(days), bool)
    for i, day in enumerate(days):
        codes[i], adjusted[i] = day_type(day, spec)
    return codes, adjusted
