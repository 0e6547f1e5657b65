"""Offline metering: CSV readings + a tariff (+ class prices) → totals by zone × purpose ×
energy class × period.

For imports from legacy systems, audits and tests; no store, no site config.
Temperature points in points.csv (quantity `temperature`) feed the tariff's
temperature triggers (daily maximum, local day). The steps are separate
functions (read inputs, meter, convert, roll up) so checks on the inputs slot
in before anything is metered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from civicwatt.metering.files import (
    InputError,
    PointTable,
    load_class_factors,
    load_coal_factors,
    load_emission_factors,
    load_prices,
    load_tariff,
    read_points,
    read_readings,
)
from civicwatt.metering.readings_checks import coverage, dedupe
from civicwatt.metering.settings import CONFIG_DIR, resolve_file
from rules.carbon import grid_factor
from rules.duplicates import Keep
from rules.energy import BY_NAME, CLASSES
from rules.engine import DemandCharge, MeterResult, PointClasses, demand_charges, meter
from rules.intervals import PointRules, sort_readings
from rules.prices import ClassPrice, billing_for, unpriced
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


@dataclass(frozen=True)
class OfflineInputs:
    """Everything the command read, validated, before metering."""

    table: PointTable
    tariff: Tariff
    prices: dict[str, ClassPrice]
    factors: dict  # class name → rules.carbon.Resolved
    readings: tuple[np.ndarray, np.ndarray, np.ndarray]  # point index, time ns, value
    source: str = "readings"  # where the readings came from, for messages
    warnings: tuple[str, ...] = ()  # answers the data may not support


def read_inputs(readings: str | Path, points: str | Path, tariff_path: str | Path,
                prices: str | Path | None = None,
                factors: str | Path | None = None) -> OfflineInputs:
    conversions = load_class_factors(factors)
    resolved = conversions.resolve(load_coal_factors().electricity("equivalent"))
    table = read_points(points, {k: v.density for k, v in resolved.items()})
    try:  # a file, or the name of a shipped tariff
        tariff = load_tariff(resolve_file(str(tariff_path), Path.cwd(), CONFIG_DIR / "tariffs"))
    except FileNotFoundError as exc:
        raise InputError(f"--tariff {tariff_path}: {exc}") from None
    price_map = load_prices(prices) if prices is not None else {}
    for name, price in price_map.items():
        if price.per_m2_season is not None and price.area_m2 is None:
            raise InputError(f"prices {prices}: {name}.area_m2: a fee per heated m² needs the "
                             "heated area here (offline metering has no buildings), e.g. "
                             f"`{name}: {{per_m2_season: {price.per_m2_season:g}, area_m2: 8000}}`")
    return OfflineInputs(table, tariff, price_map, resolved, read_readings(readings, table),
                        str(readings))


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
    prices: str | Path | None = None,
    factors: str | Path | None = None,
    on_duplicate: Keep | None = None,
) -> OfflineResult:
    inputs = read_inputs(readings, points, tariff_path, prices, factors)
    return meter_inputs(checked(inputs, on_duplicate, tz), tz, first_day, end_day, interval_ns,
                        emission_factor, max_gap_ns)


def checked(inputs: OfflineInputs, on_duplicate: Keep | None, tz: str) -> OfflineInputs:
    """One value per point and timestamp (InputError on a conflict unless `on_duplicate`)."""
    pi, t, v, warnings = dedupe(*inputs.readings, inputs.table, on_duplicate, tz, inputs.source)
    return replace(inputs, readings=(pi, t, v), warnings=(*inputs.warnings, *warnings))


def meter_inputs(inputs: OfflineInputs, tz: str, first_day: dt.date, end_day: dt.date,
                 interval_ns: int, emission_factor: float | None = None,
                 max_gap_ns: int | None = None) -> OfflineResult:
    table, tariff = inputs.table, inputs.tariff
    pi, t, v = inputs.readings
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
    # renumber the metered points 0..m-1 for the engine
    new_index = np.full(len(table.ids), -1, np.int64)
    new_index[metered] = np.arange(metered.size)
    keep = ~is_temp[pi]
    pi_m, t_m, v_m = sort_readings(new_index[pi[keep]], t[keep], v[keep])
    rules = PointRules(
        table.engine_quantity()[metered], table.rollover[metered], table.max_rate[metered]
    )
    ids = tuple(table.ids[i] for i in metered)
    energy = tuple(table.energy[i] for i in metered)
    parent = [int(new_index[table.parent[i]]) if table.parent[i] >= 0 else -1 for i in metered]
    billing = billing_for(energy, inputs.prices,
                          {k: r.density for k, r in inputs.factors.items()}, parent,
                          [0] * len(ids), [0.0])
    notes += [f"cost: no price for {e}; give one in --prices, e.g. "
              f"`{e}: {{price: …, unit: {BY_NAME[e].unit}}}`"
              for e in unpriced(energy, inputs.prices)]

    use_table = emission_factor is None and (tariff.calendar.country or "").upper() == "CN"
    result = meter(
        pi_m, t_m, v_m, ids, rules, tariff, tz, first_day, end_day,
        interval_ns=interval_ns, max_gap_ns=max_gap_ns, temperature=temperature,
        co2_factor=emission_factor,
        classes=PointClasses.of(energy, inputs.factors, billing),
    )
    if use_table:  # national factor of each interval's local year
        cls = result.classification
        per, more = grid_factor(load_emission_factors(), None, cls.days, cls.day, cls.minute)
        result = result.with_grid_factor(per)
        notes += more
    elif emission_factor is None and any(result.classes.grid):
        notes.append("carbon: no emission factor for this tariff's country; pass --emission-factor")

    warnings = [*inputs.warnings,
                *coverage(result.energy.amount, ids, t_m, first_day, end_day, tz, inputs.source)]
    zones = [table.zone[i] for i in metered]
    purposes = [table.purpose[i] for i in metered]
    keys = sorted(set(zip(zones, purposes, energy, strict=True)),
                  key=lambda k: (k[0], k[1], _ORDER[k[2]]))
    key_index = {k: j for j, k in enumerate(keys)}
    group = np.array([key_index[k] for k in zip(zones, purposes, energy, strict=True)], np.int64)
    return OfflineResult(
        rows=rows_of(result, keys, group),
        tariff=tariff,
        result=result,
        events=result.energy.events.records(ids),
        estimated_intervals=int(result.energy.estimated.sum()),
        demand=demand_charges(result, tariff),
        notes=notes,
        warnings=warnings,
    )


_ORDER = {c.name: i for i, c in enumerate(CLASSES)}


def rows_of(result: MeterResult, keys: list[tuple[str, str, str]], group: np.ndarray) -> list:
    """One JSON row per (zone, purpose, energy, period) that has intervals in the range:
    electricity by TOU period (and `kwh`), the other classes with `period: null`."""
    totals = result.totals(group, len(keys))
    present = np.unique(result.classification.period)
    rows = []
    for j, (zone, purpose, energy) in enumerate(keys):
        tou = energy == "electricity"
        for c in present if tou else [len(result.periods)]:
            row = {"zone": zone, "purpose": purpose, "energy": energy,
                   "period": result.periods[c] if tou else None,
                   "amount": _round(totals["amount"][j, c]), "unit": BY_NAME[energy].unit,
                   "cost": _round(totals["cost"][j, c]), "kgce": _round(totals["kgce"][j, c]),
                   "co2_kg": _round(totals["co2_kg"][j, c])}
            if tou:
                row["kwh"] = row["amount"]
            rows.append(row)
    return rows


def _round(x: float) -> float | None:
    return None if np.isnan(x) else round(float(x), 6)
