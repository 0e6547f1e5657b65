"""What the statistics report shows, derived from a statistics document: the period's kind,
the summary rows, the quota status per building type and the ranking per type.

Pure reading of the document: every number is the document's own (or, for the trend, the
store's monthly sums in `trend.Trend`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from civicwatt.statistics_outputs.columns import Indicator, present, type_name
from civicwatt.statistics_outputs.trend import Trend

MAX_BARS = 25  # buildings per ranking chart; the XLSX has every one


@dataclass
class StatisticsReport:
    doc: Mapping
    site_name: str
    currency: str = "CNY"
    trend: Trend | None = None
    generated: dt.datetime | None = None

    @property
    def period(self) -> str:
        return str(self.doc.get("period", ""))

    @property
    def kind(self) -> str:
        """day, month, quarter or year, from the period's form."""
        p = self.period
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", p):
            return "day"
        if re.fullmatch(r"\d{4}-\d{2}", p):
            return "month"
        return "quarter" if "Q" in p else "year"

    @property
    def buildings(self) -> list[Mapping]:
        return list(self.doc.get("buildings") or [])

    @property
    def total(self) -> Mapping:
        return self.doc.get("total") or {}

    def indicators(self) -> list[Indicator]:
        return present([self.total, *self.buildings])

    def institutions(self) -> int:
        return len({b.get("institution") for b in self.buildings if b.get("institution")})


@dataclass
class QuotaRow:
    type: str
    label: str
    n: int = 0
    over: int = 0
    between: int = 0
    ok: int = 0
    none: int = 0


def quota(row: Mapping) -> tuple[float | None, float | None, float | None, float | None]:
    """(constraint, guide, distance to constraint, distance to guide) of a building's row."""
    q = row.get("quota")
    if not isinstance(q, Mapping):
        return None, None, None, None
    return q.get("constraint"), q.get("guide"), q.get("to_constraint"), q.get("to_guide")


def quota_status(report: StatisticsReport, lang: str) -> tuple[list[QuotaRow], list[Mapping]]:
    """Counts per type (above constraint, between, at or below guide, no quota) and the
    buildings above their constraint, worst first."""
    rows: dict[str, QuotaRow] = {}
    over: list[Mapping] = []
    for b in report.buildings:
        code = b.get("type") or "other"
        row = rows.setdefault(code, QuotaRow(code, type_name(code, lang)))
        row.n += 1
        _, _, to_constraint, to_guide = quota(b)
        if to_constraint is None and to_guide is None:
            row.none += 1
        elif to_constraint is not None and to_constraint > 0:
            row.over += 1
            over.append(b)
        elif to_guide is not None and to_guide > 0:
            row.between += 1
        else:
            row.ok += 1
    over.sort(key=lambda b: -(quota(b)[2] or 0))
    return list(rows.values()), over


@dataclass
class Ranking:
    type: str
    label: str
    rows: list[Mapping] = field(default_factory=list)  # highest kgce per m² first
    shown: int = 0


def rankings(report: StatisticsReport, lang: str) -> list[Ranking]:
    """Per type, its buildings by kgce per m², highest first (where to act)."""
    out: dict[str, Ranking] = {}
    for b in report.buildings:
        if b.get("kgce_per_m2") is None:
            continue
        code = b.get("type") or "other"
        out.setdefault(code, Ranking(code, type_name(code, lang))).rows.append(b)
    for ranking in out.values():
        ranking.rows.sort(key=lambda b: -b["kgce_per_m2"])
        ranking.shown = min(len(ranking.rows), MAX_BARS)
    return list(out.values())
