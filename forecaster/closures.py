"""What the calendar does not know: closed workdays and worked public holidays.

Universities close between Christmas and New Year and still work on some bank holidays,
schools close for half-term, offices on bridge days; no public-holiday calendar lists
that. Each past local day gets a *workness* z = (mean load − off level) / (work level − off
level), with the levels the medians of the building's workdays and weekend days in the
5 weeks around it (z ≈ 1 a normal workday, ≈ 0 a Sunday). Buildings without a clear
weekly pattern (work − off < `MIN_GAP` · work) or whose workdays scatter so much that
`NOISE_SIGMAS` robust sigmas of z reach 1 are left to the calendar.

- A calendar workday with z < `THRESHOLD` and `NOISE_SIGMAS` robust sigmas below a normal
  workday is *closed* and fitted as a Sunday; a weekday
  public holiday with z ≥ ½ was *worked* and is fitted as its weekday.
- Forecast, a workday is closed for sure when the same date a year before was a closed
  workday in a closure touching a public holiday (Christmas, bridge days: they come back
  by date; term breaks move, storms do not come back) and the date is next to a holiday
  again; after a closed workday, the next workdays are a mixture of closed and open,
  weighted by how often a closed workday was followed by another (a closure is followed
  within a day; a lone closed day costs half as much as a full bet on it).
- A weekday public holiday is open with the probability given by the workness of the
  same holiday a year before (the weekday holiday within a week of that date).
"""

from __future__ import annotations

import datetime as dt

import numpy as np

__all__ = ["DayMemory", "SUNDAY", "observe"]

SUNDAY = 6
THRESHOLD = 0.35
MIN_GAP = 0.08
NOISE_SIGMAS = 4.0
SPAN_DAYS = 17  # half-width of the window the reference levels come from


