"""Statistics documents (issue 17's JSON contract) for the published buildings, from the store.

The pages read only documents of that shape — `{"period", "buildings": [{"id", "name",
"electricity_kwh", "water_m3", "gas_m3", "heat_gj", "kgce", "cost", "co2_kg", "kgce_per_m2",
"kgce_per_person", "water_m3_per_person", "yoy_pct", …}], "total"}` — so the statistics core
can stand in for this module without touching them. Here each building's classes come from the
read API's per-bucket sums (`civicwatt.api.energy`: every meter's own share, summed in the
store), one month query per building for all the years shown, and one day query for the
disclosed year's completeness (days with metered data).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from civicwatt.api.energy import EnergyQuery, building_energy
from civicwatt.api.ids import Vocabulary
from civicwatt.config import Building, SiteConfig
from civicwatt.disclose.model import CLASS_KEYS, SUMMED, intensities
from store import Store

COMPARED = ("electricity_kwh", "water_m3", "gas_m3", "heat_gj", "kgce", "co2_kg", "kgce_per_m2",
            "kgce_per_person", "water_m3_per_person")


class StoreFigures:
    """Month sums per building and class for `first_year`…`through`, answered per period."""

    def __init__(self, site: SiteConfig, store: Store, building_ids: list[str], first_year: int,
                 through: dt.date) -> None:
        self.site, self.through = site, through
        self.buildings = [site.building(b) for b in building_ids]
        words = Vocabulary.of(site)
        start, end = dt.date(first_year, 1, 1), through + dt.timedelta(days=1)
        #: building → "YYYY-MM" → statistics key → sum
        self.months: dict[str, dict[str, dict[str, float]]] = {}
        #: building → local days of the last year with any metered energy
        self.days: dict[str, set[str]] = {}
        year_start = dt.date(through.year, 1, 1)
        for building in self.buildings:
            found = building_energy(store, words, EnergyQuery(building, start, end, "month"))
            months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
            for row in found["rows"]:
                sums = months[row["start"][:7]]
                if row["class"] in CLASS_KEYS and row["amount"] is not None:
                    sums[CLASS_KEYS[row["class"]]] += row["amount"]
                for key in ("kgce", "co2_kg", "cost"):  # every class counts in these
                    sums[key] += row[key] or 0.0
            self.months[building.id] = months
            daily = building_energy(store, words, EnergyQuery(building, year_start, end, "day"))
            self.days[building.id] = {r["start"][:10] for r in daily["rows"]}

    def period(self, period: str) -> dict:
        """The statistics document of a year `2026` or a month `2026-10` (same-period 同比)."""
        previous = (str(int(period) - 1) if len(period) == 4 else
                    f"{int(period[:4]) - 1}{period[4:]}")
        rows = []
        for building in self.buildings:
            now, before = self._sums(building, period), self._sums(building, previous)
            rows.append({"id": building.id, "name": building.name or building.id, **now,
                         "mom_pct": dict.fromkeys(COMPARED),
                         "yoy_pct": {k: _pct(now[k], before[k]) for k in COMPARED},
                         "estimated_share": None,
                         "completeness": self._completeness(building.id, period)})
        total = {k: sum(r[k] for r in rows) for k in SUMMED}
        return {"period": period, "buildings": rows, "total": total}

    def _sums(self, building: Building, period: str) -> dict[str, float | None]:
        months = [m for key, m in self.months[building.id].items() if key.startswith(period)]
        sums = {k: sum(m.get(k, 0.0) for m in months) for k in SUMMED}
        return {**sums, **intensities(building, sums if months else None)}

    def _completeness(self, building: str, period: str) -> dict | None:
        """Days with metered data of the disclosed year's days so far (None for other years)."""
        if not period.startswith(str(self.through.year)):
            return None
        first = dt.date(self.through.year, int(period[5:7]) if len(period) > 4 else 1, 1)
        last = min(self.through, _period_end(first, len(period) > 4))
        expected = (last - first).days + 1
        days = sum(1 for d in self.days[building] if first.isoformat() <= d <= last.isoformat())
        return {"days": days, "expected_days": expected, "share": days / expected}


def _period_end(first: dt.date, month: bool) -> dt.date:
    if not month:
        return dt.date(first.year, 12, 31)
    return (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _pct(now: float | None, before: float | None) -> float | None:
    if now is None or not before:
        return None
    return (now / before - 1) * 100
