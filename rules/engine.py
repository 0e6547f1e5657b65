"""The metering pipeline in one call: readings → interval amounts → periods → money,
carbon and coal, for every energy class. Pure: arrays and models in, arrays
out; the jobs in `civicwatt/` read the inputs and write the results.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import numpy as np

from rules.aggregate import group_sum, period_totals
from rules.carbon import Resolved
from rules.clock import MINUTE_NS, Clock, grid, local_midnight_ns
from rules.intervals import IntervalEnergy, PointRules, interval_energy
from rules.prices import Billing, cost_totals, interval_costs
from rules.tariffs import Tariff
from rules.tou import Classification, classify, daily_max


@dataclass(frozen=True)
class PointClasses:
    """What each metered point's amounts convert to; arrays indexed like the points.

    CO₂ per interval = amount × (co2 + grid × the interval's grid factor):
    electricity has grid 1, PV −1 when generation counts against 综合能耗 (else
    0), every other class a constant `co2`. `tou` points are priced by the
    tariff's periods; the others by `billing` (`rules.prices`).
    """

    energy: tuple[str, ...]  # class name per point (rules.energy)
    tou: np.ndarray  # bool
    kgce: np.ndarray  # kgce per unit; NaN = unknown
    co2: np.ndarray  # kgCO₂ per unit on top of the grid part; NaN = unknown
    grid: np.ndarray  # multiplier of the grid factor (1, −1 or 0)
    billing: Billing | None = None

    @classmethod
    def of(cls, energy: Sequence[str], factors: Mapping[str, Resolved],
           billing: Billing | None = None) -> PointClasses:
        """From each point's class name and the resolved factors (`rules.carbon`)."""
        f = [factors[e] for e in energy]
        return cls(tuple(energy), np.array([e == "electricity" for e in energy], bool),
                   np.array([x.kgce for x in f]), np.array([x.co2 for x in f]),
                   np.array([x.grid for x in f]), billing)

    @classmethod
    def electricity(cls, n_points: int, kgce: float) -> PointClasses:
        return cls(("electricity",) * n_points, np.ones(n_points, bool), np.full(n_points, kgce),
                   np.zeros(n_points), np.ones(n_points))


@dataclass(frozen=True)
class MeterResult:
    points: tuple[str, ...]
    bounds_ns: np.ndarray  # n_intervals + 1 UTC instants
    energy: IntervalEnergy
    classification: Classification
    co2_factor: np.ndarray | None  # grid kgCO₂/kWh per interval; None = not known
    classes: PointClasses

    @property
    def periods(self) -> tuple[str, ...]:
        return self.classification.periods

    def with_grid_factor(self, factor: np.ndarray | None) -> MeterResult:
        """The same result with another grid emission factor per interval."""
        return replace(self, co2_factor=factor)

    def fields(self, rows: Sequence[int], weights: Sequence[float] = (1.0,)) -> dict:
        """{amount, cost, kgce, co2_kg} per interval of Σ weight × point (one class): a
        point, or a virtual meter's formula. NaN where unknown."""
        rows = np.asarray(rows, np.int64)
        w = np.asarray(weights, np.float64)
        amount = w @ self.energy.amount[rows]
        first = int(rows[0])
        c = self.classes
        cost = amount * self.classification.price if c.tou[first] else w @ self.costs(rows)
        co2 = amount * c.co2[first]
        if c.grid[first]:
            grid = self.co2_factor if self.co2_factor is not None else np.nan
            co2 = co2 + amount * c.grid[first] * grid
        return {"amount": amount, "cost": cost, "kgce": amount * c.kgce[first], "co2_kg": co2}

    def costs(self, rows: np.ndarray) -> np.ndarray:
        """Cost per interval of non-TOU points (rows × intervals); NaN where unknown."""
        billing = self.classes.billing
        if billing is None:
            return np.full((len(rows), self.classification.period.size), np.nan)
        cls = self.classification
        return interval_costs(billing, np.asarray(rows, np.int64), self.energy.amount,
                              cls.days, cls.day)

    def totals(self, group: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
        """{amount, cost, kgce, co2_kg: (groups × (periods + 1))} over the whole range.

        TOU points sum into their interval's period; the others into the last
        column (no period). An unknown factor makes its total NaN.
        """
        c = self.classes
        n_points, n_cols = len(self.points), len(self.periods) + 1
        amount, cost, grid = (np.zeros((n_points, n_cols)) for _ in range(3))
        tou = np.flatnonzero(c.tou)
        if tou.size:
            weights = {"amount": np.ones(self.classification.period.size),
                       "cost": self.classification.price}
            if self.co2_factor is not None:
                weights["grid"] = self.co2_factor
            sums = period_totals(self.energy.amount, self.classification.period, n_cols - 1,
                                 weights, rows=None if tou.size == n_points else tou)
            amount[tou, :-1], cost[tou, :-1] = sums["amount"], sums["cost"]
            grid[tou, :-1] = sums.get("grid", np.nan)
        other = np.flatnonzero(~c.tou)
        if other.size:
            data = self.energy.amount[other]
            seen = ~np.isnan(data)
            np.copyto(data, 0.0, where=~seen)
            amount[other, -1] = data.sum(axis=1)
            cost[other, -1] = cost_totals(c.billing, other, self.energy.amount, seen,
                                          amount[other, -1], self.classification.days,
                                          self.classification.day)
            grid[other, -1] = data @ self.co2_factor if self.co2_factor is not None else np.nan
        with np.errstate(invalid="ignore"):
            co2 = amount * c.co2[:, None] + np.where(c.grid[:, None] != 0,
                                                     grid * c.grid[:, None], 0.0)
            kgce = amount * c.kgce[:, None]
        per_point = {"amount": amount, "cost": cost, "kgce": kgce, "co2_kg": co2}
        return {name: group_sum(v, group, n_groups) for name, v in per_point.items()}


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
    classes: PointClasses | None = None,
) -> MeterResult:
    """Meter local days [first_day, end_day) on a grid of `interval_ns`.

    `temperature` = (time_ns, °C) of the outdoor point for triggers;
    `co2_factor` the grid factor, a constant or one value per interval;
    `max_gap_ns` defaults to two intervals. Without `classes` every point is
    electricity at `kgce_factor`.
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
    classes = classes or PointClasses.electricity(len(points), kgce_factor)
    return MeterResult(points, bounds, energy, cls, factor, classes)


@dataclass(frozen=True)
class DemandCharge:
    month: str  # YYYY-MM (local)
    max_kw: float
    charge: float


def demand_charges(
    result: MeterResult, tariff: Tariff, rows: np.ndarray | None = None
) -> list[DemandCharge]:
    """Monthly maximum demand × price, for the sum of the given points (all TOU points by
    default: demand is electricity's).

    Demand is the mean kW over the tariff's window (e.g. 15 min), windows
    aligned to the interval grid; the version in force on the month's first
    day sets the price. Months without a demand charge are left out.
    """
    rows = np.flatnonzero(result.classes.tou) if rows is None else rows
    site = np.nansum(result.energy.amount[rows], axis=0)
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
