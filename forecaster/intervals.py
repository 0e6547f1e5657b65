"""Prediction intervals: empirical quantiles of the model's own errors, per lead hour.

Each lead's errors (stage 2, in the fit) are divided by the error spread of their *slot*,
local hour of day × workday or not (RMS over the residual window), so one set of quantiles
per lead serves quiet nights, busy mornings and weekends alike (by hour alone a weekend's
band was as wide as a workday's, and too wide). Errors in the fit understate errors on days
the model has not seen; `scales` (80 %, 95 %) widen them, calibrated by the backtest on the
tuning half of the buildings (forecaster/README.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROBS", "adapted_scales", "bounds", "lead_quantiles", "slot", "slot_spread"]

PROBS = (0.025, 0.10, 0.90, 0.975)  # lower 95, lower 80, upper 80, upper 95
MIN_SLOT_ERRORS = 8  # fewer in a slot: its hour's spread over both classes


def slot(hour: np.ndarray, work: np.ndarray) -> np.ndarray:
    """Slot 0-47 of each hour: local hour, plus 24 on days that are not workdays."""
    return hour + 24 * ~np.asarray(work, bool)


def slot_spread(r: np.ndarray, hour: np.ndarray, work: np.ndarray) -> np.ndarray:
    """RMS of the finite errors per slot (`slot`); where a slot has too few, that of its
    hour over both classes, and where the hour has none, the overall RMS."""
    fin = np.isfinite(r)
    s = slot(hour, work)[fin]
    n = np.bincount(s, minlength=48).astype(float)
    ss = np.bincount(s, weights=r[fin] ** 2, minlength=48)
    n_hour, ss_hour = n[:24] + n[24:], ss[:24] + ss[24:]
    by_hour = np.where(n_hour > 0, np.sqrt(ss_hour / np.maximum(n_hour, 1)),
                       np.sqrt(ss.sum() / max(n.sum(), 1)))
    spread = np.where(n >= MIN_SLOT_ERRORS, np.sqrt(ss / np.maximum(n, 1)),
                      np.tile(by_hour, 2))
    return np.maximum(spread, 1e-3 * max(float(spread.mean()), 1e-9))


def lead_quantiles(errors: list[np.ndarray], slots: list[np.ndarray],
                   spread: np.ndarray) -> np.ndarray:
    """(leads, 4) quantiles `PROBS` of each lead's errors in units of their slot's spread."""
    q = np.zeros((len(errors), len(PROBS)))
    for i, (e, s) in enumerate(zip(errors, slots, strict=True)):
        if e.size:
            q[i] = np.quantile(e / spread[s], PROBS)
    return q


def _width80(errors: list[np.ndarray], slots: list[np.ndarray], spread: np.ndarray) -> float:
    """Width of the central 80 % of the errors of all leads, in units of their slot's spread."""
    z = np.concatenate([e / spread[s] for e, s in zip(errors, slots, strict=True)])
    z = z[np.isfinite(z)]
    return float(np.subtract(*np.quantile(z, [0.9, 0.1]))) if z.size >= 100 else np.nan


def adapted_scales(scales: tuple[float, float], adapt: float, fit: list[np.ndarray],
                   fit_slots: list[np.ndarray], held: list[np.ndarray],
                   held_slots: list[np.ndarray], spread: np.ndarray) -> tuple[float, float]:
    """`scales` moved towards this building's own ratio of out-of-sample to in-sample
    error width: `held` are its day-ahead errors on recent days it was not fitted on,
    `fit` those in the fit. The fixed scales are the typical ratio (80 %); a building whose
    recent days were calmer or wilder than its fit gets `(ratio / typical) ** adapt` of
    that, 0 = none, 1 = all."""
    ratio = _width80(held, held_slots, spread) / _width80(fit, fit_slots, spread)
    if not np.isfinite(ratio) or ratio <= 0:
        return scales
    f = (ratio / scales[0]) ** adapt
    return scales[0] * f, scales[1] * f


def bounds(value: np.ndarray, q: np.ndarray, spread: np.ndarray,
           scales: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """(lo95, lo80, hi80, hi95) around `value` from quantile rows `q` and spreads, one
    per hour forecast."""
    k80, k95 = scales
    width = q * spread[:, None] * np.array([k95, k80, k80, k95])
    return tuple(value + width[:, j] for j in range(4))
