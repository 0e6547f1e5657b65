"""Statistics periods: a local day `2026-10-15`, a month `2026-10`, a quarter `2026-Q3` or a
year `2026`, with the periods 环比 (the one before) and 同比 (the same one a year earlier)
compare with."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["day", "month", "quarter", "year"]
_FORMS = ((r"^(\d{4})-(\d{2})-(\d{2})$", "day"), (r"^(\d{4})-(\d{2})$", "month"),
          (r"^(\d{4})-Q([1-4])$", "quarter"), (r"^(\d{4})$", "year"))
EXAMPLES = "2026-10-15 (a day), 2026-10 (a month), 2026-Q3 (a quarter) or 2026 (a year)"


@dataclass(frozen=True, order=True)
class Period:
    """A local calendar period [start, end) named like the user wrote it."""

    start: dt.date
    end: dt.date  # exclusive
    kind: Kind

    @classmethod
    def parse(cls, text: str) -> Period:
        """ValueError naming the accepted forms for anything else."""
        text = text.strip().upper()
        for pattern, kind in _FORMS:
            m = re.match(pattern, text)
            if m is None:
                continue
            numbers = [int(g) for g in m.groups()]
            try:
                if kind == "day":
                    return cls.day(dt.date(*numbers))
                if kind == "month":
                    return cls.month(*numbers)
                if kind == "quarter":
                    return cls.month(numbers[0], 3 * numbers[1] - 2, 3, "quarter")
                return cls.month(numbers[0], 1, 12, "year")
            except ValueError as exc:
                raise ValueError(f"period {text!r}: {exc}; use {EXAMPLES}") from None
        raise ValueError(f"period {text!r} is not a day, month, quarter or year; use {EXAMPLES}")

    @classmethod
    def day(cls, day: dt.date) -> Period:
        return cls(day, day + dt.timedelta(days=1), "day")

    @classmethod
    def month(cls, year: int, month: int, months: int = 1, kind: Kind = "month") -> Period:
        start = dt.date(year, month, 1)
        return cls(start, _add_months(start, months), kind)

    @property
    def label(self) -> str:
        if self.kind == "day":
            return self.start.isoformat()
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """环比: the period of the same kind just before."""
        if self.kind == "day":
            return Period.day(self.start - dt.timedelta(days=1))
        months = {"month": 1, "quarter": 3, "year": 12}[self.kind]
        start = _add_months(self.start, -months)
        return Period(start, self.start, self.kind)

    def last_year(self) -> Period:
        """同比: the same period a year earlier (29 February compares with 28 February)."""
        if self.kind == "day":
            y = self.start.year - 1
            return Period.day(self.start.replace(year=y, day=min(
                self.start.day, calendar.monthrange(y, self.start.month)[1])))
        return Period(self.start.replace(year=self.start.year - 1),
                      self.end.replace(year=self.end.year - 1), self.kind)

    def year_to_date(self) -> Period:
        """From 1 January of the period's year to its end: what the year's targets look at."""
        return Period(self.start.replace(month=1, day=1), self.end, "year")

    def months(self) -> list[Period]:
        """The months the period touches (a day: its month)."""
        found, start = [], self.start.replace(day=1)
        while start < self.end:
            found.append(Period.month(start.year, start.month))
            start = _add_months(start, 1)
        return found

    def trailing_months(self, n: int = 12) -> list[Period]:
        """The n months ending with the period's last month, oldest first (a 12-month trend;
        each `.last_year()` is the same month a year earlier)."""
        last = Period.month((self.end - dt.timedelta(days=1)).year,
                            (self.end - dt.timedelta(days=1)).month)
        return [Period.month(d.year, d.month)
                for d in (_add_months(last.start, -i) for i in range(n - 1, -1, -1))]

    def year_fraction(self) -> float:
        """The share of its year the period covers (an annual quota pro rata)."""
        year_days = 366 if calendar.isleap(self.start.year) else 365
        return self.days / year_days


def last_finished(today: dt.date, kinds: tuple[str, ...] | list[str]) -> list[Period]:
    """The latest month, quarter and year (of `kinds`) that ended before `today`'s month."""
    start = _add_months(today.replace(day=1), -1)
    month = Period.month(start.year, start.month)
    quarter = Period.month(month.start.year, month.start.month - (month.start.month - 1) % 3,
                           3, "quarter")
    if quarter.end > today.replace(day=1):
        quarter = quarter.previous()
    year = Period.month(today.year - 1, 1, 12, "year")
    return [p for p in (month, quarter, year) if p.kind in kinds]


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)
