"""A disclosure fixture: three buildings (two published), meters on an MQTT broker and a Modbus
gateway with addresses that must never reach a page, and one `energy_interval` row per meter and
local day from 2022 to October 2026 (the pages publish nothing finer than a month)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from civicwatt.config import SiteConfig, load_site
from store import Row, Series, Store

TZ = "Asia/Shanghai"
NS = 1_000_000_000
FIRST, LAST = dt.date(2022, 1, 1), dt.date(2026, 10, 31)
MQTT_HOST, MODBUS_HOST = "10.77.3.21", "192.0.2.55"
#: point → (building, purpose, quantity, parent, amount a day in 2026, source)
METERS = {
    "pt-admin-incomer": ("admin", "01000", "energy", None, 1000.0, "mqtt"),
    "pt-admin-chiller": ("admin", "01B10", "energy", "pt-admin-incomer", 400.0, "mqtt"),
    "pt-admin-water": ("admin", "02000", "water", None, 20.0, "mqtt"),
    "pt-lib-incomer": ("library", "01000", "energy", None, 300.0, "modbus"),
    "pt-lib-gas": ("library", "03000", "gas", None, 10.0, "mqtt"),
    "pt-depot-incomer": ("depot", "01000", "energy", None, 50.0, "mqtt"),
}
KGCE = {"energy": 0.1229, "water": 0.0, "gas": 1.2143}
CO2 = {"energy": 0.5703, "water": 0.0, "gas": 2.16}
#: the library's annual quota of kgce per m²: (constraint, guide)
QUOTA = (2.6, 2.2)
#: each earlier year used this much more than the next (so 2026 meets its own targets)
GROWTH_BACK = 1.04


def write_site(folder: Path, disclosure: dict | None = None) -> SiteConfig:
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "version": 1,
        "site": {"id": "city", "name": "示范市机关事务管理局", "timezone": TZ},
        "buildings": [
            {"id": "admin", "name": "行政中心 Admin centre", "floor_area_m2": 20000,
             "occupants": 800, "institution": "示范市人民政府", "type": "office",
             "baseline": {"kind": "own", "year": 2020, "kgce_per_m2": 3.0,
                          "kgce_per_person": 70.0, "kgco2_per_m2": 12.0}},
            {"id": "library", "name": "市图书馆 City library", "floor_area_m2": 8000,
             "occupants": 60, "institution": "示范市文化局", "type": "education",
             "quota": {"kgce_per_m2": {"constraint": QUOTA[0], "guide": QUOTA[1]}}},
            {"id": "depot", "name": "车队 Depot", "floor_area_m2": 1500, "occupants": 20,
             "institution": "示范市人民政府"}],
        "points": [_point(pid, *spec) for pid, spec in METERS.items()],
        "mqtt": {"url": f"mqtt://{MQTT_HOST}:1883", "client_id": "cw-city"},
        "modbus": {"gateways": [{"id": "gw-lib", "transport": "tcp", "host": MODBUS_HOST,
                                 "port": 502}],
                   "devices": [{"id": "lib-main", "gateway": "gw-lib", "unit": 1,
                                "profile": "eastron-sdm630", "interval": 15}]},
        "metering": {"tariff": "beijing-general-ic-single-part-under-1kv.yaml"},
        "service": {"http": "127.0.0.1:0", "spool": "state.db"},
        "disclosure": disclosure if disclosure is not None else {
            "enabled": True, "buildings": ["admin", "library"]},
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return load_site(path)


def _point(pid: str, building: str, purpose: str, quantity: str, parent: str | None,
           _per_day: float, source: str) -> dict:
    binding = ({"mqtt": {"topic": f"city/{pid}"}} if source == "mqtt" else
               {"modbus": {"device": "lib-main", "field": "energy_import"}})
    return {"id": pid, "building": building, "purpose": purpose, "quantity": quantity,
            "unit": "kWh" if quantity == "energy" else "m3",
            **({"parent": parent} if parent else {}), **binding}


def daily(pid: str, day: dt.date) -> float:
    """What the meter counted on `day`: its 2026 rate, more in earlier years, more in summer."""
    per_day = METERS[pid][4]
    summer = 1.3 if day.month in (6, 7, 8) else 1.0
    return per_day * summer * GROWTH_BACK ** (2026 - day.year)


def rows(first: dt.date = FIRST, last: dt.date = LAST) -> list[Row]:
    found = []
    for pid, (building, purpose, quantity, _, _, _) in METERS.items():
        energy = "electricity" if quantity == "energy" else quantity
        day = first
        while day <= last:
            t = int(dt.datetime.combine(day, dt.time(9), ZoneInfo(TZ)).timestamp()) * NS
            amount = daily(pid, day)
            tags = {"site": "city", "building": building, "zone": building, "purpose": purpose,
                    "point": pid, "energy": energy}
            fields = {"amount": amount, "unit": "kWh" if energy == "electricity" else "m3",
                      "kgce": amount * KGCE[quantity], "co2_kg": amount * CO2[quantity],
                      "cost": amount * 0.8}
            if energy == "electricity":
                tags["period"] = "flat"
                fields["kwh"] = amount
            found.append(Row(Series("energy_interval", tuple(tags.items())), t, fields))
            day += dt.timedelta(days=1)
    return found


def fill(store: Store) -> None:
    store.write(rows())
