"""What manual readings and bills change in a metering run (called by civicwatt.jobs.metering).

- `manual:` points are read with a window of `NEIGHBOUR_NS` on both sides (a monthly reading's
  neighbours lie weeks away); other points keep `metering.lookback`.
- An interval is `manual` when it comes from a manual point, a bill, or a reading step with a
  manually entered end (store field `manual` 1 or 2); a step with a filled end (2) is
  `estimated` too, as is every interval of a gap longer than the point's normal interval (the
  engine's `max_gap` rule) and of a bill.
- A `manual.profile` point spreads each reading gap in proportion to the profile point's
  counter instead of linearly in time (`rules.manual`).
- An active bill replaces the point's amounts over its period with its prorated amount; a
  billed cost replaces the computed cost there, and the run reports the difference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from civicwatt.config import Point, SiteConfig
from civicwatt.readings.audit import AuditLog, Entry
from civicwatt.readings.validate import NEIGHBOUR_NS
from rules.intervals import IntervalEnergy, mark_steps
from rules.manual import profile_axis, spread
from store import Store

FILLED = 2.0


@dataclass
class BillCost:
    entry: Entry
    billed: float = 0.0
    computed: float = 0.0


@dataclass(frozen=True)
class Overlay:
    energy: IntervalEnergy
    manual: np.ndarray  # bool (n_points, n_int)
    cost: np.ndarray  # billed cost per interval; NaN = the computed cost stands
    bills: list[tuple[Entry, int, np.ndarray]] = field(default_factory=list)


def windows(points: tuple[Point, ...], start_ns: int, end_ns: int,
            lookback_ns: int) -> list[tuple[str, list[str], int, int]]:
    """(measurement, ids, start, end) reads for a chunk [start, end)."""
    out: dict[tuple[str, bool], list[str]] = {}
    for p in points:
        out.setdefault((p.quantity, p.manual is not None), []).append(p.id)
    return [(q, ids, start_ns - (NEIGHBOUR_NS if wide else lookback_ns),
             end_ns + (NEIGHBOUR_NS if wide else lookback_ns)) for (q, wide), ids in out.items()]


def overlay(site: SiteConfig, store: Store, points: tuple[Point, ...], energy: IntervalEnergy,
            bounds: np.ndarray, readings: tuple[np.ndarray, np.ndarray, np.ndarray],
            max_gap_ns: int, lookback_ns: int) -> Overlay:
    pi, t, v = readings
    amount, estimated = energy.amount.copy(), energy.estimated.copy()
    n_points, n_int = amount.shape
    manual = np.zeros((n_points, n_int), bool)
    index = {p.id: i for i, p in enumerate(points)}
    lo, hi = int(bounds[0]), int(bounds[-1])
    bills, entered = _audited(site, index, lo, hi)
    flagged = tuple(p for p in points if p.manual is not None or p.id in entered)
    flags = _flags(store, flagged, lo, hi, lookback_ns)
    steps_manual, steps_filled = _flagged_steps(pi, t, flags, index)
    manual |= mark_steps(steps_manual, pi, t, bounds, n_points, n_int)
    estimated |= mark_steps(steps_filled, pi, t, bounds, n_points, n_int)
    for p, point in enumerate(points):
        if point.manual is None:
            continue
        manual[p] |= np.isfinite(amount[p])
        if point.manual.profile and point.manual.profile in {q.id for q in site.points}:
            _profiled(store, site.point_by_id(point.manual.profile), p, pi, t, v, bounds, amount)
    cost = np.full(amount.shape, np.nan)
    spread_bills = []
    for entry in bills:
        p = index[entry.point]
        axis = _axis(store, site, points[p], entry.time_ns, entry.end_ns)
        share, covered = spread(np.array([entry.time_ns]), np.array([entry.end_ns]),
                                np.array([entry.value]), bounds, axis)
        amount[p, covered] = share[covered]
        manual[p] |= covered
        estimated[p] |= covered & (entry.end_ns - entry.time_ns > max_gap_ns)
        if entry.cost is not None:
            billed, _ = spread(np.array([entry.time_ns]), np.array([entry.end_ns]),
                               np.array([entry.cost]), bounds, axis)
            cost[p, covered] = billed[covered]
        if covered.any():
            spread_bills.append((entry, p, covered))
    return Overlay(IntervalEnergy(amount, estimated, energy.events), manual, cost, spread_bills)


def _flags(store: Store, points: tuple[Point, ...], lo: int, hi: int,
           lookback_ns: int) -> dict[str, dict[int, float]]:
    """point → {time: manual flag} of its readings in the chunk's read windows."""
    found: dict[str, dict[int, float]] = {}
    for measurement, ids, start, end in windows(points, lo, hi, lookback_ns):
        raw = store.read_raw(measurement, start, end, ids, field="manual")
        for k, name in enumerate(raw.points):
            sel = raw.point_index == k
            found[name] = dict(zip(raw.time_ns[sel].tolist(), raw.value[sel].tolist(),
                                   strict=True))
    return found


