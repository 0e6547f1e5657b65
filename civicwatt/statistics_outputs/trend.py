"""The 12-month trend of 综合能耗 for the statistics report: the twelve months that end with the
period's last month, and the same months a year earlier.

The store sums each month (`Store.totals`, every="month": the database's day sums folded into
local months), per meter; the site total is the sum over the root meters of every class (a
sub-meter is inside its parent), the rule the daily report and the dashboards sum by.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from civicwatt.config import SiteConfig
from civicwatt.config.meters import meter_tree
from civicwatt.metering.classes import class_roots
from civicwatt.statistics_outputs.periods import parse
from rules.clock import local_midnight_ns, to_local
from store import Store


@dataclass(frozen=True)
class Trend:
    months: list[dt.date]  # first day of each month, oldest first
    current: list[float | None]  # kgce, None where no row was metered
    previous: list[float | None]  # the same month a year earlier


def _shift(month: dt.date, by: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + by
    return dt.date(index // 12, index % 12 + 1, 1)


def root_points(config: SiteConfig) -> set[str]:
    """Every class's root meters (electricity also by the meter tree: power-integrated ones)."""
    roots = {p for by in class_roots(config).values() for points in by.values() for p in points}
    return roots | {p for points in meter_tree(config).roots.values() for p in points}


def monthly_trend(config: SiteConfig, store: Store, period: str) -> Trend:
    """Raises StoreError when the store cannot be read, ValueError on a bad period."""
    end = parse(period).last_month
    months = [_shift(end, -i) for i in range(11, -1, -1)]
    tz = config.site.timezone
    start_ns = local_midnight_ns(_shift(months[0], -12), tz)
    end_ns = local_midnight_ns(_shift(end, 1), tz)
    roots = root_points(config)
    sums: dict[dt.date, float] = {}
    for total in store.totals("energy_interval", ("kgce",), start_ns, end_ns, "month", tz,
                              ("point",), {"site": config.site.id}):
        (kgce,) = total.values
        if total.group[0] in roots and kgce is not None:
            month = to_local(total.time_ns, tz).date().replace(day=1)
            sums[month] = sums.get(month, 0.0) + kgce
    return Trend(months, [sums.get(m) for m in months],
                 [sums.get(_shift(m, -12)) for m in months])
