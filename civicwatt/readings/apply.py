"""Writing what a plan says: the readings into the store (the points' own series, so a manual
reading at a collected reading's time replaces it), the entries and events into the audit, and
the dirty ranges for metering — the audit commits only if the store took the readings.

A manual reading's store row carries the field `manual`: 1 entered by hand or import, 2 filled
by `readings fill` (an estimate), 0 a collected value a void brought back. Bills live only in
the audit; the metering job spreads them (civicwatt.readings.metering).
"""

from __future__ import annotations

from dataclasses import dataclass

from civicwatt.config import Point, SiteConfig
from civicwatt.readings.audit import AuditLog, Entry, NewEntry
from civicwatt.readings.validate import NEIGHBOUR_NS, Plan
from collector.series import point_series
from store import Row, Store

ENTERED, FILLED, COLLECTED = 1.0, 2.0, 0.0


class VoidError(Exception):
    """Nothing to void at that point and time; the message lists what is there."""


def reading_row(site: SiteConfig, point_id: str, time_ns: int, value: float,
                flag: float) -> Row:
    p = site.point_by_id(point_id)
    series = point_series(p.quantity, site=site.site.id, point=p.id, **p.tags)
    return Row(series, time_ns, {"value": float(value), "quality": 0, "manual": flag})


def apply_plan(site: SiteConfig, store: Store, audit: AuditLog, plan: Plan, source: str,
               user: str, reason: str, flag: float = ENTERED) -> int:
    """Write the plan's changes (nothing when it has problems); returns how many."""
    if plan.problems or not plan.changes:
        return 0
    rows = [reading_row(site, c.entry.point, c.entry.time_ns, c.entry.value, flag)
            for c in plan.changes if c.entry.kind == "reading"]
    with audit.transaction() as tx:
        for change in plan.changes:
            old = change.replaces.id if change.replaces is not None else None
            if change.collected is not None:  # the collected value goes on record first
                old = tx.add(NewEntry("reading", change.entry.point, change.entry.time_ns,
                                      change.collected), "collected", "collector",
                             "the collected reading before the correction")
            new_id = tx.add(change.entry, source, user, reason)
            if old is not None:
                tx.event(old, "superseded", user, reason, new_id)
        tx.dirty(plan.dirty, source if source in ("fill", "import") else "import")
        if rows:
            store.write(rows)
    return len(plan.changes)


@dataclass(frozen=True)
class Voided:
    entry: Entry
    restored: Entry | None  # the earlier value that is active again, if any


def void(site: SiteConfig, store: Store, audit: AuditLog, point: str, time_ns: int, user: str,
         reason: str) -> Voided:
    """Void the active entry (reading, else bill) of `point` at `time_ns`. A reading's previous
    value at that time (one it superseded) becomes active again; without one the reading leaves
    the store. Either way metering re-meters the days around it."""
    entries = audit.entries(point, time_ns, time_ns + 1)
    active = [e for e in entries if e.status == "active"]
    if not active:
        there = ", ".join(f"{e.kind} {e.value:g} ({e.status})" for e in entries) or "nothing"
        raise VoidError(f"no active reading or bill of {point} at that time (found: {there}); "
                        "see civicwatt readings list --point " + point)
    entry = active[-1]
    earlier = [e for e in entries if e.kind == entry.kind and e.status == "superseded"
               and e.id < entry.id]
    restored = earlier[-1] if earlier else None
    p = site.point_by_id(point)
    with audit.transaction() as tx:
        tx.event(entry.id, "voided", user, reason)
        if restored is not None:
            tx.event(restored.id, "restored", user, f"void of entry {entry.id}: {reason}")
        tx.dirty([_span(store, p, entry)], "void")
        if entry.kind == "reading":
            if restored is not None:
                flag = COLLECTED if restored.source == "collected" else (
                    FILLED if restored.source == "fill" else ENTERED)
                store.write([reading_row(site, point, time_ns, restored.value, flag)])
            else:
                store.delete(p.quantity, time_ns, time_ns + 1,
                             where={"site": site.site.id, "point": point})
    return Voided(entry, restored)


def _span(store: Store, point: Point, entry: Entry) -> tuple[int, int]:
    """The range a reading's removal changes: from its previous to its next reading."""
    if entry.kind == "bill":
        return entry.time_ns, entry.end_ns or entry.time_ns + 1
    t = entry.time_ns
    times, _ = store.read_raw(point.quantity, t - NEIGHBOUR_NS, t + NEIGHBOUR_NS,
                              [point.id]).of(point.id)
    before, after = times[times < t], times[times > t]
    return (int(before[-1]) if before.size else t,
            int(after[0]) + 1 if after.size else t + 1)
