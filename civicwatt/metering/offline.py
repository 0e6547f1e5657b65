"""Offline metering: CSV readings + a tariff file → totals by zone × purpose × period.

For imports from legacy systems, audits and tests; no store, no site config.
Temperature points in points.csv (quantity `temperature`) feed the tariff's
temperature triggers (daily maximum, local day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from civicwatt.metering.files import (
    load_coal_factors,
    load_emission_factors,
    load_tariff,
    read_points,
    read_readings,
)
from civicwatt.metering.readings_checks import coverage, dedupe
from rules.duplicates import Keep
from rules.engine import DemandCharge, MeterResult, demand_charges, meter
from rules.intervals import PointRules, sort_readings
from rules.tariffs import Tariff


@dataclass
class OfflineResult:
    rows: list[dict]
    tariff: Tariff
    result: MeterResult
    events: list[dict]
    estimated_intervals: int
    demand: list[DemandCharge]
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # answers the data may not support


def run_offline(
    readings: str | Path,
    points: str | Path,
    tariff_path: str | Path,
    tz: str,
    first_day: dt.date,
    end_day: dt.date,
    interval_ns: int,
    emission_factor: float | None = None,
    max_gap_ns: int | None = None,
    on_duplicate: Keep | None = None,
) -> OfflineResult:
    table = read_points(points)
    tariff = load_tariff(tariff_path)
    pi, t, v = read_readings(readings, table)
    pi, t, v, warnings = dedupe(pi, t, v, table, on_duplicate, tz, readings)

    is_temp = np.array([q == "temperature" for q in table.quantity])
    metered = np.flatnonzero(~is_temp)
    notes: list[str] = []
    temperature = None
    temp_points = np.flatnonzero(is_temp)
    if temp_points.size:
        if temp_points.size > 1:
            notes.append(f"{temp_points.size} temperature points: triggers use the hottest")
        sel = is_temp[pi]
        temperature = (t[sel], v[sel])
    # renumber energy/power points 0..m-1 for the engine
    new_index = np.full(len(table.ids), -1, np.int64)
    new_index[metered] = np.arange(metered.size)
    keep = ~is_temp[pi]
    pi_m, t_m, v_m = sort_readings(new_index[pi[keep]], t[keep], v[keep])
    rules = PointRules(
        table.engine_quantity()[metered], table.rollover[metered], table.max_kw[metered]
    )
    ids = tuple(table.ids[i] for i in metered)

    use_table = emission_factor is None and (tariff.calendar.country or "").upper() == "CN"
    if emission_factor is None and not use_table:
        notes.append("carbon: no emission factor for this tariff's country; pass --emission-factor")
    coal = load_coal_factors().electricity("equivalent")
    result = meter(
        pi_m,
        t_m,
        v_m,
        ids,
        rules,
        tariff,
        tz,
        first_day,
        end_day,
        interval_ns=interval_ns,
        max_gap_ns=max_gap_ns,
        temperature=temperature,
        co2_factor=emission_factor,
        kgce_factor=coal,
    )
    if use_table:  # national factor of each interval's local year
        factors = load_emission_factors()
        cls = result.classification
        year = np.array([d.year for d in cls.days], np.int64)[cls.day]
        per, used = factors.per_interval(None, year, cls.minute // 60)
        for y, data_year in sorted(used.items()):
            value = factors.lookup(None, y)[0]
            notes.append(
                f"carbon: {factors.default_region} grid factor {value} kgCO2/kWh for {y}"
                + (f" (latest published: data year {data_year})" if data_year != y else "")
            )
        result = MeterResult(result.points, result.bounds_ns, result.energy, cls, per, coal)

    warnings += coverage(result.energy.kwh, ids, t_m, first_day, end_day, tz, readings)
    zones = [table.zone[i] for i in metered]
    purposes = [table.purpose[i] for i in metered]
    keys = sorted(set(zip(zones, purposes, strict=True)))
    key_index = {k: j for j, k in enumerate(keys)}
    group = np.array([key_index[k] for k in zip(zones, purposes, strict=True)], np.int64)
    totals = result.totals(group, len(keys))
    present = np.unique(result.classification.period)
    rows = []
    for j, (zone, purpose) in enumerate(keys):
        for c in present:
            co2_kg = totals["co2_kg"][j, c]
            rows.append(
                {
                    "zone": zone,
                    "purpose": purpose,
                    "period": result.periods[c],
                    "kwh": _round(totals["kwh"][j, c]),
                    "cost": _round(totals["cost"][j, c]),
                    "co2_kg": None if np.isnan(co2_kg) else _round(co2_kg),
                }
            )
    events = result.energy.events.records(ids)
    return OfflineResult(
        rows=rows,
        tariff=tariff,
        result=result,
        events=events,
        estimated_intervals=int(result.energy.estimated.sum()),
        demand=demand_charges(result, tariff),
        notes=notes,
        warnings=warnings,
    )


def _round(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)
