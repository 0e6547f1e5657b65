"""The `disclosure:` section: which buildings the public pages show, and whether `run` serves them.

Nothing is published unless the site lists it: `buildings` names every building whose pages
`civicwatt disclose` writes; `enabled` makes `civicwatt run` serve the folder `dir` (the
command's default `--out`) read-only under /public/, without a key.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field


class DisclosureSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=False, description="serve the generated pages under /public/ "
                          "on service.http (no key)")
    buildings: list[str] = Field(default_factory=list, description="ids of the buildings "
                                 "published; none are unless listed")
    dir: str = Field(default="public", min_length=1, description="folder of the generated "
                     "pages, relative to the config: `disclose`'s default --out, what /public/ "
                     "serves")


def check_disclosure(disclosure: DisclosureSettings | None,
                     building_ids: Iterable[str]) -> list[tuple]:
    """(path, value, why) for unknown or repeated building ids and a served site of nothing."""
    if disclosure is None:
        return []
    known = set(building_ids)
    found: list[tuple] = []
    counts = Counter(disclosure.buildings)
    for i, building in enumerate(disclosure.buildings):
        if building not in known:
            found.append((("disclosure", "buildings", i), building,
                          f"a building id of this site ({', '.join(sorted(known))})"))
        elif counts[building] > 1 and disclosure.buildings.index(building) < i:
            found.append((("disclosure", "buildings", i), building, "listed once"))
    if disclosure.enabled and not disclosure.buildings:
        found.append((("disclosure", "buildings"), [], "at least one building id when "
                      "disclosure.enabled is true (the site publishes only what it lists)"))
    return found
