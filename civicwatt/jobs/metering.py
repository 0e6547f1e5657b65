"""The metering job: store readings → `energy_interval` rows, idempotently.

For each chunk of local days it reads the metered points' counters — every
energy class, each from its own measurement (`energy`, `water`, `gas`, `heat`,
…), and integrated power points — with a margin on both sides
(`metering.lookback`, so the range edges interpolate across gaps exactly as one
long run would), runs the pure engine (`rules.engine.meter`), and writes one
row per point and interval: tags site, building, zone, purpose, point, energy
(the class) and period (TOU classes only); fields amount, unit, kwh
(electricity, = amount), cost, co2_kg, kgce, estimated. Rows are keyed by
series and interval start, so a re-run overwrites instead of adding. Intervals
the readings do not cover yet are not written (the next run fills them).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from civicwatt.config import SiteConfig, load_site
from civicwatt.metering.classes import MeteredPoints, metered_points
from civicwatt.metering.files import load_emission_factors, load_site_tariff
from civicwatt.metering.settings import MeteringSettings, parse_duration
from rules.aggregate import Balance, balance, parse_formula
from rules.carbon import EmissionFactors, grid_factor
from rules.clock import local_midnight_ns, parse_interval
from rules.energy import BY_NAME
from rules.engine import MeterResult, meter
from rules.intervals import sort_readings
from rules.prices import unpriced
from rules.tariffs import Tariff
from store import Row, Series, Store, open_store

log = logging.getLogger(__name__)
MEASUREMENT = "energy_interval"
BATCH = 5000


class MeteringConfigError(Exception):
    """The site config cannot drive the metering job; the message says what to add."""


@dataclass
class JobSummary:
    days: int = 0
    points: int = 0
    rows: int = 0
    kwh: float = 0.0  # electricity
    amounts: dict[str, float] = field(default_factory=dict)  # class → Σ amount (its unit)
    estimated: int = 0
    events: list[dict] = field(default_factory=list)
    balances: list[Balance] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Plan:
    """Everything the job needs that does not depend on the chunk."""

    site: SiteConfig
    settings: MeteringSettings
    tariff: Tariff
    metered: MeteredPoints
    interval_ns: int
    max_gap_ns: int | None
    lookback_ns: int
    grid: EmissionFactors | None  # the factor table, unless metering.emission_factor is set

    @property
    def ids(self) -> tuple[str, ...]:
        return self.metered.ids


def _plan(site: SiteConfig, interval_ns: int | None) -> _Plan:
    m = site.metering
    if m is None:
        raise MeteringConfigError(
            "the site config has no `metering:` section; add at least `metering: {tariff: "
            "beijing-general-ic-single-part-under-1kv}` (see README, Metering)"
        )
    tariff = load_site_tariff(site)
    grid = None
    if m.emission_factor is None:
        grid = load_emission_factors(site.base_dir / m.emission_factors
                                     if m.emission_factors else None)
    return _Plan(
        site=site,
        settings=m,
        tariff=tariff,
        metered=metered_points(site),
        interval_ns=interval_ns or parse_interval(m.interval),
        max_gap_ns=parse_duration(m.max_gap) if m.max_gap else None,
        lookback_ns=parse_duration(m.lookback),
        grid=grid,
    )


def run_job(
    config: str | Path,
    first: dt.date,
    end: dt.date,
    interval_ns: int | None = None,
    progress: bool = True,
) -> JobSummary:
    """`civicwatt meter --config FILE --from D --to D`."""
    site = load_site(config)
    store = open_store(site.store.url, site.base_dir)
    try:
        return meter_site(site, store, first, end, interval_ns, progress)
    finally:
        store.close()


def meter_site(
    site: SiteConfig,
    store: Store,
    first: dt.date,
    end: dt.date,
    interval_ns: int | None = None,
    progress: bool = False,
) -> JobSummary:
    """Meter local days [first, end) and write `energy_interval`; returns what happened."""
    plan = _plan(site, interval_ns)
    summary = JobSummary(days=(end - first).days, points=len(plan.ids))
    summary.notes += [f"cost: no price for {name}; add metering.prices.{name} (e.g. {{price: "
                      f"…, unit: {BY_NAME[name].unit}}})"
                      for name in unpriced(plan.metered.energy, plan.settings.prices)]
    chunk = dt.timedelta(days=plan.settings.chunk_days)
    starts = []
    day = first
    while day < end:
        starts.append(day)
        day += chunk
    balance_sums: dict[str, list[float]] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(
        *columns, console=Console(stderr=True), disable=not progress, transient=True
    ) as bar:
        task = bar.add_task("计量 metering", total=summary.days)
        for chunk_first in starts:
            chunk_end = min(chunk_first + chunk, end)
            result = _meter_chunk(plan, store, chunk_first, chunk_end, summary)
            _clear(plan, store, chunk_first, chunk_end)
            _write(plan, store, result, summary)
            _accumulate_balance(plan, result, balance_sums)
            bar.advance(task, (chunk_end - chunk_first).days)
    tol = plan.settings.balance_tolerance_pct
    summary.balances = [balance(parent, v[0], [v[1]], tol) for parent, v in balance_sums.items()]
    return summary


def meter_recent(site: SiteConfig, store: Store, now: dt.datetime, days: int = 1) -> JobSummary:
    """For the scheduler: re-meter the last `days` local days and today so far.

    `now` is passed in (tz-aware); intervals not yet covered by readings are
    simply not written, and the next run fills them.
    """
    today = now.astimezone(ZoneInfo(site.site.timezone)).date()
    return meter_site(site, store, today - dt.timedelta(days=days), today + dt.timedelta(days=1))


def _read(plan: _Plan, store: Store, start_ns: int, end_ns: int):
    index = {pid: i for i, pid in enumerate(plan.ids)}
    parts = []
    for measurement, ids in plan.metered.by_quantity().items():
        raw = store.read_raw(measurement, start_ns, end_ns, ids)
        remap = np.array([index.get(p, -1) for p in raw.points], np.int64)
        pi = remap[raw.point_index] if len(raw) else np.empty(0, np.int64)
        keep = pi >= 0
        parts.append((pi[keep], raw.time_ns[keep], raw.value[keep]))
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    return sort_readings(*(np.concatenate(x) for x in zip(*parts, strict=True)))


def _meter_chunk(
    plan: _Plan, store: Store, first: dt.date, end: dt.date, summary: JobSummary
) -> MeterResult:
    zone = ZoneInfo(plan.site.site.timezone)
    lo, hi = local_midnight_ns(first, zone), local_midnight_ns(end, zone)
    pi, t, v = _read(plan, store, lo - plan.lookback_ns, hi + plan.lookback_ns)
    temperature = None
    if plan.settings.temperature_point:
        raw = store.read_raw("temperature", lo, hi, [plan.settings.temperature_point])
        temperature = (raw.time_ns, raw.value)
    classes = plan.metered.classes
    accounts = plan.metered.tiered_accounts()
    if accounts and first.day != 1:  # tiers count the month's volume from its first day
        volume = classes.billing.month_volume.copy()
        month_start = local_midnight_ns(first.replace(day=1), zone)
        for a in accounts:
            volume[a] = _amount(store, plan, plan.ids[a], month_start, lo)
        classes = replace(classes, billing=replace(classes.billing, month_volume=volume))
    result = meter(
        pi,
        t,
        v,
        plan.ids,
        plan.metered.rules,
        plan.tariff,
        plan.site.site.timezone,
        first,
        end,
        interval_ns=plan.interval_ns,
        max_gap_ns=plan.max_gap_ns,
        temperature=temperature,
        co2_factor=plan.settings.emission_factor,
        classes=classes,
    )
    if plan.grid is not None:
        result = _with_table_carbon(plan, result, summary)
    summary.events += [e for e in result.energy.events.records(plan.ids) if lo <= e["time_ns"] < hi]
    return result


def _amount(store: Store, plan: _Plan, point: str, start_ns: int, end_ns: int) -> float:
    """A point's metered amount in [start, end) as already stored (month-to-date for tiers)."""
    if end_ns <= start_ns:
        return 0.0
    buckets = store.aggregate(MEASUREMENT, "amount", start_ns, end_ns, end_ns - start_ns,
                              where={"site": plan.site.site.id, "point": point})
    return float(sum(b.value for b in buckets))