def _flagged_steps(pi: np.ndarray, t: np.ndarray, flags: dict[str, dict[int, float]],
                   index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Steps (i → i+1 of one point) with an entered end, and those with a filled end."""
    entered = np.zeros(t.size, bool)
    filled = np.zeros(t.size, bool)
    for name, by_time in flags.items():
        p = index.get(name)
        marked = {tt: f for tt, f in by_time.items() if f > 0}
        if p is None or not marked:
            continue
        sel = np.flatnonzero(pi == p)
        times = t[sel]
        ok = np.isin(times, np.fromiter(marked, np.int64, len(marked)))
        entered[sel[ok]] = True
        fill_times = [tt for tt, f in marked.items() if f == FILLED]
        filled[sel[np.isin(times, np.array(fill_times, np.int64))]] = True
    same = pi[1:] == pi[:-1] if pi.size > 1 else np.zeros(0, bool)
    steps_manual = np.flatnonzero(same & (entered[1:] | entered[:-1]))
    steps_filled = np.flatnonzero(same & (filled[1:] | filled[:-1]))
    return steps_manual, steps_filled


def _profiled(store: Store, profile: Point, p: int, pi: np.ndarray, t: np.ndarray,
              v: np.ndarray, bounds: np.ndarray, amount: np.ndarray) -> None:
    """Re-spread point p's reading gaps along the profile point's counter."""
    sel = np.flatnonzero(pi == p)
    if sel.size < 2:
        return
    times, values = t[sel], v[sel]
    axis = profile_axis(*store.read_raw(profile.quantity, int(times[0]), int(times[-1]) + 1,
                                        [profile.id]).of(profile.id))
    step = np.clip(np.diff(values), 0.0, None)  # a reset counts 0, as in the engine
    spread_amount, covered = spread(times[:-1], times[1:], step, bounds, axis)
    amount[p, covered] = spread_amount[covered]


def _axis(store: Store, site: SiteConfig, point: Point, start: int, end: int):
    if point.manual is None or not point.manual.profile:
        return None
    ref = next((q for q in site.points if q.id == point.manual.profile), None)
    if ref is None:
        return None
    return profile_axis(*store.read_raw(ref.quantity, start, end + 1, [ref.id]).of(ref.id))


def _audited(site: SiteConfig, index: dict[str, int], lo: int,
             hi: int) -> tuple[list[Entry], set[str]]:
    """(active bills of metered points overlapping [lo, hi), points with readings entered
    near it); nothing without a state file, so a site that never entered any pays nothing."""
    path = Path(site.base_dir) / site.service.spool
    if not path.exists():
        return [], set()
    audit = AuditLog(path)
    try:
        bills = [e for e in audit.entries(kind="bill", end_ns=hi)
                 if e.status == "active" and e.point in index and (e.end_ns or 0) > lo]
        return bills, audit.points_entered(lo - NEIGHBOUR_NS, hi + NEIGHBOUR_NS)
    finally:
        audit.close()


def bill_notes(costs: dict[int, BillCost], tz) -> list[str]:
    """One line per bill with a cost: billed vs computed over what this run metered."""
    import datetime as dt
    out = []
    for c in costs.values():
        day = dt.datetime.fromtimestamp(c.entry.time_ns / 1e9, tz).date()
        last = dt.datetime.fromtimestamp((c.entry.end_ns or 0) / 1e9 - 1, tz).date()
        out.append(f"bill {c.entry.point} {day} … {last}: billed cost {c.billed:.2f} replaces "
                   f"the computed {c.computed:.2f} (difference {c.billed - c.computed:+.2f}) "
                   "over the days metered")
    return out
