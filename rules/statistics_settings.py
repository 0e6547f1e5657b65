"""The `statistics:` section: quotas per building type, the equal-value 综合能耗, the schedule."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.targets import BuildingType, Quota

Scheduled = Literal["month", "quarter", "year"]


class StatisticsSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    quotas: dict[BuildingType, Quota] = Field(
        default_factory=dict, description="annual quota values per building type (a building's "
        "own `quota` wins); the site's numbers, e.g. its province's 定额 standard")
    equal_value: bool = Field(default=False, description="also give 综合能耗 at the equal value "
                              "(当量值) of electricity as kgce_equal_value")
    schedule: list[Scheduled] = Field(
        default_factory=lambda: ["month", "quarter", "year"],
        description="periods `civicwatt run` computes once they are over (on day `day` of the "
                    "next month) into report.out_dir; [] = none")
    day: int = Field(default=2, ge=1, le=28, description="day of the month the scheduled "
                     "statistics run (day 2: late readings of the 1st are in)")
    at: str = Field(default="06:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                    description="local time of the scheduled run")
