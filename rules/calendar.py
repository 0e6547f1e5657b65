"""The site's one calendar: public holidays, 调休 workdays, site holidays, closures, terms.

Billing, the daily report, the forecaster and the setpoint rules all ask this
module what a local date is, so a day the site declares a holiday is a
holiday for every one of them.

- `day_type` is the tariff's view: workday, weekend or public holiday, with
  China's adjusted workdays (调休, a Saturday or Sunday worked in exchange for
  a longer holiday) as workdays. Chinese dates come from `chinesecalendar`,
  which carries the State Council's yearly notices; other countries (and
  Chinese years it does not cover yet) from `holidays`. The site's own
  `holidays` and `workdays` override both.
- `day_kind` adds what only the site knows: closures (a campus winter
  closure, a building shut for works; optionally per building) make a day
  `closed`. Closures do not change the tariff's day type — the utility prices
  a closed building's day as the calendar says.
- `term_on` names the school term a date falls in, if `terms` are given.

Pure: dates in, codes and names out. Day-type codes are shared with
`rules.tou`: WORKDAY=0, WEEKEND=1, HOLIDAY=2.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

WORKDAY, WEEKEND, HOLIDAY = 0, 1, 2
DAY_TYPES = ("workday", "weekend", "holiday")
#: What a day is for the people in a building (the report's, forecaster's and setpoints' view).
DAY_KINDS = ("workday", "adjusted_workday", "weekend", "holiday", "closed")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Closure(_Model):
    """Days the site (or some of its buildings) is closed, `from` … `to` inclusive.

    Dates (2026-08-01) close once; month-days ("12-24" … "01-02") close every
    year and may wrap the new year.
    """

    start: dt.date | str = Field(alias="from")
    end: dt.date | str = Field(alias="to")
    buildings: tuple[str, ...] = Field(default=(), description="empty: the whole site")
    reason: str = ""

    @field_validator("start", "end", mode="before")
    @classmethod
    def _month_day(cls, value: object) -> object:
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            return dt.date.fromisoformat(value.strip())  # a date, also after a JSON round trip
        if isinstance(value, str) and not _MONTH_DAY.match(value.strip()):
            raise ValueError(f"{value!r} is neither a date (2026-08-01) nor a month-day "
                             "repeated every year ('12-24')")
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _same_kind(self) -> Closure:
        if isinstance(self.start, dt.date) != isinstance(self.end, dt.date):
            raise ValueError("`from` and `to` are both dates or both month-days ('12-24')")
        if isinstance(self.start, dt.date) and self.end < self.start:  # type: ignore[operator]
            raise ValueError(f"`to` {self.end} is before `from` {self.start}")
        return self

    def covers(self, day: dt.date, building: str | None = None) -> bool:
        if self.buildings and building is not None and building not in self.buildings:
            return False
        if isinstance(self.start, dt.date):
            return self.start <= day <= self.end  # type: ignore[operator]
        md = f"{day.month:02d}-{day.day:02d}"
        if self.start <= self.end:  # type: ignore[operator]
            return self.start <= md <= self.end  # type: ignore[operator]
        return md >= self.start or md <= self.end  # type: ignore[operator]


class Term(_Model):
    """A school term, `from` … `to` inclusive; days between terms are vacation."""

    name: str = Field(min_length=1)
    start: dt.date = Field(alias="from")
    end: dt.date = Field(alias="to")

    @model_validator(mode="after")
    def _order(self) -> Term:
        if self.end < self.start:
            raise ValueError(f"term {self.name!r}: `to` {self.end} is before `from` {self.start}")
        return self


class CalendarSpec(_Model):
    """Which days are what. `country` None means weekends only (plus the site's lists)."""

    country: str | None = "CN"
    subdivision: str | None = None
    weekend: tuple[int, ...] = (5, 6)  # Python weekday numbers: Monday=0 .. Sunday=6
    holidays: tuple[dt.date, ...] = Field(
        default=(), validation_alias=AliasChoices("holidays", "extra_holidays"),
        description="site holidays: priced, reported, forecast and occupied as holidays")
    workdays: tuple[dt.date, ...] = Field(
        default=(), validation_alias=AliasChoices("workdays", "extra_workdays"),
        description="site workdays on a weekend or holiday")
    closures: tuple[Closure, ...] = ()
    terms: tuple[Term, ...] = ()

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

    def for_building(self, building: str) -> CalendarSpec:
        """The same calendar with only the closures that apply to `building`."""
        mine = tuple(c.model_copy(update={"buildings": ()}) for c in self.closures
                     if not c.buildings or building in c.buildings)
        return self.model_copy(update={"closures": mine})


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
    """The tariff day type of one local date and whether it is an adjusted workday (调休)."""
    if day in spec.workdays:
        return WORKDAY, day.weekday() in spec.weekend
    if day in spec.holidays:
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


def closure_on(day: dt.date, spec: CalendarSpec, building: str | None = None) -> Closure | None:
    """The closure covering `day` (for `building`, or any closure when None)."""
    return next((c for c in spec.closures if c.covers(day, building)), None)


def day_kind(day: dt.date, spec: CalendarSpec, building: str | None = None) -> str:
    """One of DAY_KINDS: the tariff's day type refined by the site's closures.

    `building` None asks about the site as a whole: only closures without a
    building list count.
    """
    if any(c.covers(day) for c in spec.closures if not c.buildings or building is not None
           and building in c.buildings):
        return "closed"
    code, adjusted = day_type(day, spec)
    if code == WORKDAY:
        return "adjusted_workday" if adjusted else "workday"
    return DAY_TYPES[code]


def is_working(day: dt.date, spec: CalendarSpec, building: str | None = None) -> bool:
    """A day people work in the building: a workday or an adjusted workday, not closed."""
    return day_kind(day, spec, building) in ("workday", "adjusted_workday")


def term_on(day: dt.date, spec: CalendarSpec) -> Term | None:
    """The school term `day` falls in; None between terms (or when no terms are given)."""
    return next((t for t in spec.terms if t.start <= day <= t.end), None)
