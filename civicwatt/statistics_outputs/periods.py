"""The forms a statistics period takes: a local day 2026-10-15, a month 2026-10, a quarter
2026-Q3, a year 2026."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])(?:-(\d{2}))?|Q([1-4])))?$")


@dataclass(frozen=True)
class Period:
    span: str  # day, month, quarter, year
    first: dt.date  # its first day
    last_month: dt.date  # the first day of its last month


def parse(period: str) -> Period:
    """ValueError names the accepted forms."""
    match = _PERIOD.match(period)
    try:
        if match is None:
            raise ValueError
        year, month, day, quarter = (int(g) if g else None for g in match.groups())
        if quarter:
            return Period("quarter", dt.date(year, quarter * 3 - 2, 1),
                          dt.date(year, quarter * 3, 1))
        if day:
            return Period("day", dt.date(year, month, day), dt.date(year, month, 1))
        if month:
            return Period("month", dt.date(year, month, 1), dt.date(year, month, 1))
        return Period("year", dt.date(year, 1, 1), dt.date(year, 12, 1))
    except ValueError:
        raise ValueError(f"period {period!r}: use a day 2026-10-15, a month 2026-10, a quarter "
                         "2026-Q3 or a year 2026") from None
