"""Portfolio statistics of a period: every building, institution, type and the site.

`compute(site, store, "2026-10")` reads the period, the one before it (环比), the same one a
year earlier (同比), the estimated and manual shares, the year to date and the base year — each
one `Store.totals` call summed by the database — and returns a `Statistics` whose `to_json()`
is the issue-17 contract (`civicwatt statistics --json`, `GET /api/v1/statistics`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from civicwatt.config import Building, SiteConfig
from civicwatt.metering.files import load_coal_factors
from civicwatt.statistics.read import (
    CLASS_FIELDS,
    ClassSum,
    days_with_data,
    read_sums,
    root_meters,
)
from rules.statistics import changes, intensities, quota_distance, ranks, ratio
from rules.statistics_period import Period
from rules.targets import METRICS, Quota, Targets, trajectory
from store import Store

ADDITIVE = (*CLASS_FIELDS.values(), "kgce", "kgce_equal_value", "cost", "co2_kg")
INTENSITIES = ("kgce_per_m2", "kgce_per_person", "co2_kg_per_m2", "water_m3_per_person",
               "electricity_kwh_per_m2")
#: the fields 同比 and 环比 are given for
COMPARED = (*ADDITIVE, *INTENSITIES)
LEVELS = ("building", "institution", "type", "site")
Figures = dict[str, float | None]  # additive field → sum; None = no data


@dataclass
class Unit:
    """One row of the statistics: a building or a group of them."""

    level: str
    id: str
    name: str
    buildings: tuple[Building, ...]
    now: Figures
    estimated: Figures
    manual: Figures
    previous: Figures | None = None
    last_year: Figures | None = None
    ytd: Figures | None = None
    base: dict[str, float | None] = field(default_factory=dict)  # base-year intensities
    days_with_data: int = 0
    members: tuple[Unit, ...] = ()  # a group's buildings
    compared_days: dict[str, int] = field(default_factory=dict)  # "mom"/"yoy" → days with data

    @property
    def area_m2(self) -> float:
        return sum(b.floor_area_m2 for b in self.buildings)

    @property
    def people(self) -> int:
        return sum(b.occupants for b in self.buildings)

    def intensities(self, figures: Figures | None) -> dict[str, float | None]:
        return intensities(figures or {}, self.area_m2, self.people)


@dataclass
class Statistics:
    """The computed period; `to_json()` renders it (civicwatt.statistics.document)."""

    site: SiteConfig
    period: Period
    compared: bool
    buildings: list[Unit]
    institutions: list[Unit]
    types: list[Unit]
    total: Unit
    meters: dict[str, dict[str, tuple[str, ...]]]
    peers: list[Unit]  # every building of the site: ranks within a type are among these

    def only(self, ids: Iterable[str]) -> Statistics:
        """The same period for some buildings (a key scoped to one): their groups and total;
        ranks stay among all buildings of their type."""
        wanted = set(ids)
        return replace(self, **_levels(self.site, [u for u in self.buildings if u.id in wanted]))

    def to_json(self) -> dict:
        from civicwatt.statistics.document import document

        return document(self)


def compute(site: SiteConfig, store: Store, period: Period | str, *, compare: bool = True,
            targets: bool = True) -> Statistics:
    """The period's statistics. `compare=False` skips 同比/环比 (a 12-month trend asks each
    month with `Period.trailing_months(12)` and its `last_year()` figures are those of the
    compared run); `targets=False` skips the year to date and base year."""
    period = Period.parse(period) if isinstance(period, str) else period
    meters = root_meters(site)
    ratio_to = _kgce_ratios(site)
    compared = {"mom": period.previous(), "yoy": period.last_year()} if compare else {}
    pool = ThreadPoolExecutor(READERS)
    try:
        reads = _Reads(pool, store, site, meters, ratio_to)
        for p in (period, *compared.values()):  # every read starts now; the first are waited on
            reads.start(p)
            reads.start_days(p)
        for only in (("estimated",), ("manual",)):
            reads.start(period, only)
        if targets:
            reads.start(period.year_to_date())
        now, est, man = (reads.figures(period), reads.figures(period, ("estimated",)),
                         reads.figures(period, ("manual",)))
        prev = reads.figures(period.previous()) if compare else None
        last = reads.figures(period.last_year()) if compare else None
        ytd = base = None
        if targets:
            ytd = reads.figures(period.year_to_date())
            base = _bases(site, lambda year: reads.figures(Period.month(year, 1, 12, "year")))
        days = {p: reads.days(p) for p in (period, *compared.values())}
    finally:  # a store that fails one read would fail the queued ones too: drop them
        pool.shutdown(cancel_futures=True)
    units = [Unit("building", b.id, b.name or b.id, (b,), now.get(b.id, {}), est.get(b.id, {}),
                  man.get(b.id, {}), None if prev is None else prev.get(b.id, {}),
                  None if last is None else last.get(b.id, {}),
                  None if ytd is None else ytd.get(b.id, {}),
                  {} if base is None else base.get(b.id, {}), days[period].get(b.id, 0),
                  compared_days={k: days[p].get(b.id, 0) for k, p in compared.items()})
             for b in site.buildings]
    return Statistics(site, period, compare, meters=meters, peers=units,
                      **_levels(site, units))


#: store reads in flight at once: influxd answers one on each core while Python parses another
READERS = 3


class _Reads:
    """The store reads of one `compute`, each started once on a small pool and waited for when
    needed (a year's 环比 is its 同比; the year to date of December is the year)."""

    def __init__(self, pool: ThreadPoolExecutor, store: Store, site: SiteConfig,
                 meters: Mapping[str, Mapping[str, tuple[str, ...]]],
                 ratio_to: tuple[float, float]) -> None:
        self._pool, self._store, self._site, self._meters = pool, store, site, meters
        self._ratio_to = ratio_to
        self._started: dict[tuple, Future] = {}

    def start(self, period: Period, only: tuple[str, ...] = ()) -> Future:
        return self._once(("sums", period.start, period.end, only), self._sums, period, only)

    def start_days(self, period: Period) -> Future:
        return self._once(("days", period.start, period.end), days_with_data, self._store,
                          self._site, self._meters, period)

    def figures(self, period: Period, only: tuple[str, ...] = ()) -> dict[str, Figures]:
        return self.start(period, only).result()

    def days(self, period: Period) -> dict[str, int]:
        return self.start_days(period).result()

    def _once(self, key: tuple, fn, *args) -> Future:
        if key not in self._started:
            self._started[key] = self._pool.submit(fn, *args)
        return self._started[key]

    def _sums(self, period: Period, only: tuple[str, ...]) -> dict[str, Figures]:
        return {b: _figures(sums, self._ratio_to) for b, sums in
                read_sums(self._store, self._site, self._meters, period, only).items()}


def _levels(site: SiteConfig, units: list[Unit]) -> dict:
    return {"buildings": units,
            "institutions": _groups(units, "institution", lambda b: b.institution or ""),
            "types": _groups(units, "type", lambda b: b.type or ""),
            "total": _group("site", site.site.id, site.site.name, units)}


def quota_of(site: SiteConfig, building: Building) -> Quota | None:
    """The building's own quota, else its type's in `statistics.quotas`."""
    if building.quota is not None:
        return building.quota
    return site.statistics.quotas.get(building.type) if building.type else None


def target_rows(unit: Unit, targets: Targets, period: Period) -> dict[str, dict]:
    """Year to date against each metric's trajectory (the unit's base-year intensities)."""
    ytd = period.year_to_date()
    actual = unit.intensities(unit.ytd)
    cuts = targets.reductions() if unit.level != "building" else reductions_of(unit, targets)
    return {m: trajectory(actual.get(m), unit.base.get(m), r, targets, period.start.year,
                          ytd.year_fraction()) for m, r in cuts.items()}


def reductions_of(unit: Unit, targets: Targets) -> dict[str, float]:
    """The site's target reductions; a building's own baseline (kind own) may set its own."""
    own = unit.buildings[0].baseline
    found = targets.reductions()
    if own is not None and own.kind == "own":
        named = {"kgce_per_m2": "target_reduction_per_m2",
                 "kgce_per_person": "target_reduction_per_person",
                 "co2_kg_per_m2": "target_reduction_co2_per_m2"}
        found |= {m: getattr(own, k) for m, k in named.items() if k in own.model_fields_set}
    return found


def quota_rows(site: SiteConfig, unit: Unit, period: Period) -> dict[str, dict] | None:
    if unit.level != "building":
        return None
    quota = quota_of(site, unit.buildings[0])
    if quota is None:
        return None
    values = unit.intensities(_zeroed(unit.now))
    return {m: quota_distance(values.get(m), limit.constraint, limit.guide,
                              period.year_fraction()) for m, limit in quota.limits().items()}


def type_ranks(units: Iterable[Unit]) -> dict[str, tuple[int | None, int]]:
    """building id → (rank by kgce per m² within its type, buildings of the type ranked)."""
    by_type: dict[str, dict[str, float | None]] = {}
    for u in units:
        if u.buildings[0].type:
            by_type.setdefault(u.buildings[0].type, {})[u.id] = u.intensities(u.now).get(
                "kgce_per_m2") if u.now.get("kgce") is not None else None
    found = {}
    for values in by_type.values():
        ranked = ranks(values)
        n = sum(1 for r in ranked.values() if r is not None)
        found |= {k: (r, n) for k, r in ranked.items()}
    return found


def compared(unit: Unit, attr: str) -> tuple[dict, dict, dict]:
    """Against `previous` (环比) or `last_year` (同比): ({field: absolute change}, {field: %},
    basis). A group compares like with like — only its buildings with data in both periods —
    so a building that started reporting this year does not show as growth."""
    members = unit.members or (unit,)
    both = [u for u in members if u.now and getattr(u, attr)]
    basis = {"buildings": len(both), "of": len(members)}
    if not both:
        return dict.fromkeys(COMPARED), dict.fromkeys(COMPARED), basis
    now, then = _sum(u.now for u in both), _sum(getattr(u, attr) for u in both)
    area, people = sum(u.area_m2 for u in both), sum(u.people for u in both)
    absolute, pct = changes({**now, **intensities(now, area, people)},
                            {**then, **intensities(then, area, people)}, COMPARED)
    return absolute, pct, basis


def _figures(sums: Mapping[str, ClassSum], ratio_to: tuple[float, float]) -> Figures:
    out: Figures = {CLASS_FIELDS[c]: s.amount for c, s in sums.items()}
    for name in ("cost", "co2_kg"):
        values = [getattr(s, name) for s in sums.values() if getattr(s, name) is not None]
        out[name] = sum(values) if values else None
    kgce = [(c in ("electricity", "pv"), s.kgce) for c, s in sums.items() if s.kgce is not None]
    electric = [k for grid, k in kgce if grid]
    other = [k for grid, k in kgce if not grid]
    if kgce:
        out["kgce"] = sum(other) + sum(electric) * ratio_to[0]
        out["kgce_equal_value"] = sum(other) + sum(electric) * ratio_to[1]
    return out


def _kgce_ratios(site: SiteConfig) -> tuple[float, float]:
    """Electricity kgce as metered → (equivalent, equal value) multipliers."""
    m = site.metering
    coal = load_coal_factors(site.base_dir / m.coal_factors if m and m.coal_factors else None)
    used = coal.electricity(m.coal_convention if m else "equivalent")
    return coal.electricity("equivalent") / used, coal.electricity("equal_value") / used


def _bases(site: SiteConfig, read_year) -> dict[str, dict[str, float | None]]:
    """building → base-year intensities: its baseline's figures (kind own), else the metered
    base year (baseline_year, default targets.base_year)."""
    found, years = {}, {}
    for b in site.buildings:
        own = b.baseline if b.baseline is not None and b.baseline.kind == "own" else None
        given = {} if own is None else {"kgce_per_m2": own.kgce_per_m2,
                                        "kgce_per_person": own.kgce_per_person,
                                        "co2_kg_per_m2": own.kgco2_per_m2}
        year = b.baseline_year or (own.year if own else site.targets.base_year)
        if year not in years:
            years[year] = read_year(year)
        metered = years[year].get(b.id)
        measured = intensities(metered, b.floor_area_m2, b.occupants) if metered else {}
        found[b.id] = {m: given.get(m) or measured.get(m) for m in METRICS}
    return found


def _zeroed(figures: Figures) -> Figures:
    return {k: (0.0 if v is None else v) for k, v in figures.items()}


def _add(into: Figures, figures: Figures | None) -> None:
    for k, v in (figures or {}).items():
        if v is not None:
            into[k] = v + (into.get(k) or 0.0)


def _sum(parts: Iterable[Figures | None]) -> Figures:
    into: Figures = {}
    for part in parts:
        _add(into, part)
    return into


def _group(level: str, gid: str, name: str, units: list[Unit]) -> Unit:
    def total(attr: str) -> Figures | None:
        parts = [getattr(u, attr) for u in units]
        return None if all(p is None for p in parts) else _sum(parts)

    base = {}
    for m in METRICS:  # weighted by the denominator of the buildings that have a base
        den = (lambda u: u.area_m2) if m.endswith("_m2") else (lambda u: u.people)
        have = [u for u in units if u.base.get(m) is not None and den(u)]
        base[m] = ratio(sum(u.base[m] * den(u) for u in have), sum(den(u) for u in have)) \
            if have and len(have) == len(units) else None
    return Unit(level, gid, name, tuple(b for u in units for b in u.buildings), total("now"),
                total("estimated"), total("manual"), total("previous"), total("last_year"),
                total("ytd"), base, max((u.days_with_data for u in units), default=0),
                tuple(units), {k: max(u.compared_days[k] for u in units)
                               for k in (units[0].compared_days if units else {})})


def _groups(units: list[Unit], level: str, key) -> list[Unit]:
    groups: dict[str, list[Unit]] = {}
    for u in units:
        groups.setdefault(key(u.buildings[0]), []).append(u)
    return [_group(level, k, k, v) for k, v in sorted(groups.items())]
