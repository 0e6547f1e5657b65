"""`readings fill`: estimated readings for a gap of a connected meter, one per metering
interval boundary, between the last reading before the gap and the first after it — linear in
time, or shaped by a reference point's profile. They enter like imported readings (audited,
source `fill`, store field `manual` = 2), so metering flags their intervals estimated."""

from __future__ import annotations

import numpy as np

from civicwatt.config import SiteConfig
from civicwatt.readings.audit import AuditLog, NewEntry
from civicwatt.readings.validate import NEIGHBOUR_NS, Change, Plan
from rules.clock import parse_interval
from rules.energy import METERED
from rules.manual import counter_between, profile_axis
from store import Store

MAX_FILL = 200_000


class FillError(Exception):
    """The gap cannot be filled as asked; the message says why and what to do."""


def plan_fill(site: SiteConfig, store: Store, audit: AuditLog, point_id: str, start_ns: int,
              end_ns: int, method: str, profile: str | None) -> Plan:
    points = {p.id: p for p in site.points}
    point = points.get(point_id)
    if point is None or point.quantity not in METERED:
        raise FillError(f"--point {point_id!r} is not a counter of the site config")
    if end_ns <= start_ns:
        raise FillError("--to must be after --from")
    times, values = store.read_raw(point.quantity, start_ns - NEIGHBOUR_NS,
                                   end_ns + NEIGHBOUR_NS + 1, [point_id]).of(point_id)
    before, after = np.flatnonzero(times <= start_ns), np.flatnonzero(times >= end_ns)
    if not before.size or not after.size:
        raise FillError(f"{point_id} needs a reading at or before --from and one at or after "
                        "--to (within 400 days) to fill between; import them first")
    i0, i1 = int(before[-1]), int(after[0])
    t0, t1, v0, v1 = int(times[i0]), int(times[i1]), float(values[i0]), float(values[i1])
    if i1 - i0 > 1:
        raise FillError(f"{point_id} has {i1 - i0 - 1} reading(s) between --from and --to; "
                        "fill covers a gap only — narrow the range")
    if v1 < v0:
        raise FillError(f"{point_id} goes backwards across the gap ({v0:g} → {v1:g}); a reset "
                        "inside a gap cannot be estimated — import the readings by hand")
    step = parse_interval(site.metering.interval if site.metering else "15m")
    grid = np.arange((t0 // step + 1) * step, t1, step, dtype=np.int64)
    if grid.size > MAX_FILL:
        raise FillError(f"the gap holds {grid.size} intervals (at most {MAX_FILL}); fill it "
                        "in parts")
    axis = None
    if method == "profile":
        ref = profile or (point.manual.profile if point.manual else None)
        if ref is None or ref not in points:
            raise FillError("--method profile needs --profile POINT (or manual.profile of the "
                            "point) naming a point of the site")
        pt, pv = store.read_raw(points[ref].quantity, t0, t1 + 1, [ref]).of(ref)
        axis = profile_axis(pt, pv)
    filled = counter_between(grid, t0, v0, t1, v1, axis)
    plan = Plan()
    plan.changes = [Change(f"fill {point_id}", NewEntry("reading", point_id, int(t), float(v),
                                                        note=f"fill {method}"))
                    for t, v in zip(grid, filled, strict=True)]
    if plan.changes:
        plan.dirty.append((t0, t1 + 1))
    return plan
