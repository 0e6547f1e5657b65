"""Every energy class of a scope (分类能耗) and the findings only some classes have.

- The class table: each class's amount in its own unit (electricity kWh, water
  and gas m³, heat GJ, fuels kg) summed over its root meters, with kgce, its
  share of 综合能耗, cost and CO₂; the combined totals (综合能耗 kgce, all costs,
  all CO₂) are the sums of those rows.
- water_leak: the minimum hourly flow of a water meter in the night window
  (01:00–05:00) stays above a threshold for N nights in a row — water runs
  when nothing should use it;
- gas_closed: a closed day (weekend, holiday) uses a large share of a usual
  working day's gas;
- heat_weather: a day's district heat is above what its heating degree days
  predict from the previous weeks' heat-vs-HDD line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np

from civicwatt.config import SiteConfig
from civicwatt.config.calendar import site_calendar
from civicwatt.reports.data import Intervals, ReportInputs
from civicwatt.reports.model import Anomaly, ClassRow, Totals
from civicwatt.reports.settings import AnomalyThresholds
from rules.calendar import day_kind, is_working
from rules.clock import HOUR_NS, Clock
from rules.energy import BY_NAME, CLASSES, class_of
from store import RawReadings

MIN_HEAT_DAYS = 7
MIN_WORKDAYS = 2


def class_table(rows: Intervals, electricity: Totals,
                roots: Mapping[str, Sequence[str]], language: str) -> tuple[list[ClassRow],
                                                                            Totals]:
    """The scope's classes (electricity from its meter-tree totals, the others over their
    root meters) and the combined totals: 综合能耗 = Σ kgce of the rows."""
    sums = {"electricity": (electricity.kwh, electricity.kgce, electricity.cost,
                            electricity.co2_kg)}
    for energy in (c.name for c in CLASSES if c.name in roots):  # registry order
        points = roots[energy]
        if energy == "electricity" or not points:
            continue
        mask = np.isin(np.asarray(rows.points, dtype=object), list(points))[rows.point] \
            if len(rows) else np.zeros(0, bool)
        mask &= rows.of_class(energy)
        amount = rows.amount if rows.amount is not None else rows.values["kwh"]
        sums[energy] = (_nansum(amount[mask]), _nansum(rows.values["kgce"][mask]),
                        _nansum(rows.values["cost"][mask]), _nansum(rows.values["co2_kg"][mask]))
    total = _nansum(np.array([v[1] for v in sums.values()]))
    out = []
    for energy, (amount, kgce, cost, co2) in sums.items():
        counted = BY_NAME[energy].in_kgce or (not np.isnan(kgce) and kgce != 0)
        share = kgce / total if counted and total and not np.isnan(total) else float("nan")
        out.append(ClassRow(energy, BY_NAME[energy].name_in(language), amount,
                            BY_NAME[energy].unit, kgce, share, cost, co2))
    combined = Totals(electricity.kwh, _nansum(np.array([r.cost for r in out])),
                      _nansum(np.array([r.co2_kg for r in out])), total)
    return out, combined


def _nansum(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(values[ok].sum()) if ok.any() else float("nan")


def find(config: SiteConfig, inputs: ReportInputs, th: AnomalyThresholds,
         interval_ns: int) -> list[Anomaly]:
    if inputs.class_history is None or len(inputs.class_history) == 0:
        return []
    daily = _Daily(config, inputs, interval_ns)
    return [*_water_leaks(daily, th, interval_ns), *_gas_on_closed_days(config, daily, th),
            *_heat_above_weather(daily, inputs, th)]


class _Daily:
    """The other classes' amounts per meter by local day (and hour), history and report day."""

    def __init__(self, config: SiteConfig, inputs: ReportInputs, interval_ns: int) -> None:
        h: RawReadings = inputs.class_history
        self.first = dt.datetime.fromtimestamp(inputs.history_start_ns / 1e9,
                                               ZoneInfo(inputs.tz)).date()
        self.n_days = (inputs.day - self.first).days + 1  # the report day is the last
        self.clock = Clock.for_range(inputs.tz, inputs.history_start_ns, inputs.end_ns)
        self.history = h
        self.day, self.minute = self.clock.day_and_minute(h.time_ns, self.first)
        self.interval_ns = interval_ns
        self.kind = {p.id: class_of(p.quantity).name for p in config.points
                     if class_of(p.quantity)}
        self.building = {p.id: p.building for p in config.points}
        self.report_day = inputs.day

    def points(self, energy: str) -> list[int]:
        return [i for i, p in enumerate(self.history.points) if self.kind.get(p) == energy]

    def days(self, point: int) -> tuple[np.ndarray, np.ndarray]:
        """(Σ amount, intervals) per local day of one meter."""
        sel = (self.history.point_index == point) & (self.day >= 0) & (self.day < self.n_days)
        sums = np.bincount(self.day[sel], self.history.value[sel], minlength=self.n_days)
        counts = np.bincount(self.day[sel], minlength=self.n_days)
        return sums[: self.n_days], counts[: self.n_days]

    def full_days(self, point: int) -> np.ndarray:
        """Σ amount per local day, NaN where under 90 % of the day's intervals are there."""
        sums, counts = self.days(point)
        per_day = 86_400_000_000_000 // self.interval_ns
        return np.where(counts >= 0.9 * per_day, sums, np.nan)

    def date(self, index: int) -> dt.date:
        return self.first + dt.timedelta(days=index)