def _with_table_carbon(plan: _Plan, result: MeterResult, summary: JobSummary) -> MeterResult:
    site = plan.site.site
    region = plan.grid.resolve(site.grid_region, site.country)
    if region is None:
        note = f"no emission factor for region {site.grid_region!r}: co2_kg omitted"
        if note not in summary.notes:
            summary.notes.append(note)
        return result
    cls = result.classification
    per, notes = grid_factor(plan.grid, region, cls.days, cls.day, cls.minute)
    summary.notes += [n for n in notes if n not in summary.notes]
    return result.with_grid_factor(per)


def _series(tags: dict[str, str], energy: str, periods: tuple[str, ...]) -> list[Series]:
    """One series per TOU period for electricity; one without a period for other classes."""
    if energy == "electricity":
        return [Series.of(MEASUREMENT, **tags, energy=energy, period=name) for name in periods]
    return [Series.of(MEASUREMENT, **tags, energy=energy)] * len(periods)


def _rows_for(series: list[Series], energy: str, values: dict, est: np.ndarray,
              result: MeterResult):
    cls = result.classification
    amount = values["amount"]
    unit = BY_NAME[energy].unit
    for k in np.flatnonzero(np.isfinite(amount)):
        fields: dict[str, float | bool | str] = {
            "amount": float(amount[k]),
            "unit": unit,
            "estimated": bool(est[k]),
        }
        if energy == "electricity":
            fields["kwh"] = fields["amount"]
        for name in ("cost", "kgce", "co2_kg"):
            value = values[name][k]
            if np.isfinite(value):
                fields[name] = float(value)
        yield Row(series[cls.period[k]], int(result.bounds_ns[k]), fields)


