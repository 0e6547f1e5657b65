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


def group_name(code: str, lang: str) -> str:
    """A building type's name; buildings without a type form a group of their own."""
    return type_name(code, lang) or ("未分类" if lang == "zh" else "No type")


@dataclass
class QuotaRow:
    type: str
    label: str
    n: int = 0
    over: int = 0  # above the constraint value of some metric
    between: int = 0  # above a guide value, within every constraint
    ok: int = 0
    none: int = 0  # no quota configured


#: worst first
SEVERITY = {"above_constraint": 3, "above_guide": 2, "within_constraint": 1, "within_guide": 0}


def quota(row: Mapping, metric: str = "kgce_per_m2") -> Mapping:
    """The document's quota figures of one metric (constraint and guide pro rata to the period,
    distances, status); empty without a quota on it."""
    return (row.get("quota") or {}).get(metric) or {}


def worst_status(row: Mapping) -> str | None:
    found = [q.get("status") for q in (row.get("quota") or {}).values() if q and q.get("status")]
    return max(found, key=SEVERITY.__getitem__) if found else None


def quota_status(report: StatisticsReport, lang: str) -> tuple[list[QuotaRow], list[Mapping]]:
    """Counts per type (above a constraint, above a guide, within, no quota) and the buildings
    above a constraint value, furthest above first (on kgce per m²)."""
    rows: dict[str, QuotaRow] = {}
    over: list[Mapping] = []
    for b in report.buildings:
        code = b.get("type") or ""
        row = rows.setdefault(code, QuotaRow(code, group_name(code, lang)))
        row.n += 1
        status = worst_status(b)
        if status is None:
            row.none += 1
        elif status == "above_constraint":
            row.over += 1
            over.append(b)
        elif status == "above_guide":
            row.between += 1
        else:
            row.ok += 1
    over.sort(key=lambda b: -(quota(b).get("to_constraint_pct") or 0))
    return list(rows.values()), over


@dataclass(frozen=True)
class TargetRow:
    metric: str
    base: float | None
    target: float | None  # the year's value on the plan's path
    allowance: float | None  # its share for the year to date
    actual: float | None  # the year to date
    to_allowance_pct: float | None
    on_track: bool | None


def targets(report: StatisticsReport) -> list[TargetRow]:
    """The site's year to date against each five-year target's trajectory."""
    found = report.total.get("targets") or {}
    return [TargetRow(metric, t.get("base"), t.get("target"), t.get("allowance"),
                      t.get("actual"), t.get("to_allowance_pct"), t.get("on_track"))
            for metric, t in found.items() if isinstance(t, Mapping)]


@dataclass
class Ranking:
    type: str
    label: str
    rows: list[Mapping] = field(default_factory=list)  # highest kgce per m² first
    shown: int = 0


def rankings(report: StatisticsReport, lang: str) -> list[Ranking]:
    """Per type, its buildings by kgce per m², highest first (where to act; the document's
    rank 1 is the lowest)."""
    out: dict[str, Ranking] = {}
    for b in report.buildings:
        if b.get("kgce_per_m2") is None:
            continue
        code = b.get("type") or ""
        out.setdefault(code, Ranking(code, group_name(code, lang))).rows.append(b)
    for ranking in out.values():
        ranking.rows.sort(key=lambda b: -b["kgce_per_m2"])
        ranking.shown = min(len(ranking.rows), MAX_BARS)
    return list(out.values())