def _water_leaks(daily: _Daily, th: AnomalyThresholds, interval_ns: int) -> list[Anomaly]:
    start, end = th.water_hours
    nights = th.water_leak_nights
    per_hour = HOUR_NS // interval_ns
    found = []
    for i in daily.points("water"):
        point = daily.history.points[i]
        lows = []
        for back in range(nights):
            d = daily.n_days - 1 - back
            sel = (daily.history.point_index == i) & (daily.day == d) & \
                (daily.minute >= start) & (daily.minute < end)
            hours = daily.minute[sel] // 60
            sums = np.bincount(hours, daily.history.value[sel], minlength=24)
            counts = np.bincount(hours, minlength=24)
            window = range(start // 60, -(-end // 60))
            complete = [sums[hour] for hour in window if counts[hour] >= per_hour]
            lows.append(min(complete) if complete else float("nan"))
        if all(low > th.water_leak_m3_per_h for low in lows):  # NaN (no data) never is
            found.append(Anomaly("water_leak", daily.building.get(point, ""), point, {
                "m3_per_h": lows[0], "lowest": min(lows), "nights": nights,
                "window": th.water_night, "limit": th.water_leak_m3_per_h,
                "m3_per_day": min(lows) * 24}, min(lows) * 24))
    return found


def _gas_on_closed_days(config: SiteConfig, daily: _Daily, th: AnomalyThresholds
                        ) -> list[Anomaly]:
    calendar = site_calendar(config)
    found = []
    for i in daily.points("gas"):
        point = daily.history.points[i]
        building = daily.building.get(point, "")
        if is_working(daily.report_day, calendar, building):
            continue
        working = np.array([is_working(daily.date(d), calendar, building)
                            for d in range(daily.n_days - 1)], bool)
        days = daily.full_days(i)
        today, usual = days[-1], days[:-1][working]
        usual = usual[~np.isnan(usual)]
        if np.isnan(today) or usual.size < MIN_WORKDAYS:
            continue
        typical = float(np.median(usual))
        if today >= th.gas_closed_min_m3 and today > th.gas_closed_ratio * typical:
            found.append(Anomaly("gas_closed", building, point, {
                "m3": float(today), "workday_m3": typical, "days": int(usual.size),
                "day_type": day_kind(daily.report_day, calendar, building),
                "share": float(today / typical) if typical else float("inf")},
                float(today)))
    return found


def _heat_above_weather(daily: _Daily, inputs: ReportInputs, th: AnomalyThresholds
                        ) -> list[Anomaly]:
    temp = inputs.temperature
    if temp is None or len(temp) == 0:
        return []
    t_day, _ = daily.clock.day_and_minute(temp.time_ns, daily.first)
    ok = (t_day >= 0) & (t_day < daily.n_days) & np.isfinite(temp.value)
    seen = np.bincount(t_day[ok], minlength=daily.n_days)[: daily.n_days]
    mean = np.bincount(t_day[ok], temp.value[ok], minlength=daily.n_days)[: daily.n_days]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(seen > 0, mean / seen, np.nan)
    hdd = np.maximum(th.heat_base_c - mean, 0.0)
    found = []
    for i in daily.points("heat"):
        point = daily.history.points[i]
        days = daily.full_days(i)
        x, y = hdd[:-1], days[:-1]
        fit = ~np.isnan(x) & ~np.isnan(y) & (x > 0)
        today, degree_days = days[-1], hdd[-1]
        if fit.sum() < MIN_HEAT_DAYS or np.isnan(today) or np.isnan(degree_days) or \
                np.ptp(x[fit]) == 0:
            continue
        slope, intercept = np.polyfit(x[fit], y[fit], 1)
        expected = max(float(intercept + slope * degree_days), 0.0)
        if today > expected * (1 + th.heat_ratio) and today - expected >= th.heat_min_gj:
            found.append(Anomaly("heat_weather", daily.building.get(point, ""), point, {
                "gj": float(today), "expected_gj": expected, "hdd": float(degree_days),
                "temp_c": float(mean[-1]), "days": int(fit.sum()),
                "change": float(today / expected - 1) if expected else float("inf")},
                float(today - expected)))
    return found
