"""Read a building's hours from the store: hourly sums per meter, aggregated by the database.

Two `Store.aggregate` calls per energy field (sum and count of the metered intervals, grouped
by point and purpose, one bucket per hour) — no raw rows in Python. Electricity is read from
`kwh`, the other classes from `amount` (docs/growth.md §2); the class is the purpose code's
first two digits. An hour is complete when every meter metering fills has all its intervals
in it; counting them is needed only for recent hours (from `count_from_ns`), because an older
hour is sent with what is there anyway (`platform.incomplete_after_h`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from civicwatt.platform.items import hour_items
from civicwatt.platform.plan import BuildingPlan
from store import Store

NS = 1_000_000_000
HOUR_NS = 3600 * NS
MEASUREMENT = "energy_interval"


@dataclass(frozen=True)
class Hour:
    building: str
    hour_ns: int  # start of the hour, UTC
    items: dict[str, str]  # platform code → value as sent
    complete: bool | None  # None: not counted (an old hour)
    missing: tuple[str, ...]  # meters short of intervals in this hour


def read_hours(store: Store, site_id: str, plan: BuildingPlan, start_ns: int, end_ns: int,
               interval_ns: int, fmt, count_from_ns: int | None = None) -> list[Hour]:
    """Every hour in [start_ns, end_ns) (hour-aligned) that has any metered interval; hours
    from `count_from_ns` (default: all) are checked for completeness."""
    count_from = start_ns if count_from_ns is None else max(start_ns, count_from_ns)
    where = {"site": site_id, "building": plan.building}
    electric = {p for p in plan.members if plan.purpose[p].startswith("01")}
    sums: dict[int, dict[str, float]] = {}
    purposes: dict[int, dict[str, str]] = {}
    counts: dict[int, dict[str, int]] = {}
    for field, points in (("kwh", electric), ("amount", set(plan.members) - electric)):
        if not points:
            continue
        for b in store.aggregate(MEASUREMENT, field, start_ns, end_ns, HOUR_NS, "sum",
                                 ("point", "purpose"), where):
            point, purpose = b.group
            if point in points:
                cell = sums.setdefault(b.time_ns, {})
                cell[point] = cell.get(point, 0.0) + b.value
                purposes.setdefault(b.time_ns, {})[point] = purpose
        if count_from >= end_ns:
            continue
        for b in store.aggregate(MEASUREMENT, field, count_from, end_ns, HOUR_NS, "count",
                                 ("point",), where):
            if b.group[0] in points:
                counts.setdefault(b.time_ns, {})[b.group[0]] = int(b.value)
    expected = max(1, HOUR_NS // interval_ns)
    hours = []
    for hour_ns in sorted(sums):
        items = hour_items(plan, sums[hour_ns], purposes[hour_ns], fmt)
        if not items:
            continue
        if hour_ns < count_from:
            hours.append(Hour(plan.building, hour_ns, items, None, ()))
            continue
        have: Mapping[str, int] = counts.get(hour_ns, {})
        missing = tuple(p for p in plan.required if have.get(p, 0) < expected)
        hours.append(Hour(plan.building, hour_ns, items, not missing, missing))
    return hours
