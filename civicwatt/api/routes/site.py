"""GET /api/v1/site, /buildings, /buildings/{id}: metadata from the site config."""


from typing import Annotated

from fastapi import APIRouter, Depends

from civicwatt.api.auth import Principal
from civicwatt.api.context import Api
from civicwatt.api.ids import class_of_quantity
from civicwatt.api.models import BuildingDetail, BuildingList, SiteOut
from civicwatt.config import Building, Zone


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["site"])
    site = api.site

    @routes.get("/site", response_model=SiteOut, summary="The site and the buildings this key "
                "may read")
    async def get_site(who: Annotated[Principal, Depends(api.deps.reader)]):
        info = site.site
        return api.json({"id": info.id, "name": info.name, "timezone": info.timezone,
                         "currency": info.currency, "language": info.language,
                         "country": info.country,
                         "buildings": [b.id for b in site.buildings if who.reads(b.id)]})

    @routes.get("/buildings", response_model=BuildingList, summary="Buildings: areas, "
                "occupants, zones")
    async def buildings(who: Annotated[Principal, Depends(api.deps.reader)]):
        return api.json({"buildings": [_building(b) for b in site.buildings
                                       if who.reads(b.id)]})

    @routes.get("/buildings/{building_id}", response_model=BuildingDetail,
                summary="One building with its zones and meters")
    async def building(found: Annotated[Building, Depends(api.deps.building)]):
        meters = [{"id": p.id, "name": p.name, "zone": p.zone_id, "purpose": p.purpose,
                   "quantity": p.quantity, "energy_class": class_of_quantity(p.quantity),
                   "unit": p.unit, "parent": p.parent, "source": p.source}
                  for p in site.points if p.building == found.id]
        return api.json({**_building(found), "meters": meters})

    return routes


def _building(b: Building) -> dict:
    return {"id": b.id, "name": b.name, "floor_area_m2": b.floor_area_m2,
            "occupants": b.occupants, "baseline_kind": b.baseline.kind if b.baseline else None,
            "zones": [_zone(z) for z in b.zones]}


def _zone(z: Zone) -> dict:
    return {"id": z.id, "name": z.name, "floor_area_m2": z.floor_area_m2,
            "zones": [_zone(c) for c in z.zones]}
