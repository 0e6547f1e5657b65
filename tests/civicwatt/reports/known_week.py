"""A known week for report tests: a small two-building site, its counters, and what they mean.

The store gets 15-min counter readings; the real metering job
(`civicwatt.jobs.metering.meter_site`) turns them into `energy_interval` rows
with the tariff below, and the real forecast job (`civicwatt.jobs.forecast`)
issues the day-ahead forecast at the report day's local midnight. Loads are
simple functions of the local hour, so every expected figure is also computed
here independently of the report and of the metering engine: energy is load ×
time, cost is energy × the period's price, carbon and coal are energy × a factor.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from store import Row, Series, Store

TZ = "Asia/Shanghai"
DAY = dt.date(2026, 11, 25)  # a Wednesday, a workday in China
WEEK_START = DAY - dt.timedelta(days=7)
FIRST = DAY - dt.timedelta(days=14)  # two weeks of history before the day
STEP_MIN = 15
EMISSION = 0.5306  # kgCO₂/kWh (MEE 2023 national average)
COAL = 0.1229  # kgce/kWh (equivalent value)
PRICES = {"peak": 1.2, "flat": 0.8, "valley": 0.3}

SITE_YAML = """\
version: 1
site: {id: hq, name: 市行政中心 City Hall, timezone: Asia/Shanghai, currency: CNY,
       language: zh, country: CN}
buildings:
  - id: b1
    name: 行政楼 Admin
    floor_area_m2: 10000
    occupants: 400
    baseline: {kind: national_average, kgce_per_m2: 18.48, kgce_per_person: 329.56,
               kgco2_per_m2: 50}
    zones:
      - id: b1.f1
        name: 一层 Ground floor
        zones: [{id: b1.dc, name: 机房 Data room}]
      - {id: b1.f2, name: 二层 Offices}
  - id: b2
    name: 食堂 Canteen
    floor_area_m2: 2000
    occupants: 100
    zones: [{id: b2.kitchen, name: 厨房 Kitchen}]
points:
  - {id: b1.main, building: b1, purpose: "01000", quantity: energy, unit: kWh}
  - {id: b1.light, building: b1, zone: b1.f1, purpose: 01A10, quantity: energy, unit: kWh,
     parent: b1.main}
  - {id: b1.hvac, building: b1, zone: b1.f2, purpose: 01B20, quantity: energy, unit: kWh,
     parent: b1.main}
  - {id: b1.dc, building: b1, zone: b1.dc, purpose: 01D10, quantity: energy, unit: kWh,
     parent: b1.main}
  - {id: b2.main, building: b2, purpose: "01000", quantity: energy, unit: kWh}
  - {id: b2.kitchen, building: b2, zone: b2.kitchen, purpose: 01D00, quantity: energy,
     unit: kWh, parent: b2.main}
store: {url: "sqlite:///STORE"}
metering:
  tariff: test-tariff.yaml
  emission_factor: 0.5306
  virtual_meters:
    - {id: b1.unmetered, formula: "b1.main - sum(children)", building: b1, purpose: "01000"}
"""

TARIFF_YAML = """\
name: Report test tariff (peak 08-11 & 18-21, valley 23-07, flat otherwise)
currency: CNY
calendar: {country: CN}
versions:
  - effective_from: 2020-01-01
    seasons:
      - name: all-year
        months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        windows:
          - {period: valley, start: "23:00", end: "07:00"}
          - {period: flat, start: "07:00", end: "08:00"}
          - {period: peak, start: "08:00", end: "11:00"}
          - {period: flat, start: "11:00", end: "18:00"}
          - {period: peak, start: "18:00", end: "21:00"}
          - {period: flat, start: "21:00", end: "23:00"}
        prices: {peak: 1.2, flat: 0.8, valley: 0.3}
