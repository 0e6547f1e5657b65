"""What the forecast job reads: hourly kWh per building and zone, outdoor temperature.

Energy comes from the metering engine's `energy_interval` (field `kwh`) where a point has
it, else from the raw `energy` counters (interpolated at hour boundaries; a drop is a
rollover when the point has one configured, else a reset, and that step is skipped).
A building's load is the sum of its meters without a parent; a zone's is the sum of the
meters in it or in zones nested in it, without counting a meter whose parent is counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from civicwatt.config import Point, SiteConfig
from store import RawReadings, Store

__all__ = ["HOUR_NS", "Target", "hourly_energy", "hourly_temperature", "targets"]

HOUR_NS = 3_600_000_000_000
MAX_GAP_H = 3  # a counter gap longer than this leaves its hours missing, not interpolated


@dataclass(frozen=True)
class Target:
    """One series to forecast: a building (zone == building id) or a zone, and its meters."""

    building: str
    zone: str
    points: tuple[str, ...]


def _energy_points(config: SiteConfig) -> list[Point]:
    return [p for p in config.points if p.quantity == "energy" and p.unit == "kWh"]


def targets(config: SiteConfig, zones: bool = True) -> list[Target]:
    """Every building with a meter, and (if `zones`) every zone with a meter in or under it."""
    points = _energy_points(config)
    ids = {p.id for p in points}
    out = []
    for b in config.buildings:
        top = tuple(p.id for p in points
                    if p.building == b.id and (p.parent is None or p.parent not in ids))
        if top:
            out.append(Target(b.id, b.id, top))
    if not zones:
        return out
    tree = config.zones()

    def under(zone: str, candidate: str) -> bool:
        while candidate:
            if candidate == zone:
                return True
            candidate = tree.get(candidate, ("", None))[1] or ""
        return False

    for zone, (building, _) in tree.items():
        inside = [p for p in points if p.building == building and p.zone and under(zone, p.zone)]
        names = {p.id for p in inside}
        chosen = tuple(p.id for p in inside if p.parent not in names)
        if chosen:
            out.append(Target(building, zone, chosen))
    return out


def _bin(t: np.ndarray, v: np.ndarray, start_ns: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum, count) of values per hour [start, start + n h)."""
    idx = (t - start_ns) // HOUR_NS
    ok = (idx >= 0) & (idx < n) & np.isfinite(v)
    return (np.bincount(idx[ok], weights=v[ok], minlength=n),
            np.bincount(idx[ok], minlength=n))


def _bin_sum(t: np.ndarray, v: np.ndarray, start_ns: int, n: int) -> np.ndarray:
    """Sum values into hours; hours with nothing are NaN."""
    total, count = _bin(t, v, start_ns, n)
    return np.where(count > 0, total, np.nan)


def counter_to_hourly(t: np.ndarray, v: np.ndarray, rollover: float | None, start_ns: int,
                      n: int) -> np.ndarray:
    """Hourly kWh from a cumulative counter's readings (rollovers unwrapped, resets skipped)."""
    out = np.full(n, np.nan)
    if t.size < 2:
        return out
    step = np.diff(v)
    if rollover:
        step = np.where(step < 0, step + rollover, step)
    step = np.where(step < 0, 0.0, step)  # a reset: the step's energy is unknown, count none
    cum = np.concatenate([[0.0], np.cumsum(step)])
    edges = start_ns + HOUR_NS * np.arange(n + 1, dtype=np.int64)
    at = np.interp(edges.astype(float), t.astype(float), cum)
    covered = (edges >= t[0]) & (edges <= t[-1])
    hourly = np.diff(at)
    ok = covered[:-1] & covered[1:]
    # hours inside a long gap between readings are unknown, not a straight line
    gap_at = np.nonzero(np.diff(t) > MAX_GAP_H * HOUR_NS)[0]
    for g in gap_at:
        lo = (t[g] - start_ns) // HOUR_NS
        hi = (t[g + 1] - start_ns) // HOUR_NS
        ok[max(lo, 0): max(min(hi + 1, n), 0)] = False
    out[ok] = hourly[ok]
    return out


def hourly_energy(store: Store, config: SiteConfig, start_ns: int, n_hours: int,
                  ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Per energy point: hourly kWh over [start, start + n h), and where it came from."""
    end_ns = start_ns + n_hours * HOUR_NS
    points = _energy_points(config)
    intervals: RawReadings = store.read_raw("energy_interval", start_ns, end_ns,
                                            [p.id for p in points], field="kwh")
    series: dict[str, np.ndarray] = {}
    source: dict[str, str] = {}
    for pid in intervals.points:
        t, v = intervals.of(pid)
        series[pid], source[pid] = _bin_sum(t, v, start_ns, n_hours), "energy_interval"
    rest = [p for p in points if p.id not in series]
    if rest:
        # one hour of margin on each side to interpolate the edge hours
        raw = store.read_raw("energy", start_ns - HOUR_NS, end_ns + HOUR_NS, [p.id for p in rest])
        for p in rest:
            t, v = raw.of(p.id)
            if t.size:
                series[p.id] = counter_to_hourly(t, v, p.rollover, start_ns, n_hours)
                source[p.id] = "energy"
    return series, source


def hourly_amounts(store: Store, points: list[str], start_ns: int, n_hours: int,
                   ) -> dict[str, np.ndarray]:
    """Per metered point of any class: hourly amount (its unit) from `energy_interval`."""
    raw = store.read_raw("energy_interval", start_ns, start_ns + n_hours * HOUR_NS, points,
                         field="amount")
    return {pid: _bin_sum(*raw.of(pid), start_ns, n_hours) for pid in raw.points}


def hourly_temperature(store: Store, point: str, start_ns: int, n_hours: int) -> np.ndarray:
    """Hourly mean of an outdoor-air temperature point (°C); NaN where no reading."""
    raw = store.read_raw("temperature", start_ns, start_ns + n_hours * HOUR_NS, [point])
    t, v = raw.of(point)
    total, count = _bin(t, v, start_ns, n_hours)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
