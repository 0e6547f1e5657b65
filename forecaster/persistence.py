"""Stage 2: forecast the calendar/temperature model's error from what is known at the origin.

For each lead hour L (1…H) one small least-squares fit maps features of the errors up to
the origin o to the error at o + L. Features (all errors clipped at `clip`):

- the last hour's error, and the mean error of the last 24 h (yesterday's level);
- the error at the same hour one day and one week before (last day's / week's shape);
- the mean error at the same hour over the last 7 days (a steadier shape);
- the mean error of the last week's hours of the *same class* as the target hour
  (workday or not), and the error at the same hour of the latest day of that class:
  after a weekend, Monday learns from Friday, not from Sunday.

`use` < 7 keeps the first `use` features (4 = version 0.1's set, for comparisons).
"""

from __future__ import annotations

import numpy as np

__all__ = ["N_FEATURES", "Features", "fit_leads"]

DAY, WEEK = 24, 168
N_FEATURES = 7


def _lag(x: np.ndarray, k: int) -> np.ndarray:
    """x shifted forward by k steps (0 where unknown)."""
    out = np.zeros_like(x)
    if 0 <= k < x.size:
        out[k:] = x[: x.size - k]
    return out


def _trailing_mean(x: np.ndarray, width: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, x.size + 1)
    return (c[i] - c[np.maximum(i - width, 0)]) / width


class Features:
    """The lead-independent parts computed once; `at(lead, target_work)` assembles a lead."""

    def __init__(self, r: np.ndarray, work: np.ndarray, clip: float) -> None:
        rc = np.clip(np.nan_to_num(r), -clip, clip)
        comb = rc.copy()
        for j in range(1, 7):
            comb += _lag(rc, DAY * j)
        self.rc, self.comb, self.work = rc, comb / 7.0, work
        self.day = _trailing_mean(rc, DAY)
        self.week_w = _trailing_mean(rc * work, WEEK) / np.maximum(
            _trailing_mean(work * 1.0, WEEK), 1e-9)
        self.week_o = _trailing_mean(rc * ~work, WEEK) / np.maximum(
            _trailing_mean(~work * 1.0, WEEK), 1e-9)

    def at(self, lead: int, target_work: np.ndarray | bool, use: int = N_FEATURES,
           ) -> np.ndarray:
        """Rows o = 0…n-1: the features to forecast the error at o + lead from r[: o + 1];
        `target_work`: whether hour o + lead is on a workday (per row, or one for all)."""
        rc = self.rc
        same_day = DAY * ((lead + DAY - 1) // DAY)
        cols = [rc, self.day, _lag(rc, same_day - lead),
                _lag(rc, WEEK - lead) if lead <= WEEK else np.zeros_like(rc),
                _lag(self.comb, same_day - lead),
                np.where(target_work, self.week_w, self.week_o)][:use]
        if use >= 7:
            cols.append(self._same_class(lead, target_work, same_day))
        return np.column_stack(cols)

    def _same_class(self, lead: int, target_work: np.ndarray | bool, same_day: int,
                    ) -> np.ndarray:
        """The error at the same hour of the latest known day of the target's class."""
        out = np.zeros_like(self.rc)
        found = np.zeros(self.rc.size, bool)
        for k in range(same_day, same_day + WEEK - DAY + 1, DAY):
            match = ~found & (_lag(self.work, k - lead) == target_work)
            out = np.where(match, _lag(self.rc, k - lead), out)
            found |= match
        return out


def fit_leads(r: np.ndarray, work: np.ndarray, horizon: int, clip: float, warm: int,
              use: int = N_FEATURES) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Per lead: least-squares coefficients (horizon x N_FEATURES), its in-sample errors
    (targets with a known error past the first `warm` hours) and their indices in `r`.
    Leads with fewer than 48 targets get zero coefficients (the error is left to the
    intervals)."""
    n = r.size
    coef = np.zeros((horizon, N_FEATURES))
    errors, where = [], []
    feats = Features(r, work, clip)
    for lead in range(1, horizon + 1):
        yt = r[lead:]
        keep = np.isfinite(yt) & (np.arange(n - lead) >= warm)
        where.append(np.nonzero(keep)[0] + lead)
        if keep.sum() < 48 or use == 0:
            errors.append(yt[keep])
            continue
        target = np.concatenate([work[lead:], np.zeros(lead, bool)])
        x = feats.at(lead, target, use)[: n - lead][keep]
        c, *_ = np.linalg.lstsq(x, yt[keep], rcond=None)
        coef[lead - 1, :use] = c
        errors.append(yt[keep] - x @ c)
    return coef, errors, where
