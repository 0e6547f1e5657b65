"""What one building's public page says, from statistics documents (pure; no I/O, no text).

The documents are `civicwatt.statistics.compute(...).to_json()` (issue 17's contract). A page
holds only monthly and annual totals: the disclosed year (a year still running: its whole days
so far, compared with the same days a year before), its months against the same months a year
before, the four years before it for the trend, the year's targets (year to date against the
five-year trajectory) and its quota (定额), and completeness.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicwatt.statistics.read import CLASS_FIELDS

TREND_YEARS = 5
#: statistics keys of the class amounts a page may show, in this order
CLASS_KEYS = ("electricity_kwh", "water_m3", "gas_m3", "heat_gj", "cooling_gj", "diesel_kg",
              "gasoline_kg", "lpg_kg", "coal_kg", "pv_kwh")
#: intensities that rest on one class
DEPENDS = {"water_m3_per_person": "water_m3", "electricity_kwh_per_m2": "electricity_kwh"}
#: the targets and quota metrics a page shows, in this order
METRICS = ("kgce_per_m2", "kgce_per_person", "water_m3_per_person", "co2_kg_per_m2",
           "electricity_kwh_per_m2")


@dataclass(frozen=True)
class Month:
    month: str  # YYYY-MM
    figures: dict  # its statistics row ({} without data)
    last_year: float | None  # kgce of the same month a year before, None without data


@dataclass(frozen=True)
class BuildingPage:
    id: str
    name: str
    institution: str
    floor_area_m2: float
    occupants: int
    year: int
    through: dt.date  # the last local day the figures cover
    figures: dict  # the year's (to date) statistics row
    classes: list[str]  # CLASS_KEYS with data in the year or its months
    months: list[Month]
    month: dict | None  # the --month's statistics row
    trend: list[tuple[int, dict | None]]  # (year, its row or None), oldest first
    targets: list[tuple[str, dict]]  # (metric, trajectory) that have a base
    quota: list[tuple[str, dict]]  # (metric, distance to constraint and guide)

    @property
    def partial(self) -> bool:
        return self.through != dt.date(self.year, 12, 31)

    @property
    def on_track(self) -> bool | None:
        """Every target and quota met; None when there is neither."""
        verdicts = [t["on_track"] for _, t in self.targets if t["on_track"] is not None]
        verdicts += [q["status"] != "above_constraint" for _, q in self.quota if q["status"]]
        return all(verdicts) if verdicts else None

    @property
    def gaps(self) -> list[tuple[str, str]]:
        """(class amount key, `no_meter` | `no_data`) of each class the year lacks."""
        return gaps(self.figures)

    def year_label(self, year: int) -> str:
        """A year as the trend names it; the disclosed year, still running, says its months."""
        if year == self.year and self.partial:
            return f"{year} (01–{self.through.month:02d})"
        return str(year)


def row_of(doc: dict | None, building: str) -> dict | None:
    if doc is None:
        return None
    return next((r for r in doc["buildings"] if r["id"] == building), None)


def building_page(building: str, year: int, through: dt.date, year_doc: dict,
                  months: list[tuple[dict, dict]], month_doc: dict | None,
                  trend: list[tuple[int, dict]]) -> BuildingPage:
    """`year_doc`: the year (to date); `months`: (this year's, last year's) document of each
    month so far; `trend`: (year, document) of the years before."""
    figures = row_of(year_doc, building)
    if figures is None:
        raise KeyError(f"building {building!r} is not in the statistics of {year}")
    shown = []
    for now, before in months:
        row, last = row_of(now, building) or {}, row_of(before, building)
        shown.append(Month(now["period"], row, last.get("kgce") if _has(last) else None))
    return BuildingPage(
        building, figures["name"], figures.get("institution") or "", figures["floor_area_m2"],
        figures["occupants"], year, through, figures,
        [k for k in CLASS_KEYS if figures.get(k) or any(m.figures.get(k) for m in shown)],
        shown, row_of(month_doc, building),
        [*((y, r if _has(r := row_of(d, building)) else None) for y, d in trend),
         (year, figures)],
        [(m, t) for m in METRICS if (t := (figures.get("targets") or {}).get(m))
         and t["base"] is not None],
        [(m, q) for m in METRICS if (q := (figures.get("quota") or {}).get(m))])


def gaps(row: dict) -> list[tuple[str, str]]:
    """(class amount key, `no_meter` | `no_data`) of each class a statistics row lacks."""
    classes = row["completeness"].get("classes", {})
    return [(CLASS_FIELDS[c], v["status"]) for c, v in classes.items()
            if v["status"] != "ok" and c in CLASS_FIELDS]


def known(row: dict, key: str) -> float | None:
    """A row's figure, or None where it rests on a class without meters or data (statistics
    give 0 there: a published 0 would read as a measurement)."""
    lacking = {k for k, _ in gaps(row)}
    return None if key in lacking or DEPENDS.get(key) in lacking else row.get(key)


def _has(row: dict | None) -> bool:
    """The row has metered data (statistics give 0, not None, where there is none)."""
    return bool(row) and row["completeness"]["days_with_data"] > 0
