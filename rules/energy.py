"""Energy classes (分类能耗) and the quantities points measure: the one registry.

A class is what an energy account is kept in: electricity, water, natural gas,
district heat and cooling, fuels, and on-site PV generation. Each has a class
code (building-energy monitoring, 01000 … 06000, the roots of the purpose
tree), one canonical unit every amount is stored and reported in, the other
units it accepts with their factor to the canonical one, and whether it counts
in 综合能耗 (kgce) by default. Fuels also accept litres, converted by a density
(kg/L) that comes with the conversion factors, not from here.

A point's `quantity` names its class (`energy` is the electricity counter, for
compatibility); `QUANTITIES` lists every quantity a point may measure — each is
its own measurement in the store — with the units its readings are stored in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class EnergyClass:
    name: str  # the `energy` tag of metered intervals
    quantity: str  # the point quantity (and measurement) of its counters
    code: str  # class code in the purpose tree; "" = none (generation)
    unit: str  # canonical unit
    units: Mapping[str, float]  # accepted unit (normalised, see `normalise_unit`) → canonical
    in_kgce: bool  # counts in 综合能耗 unless the site's factors say otherwise
    zh: str
    en: str
    consumption: bool = True  # False: generation (PV), reported but not consumed
    fuel: bool = False  # also accepts litres, with a density in kg/L

    def name_in(self, language: str) -> str:
        return self.zh if language == "zh" else self.en

    def factor(self, unit: str, density_kg_per_l: float | None = None) -> float:
        """Canonical units per one `unit`; ValueError (listing what is accepted) otherwise."""
        key = normalise_unit(unit)
        if key in self.units:
            return self.units[key]
        if self.fuel and key == "l":
            if density_kg_per_l is None:
                raise ValueError(f"{self.name} in litres needs a density (kg/L)")
            return density_kg_per_l
        raise ValueError(f"{unit!r} is not a unit of {self.name}; use {self.accepted()}")

    def accepted(self) -> str:
        names = [_DISPLAY.get(u, u) for u in self.units] + (["L"] if self.fuel else [])
        return ", ".join(names)

    def stored_units(self) -> tuple[str, ...]:
        """The spellings a stored reading may declare: the canonical unit and its aliases."""
        return tuple(_DISPLAY.get(u, u) for u, f in self.units.items() if f == 1.0) + (
            ("m³",) if self.unit == "m3" else ())


_ELECTRIC = {"kwh": 1.0, "wh": 1e-3, "mwh": 1e3}
_THERMAL = {"gj": 1.0, "mj": 1e-3, "kwh": 0.0036, "mwh": 3.6}
_MASS = {"kg": 1.0, "t": 1e3}
_DISPLAY = {"kwh": "kWh", "wh": "Wh", "mwh": "MWh", "gj": "GJ", "mj": "MJ", "m3": "m3",
            "t": "t", "l": "L", "kg": "kg"}

CLASSES: tuple[EnergyClass, ...] = (
    EnergyClass("electricity", "energy", "01000", "kWh", _ELECTRIC, True, "电", "Electricity"),
    EnergyClass("water", "water", "02000", "m3", {"m3": 1.0, "t": 1.0, "l": 1e-3}, False,
                "水", "Water"),
    EnergyClass("gas", "gas", "03000", "m3", {"m3": 1.0, "l": 1e-3}, True,
                "天然气", "Natural gas"),
    EnergyClass("heat", "heat", "04000", "GJ", _THERMAL, True, "集中供热", "District heat"),
    EnergyClass("cooling", "cooling", "05000", "GJ", _THERMAL, True, "集中供冷",
                "District cooling"),
    EnergyClass("diesel", "diesel", "06000", "kg", _MASS, True, "柴油", "Diesel", fuel=True),
    EnergyClass("gasoline", "gasoline", "06000", "kg", _MASS, True, "汽油", "Gasoline",
                fuel=True),
    EnergyClass("lpg", "lpg", "06000", "kg", _MASS, True, "液化石油气", "LPG", fuel=True),
    EnergyClass("coal", "coal", "06000", "kg", _MASS, True, "煤", "Coal"),
    EnergyClass("pv", "pv", "", "kWh", _ELECTRIC, False, "光伏发电", "On-site PV generation",
                consumption=False),
)
BY_NAME: dict[str, EnergyClass] = {c.name: c for c in CLASSES}
BY_QUANTITY: dict[str, EnergyClass] = {c.quantity: c for c in CLASSES}
ELECTRICITY = BY_NAME["electricity"]

#: Every quantity a point may measure (each its own measurement) → units its readings are
#: stored in; bindings scale raw values into them. Energy classes first, in registry order.
QUANTITIES: dict[str, tuple[str, ...]] = {
    **{c.quantity: c.stored_units() for c in CLASSES},
    "power": ("kW",), "temperature": ("°C", "degC"), "humidity": ("%",),
    "setpoint": ("°C", "degC", "%", "kW"), "status": ("", "state"),
}
#: Quantities that are cumulative counters metered into `energy_interval`.
METERED: tuple[str, ...] = tuple(c.quantity for c in CLASSES)


def normalise_unit(unit: str) -> str:
    """'m³' → 'm3', 'kWh' → 'kwh', 'Nm3' stays 'nm3' (unknown): case and superscripts only."""
    return unit.strip().replace("³", "3").lower()


def class_of(quantity: str) -> EnergyClass | None:
    """The class a point quantity is metered in; power points integrate to electricity."""
    return ELECTRICITY if quantity == "power" else BY_QUANTITY.get(quantity)


def scale_hint(energy: EnergyClass, unit: str) -> str:
    """How to store a meter that counts in `unit`: the binding's scale, or what is accepted."""
    stored = f"{energy.quantity} is stored in {energy.unit}"
    if energy.fuel and normalise_unit(unit) == "l":
        return f"{stored}; for a meter counting litres set the binding's `scale` to the fuel's " \
               "density in kg/L"
    try:
        factor = energy.factor(unit)
    except ValueError:
        return f"{stored} (meters counting {energy.accepted()} convert with the binding's `scale`)"
    return f"{stored}; for a meter counting {unit} set the binding's `scale` to {factor:g}"
