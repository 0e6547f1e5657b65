"""What the dashboards need to know about a site, derived once from its config.

The point sets come from the config's meter tree (`civicwatt.config.meters`,
the same one the daily report sums by) so every query names the exact points
it sums: `roots` (meters with no parent meter, the building totals),
`class_roots` (the same for every energy class: water, gas, heat …) and
`leaves` (meters no other meter hangs under, the sub-item breakdown).
Summing both would double count; summing by tag alone would also pick up any
roll-up rows another job might write.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from civicwatt.config import PurposeTree, SiteConfig
from civicwatt.config.meters import meter_tree
from civicwatt.metering.classes import class_roots
from rules.energy import CLASSES

DATASOURCE_UID = "civicwatt-influxql"
FOLDER_UID = "civicwatt"
FOLDER_TITLE = "civicwatt"

#: Grafana unit ids for currencies it knows; others fall back to `currency:<symbol>`.
_CURRENCY_UNITS = {"USD": "currencyUSD", "EUR": "currencyEUR", "GBP": "currencyGBP",
                   "JPY": "currencyJPY", "INR": "currencyINR", "KRW": "currencyKRW",
                   "CHF": "currencyCHF", "SEK": "currencySEK", "NOK": "currencyNOK",
                   "DKK": "currencyDKK", "PLN": "currencyPLN", "CZK": "currencyCZK",
                   "BRL": "currencyBRL", "ZAR": "currencyZAR"}
_CURRENCY_SYMBOLS = {"CNY": "¥", "HKD": "HK$", "TWD": "NT$", "SGD": "S$", "AUD": "A$",
                     "CAD": "C$"}

#: TOU periods counted as "sharp/peak" in the share panels (metering engine names).
PEAK_PERIODS = ("sharp", "peak")
#: The metering engine's interval; 15-min demand = Σ kWh over 15 min × 4.
DEMAND_WINDOW = "15m"


def currency_unit(code: str) -> str:
    if code in _CURRENCY_UNITS:
        return _CURRENCY_UNITS[code]
    return f"currency:{_CURRENCY_SYMBOLS.get(code, code + ' ')}"


def regex_escape(text: str) -> str:
    """Escape a value for an InfluxQL /regex/ (as Grafana does, `/` included)."""
    return re.sub(r"([\\^$*+?.()|{}\[\]/])", r"\\\1", text)


def one_of(values: list[str] | tuple[str, ...]) -> str:
    """`/^(a|b)$/`: exact match of any value."""
    return "/^(" + "|".join(regex_escape(v) for v in values) + ")$/"


def q(value: str) -> str:
    """An InfluxQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class BuildingInfo:
    id: str
    name: str
    floor_area_m2: float
    occupants: int
    roots: tuple[str, ...]  # electricity counters without a parent: the building total
    main_power: tuple[str, ...]  # power points of a top-level purpose
    class_roots: tuple[str, ...] = ()  # every class's root counters: 综合能耗 (kgce), CO₂


@dataclass
class SiteContext:
    config: SiteConfig
    datasource_uid: str = DATASOURCE_UID
    buildings: list[BuildingInfo] = field(init=False)
    leaves: tuple[str, ...] = field(init=False)
    class_roots: dict[str, tuple[str, ...]] = field(init=False)
    children: dict[str, tuple[str, ...]] = field(init=False)
    tree: PurposeTree = field(init=False)

    def __post_init__(self) -> None:
        cfg = self.config
        self.tree = PurposeTree(tuple(cfg.purposes))
        meters = meter_tree(cfg)
        self.children = {k: tuple(v) for k, v in meters.children().items()}
        self.leaves = tuple(meters.leaves)
        per_building = class_roots(cfg)  # sub-meters would double count
        self.class_roots = {c.name: tuple(p for by in per_building.values()
                                          for p in by.get(c.name, ()))
                            for c in CLASSES if any(c.name in by for by in per_building.values())}
        top = {code for code, p in self.tree.by_code.items() if p.parent is None}
        self.buildings = [
            BuildingInfo(
                b.id, b.name or b.id, b.floor_area_m2, b.occupants,
                tuple(meters.roots.get(b.id, ())),
                tuple(p.id for p in cfg.points if p.building == b.id and p.quantity == "power"
                      and p.purpose in top),
                tuple(p for roots in per_building[b.id].values() for p in roots))
            for b in cfg.buildings]

    # -- site facts ---------------------------------------------------------------------
    @property
    def site(self) -> str:
        return self.config.site.id

    @property
    def lang(self) -> str:
        return self.config.site.language

    @property
    def tz(self) -> str:
        return self.config.site.timezone

    @property
    def tz_clause(self) -> str:
        return f"tz({q(self.tz)})"

    @property
    def currency(self) -> str:
        return currency_unit(self.config.site.currency)

    @property
    def roots(self) -> tuple[str, ...]:
        return tuple(p for b in self.buildings for p in b.roots)

    @property
    def all_class_roots(self) -> tuple[str, ...]:
        return tuple(p for roots in self.class_roots.values() for p in roots)

    @property
    def main_power(self) -> tuple[str, ...]:
        return tuple(p for b in self.buildings for p in b.main_power)

    def points_of(self, quantity: str) -> tuple[str, ...]:
        return tuple(p.id for p in self.config.points if p.quantity == quantity)

    def uid(self, slug: str) -> str:
        """Stable dashboard uid (≤ 40 chars, Grafana's limit)."""
        uid = f"cw-{self.site}-{slug}"
        if len(uid) > 40:
            uid = f"cw-{hashlib.sha1(self.site.encode()).hexdigest()[:10]}-{slug}"[:40]
        return uid

    def purpose_name(self, code: str) -> str:
        p = self.tree.by_code.get(code)
        return f"{code} {p.name(self.lang)}" if p else code

    def subitems(self) -> dict[str, tuple[str, ...]]:
        """Top-level sub-item (e.g. 01B00) → the purpose codes under it used by leaves."""
        used = {self.config.point_by_id(p).purpose for p in self.leaves}
        out: dict[str, list[str]] = {}
        for code in sorted(used):
            if code:
                out.setdefault(self.tree.top_level(code), []).append(code)
        return {k: tuple(v) for k, v in out.items()}

    # -- query fragments ------------------------------------------------------------------
    def where(self, *, building: bool = True, zone: bool = False, purpose: bool = False,
              points: tuple[str, ...] | None = None, extra: str = "") -> str:
        """`$timeFilter AND …` with the dashboard's variables and an optional point set."""
        parts = ["$timeFilter", '"site" =~ /^$site$/']
        if building:
            parts.append('"building" =~ /^$building$/')
        if zone:
            parts.append('"zone" =~ /^$zone$/')
        if purpose:
            parts.append('"purpose" =~ /^$purpose$/')
        if points is not None:
            parts.append(f'"point" =~ {one_of(points)}')
        if extra:
            parts.append(extra)
        return " AND ".join(parts)
