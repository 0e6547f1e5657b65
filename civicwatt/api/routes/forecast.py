"""GET /api/v1/buildings/{id}/forecast: the latest forecast run's hours (load or carbon)."""


from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from civicwatt.api.context import Api
from civicwatt.api.ids import ID
from civicwatt.api.models import ForecastOut
from civicwatt.config import Building
from rules.clock import DAY_NS, to_local
from store import Store

UNITS = {"load": "kWh", "carbon": "kgCO2e"}
BANDS = ("value", "lower", "upper", "lower95", "upper95")


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["forecast"])

    @routes.get("/buildings/{building_id}/forecast", response_model=ForecastOut,
                summary="The latest forecast: hourly value with 80 % and 95 % intervals")
    async def forecast(
        building: Annotated[Building, Depends(api.deps.building)],
        target: Literal["load", "carbon"] = "load",
        zone: Annotated[str | None, Query(pattern=ID, description="a zone of the building; "
                                          "default the whole building")] = None,
    ):
        api.vocabulary.check("zone", zone, api.vocabulary.building_zones(building.id),
                             building.id)
        return api.json(await api.run(latest_forecast, api.store, api.site.site.id, building.id,
                                      zone or building.id, target, api.clock(),
                                      api.site.site.timezone))

    return routes


def latest_forecast(store: Store, site: str, building: str, zone: str, target: str,
                    now_ns: int, tz: str) -> dict:
    """The rows of the newest run (largest `issued_at`) from a day back to two weeks ahead."""
    rows = store.read_rows("forecast", now_ns - DAY_NS, now_ns + 14 * DAY_NS,
                           {"site": site, "building": building, "zone": zone, "target": target})
    issued = [r for r in rows if isinstance(r.fields.get("issued_at"), int | float)]
    doc = {"building": building, "zone": zone, "target": target, "unit": UNITS[target],
           "model": None, "issued_at": None, "points": []}
    if not issued:
        return doc
    newest = max(issued, key=lambda r: (r.fields["issued_at"], r.series.tag("model")))
    run = [r for r in issued if r.fields["issued_at"] == newest.fields["issued_at"]
           and r.series.tag("model") == newest.series.tag("model")]
    doc.update(model=newest.series.tag("model") or None,
               issued_at=to_local(int(newest.fields["issued_at"]), tz).isoformat(),
               points=[{"start": to_local(r.time_ns, tz).isoformat(),
                        **{b: _number(r.fields.get(b)) for b in BANDS}}
                       for r in sorted(run, key=lambda r: r.time_ns)])
    return doc


def _number(value) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None
