"""The setpoints' `period_schedule` fallback as a tariff, so one period engine serves both.

Until a site configures a tariff, its setpoint rules take TOU periods from a
list of windows (`start`, `end`, `period`, optional `months` and `days`; the
first window that matches a minute wins, `default_period` elsewhere). This
turns that list into a `Tariff` of one season (or one per distinct set of
months) that `rules.tou.classify` runs on the site's calendar, exactly like a
real tariff: day types, first-match order and upcoming changes all come from
the same code. Prices are 0: the fallback names periods, it does not bill.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np

from rules.calendar import DAY_TYPES, CalendarSpec
from rules.tariffs import MINUTES, Tariff, hhmm, parse_hhmm

NAME = "setpoints.period_schedule"


def schedule_tariff(windows: Sequence, default_period: str,
                    calendar: CalendarSpec) -> Tariff:
    """A tariff equal to the first-match schedule. Each window has `start`, `end` ("HH:MM"),
    `period`, `months` (empty: all) and optionally `days` (workday/weekend/holiday)."""
    names = [default_period, *dict.fromkeys(w.period for w in windows)]
    layouts: dict[bytes, list[int]] = {}
    tables: dict[bytes, np.ndarray] = {}
    for month in range(1, 13):
        table = np.zeros((len(DAY_TYPES), MINUTES), np.int16)  # index into names; 0 = default
        for window in reversed(windows):  # earlier windows overwrite later ones: first match
            if window.months and month not in window.months:
                continue
            days = getattr(window, "days", DAY_TYPES)
            start, end = parse_hhmm(window.start), parse_hhmm(window.end)
            for d, day in enumerate(DAY_TYPES):
                if day in days:
                    table[d, start:end] = names.index(window.period)
        key = table.tobytes()
        layouts.setdefault(key, []).append(month)
        tables[key] = table
    seasons = [{"name": "months " + ",".join(map(str, months)), "months": months,
                "windows": _windows(tables[key], names),
                "prices": {n: 0.0 for n in names}} for key, months in layouts.items()]
    return Tariff.model_validate({
        "name": NAME, "calendar": calendar,
        "notes": "period names only (prices 0): the setpoint rules' fallback schedule",
        "versions": [{"effective_from": dt.date(1900, 1, 1), "seasons": seasons}]})


def _windows(table: np.ndarray, names: list[str]) -> list[dict]:
    """Runs of one period per day type, merged across the day types that share them."""
    runs: dict[tuple[str, int, int], list[str]] = {}
    for d, day in enumerate(DAY_TYPES):
        row = table[d]
        edges = [0, *(np.flatnonzero(np.diff(row)) + 1).tolist(), MINUTES]
        for start, end in zip(edges[:-1], edges[1:], strict=True):
            runs.setdefault((names[row[start]], start, end), []).append(day)
    return [{"period": period, "start": hhmm(start), "end": hhmm(end), "days": days}
            for (period, start, end), days in runs.items()]
