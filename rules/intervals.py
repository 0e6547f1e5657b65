"""Counters → interval amounts: one rule for every point of every energy class.

The amount of interval [t0, t1) is C(t1) − C(t0), where C is the point's
corrected counter (in its class's unit: kWh, m³, GJ, kg) linearly interpolated
in time between readings. The
intervals lie on the local clock grid (see `rules.clock.grid`). So irregular
timestamps need no special case — a meter read every 15 minutes and one read by
hand once a day go through the same code — and an amount across a gap spreads
evenly in time; intervals touching a gap longer than `max_gap_ns` are `estimated`.

Corrections, decided per step between consecutive readings of a point:
- a drop below the previous value on a point with a declared `rollover`
  wraps: Δ = new + rollover − old;
- a drop larger than `jitter` without rollover is a meter reset or
  replacement: the step counts 0 and the counter continues from the new value
  (reported as an event; the intervals it spans are `estimated`);
- a step whose mean rate exceeds the point's physical maximum (`max_rate`, the
  class's unit per hour: kW for electricity) is flagged, counts 0 and is reported;
- power points (kW) become a counter by the trapezoid rule per step.

Everything is vectorised over all readings at once; only the interpolation
runs once per point (a slice each, which keeps it cache-friendly). Inputs are
columnar arrays sorted by (point, time), times UTC ns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rules.clock import NS

ENERGY, POWER = 0, 1
EVENT_KINDS = ("reset", "rollover", "above_max")
RESET, ROLLOVER, ABOVE_MAX = 0, 1, 2
_HOUR_NS = 3600 * NS


@dataclass(frozen=True)
class PointRules:
    """Per-point settings, arrays indexed like the readings' point_index."""

    quantity: np.ndarray  # int8: ENERGY (a cumulative counter) or POWER (kW)
    rollover: np.ndarray  # float64 counter value at which it wraps to 0; NaN = none
    max_rate: np.ndarray  # float64 physical maximum per hour (kW, m³/h, …); NaN = none

    @classmethod
    def uniform(cls, n_points: int, quantity: int = ENERGY) -> PointRules:
        return cls(
            np.full(n_points, quantity, np.int8),
            np.full(n_points, np.nan),
            np.full(n_points, np.nan),
        )


@dataclass(frozen=True)
class MeterEvents:
    """Counter events, one entry per affected step (the later reading's time)."""

    point: np.ndarray  # int64 point index
    time_ns: np.ndarray
    kind: np.ndarray  # int8 index into EVENT_KINDS
    before: np.ndarray  # counter before the step
    after: np.ndarray  # counter after the step

    def __len__(self) -> int:
        return int(self.point.size)

    def records(self, points: tuple[str, ...] | list[str]) -> list[dict]:
        return [
            {
                "point": points[int(p)],
                "time_ns": int(t),
                "kind": EVENT_KINDS[int(k)],
                "before": float(b),
                "after": float(a),
            }
            for p, t, k, b, a in zip(
                self.point, self.time_ns, self.kind, self.before, self.after, strict=True
            )
        ]


@dataclass(frozen=True)
class IntervalEnergy:
    """Amount per (point, interval) in the point's unit; NaN where readings do not cover it."""

    amount: np.ndarray  # float64 (n_points, n_intervals)
    estimated: np.ndarray  # bool (n_points, n_intervals)
    events: MeterEvents


