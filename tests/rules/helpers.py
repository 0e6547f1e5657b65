"""Small builders for metering tests: counters from a load profile, tariffs from dicts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np

NS = 1_000_000_000


def ns(local: str, tz: str = "Asia/Shanghai") -> int:
    """'2026-06-01T00:00' local → epoch ns."""
    stamp = dt.datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(tz))
    return int(stamp.timestamp()) * NS


def counter_from_load(
    start: str, end: str, kw, tz: str = "Asia/Shanghai", step_min: int = 15, initial: float = 0.0
):
    """Readings every `step_min` from local `start` to `end` (inclusive) of a counter
    fed by `kw(local_datetime)` kW, constant over each step. Returns (time_ns, value)."""
    zone = ZoneInfo(tz)
    t0 = ns(start, tz)
    t1 = ns(end, tz)
    step = step_min * 60 * NS
    times = t0 + np.arange((t1 - t0) // step + 1, dtype=np.int64) * step
    loads = np.array([kw(dt.datetime.fromtimestamp(t / NS, zone)) for t in times[:-1]], np.float64)
    values = initial + np.concatenate(([0.0], np.cumsum(loads * step_min / 60)))
    return times, values


def simple_tariff(windows, prices, **extra) -> dict:
    """One-season, one-version tariff dict."""
    return {
        "name": "test",
        "calendar": extra.pop("calendar", {"country": "CN"}),
        "versions": [
            {
                "effective_from": "2020-01-01",
                "seasons": [
                    {
                        "name": "all",
                        "months": list(range(1, 13)),
                        "windows": windows,
                        "prices": prices,
                    }
                ],
                **extra,
            }
        ],
    }


def w(period: str, start: str, end: str, days=None) -> dict:
    out = {"period": period, "start": start, "end": end}
    if days is not None:
        out["days"] = days
    return out
