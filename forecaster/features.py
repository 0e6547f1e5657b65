"""Design matrices for the load regression (pure numpy).

Columns: one indicator per hour of the week (168; holidays count as Sundays),
or per (workday, hour) for short histories (48), plus heating and cooling
degree-hours around change points, split by occupied / unoccupied hours of the
week (like CalTRACK's occupancy split).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "base_index", "demean_by_group", "hinge_columns",
    "interpolate_short_gaps", "one_hot", "pick_change_points",
]

HEATING_CPS = (8.0, 10.0, 12.0, 14.0, 16.0, 18.0)
COOLING_CPS = (14.0, 16.0, 18.0, 20.0, 22.0, 24.0, 26.0)


def base_index(hour: np.ndarray, daytype: np.ndarray, short: bool) -> tuple[np.ndarray, int]:
    """Group index per hour and number of groups: hour of week, or workday x hour."""
    if short:
        return (daytype >= 5).astype(np.int64) * 24 + hour, 48
    return daytype.astype(np.int64) * 24 + hour, 168


def one_hot(index: np.ndarray, n: int) -> np.ndarray:
    x = np.zeros((index.size, n))
    x[np.arange(index.size), index] = 1.0
    return x


def hinge_columns(temp: np.ndarray, occ: np.ndarray, cp_h: float, cp_c: float) -> np.ndarray:
    """Heating and cooling degree-hours (°C·h per hour), occupied and unoccupied apart."""
    heat = np.maximum(cp_h - temp, 0.0)
    cool = np.maximum(temp - cp_c, 0.0)
    o = occ.astype(float)
    return np.column_stack([heat * o, heat * (1 - o), cool * o, cool * (1 - o)])


def interpolate_short_gaps(x: np.ndarray, max_gap: int = 6) -> np.ndarray:
    """Linear fill of NaN runs up to `max_gap` hours; longer runs stay NaN."""
    x = x.copy()
    bad = ~np.isfinite(x)
    if not bad.any() or bad.all():
        return x
    idx = np.arange(x.size)
    filled = np.interp(idx, idx[~bad], x[~bad])
    # length of each NaN run
    edges = np.diff(np.concatenate([[0], bad.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    for s, e in zip(starts, ends, strict=True):
        if e - s <= max_gap and s > 0 and e < x.size:
            x[s:e] = filled[s:e]
    return x


def demean_by_group(v: np.ndarray, group: np.ndarray, n: int, w: np.ndarray) -> np.ndarray:
    """v minus its weighted mean within each group (= residual on the one-hot base)."""
    sw = np.bincount(group, weights=w, minlength=n)
    k = v.shape[1]
    cell = (group[:, None] + n * np.arange(k)).ravel()
    sums = np.bincount(cell, weights=(w[:, None] * v).ravel(), minlength=n * k).reshape(k, n)
    means = sums / np.maximum(sw, 1e-12)
    return v - means.T[group]


def pick_change_points(
    resid: np.ndarray, temp: np.ndarray, occ: np.ndarray, group: np.ndarray, n: int,
    w: np.ndarray,
) -> tuple[float, float]:
    """Heating/cooling change points that most reduce the weighted SSE of the base fit.

    Exact for a one-hot base: projecting it out is de-meaning within each group. Every
    candidate column is de-meaned once; each (heating, cooling) pair then solves a 4x4
    system from their cross products.
    """
    heat = [hinge_columns(temp, occ, cp, 1e9)[:, :2] for cp in HEATING_CPS]
    cool = [hinge_columns(temp, occ, -1e9, cp)[:, 2:] for cp in COOLING_CPS]
    z = demean_by_group(np.hstack(heat + cool), group, n, w)
    zw = z * w[:, None]
    gram, rhs = z.T @ zw, zw.T @ resid
    nh = 2 * len(HEATING_CPS)
    best, best_cp = -1.0, (HEATING_CPS[2], COOLING_CPS[-1])
    for i, cp_h in enumerate(HEATING_CPS):
        for j, cp_c in enumerate(COOLING_CPS):
            if cp_c < cp_h:
                continue
            cols = [2 * i, 2 * i + 1, nh + 2 * j, nh + 2 * j + 1]
            g, b = gram[np.ix_(cols, cols)], rhs[cols]
            coef, *_ = np.linalg.lstsq(g, b, rcond=1e-10)
            gain = float(b @ coef)
            if gain > best:
                best, best_cp = gain, (cp_h, cp_c)
    return best_cp
