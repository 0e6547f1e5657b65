"""The demo site's config: written to the output folder, so every command can be run on it."""

from __future__ import annotations

from pathlib import Path

import yaml

from civicwatt.demo.building import CLASS_METERS, MAIN, SUB_METERS

BUILDING = "demo"
FLOOR_AREA_M2 = 8000.0
HEATED_AREA_M2 = 1500.0  # the district-heated wing (the rest heats with gas)
OCCUPANTS = 320
#: Meters read over Modbus (SDM630 profile, unit ids 1..); the others come over MQTT.
MODBUS_UNITS = {"demo.main": 1, "demo.chiller": 2, "demo.pumps": 3}
TEMPERATURE_POINT = "demo.outdoor_temp"
WEATHER_CSV = "weather-forecast.csv"  # what a weather service would fill: timestamp,temp_c
#: The shipped Beijing tariff holds ratios; the demo prices them with this made-up flat price.
ILLUSTRATIVE_FLAT_PRICE = 0.65
PRICE_SOURCE = "演示用示意价格，非电网公告 illustrative demo price, not an announced one"


def topic(point: str) -> str:
    """The BMS topic of a meter: its counter's quantity last (energy, water, gas, heat)."""
    quantity = next((m.quantity for m in CLASS_METERS if m.point == point), "energy")
    return f"demo/{point.removeprefix('demo.').replace('.', '/')}/{quantity}"


def _zone(zone: str) -> str:
    return "" if zone == BUILDING else zone


def _points() -> list[dict]:
    points: list[dict] = []
    for meter in (MAIN, *SUB_METERS):
        point = {"id": meter.point, "building": BUILDING, "zone": _zone(meter.zone),
                 "purpose": meter.purpose, "quantity": "energy", "unit": "kWh"}
        if meter is not MAIN:
            point["parent"] = MAIN.point
        unit = MODBUS_UNITS.get(meter.point)
        if unit is not None:
            point["modbus"] = {"device": f"meter-{unit}", "field": "energy_import"}
        else:
            point["mqtt"] = {"topic": topic(meter.point)}
        points.append(point)
    for meter in CLASS_METERS:
        points.append({"id": meter.point, "building": BUILDING, "zone": _zone(meter.zone),
                       "purpose": meter.purpose, "quantity": meter.quantity, "unit": meter.unit,
                       "mqtt": {"topic": topic(meter.point)}})
    points.append({"id": "demo.main.kw", "building": BUILDING, "purpose": MAIN.purpose,
                   "quantity": "power", "unit": "kW", "min": 0, "max": 5000,
                   "modbus": {"device": "meter-1", "field": "power"}})
    for mode, ha in (("cool", "temperature_high"), ("heat", "temperature_low")):
        points.append({"id": f"demo.f2.sp_{mode}", "building": BUILDING, "zone": "demo.f2",
                       "quantity": "setpoint", "unit": "°C",
                       "mqtt": {"topic": f"civicwatt/demo/demo/demo.f2/hvac/{ha}/state"}})
    points.append({"id": TEMPERATURE_POINT, "building": BUILDING, "quantity": "temperature",
                   "unit": "°C", "min": -50, "max": 60,
                   "mqtt": {"topic": "demo/weather/temperature"}})
    return points


def write_site(folder: Path, mqtt_url: str, protocol: str, modbus_port: int,
               store_url: str, language: str, months: list[str],
               timezone: str = "Asia/Shanghai") -> Path:
    """Write `site.yaml` for the demo building into `folder` and return its path; `months`
    ('YYYY-MM') get the illustrative flat price."""
    config = {
        "version": 1,
        "site": {"id": "demo", "name": "演示办公楼 Demo office building", "timezone": timezone,
                 "currency": "CNY", "language": language, "country": "CN",
                 "grid_region": "north"},
        "buildings": [{
            "id": BUILDING, "name": "演示楼 Demo building", "floor_area_m2": FLOOR_AREA_M2,
            "heated_area_m2": HEATED_AREA_M2, "occupants": OCCUPANTS,
            # portfolio statistics (civicwatt statistics): who owns it, what kind of building
            "institution": "演示机关事务管理局 Demo bureau", "type": "office",
            "cooled_area_m2": 6400.0,  # the air-conditioned offices
            # the 2020 averages of all public institutions, not this building's own figures
            "baseline": {"kind": "national_average", "year": 2020, "kgce_per_m2": 18.48,
                         "kgce_per_person": 329.56},
            "zones": [
                {"id": "demo.f1", "name": "一层 Ground floor",
                 "zones": [{"id": "demo.f1.it", "name": "信息机房 IT room"}]},
                {"id": "demo.f2", "name": "二层 Offices"},
                {"id": "demo.plant", "name": "制冷机房 Plant room"},
            ],
        }],
        "mqtt": {"url": mqtt_url, "protocol": protocol, "client_id": "civicwatt-demo"},
        "modbus": {
            "gateways": [{"id": "gw", "transport": "tcp", "host": "127.0.0.1",
                          "port": modbus_port}],
            "devices": [{"id": f"meter-{unit}", "gateway": "gw", "unit": unit,
                         "profile": "eastron-sdm630", "interval": 2}
                        for unit in sorted(MODBUS_UNITS.values())],
        },
        "store": {"url": store_url},
        "service": {"spool": "spool.db"},
        "metering": {
            "tariff": "beijing-general-ic-single-part-under-1kv",
            "base_prices": dict.fromkeys(months, ILLUSTRATIVE_FLAT_PRICE),
            "base_prices_source": PRICE_SOURCE,
            "temperature_point": TEMPERATURE_POINT,
            "virtual_meters": [{"id": "demo.unmetered", "formula": "demo.main - sum(children)",
                                "building": BUILDING, "purpose": MAIN.purpose}],
            "prices": {"water": {"price": 7.15, "unit": "m3"},
                       "gas": {"price": 3.03, "unit": "m3"},
                       "heat": {"per_m2_season": 45,
                                "season": {"start": "11-15", "end": "03-15"}}},
        },
        "forecast": {"temperature_point": TEMPERATURE_POINT,
                     "temperature_forecast_csv": WEATHER_CSV},
        "report": {"out_dir": "reports"},
        "setpoints": {
            "mode": "dry-run",
            "policy": {"public_institution": True, "comfort_cooling": {"low": 24, "high": 28.5}},
            "levels": {"periods": {"sharp": 2, "peak": 1}},
            "zones": [{"zone": "demo.f2",
                       "occupancy": {"workdays": [{"start": "08:00", "end": "18:00"}]},
                       "controllers": [
                           {"point": "demo.f2.sp_cool", "mode": "cool", "baseline": 26.5,
                            "setback": 30, "min": 16, "max": 32},
                           {"point": "demo.f2.sp_heat", "mode": "heat", "baseline": 20,
                            "setback": 16, "min": 10, "max": 30}]}],
        },
        "points": _points(),
    }
    path = folder / "site.yaml"
    header = ("# The demo building's site config, written by `civicwatt demo`.\n"
              "# Every civicwatt command runs on it, e.g. civicwatt check-config "
              f"{path}\n")
    path.write_text(header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path
