"""The 12-month trend of 综合能耗 for the statistics report: the twelve months that end with the
period's last month, and the same months a year earlier.

Each month is the statistics core's own site total (`compute(..., compare=False,
targets=False)`), so the trend's last month is the very figure of a monthly document; 24
months are 24 small computations, each a few database sums per meter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from civicwatt.config import SiteConfig
from civicwatt.statistics import Period, compute
from store import Store


@dataclass(frozen=True)
class Trend:
    months: list[dt.date]  # first day of each month, oldest first
    current: list[float | None]  # kgce, None where nothing was metered
    previous: list[float | None]  # the same month a year earlier


def monthly_trend(config: SiteConfig, store: Store, period: Period | str,
                  buildings: Sequence[str] | None = None) -> Trend:
    """The site's trend, or that of `buildings`. Raises StoreError when the store cannot be
    read, ValueError on a bad period."""
    period = Period.parse(period) if isinstance(period, str) else period
    months = period.trailing_months(12)

    def kgce(month: Period) -> float | None:
        stats = compute(config, store, month, compare=False, targets=False)
        return (stats.only(buildings) if buildings else stats).total.now.get("kgce")

    return Trend([m.start for m in months], [kgce(m) for m in months],
                 [kgce(m.last_year()) for m in months])
