"""Closures the calendar does not know: workdays on which a building ran like on a Sunday.

Universities close between Christmas and New Year, schools for half-term, offices on
bridge days; no public-holiday calendar lists those. Looked at per local day:

- a calendar workday is *closed* when its mean load sits nearer the building's recent
  non-workday level than its recent workday level (below off + `THRESHOLD` · (work − off),
  levels = medians of the 5 weeks around it), the building has a clear weekly pattern
  (work − off ≥ `MIN_GAP` · work), and the day lies `NOISE_SIGMAS` robust sigmas below a
  normal workday (so noisy buildings are left alone); the model then fits it as a Sunday;
- a future workday is forecast closed when the same date a year before was a closed
  workday; after a closed workday, the next ones (unless normal workdays a year before)
  are forecast as a mixture of closed and open, weighted by how often a closed workday
  was followed by another in the history — a closure is followed within a day, a lone
  closed day (snow, strike) costs half as much as a full bet on it.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["ClosureMemory", "detect"]

SUNDAY = 6
THRESHOLD = 0.35
MIN_GAP = 0.08
NOISE_SIGMAS = 4.0  # a closed day also lies this many robust sigmas below a normal workday
SPAN_DAYS = 17  # half-width of the window the reference levels come from


class ClosureMemory:
    """What the forecast needs from the history: closed workdays worth remembering (in a run
    of closed workdays touching a public holiday), normal
    workdays (day ordinals), whether the last workday was closed, and how often a closed
    workday was followed by another (`p_follow`)."""

    def __init__(self, remembered: np.ndarray, normal: np.ndarray, last_closed: bool = False,
                 p_follow: float = 0.5) -> None:
        self.remembered = np.asarray(remembered, dtype=np.int64)
        self.normal = np.asarray(normal, dtype=np.int64)
        self.last_closed = bool(last_closed)
        self.p_follow = float(p_follow)

    def p_closed(self, ordinal: np.ndarray, daytype: np.ndarray,
                 near_holiday: np.ndarray) -> np.ndarray:
        """Per future hour: the probability that its (calendar) workday is closed — 1 when
        the date was a remembered closure a year before and is next to a public holiday
        again (Easter moves), `p_follow` after a closed workday unless the date was a
        normal workday a year before, else 0. `near_holiday`: per hour, whether the day
        before or after is a public holiday on a weekday."""
        p = np.zeros(ordinal.size)
        remembered, normal = set(self.remembered.tolist()), set(self.normal.tolist())
        for day in np.unique(ordinal[daytype < 5]).tolist():
            year_ago = _year_before(day)
            if year_ago in remembered and near_holiday[ordinal == day].any():
                p[ordinal == day] = 1.0
            elif self.last_closed and year_ago not in normal:
                p[ordinal == day] = self.p_follow
        return p


def _year_before(ordinal: int) -> int:
    d = dt.date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year - 1).toordinal()
    except ValueError:  # 29 February
        return -1


def _rolling_median(day: np.ndarray, value: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Per day: median of `value` over days with `where` within ± SPAN_DAYS (NaN if none)."""
    out = np.full(day.size, np.nan)
    idx = np.nonzero(where)[0]
    for i, d in enumerate(day):
        lo, hi = np.searchsorted(day[idx], [d - SPAN_DAYS, d + SPAN_DAYS + 1])
        if hi - lo >= 3:
            out[i] = np.median(value[idx[lo:hi]])
    return out


def detect(y: np.ndarray, ordinal: np.ndarray, daytype: np.ndarray,
           ) -> tuple[np.ndarray, ClosureMemory]:
    """Day types with closed workdays set to Sunday, and the memory for forecasting."""
    days, inv = np.unique(ordinal, return_inverse=True)
    ok = np.isfinite(y)
    n_ok = np.bincount(inv, weights=ok, minlength=days.size)
    mean = np.bincount(inv, weights=np.where(ok, y, 0.0), minlength=days.size) / np.maximum(
        n_ok, 1)
    first = np.zeros(days.size, dtype=np.int64)
    first[inv[::-1]] = np.arange(inv.size)[::-1]
    work = daytype[first] < 5
    full = n_ok >= 20
    w_ref = _rolling_median(days, mean, work & full)
    o_ref = _rolling_median(days, mean, ~work & full)
    gap = w_ref - o_ref
    clear = np.isfinite(gap) & (gap >= MIN_GAP * np.abs(w_ref))
    z = np.where(clear, (mean - o_ref) / np.where(clear, gap, 1.0), np.nan)
    zw = z[work & full & clear]
    if zw.size < 20:
        return daytype.copy(), ClosureMemory(days[:0], days[:0])
    mad = 1.4826 * float(np.median(np.abs(zw - np.median(zw))))
    closed = work & full & clear & (z < min(THRESHOLD, 1.0 - NOISE_SIGMAS * mad))
    normal = work & full & ~closed
    seq = closed[work & full]  # closed or not, workday after workday
    after = seq[1:][seq[:-1]]
    p_follow = (after.sum() + 1.0) / (after.size + 2.0)
    holiday = ~work & ((days - 1) % 7 < 5)  # a public holiday on a weekday
    near = np.zeros(days.size, bool)
    near[1:] |= holiday[:-1]
    near[:-1] |= holiday[1:]
    # runs of closed workdays touching a public holiday (Christmas, bridge days) are
    # remembered; term breaks move from year to year, a storm does not come back
    run_id = np.cumsum(np.r_[True, seq[1:] != seq[:-1]])
    touches = np.bincount(run_id, weights=seq & near[work & full]) > 0
    remember = np.zeros(days.size, bool)
    remember[np.nonzero(work & full)[0]] = seq & touches[run_id]
    out = daytype.copy()
    out[closed[inv]] = SUNDAY
    return out, ClosureMemory(days[remember], days[normal], bool(seq[-1]) if seq.size else False,
                              p_follow)
