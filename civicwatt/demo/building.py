"""The demo building: a real building's measured hourly load, replayed and split into sub-meters.

The load of the demo's local (ISO week, weekday, hour) is the source
building's measured kWh at the same local week, weekday and hour, scaled by
floor area. Sub-meters take fixed shares with seeded noise; HVAC takes the
rest, and 3 % stays unmetered so the balance check has something to find.
Counters rise linearly within each hour, so the energy between any two
readings is exact and a report's totals can be checked against them.

The other energy classes: the gas meter replays the same building's measured
gas (heating) load at 10 kWh per m³; the water meter follows office hours
(40 L per occupant on a workday) and leaks from `leak_from_ns` on; the
district-heat meter takes heating degree hours in the Beijing heating season.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import numpy as np

from rules.clock import local_midnight_ns

HOUR_NS = 3_600_000_000_000
SOURCE_TZ = ZoneInfo("Europe/London")
SOURCE_AREA_M2 = 4427.1
UNMETERED = 0.03


@dataclass(frozen=True)
class SubMeter:
    point: str
    purpose: str
    zone: str
    share: float  # of the building's load; None-like 0 for the HVAC remainder
    baseload: bool = False  # constant (IT) instead of following the load


#: Sub-meters of the demo building; HVAC plant and terminals share the remainder 60/40.
SUB_METERS = (
    SubMeter("demo.f1.light", "01A10", "demo.f1", 0.10),
    SubMeter("demo.f2.light", "01A10", "demo.f2", 0.12),
    SubMeter("demo.corridor", "01A20", "demo.f1", 0.03),
    SubMeter("demo.lifts", "01C10", "demo", 0.05),
    SubMeter("demo.pumps", "01C20", "demo.plant", 0.04),
    SubMeter("demo.it", "01D10", "demo.f1.it", 0.10, baseload=True),
    SubMeter("demo.chiller", "01B10", "demo.plant", 0.0),
    SubMeter("demo.ahu", "01B20", "demo.f2", 0.0),
)
MAIN = SubMeter("demo.main", "01000", "demo", 1.0)


@dataclass(frozen=True)
class ClassMeter:
    """A meter of another energy class (water, gas, heat), read by the BMS."""

    point: str
    quantity: str
    unit: str
    purpose: str
    zone: str


WATER = ClassMeter("demo.water", "water", "m3", "02000", "demo")
GAS = ClassMeter("demo.gas", "gas", "m3", "03000", "demo.plant")
HEAT = ClassMeter("demo.heat", "heat", "GJ", "04000", "demo.plant")
CLASS_METERS = (WATER, GAS, HEAT)
GAS_KWH_PER_M3 = 10.0  # natural gas, lower heating value
WATER_M3_PER_PERSON_DAY = 0.04  # office use on a workday, 08:00–18:00
WATER_NIGHT_M3_PER_H = 0.02  # cisterns and drips: below the leak threshold
LEAK_M3_PER_H = 0.35
HEAT_GJ_PER_KELVIN_HOUR = 0.02  # a district-heated wing: GJ per hour per K below 18 °C
HEATING_SEASON = ((11, 15), (3, 15))  # Beijing's statutory heating period, inclusive


def _load_source() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Measured (kwh, temp_c, gas_kwh) indexed [iso_week-1, weekday, hour] in the source's
    local time."""
    tables = {name: np.full((53, 7, 24), np.nan) for name in ("kwh", "temp_c", "gas_kwh")}
    for name in ("ucam_b52_2019.csv", "ucam_b52_gas_2019.csv"):
        with resources.files("civicwatt.demo").joinpath(f"data/{name}").open() as f:
            for row in csv.DictReader(f):
                local = datetime.fromisoformat(row["timestamp"]).astimezone(SOURCE_TZ)
                _, week, weekday = local.isocalendar()
                cell = (week - 1, weekday - 1, local.hour)
                for column in row.keys() & tables.keys():
                    if row[column]:
                        tables[column][cell] = float(row[column])
    return _fill(tables["kwh"]), _fill(tables["temp_c"]), _fill(tables["gas_kwh"])


def _fill(table: np.ndarray) -> np.ndarray:
    """Fill missing cells from the same weekday and hour of neighbouring weeks."""
    filled = table.copy()
    for shift in (1, -1, 2, -2, 3, -3):
        gaps = np.isnan(filled)
        if not gaps.any():
            break
        filled[gaps] = np.roll(table, shift, axis=0)[gaps]
    return np.where(np.isnan(filled), np.nanmean(table), filled)


