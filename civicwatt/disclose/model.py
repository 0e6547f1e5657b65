"""What one building's public page says, from statistics documents (pure; no I/O, no text).

A page holds only monthly and annual totals: the classes, 综合能耗 and intensities of the
disclosed year (or its months so far), the same months of the year before, up to four earlier
years for the trend, and the building's baseline as targets (its own base year, cut by the
14th five-year plan's reductions), a quota or a published average. A year still running is
compared pro rata to its days, like the daily report (`civicwatt.reports.kpis`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from civicwatt.config import Building

TREND_YEARS = 5
#: statistics key of each class's amount (issue 17), in its canonical unit
CLASS_KEYS = {"electricity": "electricity_kwh", "water": "water_m3", "gas": "gas_m3",
              "heat": "heat_gj", "cooling": "cooling_gj"}
#: statistics keys that add up over months
SUMMED = ("kgce", "co2_kg", "cost", *CLASS_KEYS.values())
#: intensity → (its total, the Building attribute it is divided by)
INTENSITIES = {"kgce_per_m2": ("kgce", "floor_area_m2"),
               "kgce_per_person": ("kgce", "occupants"),
               "water_m3_per_person": ("water_m3", "occupants"),
               "co2_kg_per_m2": ("co2_kg", "floor_area_m2")}
#: (statistics key, Baseline attribute, Baseline reduction) of each target indicator
TARGETS = (("kgce_per_m2", "kgce_per_m2", "target_reduction_per_m2"),
           ("kgce_per_person", "kgce_per_person", "target_reduction_per_person"),
           ("co2_kg_per_m2", "kgco2_per_m2", "target_reduction_co2_per_m2"))


@dataclass(frozen=True)
class Target:
    metric: str
    reference: float  # the baseline, quota or average, pro rata for a year still running
    target: float  # the reference cut by the reduction (own baseline), else the reference
    value: float
    met: bool


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    figures: dict  # its statistics row
    last_year: float | None  # kgce of the same month a year before, None without data


@dataclass(frozen=True)
class BuildingPage:
    id: str
    name: str
    institution: str
    floor_area_m2: float
    occupants: int
    year: int
    through: dt.date  # the last day the figures cover
    partial: bool  # the year has days after `through`
    figures: dict  # the year's statistics row
    classes: list[str]  # statistics keys of the classes with data, in CLASS_KEYS order
    months: list[Month]
    month: dict | None  # the --month's statistics row
    trend: list[tuple[int, dict | None]]  # (year, its row or None) oldest first
    baseline_kind: str | None  # own, quota, national_average, provincial_average
    baseline_year: int | None
    baseline_name: str
    targets: list[Target]

    def year_label(self, year: int) -> str:
        """A year as the trend names it; the disclosed year, still running, says its months."""
        if year == self.year and self.partial:
            return f"{year} (01–{self.through.month:02d})"
        return str(year)


def building_page(building: Building, institution: str, year: int, through: dt.date,
                  docs: dict[str, dict], month: str | None) -> BuildingPage:
    """`docs`: period (`2026`, `2026-10`, `2025`, …) → statistics document with this building."""
    def row(period: str) -> dict | None:
        doc = docs.get(period)
        return next((r for r in doc["buildings"] if r["id"] == building.id), None) if doc \
            else None

    months, before = [], []
    for m in range(1, through.month + 1):
        key, last = f"{year}-{m:02d}", row(f"{year - 1}-{m:02d}")
        months.append(Month(key, row(key) or {}, last["kgce"] if last else None))
        before.append(last or {})
    days_in_year = 366 if calendar.isleap(year) else 365
    elapsed = (through - dt.date(year, 1, 1)).days + 1
    figures = row(str(year)) or {}
    if elapsed < days_in_year:
        figures = year_to_date(building, [m.figures for m in months], before,
                               figures.get("completeness"))
    baseline = building.baseline
    return BuildingPage(
        building.id, building.name or building.id, institution, building.floor_area_m2,
        building.occupants, year, through, elapsed < days_in_year, figures,
        [k for k in CLASS_KEYS.values() if figures.get(k) or any(m.figures.get(k)
                                                                  for m in months)],
        months, row(month) if month else None,
        [(y, row(str(y))) for y in range(year - TREND_YEARS + 1, year + 1)],
        baseline.kind if baseline else None, baseline.year if baseline else None,
        baseline.name if baseline else "",
        targets(building, figures, elapsed / days_in_year))


def year_to_date(building: Building, months: list[dict], before: list[dict],
                 completeness: dict | None) -> dict:
    """A year still running: the sums of its months so far, their intensities, and 同比
    against the same months a year before (not against the whole previous year)."""
    def sums(rows: list[dict]) -> dict[str, float] | None:
        if not any(rows):
            return None
        return {k: sum(r.get(k) or 0.0 for r in rows) for k in SUMMED}

    now, last = sums(months), sums(before)
    figures = {**(now or dict.fromkeys(SUMMED, 0.0)), **intensities(building, now)}
    figures["yoy_pct"] = {
        key: _pct(now, last, INTENSITIES.get(key, (key,))[0]) for key in (*SUMMED,
                                                                          *INTENSITIES)}
    figures["completeness"] = completeness
    return figures


def intensities(building: Building, sums: dict[str, float] | None) -> dict[str, float | None]:
    """Per m² and per person of a period's sums; None without data or without a denominator."""
    found = {}
    for key, (total, denominator) in INTENSITIES.items():
        size = getattr(building, denominator)
        found[key] = sums[total] / size if sums is not None and size else None
    return found


def _pct(now: dict | None, last: dict | None, key: str) -> float | None:
    """Per m² and per person change like their totals (the same area and occupants)."""
    if now is None or last is None or not last[key]:
        return None
    return (now[key] / last[key] - 1) * 100


def targets(building: Building, figures: dict, fraction: float) -> list[Target]:
    """Each indicator the baseline gives, against the year's value (pro rata `fraction`)."""
    baseline = building.baseline
    if baseline is None or baseline.kind is None:
        return []
    cut = baseline.kind == "own"
    found = []
    for key, attribute, reduction in TARGETS:
        reference, value = getattr(baseline, attribute), figures.get(key)
        if reference is None or value is None:
            continue
        reference *= fraction
        target = reference * (1 - getattr(baseline, reduction)) if cut else reference
        found.append(Target(key, reference, target, value, value <= target))
    return found
