"""Spreading a known amount over the metering intervals of its period (manual readings, bills).

A gap between two counter readings, or a bill's period, holds a known total. Each interval
[b_k, b_k+1) gets the share of the period it overlaps, measured on an *axis*: time itself
(linear spread, the default) or a reference profile's cumulative counter (`manual.profile`:
the building's electricity, an occupancy calendar), so the total goes where the profile says
the activity was. Where the profile is flat over the whole period the share falls back to
time, so nothing is lost. Pure: numpy in, numpy out; times are UTC ns.
"""

from __future__ import annotations

import numpy as np


def profile_axis(profile_t: np.ndarray, profile_v: np.ndarray):
    """The cumulative profile as a function of time (ns → units), from a counter's readings
    (steps that go backwards count 0), held constant outside its readings."""
    t = np.asarray(profile_t, np.int64)
    v = np.asarray(profile_v, np.float64)
    cum = np.concatenate(([0.0], np.cumsum(np.clip(np.diff(v), 0.0, None)))) if v.size else v

    def at(x: np.ndarray) -> np.ndarray:
        if t.size == 0:
            return np.zeros(np.shape(x))
        return np.interp(np.asarray(x, np.float64), t.astype(np.float64), cum)

    return at


def spread(start_ns: np.ndarray, end_ns: np.ndarray, totals: np.ndarray, bounds_ns: np.ndarray,
           axis=None) -> tuple[np.ndarray, np.ndarray]:
    """(amount per interval, covered per interval) of periods [start, end) with `totals`.

    `amount` is NaN where no period overlaps; `axis` maps times to the profile's cumulative
    value (see `profile_axis`), None = linear in time.
    """
    n = bounds_ns.size - 1
    amount = np.zeros(n)
    covered = np.zeros(n, bool)
    lo_b, hi_b = bounds_ns[:-1], bounds_ns[1:]
    for s, e, total in zip(np.asarray(start_ns, np.int64), np.asarray(end_ns, np.int64),
                           np.asarray(totals, np.float64), strict=True):
        if e <= s:
            continue
        k0 = max(int(np.searchsorted(hi_b, s, side="right")), 0)
        k1 = min(int(np.searchsorted(lo_b, e, side="left")), n)
        if k1 <= k0:
            continue
        a = np.maximum(lo_b[k0:k1], s)
        b = np.minimum(hi_b[k0:k1], e)
        share = _shares(a, b, s, e, axis)
        amount[k0:k1] += total * share
        covered[k0:k1] = True
    amount[~covered] = np.nan
    return amount, covered


def _shares(a: np.ndarray, b: np.ndarray, s: int, e: int, axis) -> np.ndarray:
    if axis is not None:
        whole = float(axis(np.array([e]))[0] - axis(np.array([s]))[0])
        if whole > 0:
            return (axis(b) - axis(a)) / whole
    return (b - a).astype(np.float64) / float(e - s)


def counter_between(times_ns: np.ndarray, t0: int, v0: float, t1: int, v1: float,
                    axis=None) -> np.ndarray:
    """A counter's estimated values at `times_ns` inside [t0, t1], rising from v0 to v1 along
    `axis` (linear in time when None or flat)."""
    times = np.asarray(times_ns, np.int64)
    share = _shares(np.full(times.size, t0), times, t0, t1, axis)
    return v0 + (v1 - v0) * share
