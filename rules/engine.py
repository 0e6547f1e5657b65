"""The metering pipeline in one call: readings → interval energy → periods → money,
carbon and coal. Pure: arrays and models in, arrays out; the jobs in
`civicwatt/` read the inputs and write the results.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

from rules.aggregate import group_sum, period_totals
from rules.clock import MINUTE_NS, Clock, grid, local_midnight_ns
from rules.intervals import IntervalEnergy, PointRules, interval_energy
from rules.tariffs import Tariff
from rules.tou import Classification, classify, daily_max


@dataclass(frozen=True)
class MeterResult:
    points: tuple[str, ...]
    bounds_ns: np.ndarray  # n_intervals + 1 UTC instants
    energy: IntervalEnergy
    classification: Classification
    co2_factor: np.ndarray | None  # kgCO₂/kWh per interval; None = no carbon
    kgce_factor: float  # kgce/kWh

    @property
    def periods(self) -> tuple[str, ...]:
        return self.classification.periods

    def weights(self) -> dict[str, np.ndarray]:
        """Per-interval factors for each total; CO₂ left out when there is no factor."""
        n = self.classification.period.size
        weights = {
            "kwh": np.ones(n),
            "cost": self.classification.price,
            "kgce": np.full(n, self.kgce_factor),
        }
        if self.co2_factor is not None:
            weights["co2_kg"] = self.co2_factor
        return weights

    def totals(self, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
        """{kwh, cost, co2_kg, kgce: (groups × periods)} over the whole range."""
        per_point = period_totals(
            self.energy.kwh, self.classification.period, len(self.periods), self.weights()
        )
        out = {name: group_sum(v, group, n_groups) for name, v in per_point.items()}
        if "co2_kg" not in out:  # no emission factor: carbon unknown, not zero
            out["co2_kg"] = np.full_like(out["kwh"], np.nan)
        return out


def meter(
    point_index: np.ndarray,
    time_ns: np.ndarray,
    value: np.ndarray,
    points: tuple[str, ...],
    rules: PointRules,
    tariff: Tariff,
    tz: str,
    first_day: dt.date,
    end_day: dt.date,
    interval_ns: int = 15 * MINUTE_NS,
    max_gap_ns: int | None = None,
    temperature: tuple[np.ndarray, np.ndarray] | None = None,
    co2_factor: float | np.ndarray | None = None,
    kgce_factor: float = 0.1229,
) -> MeterResult:
    """Meter local days [first_day, end_day) on a grid of `interval_ns`.

    `temperature` = (time_ns, °C) of the outdoor point for triggers;
    `co2_factor` a constant or one value per interval; `max_gap_ns` defaults
    to two intervals.
    """
    zone = ZoneInfo(tz)
    clock = Clock.for_range(
        zone, local_midnight_ns(first_day, zone), local_midnight_ns(end_day, zone)
    )
    bounds = grid(first_day, end_day, clock, interval_ns)
    gap = 2 * interval_ns if max_gap_ns is None else max_gap_ns
    energy = interval_energy(point_index, time_ns, value, bounds, rules, gap)
    temps = None
    if temperature is not None:
        temps = daily_max(
            temperature[0], temperature[1], clock, first_day, (end_day - first_day).days
        )
    cls = classify(tariff, bounds, clock, first_day, temps)
    n = bounds.size - 1
    factor = None if co2_factor is None else np.broadcast_to(np.asarray(co2_factor, float), (n,))
    return MeterResult(points, bounds, energy, cls, factor, kgce_factor)


@dataclass(frozen=True)
class DemandCharge:
    month: str  # YYYY-MM (local)
    max_kw: float
    charge: float


def demand_charges(
    result: MeterResult, tariff: Tariff, rows: np.ndarray | None = None
) -> list[DemandCharge]:
    """Monthly maximum demand × price, for the sum of the given points (all by default).

    Demand is the mean kW over the tariff's window (e.g. 15 min), windows
    aligned to the interval grid; the version in force on the month's first
    day sets the price. Months without a demand charge are left out.
    """
    kwh = result.energy.kwh if rows is None else result.energy.kwh[rows]
    site = np.nansum(kwh, axis=0)
    interval_min = int((result.bounds_ns[1] - result.bounds_ns[0]) // MINUTE_NS)
    cls = result.classification
    out: list[DemandCharge] = []
    day_month = np.array([d.year * 100 + d.month for d in cls.days])
    month_of = day_month[cls.day]
    for month in np.unique(month_of):
        sel = np.flatnonzero(month_of == month)
        first = cls.days[int(cls.day[sel[0]])]
        version = tariff.versions[tariff.version_index(first)]
        if version.demand_charge is None:
            continue
        window = version.demand_charge.window_minutes
        if window % interval_min:
            raise ValueError(f"the tariff's demand window ({window} min) is not a whole number "
                             f"of {interval_min}-min intervals; meter with an interval that "
                             f"divides it, e.g. --interval {window}m")
        per = window // interval_min
        usable = sel[: sel.size // per * per]
        kw = site[usable].reshape(-1, per).sum(axis=1) / (per * interval_min / 60)
        peak = float(kw.max()) if kw.size else 0.0
        label = f"{month // 100:04d}-{month % 100:02d}"
        out.append(DemandCharge(label, peak, peak * version.demand_charge.price_per_kw))
    return out
