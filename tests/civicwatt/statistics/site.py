"""A three-building portfolio for the statistics tests: two offices of one institution and a
school of another, hand-made daily `energy_interval` rows whose sums are known in advance.

Per local day each meter meters `RATE[point] × factor(month)` in one row at local midnight
(`factor`: 2026-10 → 1.0, 2026-09 → 0.8, 2025-10 → 0.5; other months 0.6). `b3` has no data
before 2026 (a missing previous year). Every 5th day's rows are estimated.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from civicwatt.config import SiteConfig, load_site
from store import Row, Series, Store

TZ = "Asia/Shanghai"
NS = 1_000_000_000
KGCE = {"electricity": 0.1229, "water": 0.0, "gas": 1.2143, "heat": 34.12}
CO2 = {"electricity": 0.58, "water": 0.0, "gas": 2.16, "heat": 110.0}
PRICE = {"electricity": 0.8, "water": 5.0, "gas": 3.0, "heat": 40.0}
#: point → (building, quantity, parent, amount per day at factor 1)
METERS = {
    "b1.main": ("b1", "energy", None, 1000.0),
    "b1.light": ("b1", "energy", "b1.main", 300.0),
    "b1.water": ("b1", "water", None, 20.0),
    "b1.gas": ("b1", "gas", None, 50.0),
    "b2.main": ("b2", "energy", None, 400.0),
    "b2.water": ("b2", "water", None, 5.0),
    "b3.main": ("b3", "energy", None, 900.0),
    "b3.heat": ("b3", "heat", None, 2.0),
}
UNITS = {"energy": "kWh", "water": "m3", "gas": "m3", "heat": "GJ"}
CLASS = {"energy": "electricity", "water": "water", "gas": "gas", "heat": "heat"}


def factor(day: dt.date) -> float:
    return {(2026, 10): 1.0, (2026, 9): 0.8, (2025, 10): 0.5}.get((day.year, day.month), 0.6)


def write_site(folder: Path, store_url: str = "", extra: dict | None = None) -> SiteConfig:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "version": 1,
        "site": {"id": "bureau", "name": "测试管理局 Test bureau", "timezone": TZ,
                 "language": "en"},
        "buildings": [
            {"id": "b1", "name": "Office one", "floor_area_m2": 10000, "occupants": 400,
             "institution": "Finance bureau", "type": "office",
             "quota": {"kgce_per_m2": {"constraint": 12.0, "guide": 9.0}, "source": "test"}},
            {"id": "b2", "name": "Office two", "floor_area_m2": 2000, "occupants": 100,
             "institution": "Finance bureau", "type": "A", "cooled_area_m2": 1500},
            {"id": "b3", "name": "School", "floor_area_m2": 8000, "occupants": 0,
             "institution": "Education bureau", "type": "school", "heated_area_m2": 8000}],
        "points": [{"id": pid, "building": b, "quantity": q, "unit": UNITS[q],
                    "purpose": {"energy": "01000", "water": "02000", "gas": "03000",
                                "heat": "04000"}[q] if parent is None else "01A10",
                    **({"parent": parent} if parent else {}),
                    "mqtt": {"topic": f"t/{pid}"}}
                   for pid, (b, q, parent, _) in METERS.items()],
        "metering": {"tariff": "beijing-general-ic-single-part-under-1kv.yaml"},
        "store": {"url": store_url or None},
        "service": {"spool": "state.db"},
        "statistics": {"quotas": {"office": {"kgce_per_m2": {"constraint": 20.0}}}},
        **(extra or {}),
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return load_site(path)


def daily_rows(first: dt.date, last: dt.date) -> list[Row]:
    """One row per meter and local day in [first, last]."""
    rows = []
    day = first
    while day <= last:
        t = int(dt.datetime.combine(day, dt.time(), ZoneInfo(TZ)).timestamp()) * NS
        for pid, (b, q, _, rate) in METERS.items():
            if b == "b3" and day.year < 2026:
                continue
            cls, amount = CLASS[q], rate * factor(day)
            tags = {"site": "bureau", "building": b, "point": pid, "energy": cls}
            fields = {"amount": amount, "unit": UNITS[q], "kgce": amount * KGCE[cls],
                      "co2_kg": amount * CO2[cls], "cost": amount * PRICE[cls],
                      "estimated": day.day % 5 == 0}
            if cls == "electricity":
                fields["kwh"] = amount
            rows.append(Row(Series("energy_interval", tuple(tags.items())), t, fields))
        day += dt.timedelta(days=1)
    return rows


def fill(store: Store) -> None:
    store.write(daily_rows(dt.date(2025, 9, 1), dt.date(2025, 11, 30)))
    store.write(daily_rows(dt.date(2026, 1, 1), dt.date(2026, 10, 31)))
