"""A building's metered energy by class, sub-item, zone and TOU period over local calendar buckets.

The store sums `energy_interval` per bucket and meter (`Store.totals`); here each meter gets its
*own* share — its sums minus those of its sub-meters of the same class — so purposes and zones
add up to the building's total without counting a sub-meter twice (the rule of the daily
report, `civicwatt.config.meters`). A row's class is its `energy` tag; rows metered before
energy classes have none and take the class of their purpose code's first two digits, and
their `kwh` as `amount`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from civicwatt.api.ids import CLASS_UNITS, Vocabulary, class_of_quantity
from civicwatt.config import Building
from civicwatt.config.meters import meter_tree
from rules.clock import local_midnight_ns, to_local
from store import Store

FIELDS = ("amount", "kwh", "cost", "co2_kg", "kgce")
MEASURES = ("amount", "cost", "co2_kg", "kgce")
BY = ("purpose", "zone", "period", "point")
#: the longest range each interval may cover: enough for its use, bounded in size
MAX_DAYS = {"15m": 31, "hour": 92, "day": 732, "month": 3653}
_CODE_CLASS = {"01": "electricity", "02": "water", "03": "gas", "04": "heat", "05": "cooling"}


@dataclass(frozen=True)
class EnergyQuery:
    building: Building
    start: dt.date
    end: dt.date  # exclusive
    interval: str
    by: tuple[str, ...] = ()
    energy_class: str | None = None
    purpose: str | None = None
    zone: str | None = None
    period: str | None = None


def range_problem(start: dt.date, end: dt.date, interval: str) -> str | None:
    """Why a range cannot be served at that interval, or None."""
    if end <= start:
        return f"to ({end}) must be after from ({start}); to is exclusive: from=2026-10-01&" \
               "to=2026-11-01 is October"
    days, most = (end - start).days, MAX_DAYS[interval]
    if days > most:
        wider = {"15m": "hour or day", "hour": "day", "day": "month", "month": "a shorter range"}
        return (f"interval={interval} covers at most {most} days per request; {start} to {end} "
                f"is {days} days. Ask for interval={wider[interval]}, or split the range")
    return None


def building_energy(store: Store, vocabulary: Vocabulary, q: EnergyQuery) -> dict:
    """The response document of GET /api/v1/buildings/{id}/energy."""
    site = vocabulary.site
    tz = site.site.timezone
    start_ns, end_ns = local_midnight_ns(q.start, tz), local_midnight_ns(q.end, tz)
    with_period = "period" in q.by or q.period is not None
    group = ("point", "energy", "purpose") + (("period",) if with_period else ())
    every = "15m" if q.interval == "15m" else q.interval
    found = store.totals("energy_interval", FIELDS, start_ns, end_ns, every, tz, group,
                         {"site": site.site.id, "building": q.building.id})
    meters = _Meters(site, q.building)
    cells: dict[tuple, list[float | None]] = {}
    classes: dict[str, str] = {}
    for t in found:
        point, energy, purpose = t.group[:3]
        classes[point] = energy or _CODE_CLASS.get(purpose[:2], "electricity")
        amount, kwh, *rest = t.values
        key = (t.time_ns, point, t.group[3] if with_period else "")
        cells[key] = [amount if amount is not None else kwh, *rest]
    rows: dict[tuple, list[float | None]] = {}
    for (time_ns, point, period), values in cells.items():
        if point not in meters.purpose:
            continue  # not a meter of this building's tree (a retired point, a virtual meter)
        cls = classes[point]
        values = list(values)  # its own share; `cells` keeps every meter's sums
        for child in meters.children.get(point, ()):
            if classes.get(child) == cls:
                _sub(values, cells.get((time_ns, child, period)))
        if not _wanted(vocabulary, q, meters, point, cls, period):
            continue
        labels = {"class": cls, "purpose": meters.purpose[point], "zone": meters.zone[point],
                  "period": period, "point": point}
        key = (time_ns, cls, *(labels[b] for b in q.by))
        _add(rows.setdefault(key, [None] * len(MEASURES)), values)
    return _document(site, q, rows, tz, vocabulary.cost_unit(q.start, q.end))


class _Meters:
    """The building's meters by class: purpose, zone, sub-meters of the same class."""

    def __init__(self, site, building: Building) -> None:
        tree = meter_tree(site)
        mine = [p for p in site.points if p.building == building.id
                and (p.id in tree.building or class_of_quantity(p.quantity) not in
                     (None, "electricity"))]
        ids = {p.id: p for p in mine}
        self.purpose = {p.id: p.purpose for p in mine}
        self.zone = {p.id: p.zone_id for p in mine}
        self.children: dict[str, list[str]] = {}
        for p in mine:
            parent = ids.get(p.parent or "")
            if parent is not None and class_of_quantity(parent.quantity) == \
                    class_of_quantity(p.quantity):
                self.children.setdefault(parent.id, []).append(p.id)


def _wanted(vocabulary: Vocabulary, q: EnergyQuery, meters: _Meters, point: str, cls: str,
            period: str) -> bool:
    return ((q.energy_class is None or cls == q.energy_class)
            and (q.purpose is None or vocabulary.purpose_under(meters.purpose[point], q.purpose))
            and (q.zone is None or vocabulary.zone_under(meters.zone[point], q.zone))
            and (q.period is None or period == q.period))


def _sub(into: list[float | None], values: Sequence[float | None] | None) -> None:
    for i, value in enumerate(values or ()):
        if value is not None and into[i] is not None:
            into[i] -= value


def _add(into: list[float | None], values: Sequence[float | None]) -> None:
    for i, value in enumerate(values):
        if value is not None:
            into[i] = value if into[i] is None else into[i] + value


def _document(site, q: EnergyQuery, rows: dict[tuple, list], tz: str, cost_unit: str) -> dict:
    out, totals = [], {}
    for key in sorted(rows):
        time_ns, cls, *labels = key
        values = rows[key]
        local = to_local(time_ns, tz)
        row = {"start": local.isoformat(), "end": _end(time_ns, q.interval, tz), "class": cls,
               "unit": CLASS_UNITS.get(cls, ""), **dict(zip(q.by, labels, strict=True)),
               **{m: _round(v) for m, v in zip(MEASURES, values, strict=True)}}
        out.append(row)
        _add(totals.setdefault(cls, [None] * len(MEASURES)), values)
    return {
        "building": q.building.id, "timezone": tz, "interval": q.interval,
        "from": q.start.isoformat(), "to": q.end.isoformat(), "by": ["class", *q.by],
        "filters": {"class": q.energy_class, "purpose": q.purpose, "zone": q.zone,
                    "period": q.period},
        "cost_currency": site.site.currency, "cost_unit": cost_unit,
        "rows": out,
        "totals": [{"class": cls, "unit": CLASS_UNITS.get(cls, ""),
                    **{m: _round(v) for m, v in zip(MEASURES, totals[cls], strict=True)}}
                   for cls in sorted(totals)],
    }


def _end(time_ns: int, interval: str, tz: str) -> str:
    if interval in ("15m", "hour"):
        return to_local(time_ns + (900 if interval == "15m" else 3600) * 10**9, tz).isoformat()
    day = to_local(time_ns, tz).date()
    nxt = (day + dt.timedelta(days=1) if interval == "day" else
           (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1))
    return to_local(local_midnight_ns(nxt, tz), tz).isoformat()


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)