"""


def period(hour: int) -> str:
    if 8 <= hour < 11 or 18 <= hour < 21:
        return "peak"
    if hour >= 23 or hour < 7:
        return "valley"
    return "flat"


def load_kw(point: str, local: dt.datetime) -> float:
    """The true mean load (kW) of a point in the 15 minutes starting at `local`."""
    h = local.hour
    work = local.weekday() < 5
    office = work and 8 <= h < 18
    light = (30.0 if office else 4.0)
    hvac = (80.0 if office else 10.0) + (0.5 * local.minute / 15)
    dc = 20.0
    kitchen = 40.0 if work and (10 <= h < 13 or 16 <= h < 19) else 2.0
    loads = {"b1.light": light, "b1.hvac": hvac, "b1.dc": dc,
             "b1.main": light + hvac + dc + 6.0,  # 6 kW nobody sub-meters
             "b2.kitchen": kitchen, "b2.main": kitchen + 3.0}
    return loads[point]


POINTS = ("b1.main", "b1.light", "b1.hvac", "b1.dc", "b2.main", "b2.kitchen")
TAGS = {"b1.main": ("b1", "b1", "01000"), "b1.light": ("b1", "b1.f1", "01A10"),
        "b1.hvac": ("b1", "b1.f2", "01B20"), "b1.dc": ("b1", "b1.dc", "01D10"),
        "b2.main": ("b2", "b2", "01000"), "b2.kitchen": ("b2", "b2.kitchen", "01D00")}


def slots(first: dt.date, last: dt.date) -> list[dt.datetime]:
    """15-min local slot starts from `first` 00:00 to `last` 24:00 (exclusive)."""
    zone = ZoneInfo(TZ)
    t = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    found = []
    while t < end:
        found.append(t)
        t += dt.timedelta(minutes=STEP_MIN)
    return found


def ns(local: dt.datetime) -> int:
    return int(local.timestamp()) * 1_000_000_000


@dataclass
class Expected:
    kwh: float
    cost: float
    co2_kg: float
    kgce: float


def expected(points: tuple[str, ...], day: dt.date) -> Expected:
    """Independent totals for a day: Σ load × ¼ h, priced by the slot's period."""
    kwh = cost = 0.0
    for slot in slots(day, day):
        for p in points:
            e = load_kw(p, slot) * STEP_MIN / 60
            kwh += e
            cost += e * PRICES[period(slot.hour)]
    return Expected(kwh, cost, kwh * EMISSION, kwh * COAL)


def counter_rows(first: dt.date, last: dt.date, site: str = "hq",
                 extra_kw=None, silent_from: dict[str, dt.datetime] | None = None,
                 reset_at: dict[str, dt.datetime] | None = None) -> list[Row]:
    """Cumulative kWh counters read every 15 minutes (plus the reading at the very end).

    `extra_kw(point, slot)` adds load; `silent_from` stops a meter's readings;
    `reset_at` restarts a counter from 0 (a replaced meter).
    """
    rows, counters = [], {p: 1000.0 for p in POINTS}
    every = slots(first, last)
    end = every[-1] + dt.timedelta(minutes=STEP_MIN)
    for slot in [*every, end]:
        for p in POINTS:
            if reset_at and p in reset_at and slot == reset_at[p]:
                counters[p] = 0.0
            if silent_from and p in silent_from and slot >= silent_from[p]:
                continue
            b, z, u = TAGS[p]
            rows.append(Row(Series.of("energy", site=site, building=b, zone=z, purpose=u,
                                      point=p), ns(slot), {"value": round(counters[p], 6)}))
        if slot != end:
            for p in POINTS:
                extra = extra_kw(p, slot) if extra_kw else 0.0
                counters[p] += (load_kw(p, slot) + extra) * STEP_MIN / 60
    return rows


def run_metering(config, store: Store, first: dt.date, last: dt.date) -> None:
    """The real metering job over local days [first, last]."""
    from civicwatt.jobs.metering import meter_site
    meter_site(config, store, first, last + dt.timedelta(days=1))


def run_forecast(config, store: Store, day: dt.date) -> None:
    """The real forecast job, issued at the local midnight that starts `day` (48 h ahead)."""
    from civicwatt.jobs.forecast import run_forecast as forecast_job
    issued = ns(dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(TZ)))
    forecast_job(config, store, issued, workers=1)


def forecast_sums(store: Store, building: str, day: dt.date, target: str = "load") -> dict:
    """The forecaster's output for a building on a local day: hourly values and their sum."""
    start = ns(dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(TZ)))
    rows = [r for r in store.read_rows("forecast", start, start + 24 * 3600 * 10**9,
                                       where={"building": building, "zone": building,
                                              "target": target})]
    hourly = [r.fields["value"] for r in sorted(rows, key=lambda r: r.time_ns)]
    return {"hourly": hourly, "kwh": sum(hourly), "model": rows[0].series.tag("model"),
            "issued_at": rows[0].fields["issued_at"]}


def write_site(folder: Path, extra_yaml: str = "") -> Path:
    store_path = folder / "store.db"
    config = folder / "site.yaml"
    config.write_text(SITE_YAML.replace("STORE", str(store_path)) + extra_yaml,
                      encoding="utf-8")
    (folder / "test-tariff.yaml").write_text(TARIFF_YAML, encoding="utf-8")
    return config


def fill(config, store: Store, first: dt.date = FIRST, last: dt.date = DAY,
         **trouble) -> None:
    """Counters for [first, last] (with optional trouble), metered; the forecast for `last`
    (and the day after) issued at its midnight from the history before it."""
    store.write(counter_rows(first, last, **trouble))
    run_metering(config, store, first, last)
    run_forecast(config, store, last)
