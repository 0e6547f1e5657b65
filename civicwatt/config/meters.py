"""Which meters add up to what: the parent/child tree from the site config.

The one definition the daily report and the Grafana dashboards both sum by.
A building's energy is the sum of its root meters (energy meters with no
parent). Splits by purpose and zone use each meter's *own* share: its energy
minus its sub-meters' (the residual of a main meter is what no sub-meter
explains), so the split always adds up to the total without double counting;
the dashboards' breakdowns sum the leaves (meters nothing hangs under).
Power-only points count only as sub-meters (with a `parent`) or in a building
that has no energy meter at all: otherwise they duplicate an energy meter.
"""

from __future__ import annotations

from dataclasses import dataclass

from civicwatt.config.site import SiteConfig


@dataclass(frozen=True)
class MeterTree:
    building: dict[str, str]  # member point → building id
    parent: dict[str, str | None]  # member point → parent member (None for a root)
    roots: dict[str, list[str]]  # building id → its root meters
    purpose: dict[str, str]
    zone: dict[str, str]

    @property
    def members(self) -> list[str]:
        return list(self.building)

    def children(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for point, parent in self.parent.items():
            if parent is not None:
                found.setdefault(parent, []).append(point)
        return found

    @property
    def leaves(self) -> list[str]:
        """Members no other member hangs under: summed, they never double count."""
        parents = set(self.children())
        return [p for p in self.building if p not in parents]


def meter_tree(config: SiteConfig) -> MeterTree:
    energy = {p.id: p for p in config.points if p.quantity == "energy"}
    with_energy = {p.building for p in energy.values()}
    members = {p.id: p for p in config.points
               if p.quantity == "energy" or (p.quantity == "power" and (
                   p.parent is not None or p.building not in with_energy))}
    parent = {pid: (p.parent if p.parent in members else None) for pid, p in members.items()}
    roots: dict[str, list[str]] = {b.id: [] for b in config.buildings}
    for pid, p in members.items():
        if parent[pid] is None:
            roots.setdefault(p.building, []).append(pid)
    return MeterTree({pid: p.building for pid, p in members.items()}, parent, roots,
                     {pid: p.purpose for pid, p in members.items()},
                     {pid: p.zone_id for pid, p in members.items()})
