"""Read what the daily report needs from the store — the only I/O on the way in.

The contract is the store, not the jobs that fill it: `energy_interval` rows
(tags site, building, zone, purpose, point, energy, period; fields amount, unit,
kwh, cost, co2_kg, kgce, estimated — rows without an `energy` tag are
electricity) from the metering engine, `forecast` rows (tags site,
building, zone, target, model; fields value, lower, upper, lower95, upper95,
issued_at) from the forecaster, and raw `energy` counter readings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from civicwatt.config import SiteConfig
from rules.clock import day_bounds
from store import RawReadings, Row, Store

METRICS = ("kwh", "cost", "co2_kg", "kgce")


@dataclass(frozen=True)
class Intervals:
    """`energy_interval` rows of one time range, columnar (one entry per point × interval)."""

    points: tuple[str, ...]
    point: np.ndarray  # int32 index into points
    time_ns: np.ndarray  # int64 interval start, UTC
    periods: tuple[str, ...]
    period: np.ndarray  # int32 index into periods
    values: dict[str, np.ndarray]  # METRICS → float64, NaN where the field is absent
    estimated: np.ndarray  # bool
    tags: dict[str, dict[str, str]]  # point → its building/zone/purpose tags as stored
    energies: tuple[str, ...] = ("electricity",)
    energy: np.ndarray | None = None  # int32 index into energies; None = all electricity
    amount: np.ndarray | None = None  # float64 in the class's unit; None = kwh

    def __len__(self) -> int:
        return int(self.time_ns.size)

    @classmethod
    def from_rows(cls, rows: Sequence[Row]) -> Intervals:
        points: dict[str, int] = {}
        periods: dict[str, int] = {}
        tags: dict[str, dict[str, str]] = {}
        n = len(rows)
        pi = np.empty(n, np.int32)
        per = np.empty(n, np.int32)
        t = np.empty(n, np.int64)
        est = np.zeros(n, bool)
        vals = {m: np.full(n, np.nan) for m in METRICS}
        energies: dict[str, int] = {"electricity": 0}
        kind = np.zeros(n, np.int32)
        amount = np.full(n, np.nan)
        for i, row in enumerate(rows):
            series = row.series
            point = series.tag("point")
            if point not in points:
                points[point] = len(points)
                tags[point] = series.tag_dict
            pi[i] = points[point]
            period = series.tag("period")
            per[i] = periods.setdefault(period, len(periods))
            t[i] = row.time_ns
            fields = row.fields
            for m in METRICS:
                value = fields.get(m)
                if value is not None:
                    vals[m][i] = value
            est[i] = bool(fields.get("estimated", False))
            kind[i] = energies.setdefault(series.tag("energy", "electricity"), len(energies))
            value = fields.get("amount", fields.get("kwh"))
            if value is not None:
                amount[i] = value
        return cls(tuple(points), pi, t, tuple(periods), per, vals, est, tags,
                   tuple(energies), kind, amount)

    def of_class(self, energy: str) -> np.ndarray:
        """Row mask of one energy class."""
        if energy not in self.energies or self.energy is None:
            return np.full(len(self), energy == "electricity")
        return self.energy == self.energies.index(energy)

    def point_sums(self, metric: str) -> dict[str, float]:
        """Σ metric per point (NaN-free; a point whose field is always absent gets NaN)."""
        values = self.values[metric]
        ok = ~np.isnan(values)
        sums = np.bincount(self.point[ok], values[ok], minlength=len(self.points))
        seen = np.bincount(self.point[ok], minlength=len(self.points))
        return {p: (float(sums[i]) if seen[i] else float("nan")) for i, p in enumerate(self.points)}


@dataclass(frozen=True)
class YearToDate:
    """Σ over 1 January (local) to the end of the report day, for one meter."""

    kwh: float
    kgce: float
    co2_kg: float
    intervals: int


@dataclass
class ReportInputs:
    day: dt.date
    tz: str
    start_ns: int
    end_ns: int
    day_rows: Intervals
    week_ago: dict[str, RawReadings]  # METRICS → the root meters' values, same day last week
    history: RawReadings  # kwh per point × interval, the `history_days` before the day
    history_start_ns: int
    ytd: dict[str, YearToDate]
    ytd_start_ns: int
    forecasts: list[Row]  # from the day's start to the end of the next day
    raw: RawReadings  # the day's `energy` counter readings
    notes: list[str] = field(default_factory=list)
    class_history: RawReadings | None = None  # amount of the other classes' meters, history
    # and the day (the leak, closed-day and weather checks)
    temperature: RawReadings | None = None  # the outdoor point, history and the day


def read_inputs(store: Store, config: SiteConfig, day: dt.date, roots: Sequence[str],
                energy_points: Sequence[str], class_points: Sequence[str] = (),
                class_roots: Sequence[str] = ()) -> ReportInputs:
    """Everything the report reads, in a handful of range queries. `class_points` are the
    meters of the other energy classes (water, gas, heat …), `class_roots` their roots."""
    tz = config.site.timezone
    site = {"site": config.site.id}
    start, end = day_bounds(day, tz)
    week_start, week_end = day_bounds(day - dt.timedelta(days=7), tz)
    history_days = config.report.anomalies.history_days
    history_start, _ = day_bounds(day - dt.timedelta(days=history_days), tz)
    next_end = day_bounds(day + dt.timedelta(days=1), tz)[1]
    ytd_start, _ = day_bounds(dt.date(day.year, 1, 1), tz)

    day_rows = Intervals.from_rows(store.read_rows("energy_interval", start, end, where=site))
    week_ago = {m: store.read_raw("energy_interval", week_start, week_end, points=list(roots),
                                  field=m) for m in METRICS}
    history = store.read_raw("energy_interval", history_start, start, field="kwh")
    forecasts = _forecasts(store, site, start, end, next_end)
    raw = store.read_raw("energy", start, end, points=list(energy_points)) if energy_points \
        else store.read_raw("energy", start, start)
    ytd = {point: _year_to_date(store, point, ytd_start, end, site["site"]) for point in roots}
    ytd |= {point: _year_to_date(store, point, ytd_start, end, site["site"], count="amount")
            for point in class_roots}
    class_history = temperature = None
    if class_points:
        class_history = store.read_raw("energy_interval", history_start, end,
                                       points=list(class_points), field="amount")
        outdoor = _outdoor_point(config)
        if outdoor is not None:
            temperature = store.read_raw("temperature", history_start, end, points=[outdoor])
    return ReportInputs(day, tz, start, end, day_rows, week_ago, history, history_start, ytd,
                        ytd_start, forecasts, raw, class_history=class_history,
                        temperature=temperature)


def _outdoor_point(config: SiteConfig) -> str | None:
    """The outdoor temperature point: metering's, the forecaster's, else none."""
    if config.metering and config.metering.temperature_point:
        return config.metering.temperature_point
    return config.forecast.temperature_point


def _forecasts(store: Store, site: dict, start: int, end: int, next_end: int) -> list[Row]:
    """The day's forecast as issued the day before (`forecast_day_ahead`), then the latest
    forecast for the next day. Without a day-ahead snapshot (a store filled before the
    forecaster kept one), the latest forecast of the day stands in; its issued_at shows it."""
    latest = store.read_rows("forecast", start, next_end, where=site)
    day_ahead = store.read_rows("forecast_day_ahead", start, end, where=site)
    today = day_ahead or [row for row in latest if row.time_ns < end]
    return today + [row for row in latest if row.time_ns >= end]


def _year_to_date(store: Store, point: str, start: int, end: int, site: str,
                  count: str = "kwh") -> YearToDate:
    where = {"site": site, "point": point}
    every = end - start  # one or two buckets; their sum is the range's total

    def total(name: str, fn: str = "sum") -> float:
        buckets = store.aggregate("energy_interval", name, start, end, every, fn, where=where)
        return float(sum(b.value for b in buckets))

    kwh = total("kwh") if count == "kwh" else 0.0
    return YearToDate(kwh, total("kgce"), total("co2_kg"), int(total(count, "count")))
