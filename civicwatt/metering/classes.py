"""A site's metered points as the engine sees them: counters of every class, their rules,
conversions and billing, built once from the site config (`metering.prices`,
`metering.factors`, `metering.coal_*`, buildings' heated areas)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from civicwatt.config import Point, SiteConfig
from civicwatt.metering.files import load_class_factors, load_coal_factors
from rules.energy import CLASSES, class_of
from rules.engine import PointClasses
from rules.intervals import ENERGY, POWER, PointRules
from rules.prices import billing_for


@dataclass(frozen=True)
class MeteredPoints:
    """The points the metering job meters, in engine order, and how."""

    points: tuple[Point, ...]
    energy: tuple[str, ...]  # class name per point
    rules: PointRules
    classes: PointClasses

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(p.id for p in self.points)

    def by_quantity(self) -> dict[str, list[str]]:
        """Measurement → the ids read from it (each class's counters; kW for power points)."""
        out: dict[str, list[str]] = {}
        for p in self.points:
            out.setdefault(p.quantity, []).append(p.id)
        return out

    def tiered_accounts(self) -> list[int]:
        """Points whose month-to-date volume sets a tier (accounts of tiered prices)."""
        billing = self.classes.billing
        if billing is None:
            return []
        return sorted({int(billing.account[i]) for i, price in enumerate(billing.price)
                       if price is not None and price.tiered})


def metered_points(site: SiteConfig) -> MeteredPoints:
    """Every counter of an energy class, then the listed power points (electricity)."""
    m = site.metering
    assert m is not None
    counters = [p for p in site.points if p.quantity != "power" and class_of(p.quantity)]
    power = [site.point_by_id(pid) for pid in m.power_points]
    points = tuple(counters + power)
    energy = tuple(class_of(p.quantity).name for p in points)
    rules = PointRules(
        np.array([POWER if p.quantity == "power" else ENERGY for p in points], np.int8),
        np.array([p.rollover or np.nan for p in points], np.float64),
        np.array([p.rate_limit or np.nan for p in points], np.float64),
    )
    coal_path = site.base_dir / m.coal_factors if m.coal_factors else None
    factors = load_class_factors(site.base_dir / m.factors if m.factors else None).resolve(
        load_coal_factors(coal_path).electricity(m.coal_convention))
    index = {p.id: i for i, p in enumerate(points)}
    buildings = {b.id: i for i, b in enumerate(site.buildings)}
    billing = billing_for(
        energy, m.prices, {k: r.density for k, r in factors.items()},
        [index.get(p.parent, -1) if p.parent else -1 for p in points],
        [buildings[p.building] for p in points],
        [b.heated_area_m2 or b.floor_area_m2 for b in site.buildings])
    return MeteredPoints(points, energy, rules, PointClasses.of(energy, factors, billing))


def class_roots(site: SiteConfig) -> dict[str, dict[str, tuple[str, ...]]]:
    """building → class → its root counters: those without a parent meter of the same
    class. Summing a class over its roots counts each unit once (sub-meters are inside)."""
    counters = {p.id: p for p in site.points if p.quantity != "power" and class_of(p.quantity)}
    found: dict[str, dict[str, list[str]]] = {b.id: {} for b in site.buildings}
    for p in counters.values():
        parent = counters.get(p.parent or "")
        if parent is None or parent.quantity != p.quantity:
            found.setdefault(p.building, {}).setdefault(class_of(p.quantity).name, []).append(p.id)
    order = {c.name: i for i, c in enumerate(CLASSES)}
    return {b: {c: tuple(ids) for c, ids in sorted(by.items(), key=lambda kv: order[kv[0]])}
            for b, by in found.items()}
