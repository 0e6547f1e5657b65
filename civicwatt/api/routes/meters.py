"""GET /api/v1/buildings/{id}/meters/health: each point's last reading, count and state."""


from typing import Annotated

from fastapi import APIRouter, Depends, Query

from civicwatt.api.context import Api
from civicwatt.api.models import MeterHealthOut
from civicwatt.config import Building, SiteConfig
from rules.clock import HOUR_NS, to_local
from store import Store


def router(api: Api) -> APIRouter:
    routes = APIRouter(tags=["meters"])

    @routes.get("/buildings/{building_id}/meters/health", response_model=MeterHealthOut,
                summary="Meter health: last reading, readings in the window, silent meters, "
                        "Modbus device state")
    async def health(
        building: Annotated[Building, Depends(api.deps.building)],
        hours: Annotated[float, Query(gt=0, le=168, description="the window, hours back from "
                                      "now")] = 24,
    ):
        devices = api.devices() if api.devices is not None else {}
        return api.json(await api.run(meter_health, api.store, api.site, building, hours,
                                      api.clock(), devices))

    return routes


def meter_health(store: Store, site: SiteConfig, building: Building, hours: float, now_ns: int,
                 devices: dict[str, bool | None]) -> dict:
    points = [p for p in site.points if p.building == building.id]
    start = now_ns - int(hours * HOUR_NS)
    seen = {}
    for quantity in sorted({p.quantity for p in points}):
        for latest in store.latest(quantity, start, now_ns + 1, ("point",),
                                   {"site": site.site.id, "building": building.id}):
            seen[latest.group[0]] = latest
    silent_h = site.report.anomalies.silent_hours
    meters = []
    for p in points:
        latest = seen.get(p.id)
        quiet = None if latest is None else round((now_ns - latest.time_ns) / HOUR_NS, 3)
        device = p.modbus.device if p.modbus is not None else None
        meters.append({
            "point": p.id, "name": p.name, "quantity": p.quantity, "source": p.source,
            "device": device, "device_online": devices.get(device) if device else None,
            "last_seen": None if latest is None else to_local(latest.time_ns,
                                                              site.site.timezone).isoformat(),
            "quiet_hours": quiet, "readings": latest.count if latest else 0,
            "status": "no_data" if latest is None else "silent" if quiet >= silent_h else "ok"})
    return {"building": building.id, "window_hours": hours, "silent_after_hours": silent_h,
            "meters": meters}
