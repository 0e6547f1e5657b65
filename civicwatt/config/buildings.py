"""Checks of the buildings' statistics metadata (issue 17) across fields and sections."""

from __future__ import annotations

import re

from civicwatt.config.site import Building
from rules.targets import BUILDING_TYPES

Found = tuple[tuple, object, str]


def check_building_metadata(buildings: dict[int, Building], platform,
                            statistics) -> list[Found]:
    """Base years that disagree, a platform building_id whose type letter is not the
    building's type, areas larger than the floor area, quotas of types no building has."""
    found: list[Found] = []
    for i, b in buildings.items():
        own = b.baseline
        if b.baseline_year is not None and own is not None and own.kind == "own" \
                and "year" in own.model_fields_set and own.year != b.baseline_year:
            found.append((("buildings", i, "baseline_year"), b.baseline_year,
                          f"baseline.year says {own.year}: one base year per building; drop "
                          "one of them"))
        for key in ("heated_area_m2", "cooled_area_m2"):
            area = getattr(b, key)
            if area is not None and area > b.floor_area_m2:
                found.append((("buildings", i, key), area,
                              f"at most floor_area_m2 ({b.floor_area_m2:g}): the heated and "
                              "cooled areas are parts of the building"))
        theirs = (getattr(platform, "buildings", None) or {}).get(b.id)
        letter = re.match(r"^\d{6}([A-H])\d{3}$", str(theirs or ""))
        if letter and b.type and BUILDING_TYPES[b.type] != letter.group(1):
            found.append((("buildings", i, "type"), b.type,
                          f"the platform's building_id {theirs} says type "
                          f"{letter.group(1)} ({_type_of(letter.group(1))}); use type: "
                          f"{_type_of(letter.group(1))} or correct platform.buildings"))
    typed = {b.type for b in buildings.values()}
    for kind in getattr(statistics, "quotas", None) or {}:
        if kind not in typed:
            found.append((("statistics", "quotas", kind), kind,
                          f"no building has type {kind}: give buildings[].type, or drop it "
                          f"(types in use: {', '.join(sorted(t for t in typed if t)) or 'none'})"))
    return found


def _type_of(letter: str) -> str:
    return next(k for k, v in BUILDING_TYPES.items() if v == letter)
