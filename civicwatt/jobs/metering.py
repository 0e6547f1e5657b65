"""The metering job: store readings → `energy_interval` rows, idempotently.

For each chunk of local days it reads the metered points' counters (and
integrated power points) with a margin on both sides (`metering.lookback`, so
the range edges interpolate across gaps exactly as one long run would), runs
the pure engine (`rules.engine.meter`), and writes one row per point and
interval with tags site, building, zone, purpose, point, period and fields
kwh, cost, co2_kg, kgce, estimated. Rows are keyed by series and interval
start, so a re-run overwrites instead of adding. Intervals the readings do
not cover yet are not written (the next run fills them).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from civicwatt.config import SiteConfig, load_site
from civicwatt.metering.files import load_coal_factors, load_emission_factors, load_site_tariff
from civicwatt.metering.settings import MeteringSettings, parse_duration
from rules.aggregate import Balance, balance, parse_formula, virtual_meter
from rules.clock import local_midnight_ns, parse_interval
from rules.engine import MeterResult, meter
from rules.intervals import ENERGY, POWER, PointRules, sort_readings
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
    kwh: float = 0.0
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
    ids: tuple[str, ...]
    rules: PointRules
    energy_ids: list[str]
    power_ids: list[str]
    interval_ns: int
    max_gap_ns: int | None
    lookback_ns: int
    coal: float


def _plan(site: SiteConfig, interval_ns: int | None) -> _Plan:
    m = site.metering
    if m is None:
        raise MeteringConfigError(
            "the site config has no `metering:` section; add at least `metering: {tariff: "
            "beijing-general-ic-single-part-under-1kv}` (see README, Metering)"
        )
    tariff = load_site_tariff(site)
    energy = [p for p in site.points if p.quantity == "energy"]
    power = [site.point_by_id(pid) for pid in m.power_points]
    points = energy + power
    rules = PointRules(
        np.array([ENERGY] * len(energy) + [POWER] * len(power), np.int8),
        np.array([p.rollover if p.rollover else np.nan for p in points], np.float64),
        np.array([p.max_kw if p.max_kw else np.nan for p in points], np.float64),
    )
    coal_path = site.base_dir / m.coal_factors if m.coal_factors else None
    return _Plan(
        site=site,
        settings=m,
        tariff=tariff,
        ids=tuple(p.id for p in points),
        rules=rules,
        energy_ids=[p.id for p in energy],
        power_ids=[p.id for p in power],
        interval_ns=interval_ns or parse_interval(m.interval),
        max_gap_ns=parse_duration(m.max_gap) if m.max_gap else None,
        lookback_ns=parse_duration(m.lookback),
        coal=load_coal_factors(coal_path).electricity(m.coal_convention),
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
    for measurement, ids in (("energy", plan.energy_ids), ("power", plan.power_ids)):
        if not ids:
            continue
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
    result = meter(
        pi,
        t,
        v,
        plan.ids,
        plan.rules,
        plan.tariff,
        plan.site.site.timezone,
        first,
        end,
        interval_ns=plan.interval_ns,
        max_gap_ns=plan.max_gap_ns,
        temperature=temperature,
        co2_factor=plan.settings.emission_factor,
        kgce_factor=plan.coal,
    )
    if plan.settings.emission_factor is None:
        result = _with_table_carbon(plan, result, summary)
    summary.events += [e for e in result.energy.events.records(plan.ids) if lo <= e["time_ns"] < hi]
    return result


def _with_table_carbon(plan: _Plan, result: MeterResult, summary: JobSummary) -> MeterResult:
    m, site = plan.settings, plan.site.site
    factors = load_emission_factors(
        plan.site.base_dir / m.emission_factors if m.emission_factors else None
    )
    region = factors.resolve(site.grid_region, site.country)
    if region is None:
        summary.notes.append(f"no emission factor for region {site.grid_region!r}: co2_kg omitted")
        return result
    cls = result.classification
    year = np.array([d.year for d in cls.days], np.int64)[cls.day]
    per, used = factors.per_interval(region, year, cls.minute // 60)
    for y, data_year in used.items():
        note = f"carbon: {region} factor of data year {data_year} used for {y}"
        if data_year != y and note not in summary.notes:
            summary.notes.append(note)
    return MeterResult(result.points, result.bounds_ns, result.energy, cls, per, plan.coal)


def _series(plan: _Plan, tags: dict[str, str], periods: tuple[str, ...]) -> list[Series]:
    return [Series.of(MEASUREMENT, **tags, period=name) for name in periods]


def _rows_for(series: list[Series], kwh: np.ndarray, est: np.ndarray, result: MeterResult):
    cls = result.classification
    co2 = result.co2_factor
    for k in np.flatnonzero(np.isfinite(kwh)):
        energy = float(kwh[k])
        fields: dict[str, float | bool] = {
            "kwh": energy,
            "kgce": energy * result.kgce_factor,
            "estimated": bool(est[k]),
        }
        price = cls.price[k]
        if np.isfinite(price):
            fields["cost"] = energy * float(price)
        if co2 is not None and np.isfinite(co2[k]):
            fields["co2_kg"] = energy * float(co2[k])
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

    kwh, est = result.energy.kwh, result.energy.estimated
    for p, pid in enumerate(plan.ids):
        point = plan.site.point_by_id(pid)
        tags = {
            "site": site_id,
            "building": point.building,
            "zone": point.zone_id,
            "purpose": point.purpose,
            "point": pid,
        }
        for row in _rows_for(_series(plan, tags, result.periods), kwh[p], est[p], result):
            batch.append(row)
            flush()
        summary.kwh += float(np.nansum(kwh[p]))
        summary.estimated += int(est[p].sum())
    index = {pid: i for i, pid in enumerate(plan.ids)}
    children = _children(plan)
    for vm in plan.settings.virtual_meters:
        coef = parse_formula(vm.formula, plan.ids, children)
        values, flags = virtual_meter(coef, index, kwh, est)
        tags = {
            "site": site_id,
            "building": vm.building,
            "zone": vm.zone or vm.building,
            "purpose": vm.purpose,
            "point": vm.id,
        }
        batch.extend(_rows_for(_series(plan, tags, result.periods), values, flags, result))
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
    kwh = result.energy.kwh
    for parent, kids in _children(plan).items():
        rows = kwh[[index[parent], *(index[k] for k in kids)]]
        ok = np.isfinite(rows).all(axis=0)
        total = sums.setdefault(parent, [0.0, 0.0])
        total[0] += float(rows[0, ok].sum())
        total[1] += float(rows[1:, ok].sum())
