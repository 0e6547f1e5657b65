"""Cross-checks of the `setpoints:` section: the mistakes a schema cannot see.

Unknown zones, two owners (writers) for one point, a point that is not a
setpoint of that zone, baselines, setbacks and offsets the bounds would always
clip, heating and cooling baselines that break the deadband. Pure: returns
(path, value, allowed) tuples like `civicwatt.config.checks`.
"""

from __future__ import annotations

from collections.abc import Mapping

from rules.setpoint_settings import Controller, SetpointSettings, ZoneSetpoints, bounds

Found = tuple[tuple, object, str]  # (path, bad value, what is allowed)


def check_setpoints(settings: SetpointSettings, zone_buildings: Mapping[str, str],
                    points: Mapping[str, tuple[str, str, str]],
                    every_s: float | None = None) -> list[Found]:
    """Cross-checks of the `setpoints:` section, as (path, value, allowed) tuples.

    `zone_buildings`: zone id → building id; `points`: point id → (building,
    zone, quantity); `every_s`: how often the rules run. Paths start with "setpoints".
    """
    found: list[Found] = []
    if every_s is not None and 0 < settings.refresh_before < every_s:
        found.append((("setpoints", "refresh_before"), settings.refresh_before,
                      f"at least service.setpoints_every_s ({every_s:g} s), or a still-wanted "
                      "command expires between two evaluations"))
    owners: dict[str, tuple[tuple, str]] = {}
    seen_zones: set[str] = set()
    for zi, zone in enumerate(settings.zones):
        zpath = ("setpoints", "zones", zi)
        if zone.zone not in zone_buildings:
            found.append(((*zpath, "zone"), zone.zone,
                          f"a zone id of the site: {', '.join(sorted(zone_buildings)) or 'none'}"))
        if zone.zone in seen_zones:
            found.append(((*zpath, "zone"), zone.zone, "each zone is listed once under setpoints"))
        seen_zones.add(zone.zone)
        modes = [c.mode for c in zone.controllers]
        for mode in ("cool", "heat"):
            if modes.count(mode) > 1:
                found.append(((*zpath, "controllers"), mode,
                              f"one {mode} controller per zone"))
        for ci, controller in enumerate(zone.controllers):
            cpath = (*zpath, "controllers", ci)
            found += _check_owner(controller, cpath, owners)
            found += _check_point(controller, zone.zone, zone_buildings, points, cpath)
            if zone.exempt is None:
                found += _check_clipping(settings, zone, controller, cpath)
    found += _check_pairs(settings)
    return found


def _check_owner(controller: Controller, path: tuple,
                 owners: dict[str, tuple[tuple, str]]) -> list[Found]:
    if controller.point in owners:
        first, owner = owners[controller.point]
        from_ = ".".join(str(k) for k in first)
        return [((*path, "point"), controller.point,
                 f"one writer per point: already listed at {from_} (owner {owner}); "
                 f"this entry's owner is {controller.owner}")]
    owners[controller.point] = (path, controller.owner)
    return []


def _check_point(controller: Controller, zone: str, zone_buildings: Mapping[str, str],
                 points: Mapping[str, tuple[str, str, str]], path: tuple) -> list[Found]:
    if controller.point not in points:
        return []  # controllers need not be listed as measured points
    building, point_zone, quantity = points[controller.point]
    found: list[Found] = []
    if quantity != "setpoint":
        found.append(((*path, "point"), controller.point,
                      f"a point with quantity setpoint (this one is {quantity})"))
    if point_zone and point_zone != zone:
        found.append(((*path, "point"), controller.point,
                      f"a setpoint of zone {zone} (the point's zone is {point_zone})"))
    elif zone in zone_buildings and building != zone_buildings[zone]:
        found.append(((*path, "point"), controller.point,
                      f"a setpoint in building {zone_buildings[zone]} (it is in {building})"))
    return found


def _check_clipping(settings: SetpointSettings, zone: ZoneSetpoints, controller: Controller,
                    path: tuple) -> list[Found]:
    """Baselines, setbacks and offsets the bounds always clip are config mistakes."""
    low, high = bounds(settings, zone, controller)
    found: list[Found] = []
    if low > high:
        return [(path, f"{low}..{high}", "the policy, comfort band and device min/max leave "
                                          "no allowed value; widen the comfort band")]
    where = f"the bounds {low:g}..{high:g} °C (policy, comfort band, device min/max)"
    for key in ("baseline", "fallback", "setback"):
        value = getattr(controller, key)
        lo, hi = (low, high) if key != "setback" else bounds(settings, zone, controller, False)
        if isinstance(value, float | int) and not lo <= value <= hi:
            found.append(((*path, key), value, f"a value inside {lo:g}..{hi:g} °C (policy, "
                          f"{'device' if key == 'setback' else 'comfort band, device'} min/max): "
                          "it would always be clipped"))
    base = controller.baseline if isinstance(controller.baseline, float | int) else (
        controller.fallback)
    if base is None or not low <= base <= high:
        return found
    steps = settings.offsets.cooling if controller.mode == "cool" else settings.offsets.heating
    sign = 1 if controller.mode == "cool" else -1
    for level in range(1, zone.max_level + 1):
        shed = base + sign * steps[level - 1]
        if not low <= shed <= high:
            name = "cooling" if controller.mode == "cool" else "heating"
            found.append((("setpoints", "offsets", name), list(steps),
                          f"level {level} takes {controller.point} from {base:g} to {shed:g} "
                          f"°C, outside {where}; lower the offset, the baseline or the zone's "
                          f"max_level"))
            break
    return found


def _check_pairs(settings: SetpointSettings) -> list[Found]:
    found: list[Found] = []
    deadband = settings.policy.deadband
    for zi, zone in enumerate(settings.zones):
        by_mode = {c.mode: c for c in zone.controllers}
        cool, heat = by_mode.get("cool"), by_mode.get("heat")
        if cool is None or heat is None:
            continue
        for key in ("baseline", "setback"):
            c, h = getattr(cool, key), getattr(heat, key)
            if isinstance(c, float | int) and isinstance(h, float | int) and h > c - deadband:
                found.append((("setpoints", "zones", zi, "controllers"), f"{h:g}/{c:g}",
                              f"heating {key} ≤ cooling {key} − {deadband:g} °C (deadband)"))
    return found


