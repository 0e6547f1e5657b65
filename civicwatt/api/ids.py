"""Identifiers from paths and queries, checked against the site config before any store query.

A building, zone, purpose, energy class or tariff period a request names must exist in the
site (a pattern in the OpenAPI document first, then the site's own lists); the store is asked
only with values taken from the config, never with the request's text.
"""


import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import BeforeValidator

from civicwatt.api.auth import Guard, Principal, require_reader
from civicwatt.api.problems import ApiError
from civicwatt.config import Building, PurposeTree, SiteConfig

ID = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$"
#: class → canonical unit (docs/growth.md §1: the `energy` tag of `energy_interval`)
CLASS_UNITS = {"electricity": "kWh", "water": "m3", "gas": "m3", "heat": "GJ", "cooling": "GJ",
               "diesel": "kg", "gasoline": "kg", "lpg": "kg", "coal": "kg", "pv": "kWh"}


def _iso_day(value: object) -> object:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("a local date is written YYYY-MM-DD, e.g. 2026-10-01")
    return value


#: a local date as YYYY-MM-DD only (pydantic alone would also take 0 or a timestamp)
LocalDate = Annotated[dt.date, BeforeValidator(_iso_day)]


def class_of_quantity(quantity: str) -> str | None:
    """The class a point's counters are metered in (power points integrate to electricity)."""
    if quantity in ("energy", "power"):
        return "electricity"
    return quantity if quantity in CLASS_UNITS else None


@dataclass(frozen=True)
class Vocabulary:
    """What a request may name: the site config's buildings, zones, purposes, classes, periods."""

    site: SiteConfig
    buildings: dict[str, Building]
    zones: dict[str, tuple[str, str | None]]  # zone → (building, parent zone)
    purposes: PurposeTree
    tariff: object | None  # rules.tariffs.Tariff: its periods, and whether costs are money

    @classmethod
    def of(cls, site: SiteConfig) -> "Vocabulary":
        return cls(site, {b.id: b for b in site.buildings}, site.zones(),
                   PurposeTree(tuple(site.purposes)), _tariff(site))

    @property
    def periods(self) -> tuple[str, ...]:
        return self.tariff.periods if self.tariff is not None else ()

    def cost_unit(self, start: dt.date, end: dt.date) -> str:
        """The currency, `x_flat_price` (a ratio tariff without the months' base prices) or
        `mixed` when the range has months of both."""
        currency = self.site.site.currency
        if self.tariff is None:
            return currency
        months = {(start + dt.timedelta(days=i)).replace(day=1)
                  for i in range((end - start).days)}
        money = {self.tariff.cost_is_money(m) for m in months}
        return currency if money == {True} else "x_flat_price" if money == {False} else "mixed"

    def zone_under(self, zone: str, ancestor: str) -> bool:
        """`zone` is `ancestor` or nested in it (a building id stands for the whole building)."""
        seen = set()
        while zone and zone not in seen:
            if zone == ancestor:
                return True
            seen.add(zone)
            zone = self.zones.get(zone, ("", None))[1] or ""
        return False

    def purpose_under(self, code: str, ancestor: str) -> bool:
        return code == ancestor or ancestor in self.purposes.ancestors(code)

    def check(self, name: str, value: str | None, known, building: str | None = None) -> None:
        """A 400 naming the parameter, the value and what is allowed, unless `value` is known."""
        if value is None or value in known:
            return
        allowed = sorted(known)
        shown = ", ".join(allowed[:30]) + (f" … ({len(allowed)} in all)" if len(allowed) > 30
                                            else "")
        where = f" of building {building!r}" if building else ""
        raise ApiError(400, f"{name}={value!r} is not a {name}{where} of this site; one of "
                       f"{shown or '(none configured)'}", reason=f"unknown {name}")

    def building_zones(self, building: str) -> set[str]:
        return {z for z, (b, _) in self.zones.items() if b == building} | {building}


def _tariff(site: SiteConfig):
    if site.metering is None:
        return None
    from civicwatt.metering.files import InputError, load_site_tariff

    try:
        return load_site_tariff(site)
    except (InputError, FileNotFoundError, ValueError):
        return None  # check-config reports it; no period can be asked for


class Deps:
    """The dependencies routes declare: who asks, and which building they name."""

    def __init__(self, vocabulary: Vocabulary, guard: Guard) -> None:
        self.vocabulary = vocabulary
        principal = guard.principal

        async def reader(who: Annotated[Principal, Depends(principal)]) -> Principal:
            return require_reader(who)

        async def building(
            request: Request,
            who: Annotated[Principal, Depends(reader)],
            building_id: Annotated[str, Path(pattern=ID, description="a building id of the "
                                             "site (GET /api/v1/buildings)")],
        ) -> Building:
            if not who.reads(building_id):
                raise ApiError(403, f"key {who.name!r} (scope {who.key.scope}) may not read "
                               f"building {building_id!r}", reason="scope")
            found = vocabulary.buildings.get(building_id)
            if found is None:
                raise ApiError(404, f"no building {building_id!r} in site "
                               f"{vocabulary.site.site.id!r}; buildings: "
                               f"{', '.join(vocabulary.buildings)} (GET /api/v1/buildings)",
                               reason="unknown building")
            return found

        self.principal = principal
        self.reader = reader
        self.building = building
