"""Time-of-use classification: each interval's period and price.

An interval takes the period in force at its local start time. The tariff
version (by effective date), season (by month), day type (calendar) and any
triggered override (e.g. a hot day) are decided once per local day; the
distinct day kinds (a handful) each get a 1440-minute lookup row, and every
interval is then classified by array indexing — no loop per interval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from rules.calendar import DAY_TYPES, day_types
from rules.clock import Clock
from rules.tariffs import MINUTES, Tariff


class TariffGapError(ValueError):
    """A day in the range has no tariff version in force."""


@dataclass(frozen=True)
class Classification:
    """Per-interval period codes/prices and per-day facts for one range."""

    periods: tuple[str, ...]
    period: np.ndarray  # int16 per interval, index into periods
    price: np.ndarray  # float64 per interval (currency/kWh, or × flat price; see `money`)
    day: np.ndarray  # int64 per interval: local day index from first_day
    minute: np.ndarray  # int16 per interval: local minute of day at the start
    days: tuple[dt.date, ...]
    day_type: np.ndarray  # int8 per day (rules.calendar codes)
    adjusted: np.ndarray  # bool per day: China's adjusted workday (调休)
    version: np.ndarray  # int per day
    triggered: np.ndarray  # bool per day: any trigger fired
    money: np.ndarray  # bool per day: prices are currency (False: multiples of the flat price)

    def day_type_names(self) -> list[str]:
        return [DAY_TYPES[c] for c in self.day_type]


def daily_max(
    time_ns: np.ndarray, value: np.ndarray, clock: Clock, first_day: dt.date, n_days: int
) -> np.ndarray:
    """Maximum of a temperature series per local day (°C); NaN where a day has none."""
    out = np.full(n_days, -np.inf)
    ok = np.isfinite(value)
    day, _ = clock.day_and_minute(np.asarray(time_ns, np.int64)[ok], first_day)
    inside = (day >= 0) & (day < n_days)
    np.maximum.at(out, day[inside], np.asarray(value, np.float64)[ok][inside])
    out[np.isinf(out)] = np.nan
    return out


def classify(
    tariff: Tariff,
    bounds_ns: np.ndarray,
    clock: Clock,
    first_day: dt.date,
    daily_max_temp: np.ndarray | None = None,
) -> Classification:
    """Period and price of every interval [bounds[k], bounds[k+1])."""
    starts = bounds_ns[:-1]
    day, minute = clock.day_and_minute(starts, first_day)
    n_days = int(day.max()) + 1 if day.size else 0
    days = tuple(first_day + dt.timedelta(days=i) for i in range(n_days))
    codes, adjusted = day_types(days, tariff.calendar)
    periods = tariff.periods
    code_of = {name: i for i, name in enumerate(periods)}

    keys: dict[tuple[int, int, int, int], int] = {}
    rows: list[np.ndarray] = []
    prices: list[np.ndarray] = []
    day_key = np.empty(n_days, np.int64)
    version_of_day = np.empty(n_days, np.int64)
    triggered = np.zeros(n_days, bool)
    for i, d in enumerate(days):
        v = tariff.version_index(d)
        if v < 0:
            raise TariffGapError(
                f"tariff '{tariff.name}' starts on {tariff.versions[0].effective_from}; "
                f"it has no version for {d}"
            )
        version = tariff.versions[v]
        season = version.season_of_month()[d.month]
        fired = 0
        for j, trig in enumerate(version.triggers):
            temp = np.nan if daily_max_temp is None else daily_max_temp[i]
            if d.month in trig.months and temp >= trig.daily_max_temperature_gte:
                fired |= 1 << j
        key = (v, season, int(codes[i]), fired)
        if key not in keys:
            keys[key] = len(rows)
            rows.append(_day_row(tariff, key, code_of))
            s = version.seasons[season]
            prices.append(np.array([s.prices.get(p, np.nan) for p in periods], np.float64))
        day_key[i] = keys[key]
        version_of_day[i] = v
        triggered[i] = fired != 0

    table = np.stack(rows) if rows else np.zeros((0, MINUTES), np.int16)
    price_table = np.stack(prices) if prices else np.zeros((0, len(periods)))
    k = day_key[day]
    period = table[k, minute]
    factor = np.array([tariff.price_factor(d) for d in days], np.float64)
    return Classification(
        periods=periods,
        period=period,
        price=price_table[k, period] * factor[day],
        day=day,
        minute=minute,
        days=days,
        day_type=codes,
        adjusted=adjusted,
        version=version_of_day,
        triggered=triggered,
        money=np.array([tariff.cost_is_money(d) for d in days], bool),
    )


def _day_row(tariff: Tariff, key: tuple[int, int, int, int], code_of: dict[str, int]) -> np.ndarray:
    v, season, day_code, fired = key
    version = tariff.versions[v]
    day_name = DAY_TYPES[day_code]
    row = np.full(MINUTES, -1, np.int16)
    for w in version.seasons[season].windows:
        if day_name in w.days:
            row[w.minutes()] = code_of[w.period]
    for j, trig in enumerate(version.triggers):
        if fired & (1 << j):
            for w in trig.windows:
                if day_name in w.days:
                    row[w.minutes()] = code_of[w.period]
    return row
