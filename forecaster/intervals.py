"""Prediction intervals: empirical quantiles of the model's own errors, per lead hour.

Each lead's errors (stage 2, in the fit) are divided by the error spread of their local
hour of day (RMS over the residual window), so one set of quantiles per lead serves quiet
nights and busy mornings alike. Errors in the fit understate errors on days the model has
not seen; `scales` (80 %, 95 %) widen them, calibrated by the backtest on the tuning half
of the buildings (forecaster/README.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["PROBS", "bounds", "hourly_spread", "lead_quantiles"]

PROBS = (0.025, 0.10, 0.90, 0.975)  # lower 95, lower 80, upper 80, upper 95


def hourly_spread(r: np.ndarray, hour: np.ndarray) -> np.ndarray:
    """RMS of the finite errors per local hour 0-23 (the mean spread where an hour has none)."""
    fin = np.isfinite(r)
    n = np.bincount(hour[fin], minlength=24)
    ss = np.bincount(hour[fin], weights=r[fin] ** 2, minlength=24)
    spread = np.sqrt(ss / np.maximum(n, 1))
    spread = np.where(n > 0, spread, np.sqrt(ss.sum() / max(n.sum(), 1)))
    return np.maximum(spread, 1e-3 * max(float(spread.mean()), 1e-9))


def lead_quantiles(errors: list[np.ndarray], hours: list[np.ndarray],
                   spread: np.ndarray) -> np.ndarray:
    """(leads, 4) quantiles `PROBS` of each lead's errors in units of their hour's spread."""
    q = np.zeros((len(errors), len(PROBS)))
    for i, (e, h) in enumerate(zip(errors, hours, strict=True)):
        if e.size:
            q[i] = np.quantile(e / spread[h], PROBS)
    return q


def bounds(value: np.ndarray, q: np.ndarray, spread: np.ndarray,
           scales: tuple[float, float]) -> tuple[np.ndarray, ...]:
    """(lo95, lo80, hi80, hi95) around `value` from per-hour quantile rows `q` and spreads."""
    k80, k95 = scales
    width = q * spread[:, None] * np.array([k95, k80, k80, k95])
    return tuple(value + width[:, j] for j in range(4))
