"""Check every row of an import before anything is written, and plan what it changes.

A row is wrong when its point is unknown or not a counter of an energy class, a number is not
a number, a time cannot be read, a counter goes backwards (against the point's readings in the
store and the file's other rows) without `reset` in its note, a bill's period is empty or
overlaps another bill, or the same point and time appear twice in the file. A row equal to
the active entry is *unchanged* (re-importing a file changes nothing); one with another value
*supersedes* it (or the collected reading at that time). Times without an offset are read in
the site's timezone, and the plan says so.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from civicwatt.config import Point, SiteConfig
from civicwatt.readings.audit import AuditLog, Entry, NewEntry
from civicwatt.readings.sheets import Cell
from rules.energy import METERED
from store import Store

NS = 10**9
#: how far before and after a reading metering and the checks look for its neighbours
NEIGHBOUR_NS = 400 * 86400 * NS
JITTER = 0.001


@dataclass(frozen=True)
class Change:
    """One row to import: the new entry, where it came from, what it replaces."""

    where: str
    entry: NewEntry
    replaces: Entry | None = None  # the active audited entry it supersedes
    collected: float | None = None  # the store's collected value it supersedes


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: UTC ranges whose local days must be metered again
    dirty: list[tuple[int, int]] = field(default_factory=list)


def plan_import(site: SiteConfig, store: Store, audit: AuditLog, rows: list[Cell],
                now_ns: int | None = None) -> Plan:
    """Validate `rows` and plan the changes; nothing is written."""
    plan = Plan()
    zone = ZoneInfo(site.site.timezone)
    now_ns = now_ns or time.time_ns()
    points = {p.id: p for p in site.points}
    naive: dict[str, int] = defaultdict(int)
    parsed: list[tuple[Cell, NewEntry]] = []
    for cell in rows:
        entry = _parse(cell, points, zone, now_ns, plan.problems, naive)
        if entry is not None:
            parsed.append((cell, entry))
    for sheet, count in naive.items():
        plan.notes.append(f"sheet {sheet!r}: {count} time(s) without a UTC offset were read in "
                          f"the site's timezone {site.site.timezone}")
    _no_twins(parsed, plan.problems)
    readings = [(c, e) for c, e in parsed if e.kind == "reading"]
    bills = [(c, e) for c, e in parsed if e.kind == "bill"]
    _plan_readings(site, store, audit, readings, points, plan)
    _plan_bills(audit, bills, plan, ZoneInfo(site.site.timezone))
    return plan


def _parse(cell: Cell, points: dict[str, Point], zone: ZoneInfo, now_ns: int,
           problems: list[str], naive: dict[str, int]) -> NewEntry | None:
    bad = len(problems)
    c = cell.cells
    pid = str(c["point"]).strip() if c["point"] is not None else ""
    point = points.get(pid)
    if not pid:
        problems.append(f"{cell.where}: point is empty; give a point id of the site config")
    elif point is None:
        problems.append(f"{cell.where}: point {pid!r} is not in the site config; "
                        f"manual points: {', '.join(_counters(points)) or 'none'}")
    elif point.quantity not in METERED:
        problems.append(f"{cell.where}: point {pid!r} measures {point.quantity}, not a counter "
                        "of an energy class; manual readings are meter counters")
    note = str(c.get("note") or "").strip()
    if cell.kind == "readings":
        t = _time(cell, "timestamp", zone, problems, naive)
        value = _number(cell, "value", problems)
        if t is not None and t > now_ns + 86400 * NS:
            problems.append(f"{cell.where}: timestamp {c['timestamp']} is in the future; "
                            "check the year and the UTC offset")
        if value is not None and point is not None and (
                point.min is not None and value < point.min
                or point.max is not None and value > point.max):
            problems.append(f"{cell.where}: value {value:g} is outside the point's range "
                            f"[{point.min}, {point.max}] (points[].min/max)")
        if len(problems) > bad:
            return None
        return NewEntry("reading", pid, t, value, note=note)
    start = _time(cell, "from", zone, problems, naive)
    end = _time(cell, "to", zone, problems, naive, inclusive_day=True)
    amount = _number(cell, "amount", problems, minimum=0.0)
    cost = _number(cell, "cost", problems, minimum=0.0, optional=True)
    if start is not None and end is not None and end <= start:
        problems.append(f"{cell.where}: to ({c['to']}) is not after from ({c['from']}); a "
                        "date in `to` is the last day billed")
    if len(problems) > bad:
        return None
    return NewEntry("bill", pid, start, amount, end_ns=end, cost=cost, note=note)


def _counters(points: dict[str, Point]) -> list[str]:
    manual = [p for p, v in points.items() if v.manual is not None]
    return manual or [p for p, v in points.items() if v.quantity in METERED][:20]


def _number(cell: Cell, column: str, problems: list[str], minimum: float | None = None,
            optional: bool = False) -> float | None:
    raw = cell.cells.get(column)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if not optional:
            problems.append(f"{cell.where}: {column} is empty; give a number")
        return None
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        problems.append(f"{cell.where}: {column} {raw!r} is not a number; write digits with a "
                        "decimal point, without units or thousands separators")
        return None
    if not math.isfinite(value):
        problems.append(f"{cell.where}: {column} {raw!r} is not a finite number")
        return None
    if minimum is not None and value < minimum:
        problems.append(f"{cell.where}: {column} {value:g} is negative; give the billed amount")
        return None
    return value


def _time(cell: Cell, column: str, zone: ZoneInfo, problems: list[str],
          naive: dict[str, int], inclusive_day: bool = False) -> int | None:
    """UTC ns; a bare date is local midnight (the next one for a bill's inclusive `to`)."""
    raw = cell.cells.get(column)
    day: dt.date | None = None
    when: dt.datetime | None = None
    if isinstance(raw, dt.datetime) and raw.tzinfo is None and raw.time() == dt.time() \
            and column in ("from", "to"):
        day = raw.date()  # an Excel date cell: a bill's day, `to` inclusive like a typed date
    elif isinstance(raw, dt.datetime):
        when = raw
    elif isinstance(raw, dt.date):
        day = raw
    elif isinstance(raw, str) and raw.strip():
        text = raw.strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
            else:
                when = dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    if day is not None:
        if inclusive_day:
            day += dt.timedelta(days=1)
        when = dt.datetime.combine(day, dt.time())
    if when is None:
        shown = "empty" if raw is None else repr(raw)
        problems.append(f"{cell.where}: {column} {shown} is not a time; write ISO 8601, e.g. "
                        "2026-10-31T08:00+08:00 (or 2026-10-31 08:00 in the site's timezone)")
        return None
    if when.tzinfo is None:
        if day is None:  # a bare date is a local day by definition; a time is worth a note
            naive[cell.sheet] += 1
        when = when.replace(tzinfo=zone)
    return int(when.timestamp() * NS)


def _no_twins(parsed: list[tuple[Cell, NewEntry]], problems: list[str]) -> None:
    seen: dict[tuple, Cell] = {}
    for cell, e in parsed:
        key = (e.kind, e.point, e.time_ns)
        if key in seen:
            problems.append(f"{cell.where}: point {e.point} at the same time as "
                            f"{seen[key].where}; keep one of the two rows")
        else:
            seen[key] = cell


def _plan_readings(site: SiteConfig, store: Store, audit: AuditLog,
                   readings: list[tuple[Cell, NewEntry]], points: dict[str, Point],
                   plan: Plan) -> None:
    by_point: dict[str, list[tuple[Cell, NewEntry]]] = defaultdict(list)
    for cell, e in readings:
        by_point[e.point].append((cell, e))
    for pid, rows in by_point.items():
        point = points[pid]
        times = [e.time_ns for _, e in rows]
        raw = store.read_raw(point.quantity, min(times) - NEIGHBOUR_NS,
                             max(times) + NEIGHBOUR_NS + 1, [pid])
        t_old, v_old = raw.of(pid)
        stored = dict(zip(t_old.tolist(), v_old.tolist(), strict=True))
        new = {e.time_ns: (cell, e) for cell, e in rows}
        merged = sorted({**{t: (None, v) for t, v in stored.items()},
                         **{t: (c, e.value) for t, (c, e) in new.items()}}.items())
        _backwards(point, merged, new, plan.problems, ZoneInfo(site.site.timezone))
        for cell, e in rows:
            current = audit.active(pid, "reading", e.time_ns)
            old = stored.get(e.time_ns)
            if current is not None and current.value == e.value and current.note == e.note:
                plan.unchanged.append(cell.where)
                continue
            if current is None and old is not None and old == e.value and not e.note:
                plan.unchanged.append(cell.where)
                continue
            collected = old if current is None else None
            plan.changes.append(Change(cell.where, e, current, collected))
            k = [t for t, _ in merged].index(e.time_ns)
            plan.dirty.append((merged[max(k - 1, 0)][0], merged[min(k + 1, len(merged) - 1)][0]
                               + 1))


def _backwards(point: Point, merged: list, new: dict, problems: list[str],
               zone: ZoneInfo) -> None:
    """A counter may not fall between consecutive readings unless the later one says reset."""
    if point.rollover is not None:
        return
    for (t0, (c0, v0)), (t1, (c1, v1)) in zip(merged, merged[1:], strict=False):
        if v1 >= v0 - JITTER or (c0 is None and c1 is None):
            continue
        if c1 is not None and "reset" in new[t1][1].note.lower():
            continue
        if c1 is not None:
            problems.append(f"{c1.where}: value {v1:g} is below the reading before it "
                            f"({v0:g} at {_iso(t0, zone)}); a counter does not go backwards "
                            "— if the meter was reset or replaced, write 'reset' in the note")
        else:
            problems.append(f"{c0.where}: value {v0:g} is above the next reading ({v1:g} at "
                            f"{_iso(t1, zone)}); check the value or the timestamp")


def _iso(t: int, zone: ZoneInfo) -> str:
    return dt.datetime.fromtimestamp(t / NS, zone).isoformat(timespec="seconds")


def _plan_bills(audit: AuditLog, bills: list[tuple[Cell, NewEntry]], plan: Plan,
                zone: ZoneInfo) -> None:
    for cell, e in bills:
        current = audit.active(e.point, "bill", e.time_ns)
        if current is not None and (current.end_ns, current.value, current.cost, current.note) \
                == (e.end_ns, e.value, e.cost, e.note):
            plan.unchanged.append(cell.where)
            continue
        for other in audit.entries(e.point, kind="bill"):
            if other.status == "active" and other.time_ns != e.time_ns and \
                    other.time_ns < e.end_ns and e.time_ns < other.end_ns:
                plan.problems.append(
                    f"{cell.where}: the bill of {e.point} overlaps the one entered by "
                    f"{other.user} for {_iso(other.time_ns, zone)} … "
                    f"{_iso(other.end_ns, zone)}; void that one first (civicwatt readings "
                    "void) or use its `from` to correct it")
        for c2, e2 in bills:
            if c2 is not cell and e2.point == e.point and e2.time_ns != e.time_ns and \
                    e2.time_ns < e.end_ns and e.time_ns < e2.end_ns and c2.row > cell.row:
                plan.problems.append(f"{c2.where}: this bill's period overlaps {cell.where} "
                                     f"for point {e.point}; bills of a point may not overlap")
        plan.changes.append(Change(cell.where, e, current))
        plan.dirty.append((e.time_ns, e.end_ns))
