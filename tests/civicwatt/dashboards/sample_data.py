"""Representative rows for every measurement the dashboards read (DESIGN.md schema).

Stands in for `civicwatt demo --store URL` (issue 8) until it lands; the
integration test calls `fill(store, config, now)` and swapping in the demo is
one line there. Values are plausible, not realistic: the test proves every
panel query runs and returns rows, not what the numbers are.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from itertools import product

from civicwatt.config import SiteConfig
from rules.energy import BY_QUANTITY, METERED
from rules.setpoint_governor import STATUSES
from store import Row, Series, Store

QUARTER = timedelta(minutes=15)
REASONS = ("bad_json", "out_of_range", "unknown_topic")
#: A parent meter reads this fraction more than its sub-meters (losses, unmetered loads).
UNMETERED = 0.08


def _ns(t: datetime) -> int:
    return int(t.timestamp()) * 1_000_000_000


def _period(local: datetime) -> str:
    hour = local.hour
    if hour >= 23 or hour < 7:
        return "valley"
    if hour in (11, 16):
        return "sharp"
    if 10 <= hour < 13 or 17 <= hour < 22:
        return "peak"
    return "flat"


def _tags(config: SiteConfig, point) -> dict[str, str]:
    return {"site": config.site.id, "building": point.building, "zone": point.zone_id,
            "purpose": point.purpose, "point": point.id}


def rows(config: SiteConfig, now: datetime, days: int = 3) -> list[Row]:
    """Rows for `days` before `now` (an aware datetime in the site's timezone) and 2 days after
    (forecasts only)."""
    out: list[Row] = []
    start = (now - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    steps = int((now - start) / QUARTER)
    site = config.site.id
    energy = {p.id: p for p in config.points if p.quantity in METERED}
    children: dict[str, list[str]] = {}
    for p in energy.values():
        if p.parent in energy and energy[p.parent].quantity == p.quantity:
            children.setdefault(p.parent, []).append(p.id)
    order = {pid: n for n, pid in enumerate(p.id for p in config.points)}

    def load(pid: str, t: datetime) -> float:
        """kW: leaves follow a daily curve; a parent meter reads its children + UNMETERED."""
        if pid in children:
            return (1 + UNMETERED) * sum(load(c, t) for c in children[pid])
        return 5 + 3 * math.sin(2 * math.pi * t.hour / 24) + order[pid] % 4

    for n, point in enumerate(config.points):
        tags = _tags(config, point)
        series = Series.of(point.quantity, **tags)
        counter = 1000.0 * (n + 1)
        for i in range(steps):
            t = start + i * QUARTER
            if point.quantity in METERED:
                energy_class = BY_QUANTITY[point.quantity]
                amount = load(point.id, t) / 4
                counter += amount
                out.append(Row(series, _ns(t), {"value": counter, "quality": 0}))
                fields = {"amount": amount, "unit": energy_class.unit, "cost": amount * 0.9,
                          "co2_kg": amount * 0.58, "kgce": amount * 0.1229,
                          "estimated": i % 17 == 0}
                if point.quantity == "energy":
                    fields["kwh"] = amount
                    interval = Series.of("energy_interval", **tags, energy="electricity",
                                         period=_period(t))
                else:
                    interval = Series.of("energy_interval", **tags, energy=energy_class.name)
                out.append(Row(interval, _ns(t), fields))
            elif point.quantity == "power":
                out.append(Row(series, _ns(t), {"value": 20 + 10 * math.sin(i / 9), "quality": 0}))
            else:
                out.append(Row(series, _ns(t), {"value": 22 + 4 * math.sin(i / 15),
                                                "quality": 0}))
    # forecasts per building (zone = building id), hourly, past and next 2 days
    # (and the same as the day-ahead snapshots the daily error panel compares with)
    for building, measurement in product(config.buildings, ("forecast", "forecast_day_ahead")):
        for target, scale in (("load", 60.0), ("carbon", 35.0)):
            series = Series.of(measurement, site=site, building=building.id, zone=building.id,
                               target=target, model="tow-temp")
            for h in range(-24 * days, 48):
                t = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=h)
                v = scale * (1 + 0.3 * math.sin(2 * math.pi * t.hour / 24))
                out.append(Row(series, _ns(t), {
                    "value": v, "lower": v * 0.9, "upper": v * 1.1, "lower95": v * 0.8,
                    "upper95": v * 1.2, "issued_at": _ns(now - timedelta(hours=1))}))
    # setpoint commands: every status, in every zone with a temperature point
    zones = [p for p in config.points if p.quantity == "temperature" and p.zone]
    for z, point in enumerate(zones):
        for k, status in enumerate(STATUSES):
            t = now - timedelta(hours=3 + 5 * k + z)
            series = Series.of("setpoint_command", site=site, building=point.building,
                               zone=point.zone_id, point=f"{point.zone_id}.hvac.sp",
                               rule="demand-limit")
            out.append(Row(series, _ns(t), {
                "value": 26.5 + k % 3 * 0.5, "previous": 26.0, "status": status,
                "expires_at": _ns(t + timedelta(hours=2))}))
    # self-monitoring: two MQTT replicas with cumulative counters, Modbus device states
    minute = timedelta(minutes=1)
    for m in range(6 * 60):
        t = now - (6 * 60 - m) * minute
        for instance in ("collector-1", "collector-2"):
            fields = {"received": 100 * m, "accepted": 97 * m, "spool_depth": m % 40,
                      "write_latency_ms": 4.0 + m % 7}
            fields.update({f"rejected_{r}": m // (3 + j) for j, r in enumerate(REASONS)})
            out.append(Row(Series.of("civicwatt", component="collector", instance=instance),
                           _ns(t), fields))
        for d, device in enumerate(config.modbus.devices):
            out.append(Row(Series.of("civicwatt", component="modbus", instance="modbus-1",
                                     device=device.id), _ns(t),
                           {"online": int((m + d * 50) % 180 > 20), "polls": m}))
    return out


def fill(store: Store, config: SiteConfig, now: datetime) -> int:
    data = rows(config, now)
    store.write(data)
    return len(data)
