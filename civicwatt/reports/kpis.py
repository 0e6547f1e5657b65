"""Per-area and per-occupant KPIs, and the year to date against the buildings' baseline.

A baseline is either the building's own base-year figures — then the 14th
Five-Year Plan targets are those intensities (kgce/m², kgce/person, kgCO₂/m²)
cut by a fraction — or a named reference: a national or provincial average
(compared with, no target) or a quota (the limit itself). The year to date is
compared pro rata to the days of data this year — a straight line, which
ignores seasonality (winter heating, summer cooling); the report says so next
to the table. A scope compares only buildings whose baselines are of one kind.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence

from civicwatt.config import Building
from civicwatt.reports.data import ReportInputs
from civicwatt.reports.model import Intensity, Reference, TargetRow, Totals, YearToDateKpis
from rules.clock import DAY_NS


def _per(value: float, denominator: float) -> float:
    return value / denominator if denominator else float("nan")


def intensity(totals: Totals, area: float, people: int,
              water_m3: float = float("nan")) -> Intensity:
    """Per m² and per occupant; `totals` should be the combined classes (综合能耗 kgce, all
    CO₂) with electricity's kWh."""
    return Intensity(_per(totals.kwh, area), _per(totals.kgce, area), _per(totals.co2_kg, area),
                     _per(totals.kwh, people), _per(totals.kgce, people),
                     _per(totals.co2_kg, people), _per(water_m3, people))


def year_to_date(buildings: Sequence[Building], roots: Mapping[str, list[str]],
                 inputs: ReportInputs, interval_ns: int) -> YearToDateKpis | None:
    """Year-to-date totals and, where buildings have a baseline, the target comparison."""
    per_day = DAY_NS // interval_ns
    sums = {b.id: [inputs.ytd[p] for p in roots.get(b.id, []) if p in inputs.ytd]
            for b in buildings}
    meters = sum(len(v) for v in sums.values())
    if not meters or not any(y.intervals for v in sums.values() for y in v):
        return None
    intervals = sum(y.intervals for v in sums.values() for y in v)
    elapsed = (inputs.day - inputs.day.replace(month=1, day=1)).days + 1
    days = min(intervals / (meters * per_day), float(elapsed))
    kwh = sum(y.kwh for v in sums.values() for y in v)
    kgce = {b: sum(y.kgce for y in v) for b, v in sums.items()}
    co2 = {b: sum(y.co2_kg for y in v) for b, v in sums.items()}
    fraction = days / (366 if calendar.isleap(inputs.day.year) else 365)
    covered = [b for b in buildings if b.baseline is not None]
    kinds = {(b.baseline.kind, b.baseline.year, b.baseline.name) for b in covered}
    partial = [b.name or b.id for b in covered] if 0 < len(covered) < len(buildings) else []
    if len(kinds) != 1:
        return YearToDateKpis(days, elapsed, kwh, sum(kgce.values()), sum(co2.values()), [],
                              partial, mixed=len(kinds) > 1)
    kind, year, name = kinds.pop()
    own = kind == "own"

    rows: list[TargetRow] = []
    for metric, value_of, denominator, reduction in (
        ("kgce_per_m2", kgce, lambda b: b.floor_area_m2, "target_reduction_per_m2"),
        ("kgce_per_person", kgce, lambda b: b.occupants, "target_reduction_per_person"),
        ("kgco2_per_m2", co2, lambda b: b.floor_area_m2, "target_reduction_co2_per_m2"),
    ):
        having = [b for b in buildings if b.baseline is not None
                  and getattr(b.baseline, metric) is not None and denominator(b)]
        if not having:
            continue
        size = sum(denominator(b) for b in having)
        baseline = sum(getattr(b.baseline, metric) * denominator(b) for b in having) / size
        target = sum(getattr(b.baseline, metric) * (1 - getattr(b.baseline, reduction) * own)
                     * denominator(b) for b in having) / size
        value = sum(value_of[b.id] for b in having) / size
        rows.append(TargetRow(metric, value, baseline * fraction, target * fraction,
                              1 - target / baseline, value / (baseline * fraction) - 1))
    return YearToDateKpis(days, elapsed, kwh, sum(kgce.values()), sum(co2.values()), rows,
                          partial, Reference(kind, year, name))
