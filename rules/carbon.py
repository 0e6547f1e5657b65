"""Carbon (kgCO₂e) and standard coal (kgce) factors, as data with sources.

Grid emission factors vary by data year and region (China's MEE publishes
national, regional and provincial averages each year, in kgCO₂/kWh); a year
without a published factor uses the latest earlier one, and the caller is told
which year it got. An optional 24-value hourly profile multiplies the annual
factor by local hour (it should average 1).

Standard coal: electricity has two conventions — equivalent value (当量值,
the heat content, 0.1229 kgce/kWh) and equal value (等价值, the coal burnt
to generate it, which follows the year's thermal-power coal rate).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

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


class CoalEntry(_Model):
    unit: str
    value: float = Field(ge=0)
    source: str = ""
    confidence: str = ""
    notes: str = ""


class CoalFactors(_Model):
    """kgce per unit of each energy type; electricity under both conventions."""

    electricity_equivalent: CoalEntry
    electricity_equal_value: CoalEntry
    others: dict[str, CoalEntry] = {}

    def electricity(self, convention: Convention = "equivalent") -> float:
        entry = (
            self.electricity_equivalent
            if convention == "equivalent"
            else self.electricity_equal_value
        )
        return entry.value

    def factor(self, energy: str, convention: Convention = "equivalent") -> float:
        if energy == "electricity":
            return self.electricity(convention)
        if energy not in self.others:
            raise KeyError(f"no standard-coal factor for {energy!r}")
        return self.others[energy].value
