"""Store rows → the report model: totals, splits, KPIs, comparisons, curves, forecasts.

Pure: takes the config, the `ReportInputs` read by `data.py` and the time of
generation; no store, no clock. Building figures sum the building's root
meters (see `meters.py`); site figures sum the buildings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from civicwatt.config import PurposeTree, SiteConfig
from civicwatt.config.calendar import site_calendar
from civicwatt.config.meters import MeterTree, meter_tree
from civicwatt.metering.classes import class_roots
from civicwatt.reports import anomalies, forecasts, kpis
from civicwatt.reports.classes import class_table
from civicwatt.reports.data import METRICS, Intervals, ReportInputs
from civicwatt.reports.model import (
    CostUnit,
    Curve,
    DailyReport,
    Peak,
    Scope,
    Totals,
    earliest_peak,
)
from civicwatt.reports.splits import contributions, period_rows, tree_rows
from civicwatt.reports.text import texts
from rules.calendar import day_kind, term_on
from rules.clock import HOUR_NS, NS, to_local
from store import RawReadings

DEFAULT_INTERVAL_NS = 15 * 60 * NS


def assemble(config: SiteConfig, inputs: ReportInputs, language: str,
             generated_at: dt.datetime, tree: MeterTree | None = None,
             cost: CostUnit | None = None) -> DailyReport:
    tree = tree or meter_tree(config)
    t = texts(language)
    interval_ns = infer_interval(inputs.day_rows)
    fc = forecasts.by_building(inputs.forecasts, config, inputs)
    day = _Day(inputs.day_rows, tree)
    purposes = PurposeTree(tuple(config.purposes))
    zone_parents = {z: (parent or building) for z, (building, parent) in config.zones().items()}
    zone_names = _zone_names(config)

    by_class = class_roots(config)
    buildings: list[Scope] = []
    for b in config.buildings:
        members = [p for p, owner in tree.building.items() if owner == b.id]
        roots = tree.roots.get(b.id, [])
        zones = tree_rows(contributions(day.values, members, day.zone, tree.parent),
                          lambda z: zone_parents.get(z),
                          lambda z, b=b: t["whole_building"] if z == b.id else zone_names.get(z, z),
                          lambda z, b=b: t["zone_residual"] if z == b.id
                          else t["other_in"].format(name=zone_names.get(z, z)),
                          day.total(roots).kwh)
        scope = _scope("building", b.id, b.name or b.id, b.floor_area_m2, b.occupants, members,
                       roots, day, purposes, language, inputs, interval_ns)
        scope.zones = zones
        _classes(scope, day.rows, by_class.get(b.id, {}), language)
        scope.ytd = kpis.year_to_date([b], {b.id: roots + _others(by_class.get(b.id, {}))},
                                      inputs, interval_ns)
        forecasts.attach(scope, fc.get(b.id), inputs)
        buildings.append(scope)

    all_members = tree.members
    all_roots = [p for b in config.buildings for p in tree.roots.get(b.id, [])]
    area = sum(b.floor_area_m2 for b in config.buildings)
    people = sum(b.occupants for b in config.buildings)
    site = _scope("site", config.site.id, config.site.name, area, people, all_members, all_roots,
                  day, purposes, language, inputs, interval_ns)
    site_classes: dict[str, list[str]] = {}
    for by in by_class.values():
        for energy, points in by.items():
            site_classes.setdefault(energy, []).extend(points)
    _classes(site, day.rows, site_classes, language)
    site.ytd = kpis.year_to_date(
        config.buildings, {b.id: tree.roots.get(b.id, []) + _others(by_class.get(b.id, {}))
                           for b in config.buildings}, inputs, interval_ns)
    forecasts.attach(site, forecasts.site_sum([fc.get(b.id) for b in config.buildings
                                               if tree.roots.get(b.id)]), inputs)

    thresholds = config.report.anomalies
    found = anomalies.find(config, tree, inputs, interval_ns, thresholds)
    complete = anomalies.completeness(tree, inputs, interval_ns)
    notes = list(inputs.notes)
    virtual = {vm.id for vm in config.metering.virtual_meters} if config.metering else set()
    unknown = sorted(set(inputs.day_rows.points) - {p.id for p in config.points} - virtual)
    if unknown:
        notes.append(t["note_unknown_points"].format(n=len(unknown),
                                                     points=", ".join(unknown[:5])))
    calendar = site_calendar(config)
    term = term_on(inputs.day, calendar)
    return DailyReport(
        config.site.id, config.site.name, inputs.day, day_kind(inputs.day, calendar),
        inputs.tz, config.site.currency, interval_ns // (60 * NS), generated_at, site, buildings,
        found, complete, thresholds.completeness_min, notes, cost,
        term.name if term else ("" if calendar.terms else None))


class _Day:
    """One day's intervals summed per point (and per point × period, per interval)."""

    def __init__(self, rows: Intervals, tree: MeterTree) -> None:
        self.rows = rows
        sums = {m: rows.point_sums(m) for m in METRICS}
        self.values = {p: (sums["kwh"][p], sums["cost"][p], sums["co2_kg"][p])
                       for p in rows.points}
        self.kgce = sums["kgce"]
        self.zone = {p: rows.tags.get(p, {}).get("zone") or tree.zone.get(p, "")
                     for p in tree.building}
        self.purpose = {p: rows.tags.get(p, {}).get("purpose") or tree.purpose.get(p, "")
                        for p in tree.building}
        self.index = {p: i for i, p in enumerate(rows.points)}
        self.parent = tree.parent

    def mask(self, points: Sequence[str]) -> np.ndarray:
        wanted = np.zeros(len(self.rows.points) + 1, bool)
        for p in points:
            if p in self.index:
                wanted[self.index[p]] = True
        return wanted[self.rows.point] if len(self.rows) else np.zeros(0, bool)

    def total(self, roots: Sequence[str]) -> Totals:
        m = self.mask(roots)
        return Totals(*(_nansum(self.rows.values[name][m]) for name in METRICS))


