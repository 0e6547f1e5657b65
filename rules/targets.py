"""Five-year targets and quotas (定额) of public institutions, and the year-to-date trajectory.

The national 14th Five-Year Plan for public institutions (《"十四五"公共机构节约能源资源工作规划》,
国管节能〔2021〕195号) sets, for 2025 against 2020: energy per m² −5 %, 综合能耗 per person −6 %,
water per person −6 %, CO₂ per m² −7 %. Those are the defaults of `Targets`; a site overrides
them (a province's own plan, the next plan's figures once published).

A target year's value is the base-year value cut by the reduction; the years between move on a
straight line (the plan's path), and years after the target year hold its value. The year to
date is compared pro rata to the share of the year it covers — a straight line that ignores
seasonality (winter heat, summer cooling), said so where it is shown.

Quotas are the site's numbers (GB/T 51161-2016 structure: a constraint value — the limit — and
a guide value per building type and climate zone, annual, per m² or per person). None ship:
they differ by province, and a number without its source would mislead.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: building type → the letter of the energy-monitoring platform's building id (A–H)
BUILDING_TYPES: dict[str, str] = {"office": "A", "mall": "B", "hotel": "C", "education": "D",
                                  "medical": "E", "sports": "F", "mixed": "G", "other": "H"}
TYPE_ALIASES: dict[str, str] = {"school": "education", "university": "education",
                                "culture": "education", "hospital": "medical",
                                "shopping": "mall", "commercial": "mall", "gym": "sports",
                                "mixed_use": "mixed", "mixed-use": "mixed"}
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "office": ("办公建筑", "Office"), "mall": ("商场建筑", "Mall"), "hotel": ("宾馆饭店", "Hotel"),
    "education": ("文化教育建筑", "Culture & education"), "medical": ("医疗卫生建筑", "Medical"),
    "sports": ("体育建筑", "Sports"), "mixed": ("综合建筑", "Mixed-use"),
    "other": ("其他建筑", "Other")}
BuildingType = Literal["office", "mall", "hotel", "education", "medical", "sports", "mixed",
                       "other"]
#: the intensities a target or a quota can be set on
METRICS = ("kgce_per_m2", "kgce_per_person", "water_m3_per_person", "co2_kg_per_m2",
           "electricity_kwh_per_m2")
NATIONAL_14TH_FYP = "国管节能〔2021〕195号 十四五公共机构节约能源资源工作规划 (2025 vs 2020)"


def building_type(value: object) -> object:
    """'school' → 'education', 'A' → 'office'; anything else is left for the type check."""
    if not isinstance(value, str):
        return value
    text = value.strip().lower()
    letters = {v.lower(): k for k, v in BUILDING_TYPES.items()}
    return TYPE_ALIASES.get(text) or letters.get(text) or text


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Targets(_Model):
    """Reductions (fractions) of each intensity from `base_year` to `target_year`."""

    base_year: int = Field(default=2020, ge=2000, le=2100)
    target_year: int = Field(default=2025, ge=2000, le=2100)
    kgce_per_m2: float = Field(default=0.05, ge=0, lt=1, description="energy per m²")
    kgce_per_person: float = Field(default=0.06, ge=0, lt=1)
    water_m3_per_person: float = Field(default=0.06, ge=0, lt=1)
    co2_kg_per_m2: float = Field(default=0.07, ge=0, lt=1)
    source: str = Field(default=NATIONAL_14TH_FYP, description="the plan the figures are from")

    @model_validator(mode="after")
    def _years(self) -> Targets:
        if self.target_year <= self.base_year:
            raise ValueError(f"target_year ({self.target_year}) must be after base_year "
                             f"({self.base_year})")
        return self

    def reductions(self) -> dict[str, float]:
        return {m: getattr(self, m) for m in METRICS if m in type(self).model_fields}


class Limit(_Model):
    """One quota line: the constraint value (约束值, the limit) and the guide value (引导值)."""

    constraint: float | None = Field(default=None, gt=0)
    guide: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _order(self) -> Limit:
        if self.constraint is None and self.guide is None:
            raise ValueError("give constraint, guide or both")
        if self.constraint is not None and self.guide is not None and self.guide > self.constraint:
            raise ValueError(f"guide ({self.guide}) above constraint ({self.constraint}): the "
                             "guide value is the stricter one (GB/T 51161)")
        return self


class Quota(_Model):
    """Annual quota values of a building (or of every building of a type), with their source."""

    kgce_per_m2: Limit | None = None
    kgce_per_person: Limit | None = None
    water_m3_per_person: Limit | None = None
    co2_kg_per_m2: Limit | None = None
    electricity_kwh_per_m2: Limit | None = None
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="the year the values were set for (informational)")
    source: str = Field(default="", description="e.g. 浙江省机关办公建筑能耗定额 DB33/T …")

    @model_validator(mode="after")
    def _some(self) -> Quota:
        if not self.limits():
            raise ValueError(f"a quota needs at least one of {', '.join(METRICS)}")
        return self

    def limits(self) -> dict[str, Limit]:
        return {m: getattr(self, m) for m in METRICS if getattr(self, m) is not None}


def target_value(base: float, reduction: float, base_year: int, target_year: int,
                 year: int) -> float:
    """The value the plan's straight path allows in `year` (held after the target year)."""
    progress = min(max((year - base_year) / (target_year - base_year), 0.0), 1.0)
    return base * (1 - reduction * progress)


def trajectory(actual: float | None, base: float | None, reduction: float, targets: Targets,
               year: int, year_fraction: float) -> dict:
    """The year to date against the year's target: the allowance is the year's target value
    times the share of the year elapsed."""
    if base is None:
        return {"base": None, "target": None, "allowance": None, "actual": actual,
                "to_allowance_pct": None, "on_track": None}
    target = target_value(base, reduction, targets.base_year, targets.target_year, year)
    allowance = target * year_fraction
    pct = None if actual is None or not allowance else (actual - allowance) / allowance * 100
    return {"base": base, "target": target, "allowance": allowance, "actual": actual,
            "to_allowance_pct": pct, "on_track": None if actual is None else actual <= allowance}
