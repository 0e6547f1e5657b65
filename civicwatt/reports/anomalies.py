"""Findings an energy officer should act on, each with its point and its evidence.

- after_hours: a meter's mean load in the after-hours window is above its usual
  night baseload (median of the previous `history_days` nights) by a ratio and
  an absolute margin;
- non_working: on a weekend, public or site holiday or closure day (the site's
  calendar, per building), a meter used more than on its usual non-working day
  (median of the non-working days in the history);
- silent: no reading for `silent_hours` up to the end of the day;
- reset: the counter went backwards and it was not a rollover;
- imbalance: a parent meter and the sum of its sub-meters differ beyond a share;
- water_leak, gas_closed, heat_weather: the other energy classes' findings
  (`civicwatt.reports.classes`).

Vectorised over points (one bincount per statistic), so 500 meters cost the
same handful of numpy calls as five.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from civicwatt.config import SiteConfig
from civicwatt.config.calendar import site_calendar
from civicwatt.config.meters import MeterTree
from civicwatt.reports import classes
from civicwatt.reports.data import ReportInputs
from civicwatt.reports.model import Anomaly, Completeness
from civicwatt.reports.settings import AnomalyThresholds
from rules.calendar import CalendarSpec, day_kind, is_working
from rules.clock import DAY_NS, HOUR_NS, local_day_index, minute_of_day, to_local

MIN_HISTORY_NIGHTS = 3
MIN_HISTORY_NON_WORKING = 2


def find(config: SiteConfig, tree: MeterTree, inputs: ReportInputs, interval_ns: int,
         th: AnomalyThresholds) -> list[Anomaly]:
    found = [*_after_hours(tree, inputs, interval_ns, th),
             *_non_working(config, tree, inputs, interval_ns, th),
             *_silent(tree, inputs, interval_ns, th),
             *_resets(config, tree, inputs),
             *_imbalance(tree, inputs, th),
             *classes.find(config, inputs, th, interval_ns)]
    order = {"silent": 0, "reset": 1, "imbalance": 2, "water_leak": 3, "after_hours": 4,
             "non_working": 5, "gas_closed": 6, "heat_weather": 7}
    found.sort(key=lambda a: (order[a.kind], -a.severity, a.point))
    return found


def _night_mask(time_ns: np.ndarray, tz: str, th: AnomalyThresholds) -> np.ndarray:
    minute = minute_of_day(time_ns, tz)
    start, end = th.night
    return (minute >= start) | (minute < end) if start > end else (minute >= start) & (
        minute < end)


def _day_matrix(inputs: ReportInputs, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(Σ kWh, interval count) per history point × local history day, optionally masked."""
    h = inputs.history
    n_days = (inputs.day - _history_first_day(inputs)).days
    n_points = len(h.points)
    if len(h) == 0 or n_days <= 0:
        return np.zeros((n_points, max(n_days, 0))), np.zeros((n_points, max(n_days, 0)))
    day = local_day_index(h.time_ns, inputs.tz, _history_first_day(inputs))
    keep = (day >= 0) & (day < n_days)
    if mask is not None:
        keep &= mask
    cell = h.point_index[keep].astype(np.int64) * n_days + day[keep]
    size = n_points * n_days
    sums = np.bincount(cell, h.value[keep], minlength=size).reshape(n_points, n_days)
    counts = np.bincount(cell, minlength=size).reshape(n_points, n_days)
    return sums, counts


def _history_first_day(inputs: ReportInputs) -> dt.date:
    return to_local(inputs.history_start_ns, inputs.tz).date()


def _today(inputs: ReportInputs, mask: np.ndarray | None) -> dict[str, tuple[float, int]]:
    rows = inputs.day_rows
    kwh = rows.values["kwh"]
    keep = ~np.isnan(kwh)
    if mask is not None:
        keep &= mask
    sums = np.bincount(rows.point[keep], kwh[keep], minlength=len(rows.points))
    counts = np.bincount(rows.point[keep], minlength=len(rows.points))
    return {p: (float(sums[i]), int(counts[i])) for i, p in enumerate(rows.points) if counts[i]}


