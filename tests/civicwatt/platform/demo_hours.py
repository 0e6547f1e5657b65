"""The demo building's metered hours in a store, for the platform tests.

The demo's site config (`civicwatt.demo.site.write_site`) without its collectors and
setpoints, plus a `platform:` section; 15-min counters of the demo building's meters
(`DemoBuilding`) written to the store; the real metering job turns them into
`energy_interval` rows. `report_hours` is the daily report's hourly site load for a day —
the figure the platform's 01000 must equal.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from civicwatt.config import load_site
from civicwatt.demo.building import DemoBuilding
from civicwatt.demo.devices import history_times
from civicwatt.demo.site import BUILDING, FLOOR_AREA_M2
from civicwatt.demo.site import write_site as write_demo_site
from civicwatt.jobs.metering import meter_site
from civicwatt.reports.job import build_report
from collector.modbus.poller import point_series
from rules.clock import local_midnight_ns
from store import Row, open_store

TZ = "Asia/Shanghai"
KEY = "0123456789ABCDEF"
PLATFORM_ID = "110101A001"
FIRST = dt.date(2026, 3, 2)  # a Monday: the first of the shared fixture's two metered days


def write_site(folder: Path, port: int, **platform) -> Path:
    """The demo site with a platform section (keys from the environment, as in production)."""
    path = write_demo_site(folder, "mqtt://127.0.0.1:1", "5", 1, "sqlite://"
                           + str(folder / "civicwatt.db"), "en", ["2026-02", "2026-03"], TZ)
    config = yaml.safe_load(path.read_text())
    for key in ("mqtt", "modbus", "setpoints", "forecast"):
        config.pop(key, None)
    for point in config["points"]:
        point.pop("mqtt", None)
        point.pop("modbus", None)
    config["service"] = {"spool": "spool.db", "http": "127.0.0.1:0"}
    config["platform"] = {"host": "127.0.0.1", "port": port, "gateway_id": "01",
                          "auth_key": "${PLATFORM_KEY}", "buildings": {BUILDING: PLATFORM_ID},
                          **platform}
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))
    return path


def fill(config_path: Path, first: dt.date, days: int, end_ns: int | None = None) -> None:
    """Counters every 15 min from the local midnight before `first` to `days` days after it
    (or to `end_ns`), then meter those days."""
    site = load_site(config_path)
    zone = __import__("zoneinfo").ZoneInfo(TZ)
    origin = local_midnight_ns(first - dt.timedelta(days=1), zone)
    end = end_ns or local_midnight_ns(first + dt.timedelta(days=days + 1), zone)
    building = DemoBuilding(TZ, FLOOR_AREA_M2, origin)
    times = history_times(origin, end)
    counters = building.counters(times)
    rows = []
    for point in site.points:
        if point.quantity != "energy":
            continue
        series = point_series("energy", site=site.site.id, building=point.building,
                              zone=point.zone_id, purpose=point.purpose, point=point.id)
        rows += [Row(series, int(t), {"value": float(v), "quality": 0})
                 for t, v in zip(times.tolist(), np.asarray(counters[point.id]).tolist(),
                                 strict=True)]
    store = open_store(site.store.url, site.base_dir)
    try:
        store.write(rows)
        meter_site(site, store, first, first + dt.timedelta(days=days))
    finally:
        store.close()


def report_hours(config_path: Path, day: dt.date) -> dict[str, float]:
    """The daily report's hourly site load of `day` (its curve's hourly kWh = mean kW): platform
    time text → kWh."""
    site = load_site(config_path)
    report = build_report(site, day, "en", now=dt.datetime.now(dt.UTC))
    curve = report.site.curve
    return {hour.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d%H%M%S"):
            float(kwh) for hour, kwh in zip(curve.hours, curve.actual_kw, strict=True)
            if not np.isnan(kwh)}
