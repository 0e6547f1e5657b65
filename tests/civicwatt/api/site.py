"""A small site for the API tests and the benchmark: two buildings, nested zones, a main meter
with sub-meters, a water meter, and `energy_interval` rows in the schema of docs/growth.md §2
(`energy` tag, `amount`/`unit` fields) plus rows metered before energy classes (no tag)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from civicwatt.config import SiteConfig, load_site
from store import Row, Series, Store

TZ = "Asia/Shanghai"
NS = 1_000_000_000
Q = 900 * NS
#: point → (building, zone, purpose, quantity, parent, kWh or m3 per quarter hour)
METERS = {
    "b1.main": ("b1", "", "01000", "energy", None, 10.0),
    "b1.light": ("b1", "b1.f1", "01A10", "energy", "b1.main", 3.0),
    "b1.hvac": ("b1", "b1.f2", "01B10", "energy", "b1.main", 4.0),
    "b1.dc": ("b1", "b1.f2.dc", "01D10", "energy", "b1.hvac", 1.0),
    "b1.water": ("b1", "", "02000", "water", None, 0.5),
    "b2.main": ("b2", "", "01000", "energy", None, 6.0),
}
PERIOD = {0: "valley", 1: "flat", 2: "peak"}  # by local hour // 8


def write_site(folder: Path, store_url: str = "", api: dict | None = None,
               http: str = "127.0.0.1:0") -> SiteConfig:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "version": 1,
        "site": {"id": "hq", "name": "测试 Test site", "timezone": TZ, "currency": "CNY"},
        "buildings": [
            {"id": "b1", "name": "Admin", "floor_area_m2": 12000, "occupants": 450,
             "zones": [{"id": "b1.f1", "name": "Floor 1"},
                       {"id": "b1.f2", "name": "Floor 2", "floor_area_m2": 4000,
                        "zones": [{"id": "b1.f2.dc", "name": "Data room"}]}]},
            {"id": "b2", "name": "Hall", "floor_area_m2": 3000, "occupants": 40}],
        "points": [{"id": pid, "building": b, "zone": z, "purpose": purpose, "quantity": q,
                    "unit": "kWh" if q == "energy" else "m3",
                    **({"parent": parent} if parent else {}),
                    "mqtt": {"topic": f"hq/{pid}"}}
                   for pid, (b, z, purpose, q, parent, _) in METERS.items()],
        "metering": {"tariff": "beijing-general-ic-single-part-under-1kv.yaml"},
        "store": {"url": store_url or None},
        "service": {"http": http, "spool": "state.db"},
        "api": {"enabled": True, **(api or {})},
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return load_site(path)


def interval_rows(first: dt.date, days: int, classes: bool = True) -> list[Row]:
    """Every meter's quarter hours over `days` local days; `classes=False`: the old schema."""
    start = int(dt.datetime.combine(first, dt.time(), ZoneInfo(TZ)).timestamp()) * NS
    rows = []
    for pid, (b, z, purpose, q, _, per_q) in METERS.items():
        energy = "electricity" if q == "energy" else q
        for i in range(days * 96):
            t = start + i * Q
            tags = {"site": "hq", "building": b, "zone": z or b, "purpose": purpose,
                    "point": pid}
            fields: dict = {"cost": per_q * 0.5, "co2_kg": per_q * 0.6, "kgce": per_q * 0.1229}
            if energy == "electricity":
                tags["period"] = PERIOD[(i % 96) // 32]
                fields["kwh"] = per_q
            if classes:
                tags["energy"] = energy
                fields.update(amount=per_q, unit="kWh" if energy == "electricity" else "m3")
            rows.append(Row(Series("energy_interval", tuple(tags.items())), t, fields))
    return rows


def fill(store: Store, first: dt.date, days: int, classes: bool = True) -> None:
    store.write(interval_rows(first, days, classes))