def _classes(scope: Scope, rows: Intervals, roots: dict, language: str) -> None:
    """The scope's 分类能耗 table; its KPIs then count every class (综合能耗)."""
    scope.classes, scope.combined = class_table(rows, scope.totals, roots, language)
    water = next((r.amount for r in scope.classes if r.energy == "water"), float("nan"))
    scope.intensity = kpis.intensity(scope.combined, scope.floor_area_m2, scope.occupants,
                                     water)


def _others(by_class: dict[str, tuple[str, ...]]) -> list[str]:
    """Root meters of the classes other than electricity (their YTD kgce and CO₂ count)."""
    return [p for energy, points in by_class.items() if energy != "electricity"
            for p in points]


def _raw_totals(raw: dict[str, RawReadings], roots: Sequence[str]) -> Totals | None:
    """Σ of each metric over the root meters, or None when none of them has energy."""
    sums = {}
    for name in METRICS:
        readings = raw[name]
        wanted = np.isin(np.asarray(readings.points, dtype=object), list(roots))
        values = readings.value[wanted[readings.point_index]] if len(readings) else \
            readings.value
        sums[name] = float(values.sum()) if values.size else float("nan")
    return None if np.isnan(sums["kwh"]) else Totals(**sums)


def _nansum(values: np.ndarray) -> float:
    ok = ~np.isnan(values)
    return float(values[ok].sum()) if ok.any() else float("nan")


def _scope(kind: str, sid: str, name: str, area: float, people: int, members: list[str],
           roots: list[str], day: _Day, purposes: PurposeTree, language: str,
           inputs: ReportInputs, interval_ns: int) -> Scope:
    t = texts(language)
    totals = day.total(roots)
    root_keys = {day.purpose[p] for p in roots if p in day.purpose}
    last_week = _raw_totals(inputs.week_ago, roots)
    mask = day.mask(roots)
    rows = day.rows
    by_period: dict[str, list[float]] = {}
    for index, period in enumerate(rows.periods):
        pm = mask & (rows.period == index)
        if pm.any():
            by_period[period] = [_nansum(rows.values[m][pm]) for m in ("kwh", "cost", "co2_kg")]
    purpose_rows = tree_rows(
        contributions(day.values, members, day.purpose, day.parent),
        lambda code: purposes.by_code[code].parent if code in purposes.by_code else None,
        lambda code: purposes.by_code[code].name(language) if code in purposes.by_code else code,
        lambda code: t["purpose_residual"] if code in root_keys
        else t["other_in"].format(name=purposes.by_code[code].name(language)
                                  if code in purposes.by_code else code), totals.kwh)
    curve, peak = _curve(rows, mask, inputs, interval_ns)
    return Scope(sid, name, kind, area, people, len(members), totals, last_week,
                 kpis.intensity(totals, area, people), period_rows(by_period, totals.kwh),
                 purpose_rows, [], curve, peak, None, None, None)


def _curve(rows: Intervals, mask: np.ndarray, inputs: ReportInputs,
           interval_ns: int) -> tuple[Curve, Peak | None]:
    n_hours = int((inputs.end_ns - inputs.start_ns) // HOUR_NS)
    hours = [to_local(inputs.start_ns + h * HOUR_NS, inputs.tz) for h in range(n_hours)]
    kwh = rows.values["kwh"][mask]
    ok = ~np.isnan(kwh)
    times = rows.time_ns[mask][ok]
    kwh = kwh[ok]
    if kwh.size == 0:
        return Curve(hours, np.full(n_hours, np.nan)), None
    hour = ((times - inputs.start_ns) // HOUR_NS).astype(np.int64)
    actual = np.bincount(hour, kwh, minlength=n_hours)[:n_hours]
    seen = np.bincount(hour, minlength=n_hours)[:n_hours]
    actual[seen == 0] = np.nan
    slots, inverse = np.unique(times, return_inverse=True)
    per_slot = np.bincount(inverse, kwh)
    best = earliest_peak(per_slot)
    peak = Peak(float(per_slot[best]) / (interval_ns / HOUR_NS), to_local(int(slots[best]),
                                                                        inputs.tz))
    return Curve(hours, actual), peak


def infer_interval(rows: Intervals) -> int:
    """The metering interval: the smallest step between the day's distinct interval starts."""
    times = np.unique(rows.time_ns)
    if times.size < 2:
        return DEFAULT_INTERVAL_NS
    return int(np.diff(times).min())


def _zone_names(config: SiteConfig) -> dict[str, str]:
    names: dict[str, str] = {}

    def walk(zones) -> None:
        for zone in zones:
            names[zone.id] = zone.name or zone.id
            walk(zone.zones)

    for b in config.buildings:
        walk(b.zones)
    return names
