"""Portfolio statistics (issue 17): a period's figures for every building, institution, type
and the site, with 同比/环比, quotas, ranks and the five-year targets.

How to use the core::

    from civicwatt.statistics import Period, compute
    stats = compute(site, store, "2026-10")          # or Period.parse("2026-Q3"), "2026", …
    doc = stats.to_json()                            # the issue-17 JSON contract (dict)
    doc["buildings"], doc["institutions"], doc["types"], doc["total"]

- 12-month trend against last year: `for p in Period.parse("2026-10").trailing_months(12):
  compute(site, store, p)` — each row's `yoy` / `yoy_pct` and the `last_year_period` figures
  (`compute(site, store, p.last_year(), compare=False)`) are the year before.
- Previous years of a building: `compute(site, store, str(year), compare=False)` per year.
- Monthly figures of a year: `[compute(site, store, m) for m in Period.parse("2026").months()]`.
- A row: class amounts (`electricity_kwh`, `water_m3`, …), `kgce`, `cost`, `co2_kg`,
  intensities, `mom`/`mom_pct`/`yoy`/`yoy_pct` (absolute / %, null without data),
  `estimated_share`, `manual_share`, `completeness`, `rank_in_type`, `quota`, `targets`.
"""

from civicwatt.statistics.compute import Statistics, Unit, compute
from rules.statistics_period import Period

__all__ = ["Period", "Statistics", "Unit", "compute"]