def _after_hours(tree: MeterTree, inputs: ReportInputs, interval_ns: int,
                 th: AnomalyThresholds) -> list[Anomaly]:
    hours = interval_ns / HOUR_NS
    start, end = th.night
    night_minutes = (end - start) % 1440 or 1440
    expected = night_minutes * 60 * 1_000_000_000 // interval_ns
    sums, counts = _day_matrix(inputs, _night_mask(inputs.history.time_ns, inputs.tz, th))
    with np.errstate(invalid="ignore", divide="ignore"):
        kw = np.where(counts >= expected / 2, sums / (counts * hours), np.nan)
    valid = (~np.isnan(kw)).sum(axis=1)
    today = _today(inputs, _night_mask(inputs.day_rows.time_ns, inputs.tz, th))
    found = []
    for i, point in enumerate(inputs.history.points):
        if point not in tree.building or point not in today or valid[i] < MIN_HISTORY_NIGHTS:
            continue
        usual = float(np.nanmedian(kw[i]))
        kwh, n = today[point]
        if n < expected / 2:
            continue
        now = kwh / (n * hours)
        if now > usual * (1 + th.after_hours_ratio) and now - usual >= th.after_hours_min_kw:
            found.append(Anomaly("after_hours", tree.building[point], point, {
                "kw": now, "usual_kw": usual, "nights": int(valid[i]),
                "window": th.after_hours, "excess_kwh": (now - usual) * n * hours,
                "change": now / usual - 1 if usual else float("inf")}, now - usual))
    return found


def _non_working(config: SiteConfig, tree: MeterTree, inputs: ReportInputs, interval_ns: int,
                 th: AnomalyThresholds) -> list[Anomaly]:
    calendar = site_calendar(config)
    resting = {b.id for b in config.buildings if not is_working(inputs.day, calendar, b.id)}
    if not resting:
        return []
    first = _history_first_day(inputs)
    sums, counts = _day_matrix(inputs, None)
    days = [first + dt.timedelta(days=d) for d in range(sums.shape[1])]
    off = {b: _off_days(days, calendar, b) for b in resting}
    per_day = DAY_NS // interval_ns
    full = counts >= 0.9 * per_day
    today = _today(inputs, None)
    found = []
    for i, point in enumerate(inputs.history.points):
        building = tree.building.get(point)
        if building not in resting or point not in today:
            continue
        usual_days = sums[i][full[i] & off[building]]
        if usual_days.size < MIN_HISTORY_NON_WORKING:
            continue
        usual = float(np.median(usual_days))
        kwh = today[point][0]
        if kwh > usual * (1 + th.non_working_ratio) and kwh - usual >= th.non_working_min_kwh:
            found.append(Anomaly("non_working", tree.building[point], point, {
                "kwh": kwh, "usual_kwh": usual, "days": int(usual_days.size),
                "day_type": day_kind(inputs.day, calendar, building),
                "change": kwh / usual - 1 if usual else float("inf")}, kwh - usual))
    return found


def _off_days(days: list[dt.date], calendar: CalendarSpec, building: str) -> np.ndarray:
    """Which history days were non-working days for `building` (weekends, holidays, closed)."""
    return np.array([not is_working(d, calendar, building) for d in days], bool)


def last_seen(tree: MeterTree, inputs: ReportInputs, interval_ns: int) -> dict[str, int]:
    """Latest evidence of each meter (UTC ns): a raw reading, or a measured interval's end."""
    seen: dict[str, int] = {}

    def note(points: tuple[str, ...], index: np.ndarray, times: np.ndarray) -> None:
        if times.size == 0:
            return
        latest = np.full(len(points), -1, np.int64)
        np.maximum.at(latest, index, times)
        for i, point in enumerate(points):
            if latest[i] >= 0 and latest[i] > seen.get(point, -1):
                seen[point] = int(latest[i])

    h = inputs.history
    note(h.points, h.point_index, h.time_ns + interval_ns)
    rows = inputs.day_rows
    measured = ~rows.estimated
    note(rows.points, rows.point[measured], rows.time_ns[measured] + interval_ns)
    note(inputs.raw.points, inputs.raw.point_index, inputs.raw.time_ns)
    return seen