def _clear(plan: _Plan, store: Store, first: dt.date, end: dt.date) -> None:
    """Drop the site's earlier intervals of these days before writing them again.

    `period` is a tag: after a tariff correction an interval whose period changed
    would otherwise keep its old row next to the new one and count twice.
    """
    zone = ZoneInfo(plan.site.site.timezone)
    store.delete("energy_interval", local_midnight_ns(first, zone), local_midnight_ns(end, zone),
                 where={"site": plan.site.site.id})


def _write(plan: _Plan, store: Store, result: MeterResult, summary: JobSummary) -> None:
    site_id = plan.site.site.id
    batch: list[Row] = []

    def flush(force: bool = False) -> None:
        if batch and (force or len(batch) >= BATCH):
            store.write(batch)
            summary.rows += len(batch)
            batch.clear()

    amount, est = result.energy.amount, result.energy.estimated
    energy = plan.metered.energy
    for p, point in enumerate(plan.metered.points):
        tags = {
            "site": site_id,
            "building": point.building,
            "zone": point.zone_id,
            "purpose": point.purpose,
            "point": point.id,
        }
        series = _series(tags, energy[p], result.periods)
        for row in _rows_for(series, energy[p], result.fields([p]), est[p], result):
            batch.append(row)
            flush()
        total = float(np.nansum(amount[p]))
        summary.amounts[energy[p]] = summary.amounts.get(energy[p], 0.0) + total
        summary.kwh += total if energy[p] == "electricity" else 0.0
        summary.estimated += int(est[p].sum())
    index = {pid: i for i, pid in enumerate(plan.ids)}
    children = _children(plan)
    for vm in plan.settings.virtual_meters:
        coef = parse_formula(vm.formula, plan.ids, children)
        rows = [index[pid] for pid in coef]
        tags = {
            "site": site_id,
            "building": vm.building,
            "zone": vm.zone or vm.building,
            "purpose": vm.purpose,
            "point": vm.id,
        }
        kind = energy[rows[0]]
        values = result.fields(rows, list(coef.values()))
        flags = est[rows].any(axis=0)
        batch.extend(_rows_for(_series(tags, kind, result.periods), kind, values, flags, result))
        flush()
    flush(force=True)


def _children(plan: _Plan) -> dict[str, list[str]]:
    kids: dict[str, list[str]] = {}
    for pid in plan.ids:
        parent = plan.site.point_by_id(pid).parent
        if parent and parent in plan.ids:
            kids.setdefault(parent, []).append(pid)
    return kids


def _accumulate_balance(plan: _Plan, result: MeterResult, sums: dict[str, list[float]]) -> None:
    """Parent vs Σ children over intervals where all of them have data."""
    index = {pid: i for i, pid in enumerate(plan.ids)}
    amount = result.energy.amount
    for parent, kids in _children(plan).items():
        rows = amount[[index[parent], *(index[k] for k in kids)]]
        ok = np.isfinite(rows).all(axis=0)
        total = sums.setdefault(parent, [0.0, 0.0])
        total[0] += float(rows[0, ok].sum())
        total[1] += float(rows[1:, ok].sum())