def sort_readings(
    point_index: np.ndarray, time_ns: np.ndarray, value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort columnar readings by (point, time)."""
    order = np.lexsort((time_ns, point_index))
    return point_index[order], time_ns[order], value[order]


def _clean(
    pi: np.ndarray, t: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop non-finite values and repeated timestamps (the last reading wins)."""
    if pi.size > 1:
        step_back = (pi[1:] < pi[:-1]) | ((pi[1:] == pi[:-1]) & (t[1:] < t[:-1]))
        if step_back.any():
            raise ValueError("readings must be sorted by (point, time); use sort_readings()")
    keep = np.isfinite(v)
    if pi.size > 1:
        keep[:-1] &= ~((pi[1:] == pi[:-1]) & (t[1:] == t[:-1]))
    if keep.all():
        return pi, t, v
    return pi[keep], t[keep], v[keep]


def interval_energy(
    point_index: np.ndarray,
    time_ns: np.ndarray,
    value: np.ndarray,
    bounds_ns: np.ndarray,
    rules: PointRules,
    max_gap_ns: int,
    jitter: float = 0.001,
) -> IntervalEnergy:
    """Amount of every point in every interval [bounds[k], bounds[k+1])."""
    n_points = int(rules.quantity.size)
    n_bounds = int(bounds_ns.size)
    n_int = n_bounds - 1
    pi, t, v = _clean(
        np.asarray(point_index), np.asarray(time_ns, np.int64), np.asarray(value, np.float64)
    )
    n = int(t.size)
    if n and (pi.min() < 0 or pi.max() >= n_points):
        raise ValueError(
            f"point_index must lie in 0..{n_points - 1} (one entry per PointRules row)"
        )
    empty_events = MeterEvents(
        *(np.empty(0, d) for d in (np.int64, np.int64, np.int8, float, float))
    )
    if n == 0 or n_int <= 0:
        amount = np.full((n_points, max(n_int, 0)), np.nan)
        return IntervalEnergy(amount, np.zeros(amount.shape, bool), empty_events)

    same = pi[1:] == pi[:-1]
    later_point = pi[1:]
    dt_ns = np.diff(t)
    delta = np.diff(v)  # becomes the corrected amount of each step

    is_power = rules.quantity[later_point] == POWER
    if is_power.any():
        idx = np.flatnonzero(is_power)
        delta[idx] = 0.5 * (v[idx] + v[idx + 1]) * (dt_ns[idx] / _HOUR_NS)
    neg = np.flatnonzero(same & ~is_power & (delta < -jitter))
    wrap = rules.rollover[later_point[neg]]
    rolled = neg[np.isfinite(wrap)]
    delta[rolled] += wrap[np.isfinite(wrap)]
    resets = neg[~np.isfinite(wrap)]
    delta[resets] = 0.0
    del is_power

    above = np.empty(0, np.int64)
    if np.isfinite(rules.max_rate).any():
        limit = rules.max_rate[later_point] * (dt_ns / _HOUR_NS) * (1 + 1e-9)
        above = np.flatnonzero(same & (delta > limit))  # NaN limit compares False
        delta[above] = 0.0
        del limit

    flagged = np.flatnonzero(same & (dt_ns > max_gap_ns))
    flagged = np.union1d(flagged, np.union1d(resets, above))
    del dt_ns

    first = np.flatnonzero(np.concatenate(([True], ~same)))
    last = np.append(first[1:], n) - 1
    # per point: its corrected counter from 0 at its first reading (a running total of its
    # own, so a small meter keeps its digits next to a large one), then one np.interp on
    # its small, cache-friendly slice
    counter = np.zeros(n, np.float64)
    gx = (bounds_ns - bounds_ns[0]) / NS
    x = (t - bounds_ns[0]) / NS
    lo = np.searchsorted(bounds_ns, t[first], side="left")  # first boundary ≥ first reading
    hi = np.searchsorted(bounds_ns, t[last], side="right")  # past the last boundary ≤ last
    cum = np.full((n_points, n_bounds), np.nan)
    for p, a, b, k0, k1 in zip(pi[first], first, last + 1, lo, hi, strict=True):
        if k1 > k0:
            np.cumsum(delta[a : b - 1], out=counter[a + 1 : b])
            cum[p, k0:k1] = np.interp(gx[k0:k1], x[a:b], counter[a:b])
    del x, counter, delta
    amount = np.diff(cum, axis=1)
    del cum

    estimated = _mark_steps(flagged, pi, t, bounds_ns, n_points, n_int)
    events = _events(rolled, resets, above, pi, t, v)
    return IntervalEnergy(amount, estimated, events)


def _mark_steps(
    steps: np.ndarray,
    pi: np.ndarray,
    t: np.ndarray,
    bounds_ns: np.ndarray,
    n_points: int,
    n_int: int,
) -> np.ndarray:
    """Mark every interval that overlaps one of the given reading steps (i → i+1)."""
    marks = np.zeros(n_points * n_int + 1, np.int32)
    if steps.size:
        k0 = np.searchsorted(bounds_ns, t[steps], side="right") - 1
        k1 = np.searchsorted(bounds_ns, t[steps + 1], side="left") - 1
        k0 = np.clip(k0, 0, None)
        k1 = np.clip(k1, None, n_int - 1)
        ok = k1 >= k0
        row = pi[steps][ok].astype(np.int64) * n_int
        np.add.at(marks, row + k0[ok], 1)
        np.add.at(marks, row + k1[ok] + 1, -1)
    return (np.cumsum(marks[:-1], dtype=np.int32) > 0).reshape(n_points, n_int)


def _events(
    rolled: np.ndarray,
    resets: np.ndarray,
    above: np.ndarray,
    pi: np.ndarray,
    t: np.ndarray,
    v: np.ndarray,
) -> MeterEvents:
    steps = np.concatenate((resets, rolled, above)).astype(np.int64)
    kinds = np.concatenate(
        (
            np.full(resets.size, RESET),
            np.full(rolled.size, ROLLOVER),
            np.full(above.size, ABOVE_MAX),
        )
    ).astype(np.int8)
    order = np.lexsort((t[steps + 1], pi[steps + 1])) if steps.size else np.empty(0, np.int64)
    steps, kinds = steps[order], kinds[order]
    return MeterEvents(pi[steps + 1].astype(np.int64), t[steps + 1], kinds, v[steps], v[steps + 1])
