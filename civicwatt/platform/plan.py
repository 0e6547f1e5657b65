"""What a building sends, decided once from the site config: meters, roots, codes, units.

The meter tree is the report's (`civicwatt.config.meters.meter_tree`): a building's class total
is the sum of its root meters, and each sub-item takes a meter's own share (its energy minus
its sub-meters'), so nothing is counted twice and 01000 is the report's load. Site purpose codes
become platform codes here: a code of the profile's table (or a level-3 code under one) is sent
unchanged, `platform.codes` maps any other, and otherwise the nearest ancestor in the table
takes it; a code with none of these is a config error (`checks.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from civicwatt.platform.profiles import Profile
from civicwatt.platform.units import CANONICAL, factor

if TYPE_CHECKING:  # civicwatt.config imports this package's checks: no cycle at run time
    from civicwatt.config.purposes import PurposeTree


@dataclass(frozen=True)
class BuildingPlan:
    building: str  # civicwatt building id
    platform_id: str  # the platform's building_id
    members: tuple[str, ...]  # meters counted (the report's tree)
    parent: Mapping[str, str | None]
    roots: tuple[str, ...]
    purpose: Mapping[str, str]  # member → its purpose code in the config
    required: tuple[str, ...]  # members metering fills: an hour is complete when all are in
    code_of: Mapping[str, str]  # site purpose code → platform code
    factors: Mapping[str, float]  # class code → stored unit × factor = the platform's unit


def platform_code(code: str, profile: Profile, purposes: PurposeTree,
                  mapping: Mapping[str, str]) -> str | None:
    """The platform code a site purpose code is sent as, or None when it has none."""
    if code in mapping:
        return mapping[code]
    if profile.accepts(code):
        return code
    return next((a for a in purposes.ancestors(code) if a in profile.codes), None)


def parent_code(code: str) -> str | None:
    """The code one level up by the code's own layout: 01B21 → 01B20 → 01B00 → 01000."""
    for level in (4, 3, 2):
        if code[level] != "0":
            return code[:level] + "0" * (5 - level)
    return None


def sent_codes(plan: BuildingPlan) -> list[str]:
    """Every code the building can send: its meters' codes and everything they roll up to."""
    codes: set[str] = set()
    for code in plan.code_of.values():
        node: str | None = code
        while node is not None:
            codes.add(node)
            node = parent_code(node)
    return sorted(codes)


def plan_buildings(site, settings, profile: Profile) -> list[BuildingPlan]:
    """One plan per building in `platform.buildings`, in config order."""
    from civicwatt.config.meters import meter_tree
    from civicwatt.config.purposes import PurposeTree

    tree = meter_tree(site)
    purposes = PurposeTree(tuple(site.purposes))
    metered = _metered_points(site)
    units = {c: settings.units.get(c, profile.classes.get(c, CANONICAL[c])) for c in CANONICAL}
    factors = {c: factor(c, u) for c, u in units.items()}
    plans = []
    for building in site.buildings:
        platform_id = settings.buildings.get(building.id)
        if platform_id is None:
            continue
        members = tuple(p for p, b in tree.building.items() if b == building.id)
        codes = {tree.purpose[p] for p in members}
        code_of = {c: platform_code(c, profile, purposes, settings.codes) for c in codes}
        missing = sorted(c for c, target in code_of.items() if target is None)
        if missing:
            raise ValueError(f"building {building.id}: purpose codes {', '.join(missing)} map "
                             f"to no code of profile {profile.name}; add them to platform.codes")
        plans.append(BuildingPlan(
            building.id, platform_id, members, {p: tree.parent[p] for p in members},
            tuple(tree.roots.get(building.id, [])), {p: tree.purpose[p] for p in members},
            tuple(p for p in members if p in metered), code_of, factors))
    return plans


def _metered_points(site) -> set[str]:
    """Points the metering job turns into intervals: energy counters and `power_points`."""
    power = set(site.metering.power_points) if site.metering else set()
    return {p.id for p in site.points if p.quantity != "power" or p.id in power}


def members_of(points: Iterable, buildings: Iterable) -> dict[str, list]:
    """The report's meter tree over validated config parts (for check-config): building → its
    member points."""
    from civicwatt.config.meters import meter_tree

    points = list(points)
    tree = meter_tree(SimpleNamespace(points=points, buildings=list(buildings)))
    by_id = {p.id: p for p in points}
    found: dict[str, list] = {}
    for pid, building in tree.building.items():
        found.setdefault(building, []).append(by_id[pid])
    return found
