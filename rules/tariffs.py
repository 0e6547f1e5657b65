"""Time-of-use tariffs: the native model and its validation.

A tariff is a list of versions, each effective from a local date, so a price
change in the middle of a month bills every day under the version in force
that day. A `ratio` tariff holds an official rule's price *ratios* (flat = 1,
as Chinese provinces publish them); the month's flat price (the agency-purchase
代理购电 price, `base_prices`) turns them into money, and a month without one
is priced relative to it ("× flat price"), never as currency. A version
splits the year into seasons (month lists); a season lays
periods (sharp, peak, flat, valley, deep valley — any names) over the local
day at minute resolution, per day type (workday, weekend, holiday), and gives
a price per period. Triggers override parts of the day on days that meet a
condition, e.g. Guangdong's sharp hours on days whose maximum outdoor
temperature reaches 35 °C. Times are local wall-clock "HH:MM" (end "24:00"
allowed; a window may wrap midnight, "23:00"–"07:00"). Prices are in the
tariff's currency per kWh; the demand charge per kW per month.

Validation collects every problem and names it the way a tariff table is read:
"season 'summer': peak overlaps flat on workdays 17:00–18:00".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.calendar import DAY_TYPES, CalendarSpec

DayName = Literal["workday", "weekend", "holiday"]
ALL_DAYS: tuple[DayName, ...] = ("workday", "weekend", "holiday")
MINUTES = 1440
_PLURAL = {"workday": "workdays", "weekend": "weekends", "holiday": "holidays"}


def parse_hhmm(text: Any) -> int:
    """'HH:MM' → minutes after local midnight (0..1440)."""
    if not isinstance(text, str):
        raise ValueError(f'time {text!r} must be a quoted "HH:MM" string, e.g. "07:30"')
    try:
        hh, mm = text.strip().split(":")
        hours, minutes = int(hh), int(mm)
    except ValueError:
        raise ValueError(f'time {text!r} is not "HH:MM"') from None
    if not (0 <= minutes < 60 and (0 <= hours < 24 or (hours == 24 and minutes == 0))):
        raise ValueError(f"time {text!r} is outside 00:00–24:00")
    return hours * 60 + minutes


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(_Model):
    """One period over a stretch of the local day on the listed day types."""

    period: str = Field(min_length=1)
    start: str
    end: str
    days: tuple[DayName, ...] = ALL_DAYS

    @field_validator("start", "end", mode="before")
    @classmethod
    def _time(cls, value: Any) -> str:
        return hhmm(parse_hhmm(value))

    @model_validator(mode="after")
    def _not_empty(self) -> Window:
        if self.start_minute == self.end_minute % MINUTES and self.end != "24:00":
            raise ValueError(f"window {self.period} {self.start}–{self.end} is empty")
        return self

    @property
    def start_minute(self) -> int:
        return parse_hhmm(self.start)

    @property
    def end_minute(self) -> int:
        return parse_hhmm(self.end)

    def minutes(self) -> np.ndarray:
        """Boolean mask over the 1440 minutes of a day (wraps midnight)."""
        mask = np.zeros(MINUTES, bool)
        s, e = self.start_minute, self.end_minute
        if s < e:
            mask[s:e] = True
        else:  # wraps midnight, or "00:00"–"24:00" written as "00:00"–"00:00" is rejected
            mask[s:] = True
            mask[:e] = True
        return mask


class Season(_Model):
    name: str = Field(min_length=1)
    months: tuple[int, ...] = Field(min_length=1)
    windows: tuple[Window, ...] = Field(min_length=1)
    prices: dict[str, float]

    @field_validator("months")
    @classmethod
    def _months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        bad = [m for m in months if not 1 <= m <= 12]
        if bad:
            raise ValueError(f"months must be 1..12, got {bad}")
        return months

    @field_validator("prices")
    @classmethod
    def _prices(cls, prices: dict[str, float]) -> dict[str, float]:
        bad = {k: v for k, v in prices.items() if not (np.isfinite(v) and v >= 0)}
        if bad:
            raise ValueError(f"prices are per kWh consumed and cannot be negative or NaN, got "
                             f"{bad} (a ratio tariff writes flat = 1)")
        return prices


class Trigger(_Model):
    """Windows that replace the season's periods on days meeting a condition.

    `daily_max_temperature_gte`: the day's maximum of the configured outdoor
    temperature point (°C, local day) is at least this value.
    """

    name: str = Field(min_length=1)
    daily_max_temperature_gte: float
    months: tuple[int, ...] = tuple(range(1, 13))
    windows: tuple[Window, ...] = Field(min_length=1)


class DemandCharge(_Model):
    """Monthly maximum demand (mean kW over `window_minutes`) × price per kW."""

    price_per_kw: float = Field(ge=0)
    window_minutes: int = Field(default=15, gt=0, le=60)


class TariffVersion(_Model):
    effective_from: dt.date
    seasons: tuple[Season, ...] = Field(min_length=1)
    triggers: tuple[Trigger, ...] = ()
    demand_charge: DemandCharge | None = None

    @model_validator(mode="after")
    def _check(self) -> TariffVersion:
        problems = list(version_problems(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def season_of_month(self) -> list[int]:
        """Index into `seasons` for months 1..12 (position 0 unused)."""
        table = [-1] * 13
        for i, season in enumerate(self.seasons):
            for m in season.months:
                table[m] = i
        return table


class Tariff(_Model):
    name: str = Field(min_length=1)
    currency: str = "CNY"
    source: str = ""
    notes: str = ""
    price_basis: Literal["money", "ratio"] = Field(
        default="money", description="ratio: prices are multiples of the month's flat price")
    base_prices: dict[str, float] = Field(
        default_factory=dict, description="ratio tariffs: 'YYYY-MM' → flat price per kWh")
    calendar: CalendarSpec = CalendarSpec()
    versions: tuple[TariffVersion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _order(self) -> Tariff:
        dates = [v.effective_from for v in self.versions]
        if dates != sorted(set(dates)):
            raise ValueError(
                f"versions must have distinct effective_from dates in order, got {dates}"
            )
        if self.base_prices and self.price_basis != "ratio":
            raise ValueError("base_prices apply to a ratio tariff (price_basis: ratio) only")
        for problem in base_price_problems(self.base_prices):
            raise ValueError(problem)
        return self

    def price_factor(self, day: dt.date) -> float:
        """What the tariff's prices are multiplied by on `day`: the month's base price for a
        ratio tariff that has one, else 1 (money, or prices relative to the flat price)."""
        if self.price_basis != "ratio":
            return 1.0
        return self.base_prices.get(f"{day.year:04d}-{day.month:02d}", 1.0)

    def cost_is_money(self, day: dt.date) -> bool:
        """Whether costs on `day` are in the currency (else multiples of the flat price)."""
        return self.price_basis == "money" or \
            f"{day.year:04d}-{day.month:02d}" in self.base_prices

    @property
    def periods(self) -> tuple[str, ...]:
        """Every period name, in order of first appearance."""
        names: dict[str, None] = {}
        for version in self.versions:
            for season in version.seasons:
                for w in season.windows:
                    names.setdefault(w.period)
            for trig in version.triggers:
                for w in trig.windows:
                    names.setdefault(w.period)
        return tuple(names)

    def version_index(self, day: dt.date) -> int:
        """The version in force on a local date; -1 before the first one."""
        idx = -1
        for i, version in enumerate(self.versions):
            if version.effective_from <= day:
                idx = i
        return idx

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Tariff:
        return cls.model_validate(data)


def base_price_problems(prices: dict[str, float]) -> Iterator[str]:
    """Keys must be months ('2026-10'), values positive prices per kWh."""
    for month, price in prices.items():
        try:
            dt.date.fromisoformat(f"{month}-01")
            ok = len(str(month)) == 7
        except (TypeError, ValueError):
            ok = False
        if not ok:
            yield f"base_prices: {month!r} is not a month; write YYYY-MM, e.g. 2026-10"
        elif not isinstance(price, int | float) or not price > 0:
            yield f"base_prices: {month}: {price!r} is not a price above 0 (per kWh)"


def _runs(mask: np.ndarray) -> Iterator[tuple[int, int]]:
    """(start, end) minute runs where mask is True."""
    padded = np.concatenate(([False], mask, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    for s, e in zip(edges[::2], edges[1::2], strict=True):
        yield int(s), int(e)


def _layer_problems(where: str, windows: tuple[Window, ...], need_full: bool) -> Iterator[str]:
    for day in DAY_TYPES:
        layer = [w for w in windows if day in w.days]
        cover = np.zeros(MINUTES, np.int16)
        masks = [(w.period, w.minutes()) for w in layer]
        for i, (name_a, a) in enumerate(masks):
            cover += a
            for name_b, b in masks[i + 1 :]:
                for s, e in _runs(a & b):
                    span = f"{hhmm(s)}–{hhmm(e)}"
                    yield f"{where}: {name_a} overlaps {name_b} on {_PLURAL[day]} {span}"
        if need_full:
            for s, e in _runs(cover == 0):
                yield f"{where}: no period covers {_PLURAL[day]} {hhmm(s)}–{hhmm(e)}"


def version_problems(version: TariffVersion) -> Iterator[str]:
    """Every problem of one tariff version, as sentences."""
    seen: dict[int, str] = {}
    for season in version.seasons:
        for m in season.months:
            if m in seen:
                yield f"month {m} is in both season '{seen[m]}' and season '{season.name}'"
            seen[m] = season.name
    missing = [m for m in range(1, 13) if m not in seen]
    if missing:
        yield f"months {missing} belong to no season"
    names = [s.name for s in version.seasons]
    for name in {n for n in names if names.count(n) > 1}:
        yield f"season name '{name}' is used twice"
    for season in version.seasons:
        yield from _layer_problems(f"season '{season.name}'", season.windows, need_full=True)
        used = {w.period for w in season.windows}
        for trig in version.triggers:
            if set(trig.months) & set(season.months):
                used |= {w.period for w in trig.windows}
        for period in sorted(used - set(season.prices)):
            yield f"season '{season.name}': no price for period '{period}'"
    for trig in version.triggers:
        yield from _layer_problems(f"trigger '{trig.name}'", trig.windows, need_full=False)


def describe_errors(exc: Any) -> list[str]:
    """pydantic ValidationError → one readable line per problem, with its location."""
    errors = exc.errors()
    real = [tuple(e["loc"]) for e in errors if e["type"] != "too_short"]
    lines = []
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] == "too_short" and any(r[: len(loc)] == loc for r in real):
            continue  # a list emptied by its failing items: the items' errors say it
        where = ".".join(str(part) for part in loc) or "tariff"
        msg = str(e["msg"]).removeprefix("Value error, ")
        for part in msg.split("; "):
            lines.append(f"{where}: {part}")
    return lines
