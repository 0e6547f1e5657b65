"""Stage 3: per building, combine the model with last week and the mean of the last 7 days.

Some buildings repeat last week better than any calendar model can describe them (a
timetable that changes week by week); for most the model is far better. Which is which is
learnt per building from its own out-of-sample errors: the model is fitted once more on the
history before the last `combine_days` days and replayed over them (stage 2 fed its own
errors up to each origin, as in use), and for each lead hour a ridge least squares of those
day-ahead errors on (last week − model, mean of 7 − model) gives the weights of the two
persistence forecasts, shrunk towards the model alone (`shrink` × the diagonal), pooled
over neighbouring leads and clipped to a convex combination. Errors in the fit itself would
not do: the fit has seen those days and looks better than it is (tried: half the gain).

"Last week" is the same local hour 7 days earlier; "mean of 7" the mean of the same local
hour over the last 7 days known at the origin (days ⌈lead/24⌉ … ⌈lead/24⌉ + 6 back).
"""

from __future__ import annotations

import warnings

import numpy as np

from forecaster import persistence as P

__all__ = ["PAST_HOURS", "columns", "combined", "fit_weights", "persistence_forecasts",
           "replay"]

DAY, WEEK = 24, 168
PAST_HOURS = 15 * DAY  # history a forecast needs: 7 days back from up to 8 days ahead


def _lag(y: np.ndarray, off: np.ndarray, work: np.ndarray, idx: np.ndarray,
         off_idx: np.ndarray, work_idx: np.ndarray, days: np.ndarray | int, last: np.ndarray,
         ) -> np.ndarray:
    """y at the same local hour `days` days before index `idx` (whose UTC offset, in hours,
    is `off_idx`); NaN where outside `y`, after `last` (the origin) or on a day of the
    other class (workday or not) than `work_idx`."""
    p = idx - DAY * days
    inside = (p >= 0) & (p < y.size)
    q = np.where(inside, p, 0)
    q = np.clip(q + off_idx - off[q], 0, y.size - 1)
    ok = inside & (q <= last) & (work[q] == work_idx)
    out = np.full(idx.shape, np.nan)
    out[ok] = y[q[ok]]
    return out


def persistence_forecasts(y: np.ndarray, off: np.ndarray, work: np.ndarray, idx: np.ndarray,
                          off_idx: np.ndarray, work_idx: np.ndarray, lead: np.ndarray | int,
                          ) -> tuple[np.ndarray, np.ndarray]:
    """(last week, mean of the last 7 known days) at the same local hour, for target
    indices `idx` into the hourly series `y` (UTC offsets `off` in hours, workday flags
    `work`) forecast `lead` hours ahead: only values up to index `idx - lead`, and only
    from days of the target's class (a bank holiday is no forecast for a Monday)."""
    lead = np.broadcast_to(np.asarray(lead), idx.shape)
    last = idx - lead
    first = -(-lead // DAY)  # the most recent whole day known
    args = (y, off, work, idx, off_idx, work_idx)
    naive = _lag(*args, 7, last)
    lags = np.vstack([_lag(*args, first + k, last) for k in range(7)])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all seven unknown: NaN
        mean7 = np.nanmean(lags, axis=0)
    return naive, mean7


def replay(r: np.ndarray, work: np.ndarray, ar: np.ndarray, clip: float, cut: int,
           ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Stage 2 with fixed coefficients `ar` run over the errors `r` of a stage 1 fitted
    before index `cut`: per lead, (target indices from `cut` on, errors left)."""
    start = cut - WEEK - 1  # a week of errors before the first origin
    wk = work[start:r.size]
    feats = P.Features(r[start:], wk, clip)
    idx, err = [], []
    for lead in range(1, ar.shape[0] + 1):
        o = np.arange(WEEK + 1 - lead, wk.size - lead)  # origins of the targets
        target = np.concatenate([wk[lead:], np.zeros(lead, bool)])
        at = start + o + lead
        idx.append(at)
        err.append(r[at] - feats.at(lead, target)[o] @ ar[lead - 1])
    return idx, err


def columns(y: np.ndarray, off: np.ndarray, work: np.ndarray, idx: list[np.ndarray],
            error: list[np.ndarray]) -> list[np.ndarray]:
    """Per lead: (last week − model, mean of 7 − model) at target indices `idx`, where the
    model's forecast is y − `error`."""
    out = []
    for lead, (at, e) in enumerate(zip(idx, error, strict=True), start=1):
        naive, mean7 = persistence_forecasts(y, off, work, at, off[at], work[at], lead)
        model = y[at] - e
        out.append(np.column_stack([naive - model, mean7 - model]))
    return out


def combined(error: list[np.ndarray], x: list[np.ndarray], w: np.ndarray) -> list[np.ndarray]:
    """The combination's errors per lead (the model's where a persistence value is missing)."""
    return [e - np.nan_to_num(xi @ wi) for e, xi, wi in zip(error, x, w, strict=True)]


def fit_weights(error: list[np.ndarray], x: list[np.ndarray], shrink: float, pool: int = 3,
                ) -> np.ndarray:
    """Per lead, weights (last week, mean of 7) from the model's errors `error[L]` and the
    columns `x[L]` = (last week − model, mean of 7 − model); normal equations summed over
    leads L ± `pool`, ridge `shrink` × their diagonal, clipped to a convex combination."""
    n = len(error)
    a = np.zeros((n, 2, 2))
    b = np.zeros((n, 2))
    for i, (e, xi) in enumerate(zip(error, x, strict=True)):
        use = np.isfinite(xi).all(axis=1) & np.isfinite(e)
        a[i] = xi[use].T @ xi[use]
        b[i] = xi[use].T @ e[use]
    w = np.zeros((n, 2))
    for i in range(n):
        lo, hi = max(i - pool, 0), min(i + pool + 1, n)
        aa, bb = a[lo:hi].sum(axis=0), b[lo:hi].sum(axis=0)
        aa = aa + shrink * np.diag(np.diag(aa)) + 1e-12 * np.eye(2)
        wi = np.clip(np.linalg.solve(aa, bb), 0.0, None)
        w[i] = wi / max(float(wi.sum()), 1.0)
    return w
