"""Carbon (kgCO₂e) and standard coal (kgce) factors, as data with sources.

Grid emission factors vary by data year and region (China's MEE publishes
national, regional and provincial averages each year, in kgCO₂/kWh); a year
without a published factor uses the latest earlier one, and the caller is told
which year it got. An optional 24-value hourly profile multiplies the annual
factor by local hour (it should average 1).

Standard coal: electricity has two conventions — equivalent value (当量值,
the heat content, 0.1229 kgce/kWh) and equal value (等价值, the coal burnt
to generate it, which follows the year's thermal-power coal rate).

The other classes (water, gas, heat, cooling, fuels, PV) convert by
`ClassFactors`: kgce and CO₂ per unit with their sources, whether the class
counts in 综合能耗, and fuel densities; a site's or a command's factors file
overrides the shipped one key by key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator

from rules.energy import BY_NAME, CLASSES, EnergyClass

Convention = Literal["equivalent", "equal_value"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Factor(_Model):
    value: float = Field(ge=0)
    source: str = ""
    confidence: str = ""
    notes: str = ""


class Region(_Model):
    name: str = ""
    factors: dict[int, Factor] = Field(min_length=1)  # data year → kgCO₂/kWh
    hourly_profile: tuple[float, ...] | None = Field(default=None, min_length=24, max_length=24)


class EmissionFactors(_Model):
    unit: Literal["kgCO2/kWh"] = "kgCO2/kWh"
    default_region: str = "CN"
    regions: dict[str, Region] = Field(min_length=1)

    def resolve(self, region: str | None, country: str | None = None) -> str | None:
        """The table key for a site's region: `region`, `<country>-<region>` or the
        country itself, case-insensitively; None when nothing matches."""
        keys = {k.lower(): k for k in self.regions}
        candidates = [region, f"{country}-{region}" if country and region else None]
        if not region:
            candidates.append(country)
        for c in candidates:
            if c and c.lower() in keys:
                return keys[c.lower()]
        return None

    def lookup(self, region: str | None, year: int) -> tuple[float, int]:
        """(factor, data year used): the latest year ≤ `year`, else the earliest."""
        name = region or self.default_region
        if name not in self.regions:
            raise KeyError(
                f"no emission factors for region {name!r}; known: {', '.join(sorted(self.regions))}"
            )
        years = sorted(self.regions[name].factors)
        earlier = [y for y in years if y <= year]
        used = earlier[-1] if earlier else years[0]
        return self.regions[name].factors[used].value, used

    def per_interval(
        self, region: str | None, year: np.ndarray, hour: np.ndarray
    ) -> tuple[np.ndarray, dict[int, int]]:
        """Factor per interval from its local year and hour; {year: data year used}."""
        out = np.empty(year.shape, np.float64)
        used: dict[int, int] = {}
        for y in np.unique(year):
            value, used[int(y)] = self.lookup(region, int(y))
            out[year == y] = value
        profile = self.regions[region or self.default_region].hourly_profile
        if profile is not None:
            out *= np.asarray(profile)[hour]
        return out, used


def grid_factor(table: EmissionFactors, region: str | None, days: tuple, day: np.ndarray,
                minute: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The grid factor of every interval (by its local year and hour) and a note for each
    year that had to use an earlier data year. `days`/`day`/`minute` are the
    classification's (`rules.tou.Classification`)."""
    year = np.array([d.year for d in days], np.int64)[day]
    per, used = table.per_interval(region, year, minute // 60)
    name = region or table.default_region
    notes = [f"carbon: {name} grid factor {table.lookup(region, y)[0]} kgCO2/kWh for {y} "
             f"(latest published: data year {data_year})"
             for y, data_year in sorted(used.items()) if data_year != y]
    return per, notes


class CoalEntry(_Model):
    unit: str
    value: float = Field(ge=0)
    source: str = ""
    confidence: str = ""
    notes: str = ""


class CoalFactors(_Model):
    """kgce per kWh of electricity under both conventions (other classes: `ClassFactors`)."""

    electricity_equivalent: CoalEntry
    electricity_equal_value: CoalEntry

    def electricity(self, convention: Convention = "equivalent") -> float:
        entry = (
            self.electricity_equivalent
            if convention == "equivalent"
            else self.electricity_equal_value
        )
        return entry.value


class Conversion(_Model):
    """One factor with its unit (`kgce/m3`, `kgCO2/MJ`, `kg/L`) and where it comes from."""

    value: float = Field(ge=0)
    unit: str
    source: str = ""
    confidence: str = ""
    notes: str = ""


class ClassFactor(_Model):
    """A class's conversions; keys left out keep the shipped value."""

    in_kgce: bool | None = Field(default=None, description="counts in 综合能耗")
    kgce: Conversion | None = None
    co2: Conversion | None = None
    density: Conversion | None = Field(default=None, description="fuels: kg/L")


@dataclass(frozen=True)
class Resolved:
    """A class's factors per canonical unit: kgCO₂ = amount × (co2 + grid × grid factor)."""

    kgce: float  # 0 when the class is not in 综合能耗; negative for included generation
    co2: float
    grid: float  # 1 electricity, −1 generation counted against 综合能耗, else 0
    density: float | None  # kg/L


class ClassFactors(RootModel[dict[str, ClassFactor]]):
    """kgce and CO₂ per unit of every class but electricity's grid factor, with sources.

    Units are checked against the class registry: `kgce/<unit>` and
    `kgCO2/<unit>` with a unit the class accepts (litres of a fuel through its
    density), `kg/L` for densities.
    """

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _units(self) -> ClassFactors:
        problems = []
        for name, entry in self.root.items():
            energy = BY_NAME.get(name)
            if energy is None:
                problems.append(f"{name}: not an energy class; use {', '.join(BY_NAME)}")
                continue
            if name == "electricity" and entry.co2 is not None:
                problems.append("electricity.co2: the grid factor is metering.emission_factor(s)"
                                " or --emission-factor, not a class factor")
            density = entry.density.value if entry.density else 1.0
            for key, prefix in (("kgce", "kgce"), ("co2", "kgCO2")):
                conv = getattr(entry, key)
                if conv is None:
                    continue
                head, _, per = conv.unit.partition("/")
                try:
                    if head.lower() != prefix.lower():
                        raise ValueError(f"write it as {prefix}/<unit>")
                    energy.factor(per, density)
                except ValueError as exc:
                    problems.append(f"{name}.{key}.unit: {conv.unit!r}: {exc}")
            if entry.density is not None and entry.density.unit.replace(" ", "") != "kg/L":
                problems.append(f"{name}.density.unit: {entry.density.unit!r}: write it as kg/L")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def merged(self, override: ClassFactors | None) -> ClassFactors:
        """These factors with each class's keys replaced by the override's (site or --factors)."""
        if override is None:
            return self
        out = dict(self.root)
        for name, entry in override.root.items():
            base = out.get(name, ClassFactor())
            out[name] = base.model_copy(
                update={k: getattr(entry, k) for k in entry.model_fields_set})
        return ClassFactors(out)

    def resolve(self, electricity_kgce: float) -> dict[str, Resolved]:
        """Every class's factors per canonical unit. Generation (PV) included in 综合能耗
        counts as avoided electricity: negative kgce, grid CO₂ with a minus sign downstream."""
        out: dict[str, Resolved] = {}
        for energy in CLASSES:
            entry = self.root.get(energy.name, ClassFactor())
            density = entry.density.value if entry.density else None
            included = energy.in_kgce if entry.in_kgce is None else entry.in_kgce
            if energy.name in ("electricity", "pv"):
                kgce = entry.kgce and _per_canonical(entry.kgce, energy, density)
                value = electricity_kgce if kgce is None else kgce
                sign = (1.0 if energy.consumption else -1.0) if included else 0.0
                out[energy.name] = Resolved(sign * value, 0.0, sign, density)
                continue
            kgce = _per_canonical(entry.kgce, energy, density) if entry.kgce else float("nan")
            co2 = _per_canonical(entry.co2, energy, density) if entry.co2 else float("nan")
            out[energy.name] = Resolved(kgce if included else 0.0, co2, 0.0, density)
        return out

    def source(self, name: str) -> dict[str, Conversion]:
        entry = self.root.get(name, ClassFactor())
        return {k: v for k in ("kgce", "co2", "density") if (v := getattr(entry, k))}


def _per_canonical(conv: Conversion, energy: EnergyClass, density: float | None) -> float:
    """`value` per written unit → per canonical unit."""
    return conv.value / energy.factor(conv.unit.partition("/")[2], density)