def _silent(tree: MeterTree, inputs: ReportInputs, interval_ns: int,
            th: AnomalyThresholds) -> list[Anomaly]:
    seen = last_seen(tree, inputs, interval_ns)
    found = []
    for point in tree.members:
        last = seen.get(point)
        quiet_h = (inputs.end_ns - last) / HOUR_NS if last is not None else None
        if quiet_h is None or quiet_h >= th.silent_hours:
            found.append(Anomaly("silent", tree.building[point], point, {
                "last_seen": to_local(last, inputs.tz) if last is not None else None,
                "hours": quiet_h}, quiet_h if quiet_h is not None else 1e9))
    return found


def _resets(config: SiteConfig, tree: MeterTree, inputs: ReportInputs) -> list[Anomaly]:
    raw = inputs.raw
    if len(raw) < 2:
        return []
    same = raw.point_index[1:] == raw.point_index[:-1]
    before, after = raw.value[:-1], raw.value[1:]
    drop = same & (after < before - np.maximum(0.001 * np.abs(before), 0.01))
    found = []
    rollover = {p.id: p.rollover for p in config.points}
    for i in np.flatnonzero(drop):
        point = raw.points[raw.point_index[i]]
        wrap = rollover.get(point)
        if wrap and before[i] > 0.5 * wrap and after[i] < 0.5 * wrap:
            continue  # a counter wrapping at its declared rollover is normal
        if point not in tree.building:
            continue
        found.append(Anomaly("reset", tree.building[point], point, {
            "before": float(before[i]), "after": float(after[i]),
            "at": to_local(int(raw.time_ns[i + 1]), inputs.tz)}, float(before[i] - after[i])))
    return found


def _imbalance(tree: MeterTree, inputs: ReportInputs, th: AnomalyThresholds) -> list[Anomaly]:
    kwh = inputs.day_rows.point_sums("kwh")
    found = []
    for parent, children in tree.children().items():
        total = kwh.get(parent)
        if total is None or np.isnan(total) or total <= 0:
            continue
        present = [kwh[c] for c in children if c in kwh and not np.isnan(kwh[c])]
        below = float(sum(present))
        gap = total - below
        share = gap / total
        if abs(share) > th.imbalance and abs(gap) >= th.imbalance_min_kwh:
            found.append(Anomaly("imbalance", tree.building[parent], parent, {
                "parent_kwh": total, "children_kwh": below, "children": len(children),
                "reporting": len(present), "share": share, "threshold": th.imbalance},
                abs(gap)))
    return found


def completeness(tree: MeterTree, inputs: ReportInputs, interval_ns: int) -> list[Completeness]:
    """Share of the day's expected intervals that were measured (not estimated), per meter."""
    expected = int((inputs.end_ns - inputs.start_ns) // interval_ns)
    rows = inputs.day_rows
    n = len(rows.points)
    has = ~np.isnan(rows.values["kwh"])
    measured = np.bincount(rows.point[has & ~rows.estimated], minlength=n)
    estimated = np.bincount(rows.point[has & rows.estimated], minlength=n)
    index = {p: i for i, p in enumerate(rows.points)}
    seen = last_seen(tree, inputs, interval_ns)
    out = []
    for point in tree.members:
        i = index.get(point)
        last = seen.get(point)
        out.append(Completeness(point, tree.building[point], expected,
                                int(measured[i]) if i is not None else 0,
                                int(estimated[i]) if i is not None else 0,
                                to_local(last, inputs.tz) if last is not None else None))
    out.sort(key=lambda c: (c.share, c.point))
    return out
