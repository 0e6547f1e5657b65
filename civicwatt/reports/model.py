"""The report model: plain numbers and labels, ready to render in any language.

Units: energy kWh, power kW (hourly mean), cost in the site's currency (or,
for a ratio tariff without the month's base price, in multiples of the flat
price: `DailyReport.cost.money` False), carbon kgCO₂e, standard coal kgce; the
other classes in their own unit (m³, GJ, kg). Every comparison is "this against
that − 1": +0.12 reads "12 % above". Times are aware local datetimes. NaN or
None means "not available" and renders as "—".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np


def earliest_peak(values: np.ndarray) -> int:
    """Index of the largest value; values equal within float noise (sums of the same energy
    added in another order) go to the earliest, so the peak is the same every run."""
    top = np.nanmax(values)
    return int(np.flatnonzero(values >= top - 1e-9 * max(1.0, abs(top)))[0])


@dataclass(frozen=True)
class Totals:
    kwh: float
    cost: float
    co2_kg: float
    kgce: float

    def change(self, other: Totals | None, metric: str = "kwh") -> float | None:
        """Fractional change of self against `other` (0.05 = +5 %)."""
        if other is None:
            return None
        base = getattr(other, metric)
        if not base or np.isnan(base):
            return None
        return getattr(self, metric) / base - 1


@dataclass(frozen=True)
class SplitRow:
    """One row of a split (TOU period, purpose or zone). `level` is the tree depth."""

    key: str
    label: str
    kwh: float
    cost: float
    co2_kg: float
    share: float
    level: int = 0
    residual: bool = False  # "main − sub-meters": the part no sub-meter explains


@dataclass(frozen=True)
class Intensity:
    """Per-area and per-occupant figures (for the day or the year to date)."""

    kwh_per_m2: float
    kgce_per_m2: float
    co2_per_m2: float
    kwh_per_person: float
    kgce_per_person: float
    co2_per_person: float
    water_per_person: float = float("nan")  # m³ per occupant


@dataclass(frozen=True)
class ClassRow:
    """One energy class of a scope (分类能耗): its amount in its own unit and what it
    converts to. `share` is of 综合能耗 (kgce); NaN for classes outside it (water)."""

    energy: str  # rules.energy class name
    label: str
    amount: float
    unit: str
    kgce: float
    share: float
    cost: float
    co2_kg: float


@dataclass(frozen=True)
class Reference:
    """What a baseline is: the building's own base-year figures, or a named reference."""

    kind: str  # own | national_average | provincial_average | quota
    year: int
    name: str = ""  # the config's own label, if it gave one


@dataclass(frozen=True)
class TargetRow:
    """Year to date against the baseline (and, for an own baseline, the reduction target),
    both pro rata. For a reference the target is the reference itself (a quota's limit)."""

    metric: str  # kgce_per_m2 | kgce_per_person | kgco2_per_m2
    value: float
    baseline: float
    target: float
    reduction: float  # the target reduction as a fraction
    change: float  # value / baseline − 1

    @property
    def on_track(self) -> bool:
        return self.value <= self.target


@dataclass(frozen=True)
class YearToDateKpis:
    days: float  # days of data (meter-days of intervals / meters / intervals per day)
    days_elapsed: int
    kwh: float
    kgce: float
    co2_kg: float
    rows: list[TargetRow]
    partial: list[str] = field(default_factory=list)  # names of the buildings the targets cover,
    # when not all of the scope's buildings have a baseline
    reference: Reference | None = None
    mixed: bool = False  # the buildings' baselines are of different kinds: no site comparison


@dataclass(frozen=True)
class Curve:
    """Hourly load on the report day (hour starts, local) with the forecast band."""

    hours: list[dt.datetime]
    actual_kw: np.ndarray  # NaN where no data
    forecast_kw: np.ndarray | None = None
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    lower95: np.ndarray | None = None
    upper95: np.ndarray | None = None


@dataclass(frozen=True)
class ForecastCheck:
    """The day's actual energy against the forecast for it."""

    forecast_kwh: float
    actual_kwh: float
    hours: int
    issued_at: dt.datetime | None
    model: str

    @property
    def deviation(self) -> float:
        """actual / forecast − 1 over the hours both cover: −0.38 is "38 % below forecast"."""
        return self.actual_kwh / self.forecast_kwh - 1 if self.forecast_kwh else float("nan")


@dataclass(frozen=True)
class NextDay:
    day: dt.date
    kwh: float
    peak_kw: float
    peak_hour: dt.datetime
    co2_kg: float | None
    hours: int
    model: str
    lower_kwh: float | None = None
    upper_kwh: float | None = None


@dataclass(frozen=True)
class Peak:
    kw: float
    at: dt.datetime  # start of the interval


@dataclass
class Scope:
    """The site or one building."""

    id: str
    name: str
    kind: str  # "site" | "building"
    floor_area_m2: float
    occupants: int
    meters: int
    totals: Totals
    last_week: Totals | None
    intensity: Intensity
    tou: list[SplitRow]
    purposes: list[SplitRow]
    zones: list[SplitRow]
    curve: Curve
    peak: Peak | None
    forecast_check: ForecastCheck | None
    next_day: NextDay | None
    ytd: YearToDateKpis | None
    classes: list[ClassRow] = field(default_factory=list)  # 分类能耗, electricity first
    combined: Totals | None = None  # every class: cost, CO₂, 综合能耗 kgce (kwh = electricity)


@dataclass(frozen=True)
class Anomaly:
    """One finding: what, where (building, point) and the evidence as numbers."""

    kind: str  # after_hours | non_working | silent | reset | imbalance | water_leak |
    # gas_closed | heat_weather
    building: str
    point: str
    facts: dict  # numbers and times the evidence sentence is built from
    severity: float  # for ordering: larger = worse


@dataclass(frozen=True)
class Completeness:
    point: str
    building: str
    expected: int
    measured: int  # intervals present and not estimated
    estimated: int
    last_seen: dt.datetime | None

    @property
    def share(self) -> float:
        return self.measured / self.expected if self.expected else float("nan")


@dataclass(frozen=True)
class CostUnit:
    """What the day's cost figures are: money in `currency`, or, for a ratio tariff without
    the month's base price, multiples of the flat price (never shown with a currency sign)."""

    currency: str
    money: bool = True
    base_price: float | None = None  # the month's flat price applied to a ratio tariff
    source: str = ""  # where that base price comes from (metering.base_prices_source)
    tariff: str = ""
    month: str = ""  # YYYY-MM of the report day
    last_week_comparable: bool = True  # last week's cost is in the same unit


@dataclass
class DailyReport:
    site_id: str
    site_name: str
    day: dt.date
    day_type: str
    timezone: str
    currency: str
    interval_minutes: int
    generated_at: dt.datetime
    site: Scope
    buildings: list[Scope]
    anomalies: list[Anomaly]
    completeness: list[Completeness]
    completeness_min: float
    notes: list[str] = field(default_factory=list)
    cost: CostUnit | None = None  # None: money in `currency`
    term: str | None = None  # the day's school term, "" between terms, None without terms

    @property
    def cost_unit(self) -> CostUnit:
        return self.cost or CostUnit(self.currency)

    @property
    def has_forecast(self) -> bool:
        return any(s.forecast_check or s.next_day for s in self.scopes)

    @property
    def scopes(self) -> list[Scope]:
        return [self.site, *self.buildings]
