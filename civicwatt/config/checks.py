"""Rules across fields and sections of the site config, as plain functions returning problems.

Each check takes the parts that validated (a bad point elsewhere must not
hide the unknown zone of this one) and returns (path, value, allowed) tuples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from civicwatt.config.errors import _MISSING
from civicwatt.config.purposes import Purpose, PurposeTree
from civicwatt.config.site import Building, Point, ServiceSettings, Zone
from civicwatt.config.urls import host_problem, store_url_problem
from collector.modbus.settings import ModbusSettings, check_modbus
from rules.energy import METERED, QUANTITIES, class_of, scale_hint
from rules.setpoint_checks import check_setpoints
from rules.setpoint_settings import SetpointSettings

Found = tuple[tuple, object, str]  # (path as a tuple of keys, bad value, what is allowed)


def _all_zones(zones: Iterable[Zone], path: tuple) -> Iterable[tuple[tuple, Zone]]:
    for i, zone in enumerate(zones):
        yield (*path, i), zone
        yield from _all_zones(zone.zones, (*path, i, "zones"))


def check_ids(buildings: dict[int, Building], points: dict[int, Point]) -> list[Found]:
    found: list[Found] = []
    seen_b: set[str] = set()
    seen_z: dict[str, str] = {}
    for i, building in buildings.items():
        if building.id in seen_b:
            found.append((("buildings", i, "id"), building.id, "building ids are unique"))
        seen_b.add(building.id)
        for path, zone in _all_zones(building.zones, ("buildings", i, "zones")):
            if zone.id in seen_z or zone.id in seen_b:
                found.append(((*path, "id"), zone.id,
                              "zone ids are unique across the site (and differ from building ids)"))
            seen_z[zone.id] = building.id
    counts = Counter(p.id for p in points.values())
    for i, point in points.items():
        if counts[point.id] > 1:
            found.append((("points", i, "id"), point.id,
                          f"point ids are unique; {counts[point.id]} points use this id"))
    return found


def check_points(points: dict[int, Point], buildings: dict[int, Building],
                 purposes: PurposeTree) -> list[Found]:
    found: list[Found] = []
    zones = {z.id: b.id for b in buildings.values() for _, z in _all_zones(b.zones, ())}
    building_ids = {b.id for b in buildings.values()}
    point_ids = {p.id for p in points.values()}
    for i, point in points.items():
        path = ("points", i)
        if point.building not in building_ids:
            found.append(((*path, "building"), point.building,
                          f"one of the building ids {sorted(building_ids)}"))
        elif point.zone and zones.get(point.zone) != point.building:
            in_building = sorted(z for z, b in zones.items() if b == point.building)
            found.append(((*path, "zone"), point.zone,
                          f"a zone of building {point.building}: {', '.join(in_building)} "
                          "(or empty for the whole building)"))
        found += _purpose(point, path, purposes)
        allowed = QUANTITIES[point.quantity]
        if point.unit not in allowed:
            energy = class_of(point.quantity)
            hint = scale_hint(energy, point.unit) if energy and point.quantity != "power" else (
                f"{point.quantity} is stored in {' or '.join(allowed)}; convert with the "
                "binding's `scale` (e.g. W → kW: scale 0.001)")
            found.append(((*path, "unit"), point.unit, hint))
        if point.parent is not None and point.parent not in point_ids:
            found.append(((*path, "parent"), point.parent, "the id of another point"))
    return found


def check_baselines(buildings: dict[int, Building]) -> list[Found]:
    """A baseline says what its figures are: the report labels them by it."""
    return [(("buildings", i, "baseline", "kind"), _MISSING,
             "say what these figures are: own (this building's base-year figures), "
             "national_average, provincial_average or quota")
            for i, b in buildings.items() if b.baseline is not None and b.baseline.kind is None]
def _purpose(point: Point, path: tuple, purposes: PurposeTree) -> list[Found]:
    """A metered point's purpose lies under its class's code (water under 02000, …)."""
    energy = class_of(point.quantity)
    needs = point.quantity in (*METERED, "power") and bool(energy and energy.code)
    if not point.purpose and not needs:
        return []
    if point.purpose not in purposes:
        example = {"01000": "01A10, 01B20, 01C10, 01D10"}.get(energy.code if energy else "",
                                                             energy.code if energy else "01A10")
        return [((*path, "purpose"), point.purpose,
                 f"a sub-item code such as {example} (or one added under `purposes:`)")]
    if needs and energy.code not in (point.purpose, *purposes.ancestors(point.purpose)):
        return [((*path, "purpose"), point.purpose,
                 f"a code under {energy.code} ({energy.en.lower()}): a {point.quantity} point "
                 f"cannot count as {purposes.by_code[point.purpose].en.lower()}")]
    return []


def check_purposes(extra: dict[int, Purpose]) -> list[Found]:
    tree = PurposeTree(tuple(extra.values()))
    return [(("purposes", i, "parent"), p.parent, "an existing purpose code")
            for i, p in extra.items() if p.parent is not None and p.parent not in tree]


def check_modbus_section(modbus: ModbusSettings | None, profiles: dict,
                         points: dict[int, Point]) -> list[Found]:
    bindings = [(f"points[{i}].modbus", p.modbus) for i, p in points.items()
                if p.modbus is not None]
    return [(tuple(split_path(problem.path)), problem.value, problem.allowed)
            for problem in check_modbus(modbus or ModbusSettings(), profiles, bindings)]


def split_path(text: str) -> list[str | int]:
    """'modbus.devices[2].gateway' → ['modbus', 'devices', 2, 'gateway']."""
    out: list[str | int] = []
    for part in text.replace("]", "").split("."):
        name, _, index = part.partition("[")
        if name:
            out.append(name)
        if index:
            out.append(int(index) if index.isdigit() else index)
    return out


def check_setpoints_section(setpoints: SetpointSettings | None, buildings: dict[int, Building],
                            points: dict[int, Point], service: object = None,
                            has_mqtt: bool = True) -> list[Found]:
    """Unknown zones, two owners for one point, offsets and baselines the bounds always clip,
    live commands without a broker."""
    if setpoints is None:
        return []
    found: list[Found] = []
    live = [z.zone for z in setpoints.zones if setpoints.zone_mode(z) == "live"]
    if live and not has_mqtt:
        found.append((("setpoints", "mode"), "live", f"an `mqtt:` broker section: zones "
                      f"{', '.join(live)} are live but there is no broker to send to"))
    zones = {z.id: b.id for b in buildings.values() for _, z in _all_zones(b.zones, ())}
    known = {p.id: (p.building, p.zone, p.quantity) for p in points.values()}
    every = getattr(service or ServiceSettings(), "setpoints_every_s", None)
    return found + check_setpoints(setpoints, zones, known, every)


def check_addresses(store: object, mqtt: object, modbus: ModbusSettings | None,
                    report: object) -> list[Found]:
    """The store URL, the broker's host, gateway hosts and the SMTP relay, by text alone."""
    found: list[Found] = []
    url = getattr(store, "url", None)
    if url and (problem := store_url_problem(url)):
        found.append((("store", "url"), url, problem))
    if mqtt is not None and (problem := host_problem(urlsplit(mqtt.url).hostname or "")):
        found.append((("mqtt", "url"), mqtt.url, f"host: {problem}"))
    for i, gateway in enumerate(modbus.gateways if modbus else []):
        host = getattr(gateway, "host", None)
        if host is not None and (problem := host_problem(host)):
            found.append((("modbus", "gateways", i, "host"), host, problem))
    smtp = getattr(getattr(report, "email", None), "smtp", None)
    if smtp is not None and (problem := host_problem(smtp.host)):
        found.append((("report", "email", "smtp", "host"), smtp.host, problem))
    return found