class DemoBuilding:
    """Counters and temperatures of the simulated building at any UTC times (epoch ns)."""

    def __init__(self, timezone: str, floor_area_m2: float, origin_ns: int, seed: int = 7,
                 occupants: int = 320, leak_from_ns: int | None = None) -> None:
        self.tz = ZoneInfo(timezone)
        self.scale = floor_area_m2 / SOURCE_AREA_M2
        self.origin_ns = origin_ns - origin_ns % HOUR_NS
        self.seed = seed
        self.occupants = occupants
        self.leak_from_ns = leak_from_ns
        self._kwh, self._temp, self._gas = _load_source()
        self._cache: dict[int, dict[str, float]] = {}
        self.meters = (MAIN, *SUB_METERS)
        self.points = tuple(m.point for m in (*self.meters, *CLASS_METERS))

    def _cell(self, hour_ns: int) -> tuple[int, int, int]:
        local = datetime.fromtimestamp(hour_ns / 1e9, self.tz)
        _, week, weekday = local.isocalendar()
        return min(week, 53) - 1, weekday - 1, local.hour

    def hour_energy(self, hour_ns: int) -> dict[str, float]:
        """Amount of every meter in the hour starting at `hour_ns`: kWh, m³ of water and gas,
        GJ of heat."""
        cached = self._cache.get(hour_ns)
        if cached is not None:
            return cached
        load = float(self._kwh[self._cell(hour_ns)]) * self.scale
        mean = float(np.nanmean(self._kwh)) * self.scale
        rng = np.random.default_rng([self.seed, hour_ns // HOUR_NS])
        energy = {MAIN.point: load}
        fixed = 0.0
        for meter in SUB_METERS:
            if meter.share:
                base = mean if meter.baseload else load
                energy[meter.point] = base * meter.share * float(rng.lognormal(0, 0.05))
                fixed += energy[meter.point]
        hvac = max(load * (1 - UNMETERED) - fixed, 0.0)
        energy["demo.chiller"], energy["demo.ahu"] = 0.6 * hvac, 0.4 * hvac
        energy.update(self._other_classes(hour_ns, rng))
        self._cache[hour_ns] = energy
        return energy

    def _other_classes(self, hour_ns: int, rng: np.random.Generator) -> dict[str, float]:
        local = datetime.fromtimestamp(hour_ns / 1e9, self.tz)
        working = local.weekday() < 5 and 8 <= local.hour < 18
        water = (self.occupants * WATER_M3_PER_PERSON_DAY / 10 if working
                 else WATER_NIGHT_M3_PER_H) * float(rng.lognormal(0, 0.1))
        if self.leak_from_ns is not None and hour_ns >= self.leak_from_ns:
            water += LEAK_M3_PER_H
        (sm, sd), (em, ed) = HEATING_SEASON
        season = (local.month, local.day) >= (sm, sd) or (local.month, local.day) <= (em, ed)
        kelvin = max(18.0 - float(self._temp[self._cell(hour_ns)]), 0.0)
        return {WATER.point: water,
                GAS.point: float(self._gas[self._cell(hour_ns)]) * self.scale / GAS_KWH_PER_M3,
                HEAT.point: HEAT_GJ_PER_KELVIN_HOUR * kelvin if season else 0.0}

    def counters(self, times_ns: np.ndarray) -> dict[str, np.ndarray]:
        """Counter readings of every meter at the given times (≥ origin), linear in hours."""
        times = np.asarray(times_ns, dtype=np.int64)
        last_hour = int(times.max() // HOUR_NS * HOUR_NS)
        hours = np.arange(self.origin_ns, last_hour + HOUR_NS, HOUR_NS, dtype=np.int64)
        per_hour = [self.hour_energy(int(h)) for h in hours]
        out = {}
        for i, point in enumerate(self.points):
            e = np.array([p[point] for p in per_hour])
            start = np.concatenate([[0.0], np.cumsum(e)])
            index = (times - self.origin_ns) // HOUR_NS
            fraction = ((times - self.origin_ns) % HOUR_NS) / HOUR_NS
            out[point] = 10_000.0 * (i + 1) + start[index] + fraction * e[index]
        return out

    def temperature(self, times_ns: np.ndarray) -> np.ndarray:
        """Outdoor temperature (°C): the source's same local week, weekday and hour."""
        return np.array([float(self._temp[self._cell(int(t) // HOUR_NS * HOUR_NS)])
                         for t in np.asarray(times_ns)])

    def power(self, time_ns: int) -> dict[str, float]:
        """Average kW of every meter over the hour containing `time_ns`."""
        return self.hour_energy(time_ns // HOUR_NS * HOUR_NS)


def midnight_days_ago_ns(timezone: str, days_ago: int, now_ns: int) -> int:
    """UTC epoch ns of local midnight `days_ago` days before the local day of `now_ns`."""
    tz = ZoneInfo(timezone)
    today = datetime.fromtimestamp(now_ns / 1e9, tz).date()
    return local_midnight_ns(today - timedelta(days=days_ago), tz)