class DayMemory:
    """What the forecast needs from the history (day ordinals): remembered closed workdays,
    normal workdays, weekday holidays and their workness, whether the last workday was
    closed, and how often a closed workday was followed by another (`p_follow`)."""

    def __init__(self, remembered: np.ndarray, normal: np.ndarray, holidays: np.ndarray,
                 holiday_open: np.ndarray, last_closed: bool = False,
                 p_follow: float = 0.5) -> None:
        self.remembered = np.asarray(remembered, dtype=np.int64)
        self.normal = np.asarray(normal, dtype=np.int64)
        self.holidays = np.asarray(holidays, dtype=np.int64)
        self.holiday_open = np.asarray(holiday_open, dtype=float)
        self.last_closed = bool(last_closed)
        self.p_follow = float(p_follow)

    def to_dict(self) -> dict:
        """JSON-safe state; `DayMemory(**state)` restores it."""
        return {"remembered": self.remembered.tolist(), "normal": self.normal.tolist(),
                "holidays": self.holidays.tolist(), "holiday_open": self.holiday_open.tolist(),
                "last_closed": self.last_closed, "p_follow": self.p_follow}

    @classmethod
    def empty(cls) -> DayMemory:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, np.zeros(0))

    def alternative(self, ordinal: np.ndarray, daytype: np.ndarray,
                    near_holiday: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(alternative day type, its probability) per future hour: Sunday for a workday
        that may be closed, the weekday for a holiday that may be worked (p = 0: none).
        `near_holiday`: per hour, whether the day before or after is a weekday holiday."""
        alt, p = daytype.copy(), np.zeros(ordinal.size)
        remembered, normal = set(self.remembered.tolist()), set(self.normal.tolist())
        weekday = (ordinal - 1) % 7
        for day in np.unique(ordinal).tolist():
            at = ordinal == day
            year_ago = _year_before(day)
            if daytype[at][0] < 5:
                if year_ago in remembered and near_holiday[at].any():
                    p[at] = 1.0
                elif self.last_closed and year_ago not in normal:
                    p[at] = self.p_follow
                alt[at] = SUNDAY
            elif weekday[at][0] < 5 and self.holidays.size:
                near = np.abs(self.holidays - year_ago)
                k = int(np.argmin(near))
                if near[k] <= 7:
                    p[at] = self.holiday_open[k]
                    alt[at] = weekday[at][0]
        return alt, p


def _year_before(ordinal: int) -> int:
    d = dt.date.fromordinal(ordinal)
    try:
        return d.replace(year=d.year - 1).toordinal()
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28).toordinal()


def _rolling_median(day: np.ndarray, value: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Per day: median of `value` over days with `where` within ± SPAN_DAYS (NaN if < 3)."""
    first = int(day[0])
    grid = np.full(int(day[-1]) - first + 1 + 2 * SPAN_DAYS, np.nan)
    grid[day[where] - first + SPAN_DAYS] = value[where]
    windows = np.lib.stride_tricks.sliding_window_view(grid, 2 * SPAN_DAYS + 1)[day - first]
    enough = np.isfinite(windows).sum(axis=1) >= 3
    out = np.full(day.size, np.nan)
    if enough.any():
        out[enough] = np.nanmedian(windows[enough], axis=1)
    return out


def observe(y: np.ndarray, ordinal: np.ndarray, daytype: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray, DayMemory]:
    """Day types with closed workdays as Sundays and worked holidays as their weekday, which
    hours lie on such special days (kept out of the levels: a closed day is not quite a
    Sunday), and the memory for forecasting (see the module docstring)."""
    days, inv = np.unique(ordinal, return_inverse=True)
    ok = np.isfinite(y)
    n_ok = np.bincount(inv, weights=ok, minlength=days.size)
    mean = np.bincount(inv, weights=np.where(ok, y, 0.0), minlength=days.size) / np.maximum(
        n_ok, 1)
    first = np.zeros(days.size, dtype=np.int64)
    first[inv[::-1]] = np.arange(inv.size)[::-1]
    work = daytype[first] < 5
    weekday = (days - 1) % 7
    full = n_ok >= 20
    w_ref = _rolling_median(days, mean, work & full)
    o_ref = _rolling_median(days, mean, (weekday >= 5) & full)
    gap = w_ref - o_ref
    clear = np.isfinite(gap) & (gap >= MIN_GAP * np.abs(w_ref))
    z = np.where(clear, (mean - o_ref) / np.where(clear, gap, 1.0), np.nan)
    zw = z[work & full & clear]
    if zw.size < 20:
        return daytype.copy(), np.zeros(y.size, bool), DayMemory.empty()
    mad = 1.4826 * float(np.median(np.abs(zw - np.median(zw))))
    limit = min(THRESHOLD, 1.0 - NOISE_SIGMAS * mad)
    if limit <= 0.0:
        return daytype.copy(), np.zeros(y.size, bool), DayMemory.empty()
    closed = work & full & clear & (z < limit)
    normal = work & full & ~closed
    holiday = ~work & (weekday < 5)
    seen = holiday & full & clear
    open_ = np.clip(z[seen], 0.0, 1.0)
    worked = np.zeros(days.size, bool)
    worked[np.nonzero(seen)[0][open_ >= 0.5]] = True

    seq = closed[work & full]  # closed or not, workday after workday
    after = seq[1:][seq[:-1]]
    p_follow = (after.sum() + 1.0) / (after.size + 2.0)
    near = np.zeros(days.size, bool)
    near[1:] |= holiday[:-1]
    near[:-1] |= holiday[1:]
    run_id = np.cumsum(np.r_[True, seq[1:] != seq[:-1]])
    touches = np.bincount(run_id, weights=seq & near[work & full]) > 0
    remember = np.zeros(days.size, bool)
    remember[np.nonzero(work & full)[0]] = seq & touches[run_id]

    out = daytype.copy()
    out[closed[inv]] = SUNDAY
    out[worked[inv]] = weekday[inv][worked[inv]]
    memory = DayMemory(days[remember], days[normal], days[seen], open_,
                       bool(seq[-1]) if seq.size else False, p_follow)
    return out, (closed | worked)[inv], memory
