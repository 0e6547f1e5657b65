"""GET /api/v1/statistics?period=P: the portfolio statistics of a period — the document of
`civicwatt statistics --json`, from the same core (civicwatt.statistics), so the numbers are
the same to the byte. A `read:building:ID` key sees only its building(s): their rows and a
total of those (ranks stay among all buildings of a type)."""


from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from civicwatt.api.auth import Principal
from civicwatt.api.context import Api, encode
from civicwatt.api.problems import ApiError
from civicwatt.statistics import Period, compute

#: years 2000–2100; months, quarters and only days that exist (29 February in leap years), so a
#: request the schema allows is one the endpoint answers
PERIOD = (r"^(?:(?:20[0-9]{2}|2100)(?:-(?:0[1-9]|1[0-2])|-[Qq][1-4]|-(?:(?:0[13578]|1[02])-"
          r"(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|"
          r"2[0-8])))?|20(?:[02468][048]|[13579][26])-02-29)$")


class Row(BaseModel):
    """One building, institution, type or the site total (more keys than listed)."""

    model_config = ConfigDict(extra="allow")
    id: str
    name: str
    electricity_kwh: float
    water_m3: float
    gas_m3: float
    heat_gj: float
    kgce: float
    cost: float
    co2_kg: float
    kgce_per_m2: float | None
    kgce_per_person: float | None
    water_m3_per_person: float | None
    mom_pct: dict[str, float | None] = Field(description="环比 % per field; null: no data")
    yoy_pct: dict[str, float | None] = Field(description="同比 % per field; null: no data")
    estimated_share: float | None


class StatisticsOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    period: str
    buildings: list[Row]
    institutions: list[Row]
    types: list[Row]
    total: Row


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["statistics"])
    site = api.site

    @routes.get("/statistics", response_model=StatisticsOut,
                summary="Portfolio statistics of a day, month, quarter or year",
                description="Every class, 综合能耗 (kgce), cost, CO₂, intensities, 同比 and 环比, "
                            "quota distance and rank within the building type, per building, "
                            "institution, type and for the site; the same document as "
                            "`civicwatt statistics --json`. A period without data (or not "
                            "begun) has zeros, and each row's completeness says so.")
    async def statistics(
        who: Annotated[Principal, Depends(api.deps.reader)],
        period: Annotated[str, Query(
            max_length=10, json_schema_extra={"pattern": PERIOD},
            description="a local day 2026-10-15, a month 2026-10, a quarter 2026-Q3 or a year "
                        "2026 (2000–2100)")],
    ):
        try:
            wanted = Period.parse(period)
        except ValueError as exc:
            raise ApiError(400, str(exc), reason="period") from None
        if not 2000 <= wanted.start.year <= 2100:
            raise ApiError(400, f"period {wanted.label}: years 2000 to 2100", reason="period")
        mine = None if who.reads() else [b.id for b in site.buildings if who.reads(b.id)]

        def make_document() -> bytes:
            stats = compute(site, api.store, wanted)
            return encode((stats if mine is None else stats.only(mine)).to_json())

        async def make() -> bytes:
            return await api.run(make_document)

        return api.json(await api.cache.get(("statistics", wanted, tuple(mine or ())), make))

    return routes
