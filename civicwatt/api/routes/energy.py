"""GET /api/v1/buildings/{id}/energy: energy by class, sub-item, zone and TOU period."""


from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from civicwatt.api.context import Api, encode
from civicwatt.api.energy import BY, MAX_DAYS, EnergyQuery, building_energy, range_problem
from civicwatt.api.ids import CLASS_UNITS, ID, LocalDate
from civicwatt.api.models import EnergyOut
from civicwatt.api.problems import ApiError
from civicwatt.config import Building

_LIMITS = ", ".join(f"{k} {v} days" for k, v in MAX_DAYS.items())


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["energy"])
    words = api.vocabulary

    @routes.get(
        "/buildings/{building_id}/energy", response_model=EnergyOut,
        summary="Metered energy, cost, CO₂ and kgce per local bucket",
        description="Sums of the building's meters per bucket of the site's local calendar "
                    "(`from`/`to` are local dates, `to` exclusive), one row per class and per "
                    "each `by` label. Purposes and zones take each meter's own share (minus its "
                    f"sub-meters), so rows add up to the totals. Longest ranges: {_LIMITS}.")
    async def energy(
        building: Annotated[Building, Depends(api.deps.building)],
        start: Annotated[LocalDate, Query(alias="from", description="first local day")],
        end: Annotated[LocalDate, Query(alias="to", description="local day after the last")],
        interval: Literal["15m", "hour", "day", "month"] = "day",
        by: Annotated[list[Literal[BY]] | None, Query(description="extra labels of each row "
                                                      "(repeat: by=purpose&by=zone)")] = None,
        energy_class: Annotated[str | None, Query(alias="class", pattern=ID,
                                                  description="electricity, water, gas, …")
                                ] = None,
        purpose: Annotated[str | None, Query(pattern=ID, description="a sub-item code; its "
                                             "children are included")] = None,
        zone: Annotated[str | None, Query(pattern=ID, description="a zone of the building; "
                                          "nested zones are included")] = None,
        period: Annotated[str | None, Query(pattern=ID, description="a TOU period of the "
                                            "tariff")] = None,
    ):
        problem = range_problem(start, end, interval)
        if problem:
            raise ApiError(400, problem, reason="range")
        words.check("class", energy_class, CLASS_UNITS)
        words.check("purpose", purpose, words.purposes.by_code)
        words.check("zone", zone, words.building_zones(building.id), building.id)
        words.check("period", period, words.periods)
        labels = tuple(dict.fromkeys(by or ()))
        query = EnergyQuery(building, start, end, interval, labels, energy_class, purpose, zone,
                            period)

        async def make() -> bytes:
            return encode(await api.run(building_energy, api.store, words, query))

        key = (building.id, start, end, interval, labels, energy_class, purpose, zone, period)
        return api.json(await api.cache.get(key, make))

    return routes