def check_local(service: ServiceSettings | None, mqtt: object, report: object,
                base_dir: Path) -> list[Found]:
    """The service's HTTP address and spool, and the certificate files the config names.

    Each would otherwise fail only when `run` or `collect` reaches it.
    """
    found: list[Found] = []
    if service is not None:
        host, _, port = service.http.rpartition(":")
        if not 0 <= int(port) <= 65535:  # 0: any free port (tests, side-by-side instances)
            found.append((("service", "http"), service.http, "host:port with a port 1-65535 "
                          "(or 0 for any free one), e.g. 127.0.0.1:8080"))
        elif problem := host_problem(host):
            found.append((("service", "http"), service.http, f"host: {problem}"))
        spool = base_dir / service.spool
        if spool.is_dir():
            found.append((("service", "spool"), service.spool, "a file (the spool's SQLite "
                          "database), not a folder: e.g. spool.db or /var/lib/civicwatt/spool.db"))
    tls = getattr(mqtt, "tls", None)
    smtp = getattr(getattr(report, "email", None), "smtp", None)
    named = [(("mqtt", "tls", key), getattr(tls, key)) for key in ("ca_file", "cert_file",
                                                                    "key_file")] if tls else []
    if smtp is not None:
        named.append((("report", "email", "smtp", "ca_file"), smtp.ca_file))
    for path, name in named:
        if name is not None and not (base_dir / name).is_file():
            found.append((path, str(name), f"an existing file (relative to {base_dir}); "
                          "this one is missing or a folder"))
    return found
