"""Units the platform may want per energy class, from the unit civicwatt stores the class in.

civicwatt stores each class in one canonical unit (docs/growth.md §1: electricity kWh, water
and gas m3, heat and cooling GJ, fuels kg); a platform's unit map (`platform.units`) may ask for
another, e.g. heat in kWh. Once `rules/energy.py` (the class registry) lands, its conversions
replace this table.
"""

from __future__ import annotations

CANONICAL = {"01000": "kWh", "02000": "m3", "03000": "m3", "04000": "GJ", "05000": "GJ",
             "06000": "kg"}

#: class code → unit → how many of that unit one canonical unit is
FACTORS: dict[str, dict[str, float]] = {
    "01000": {"kWh": 1.0, "MWh": 1e-3, "Wh": 1e3},
    "02000": {"m3": 1.0, "m³": 1.0, "t": 1.0, "L": 1e3},
    "03000": {"m3": 1.0, "m³": 1.0, "L": 1e3},
    "04000": {"GJ": 1.0, "MJ": 1e3, "kWh": 1e3 / 3.6, "MWh": 1 / 3.6},
    "05000": {"GJ": 1.0, "MJ": 1e3, "kWh": 1e3 / 3.6, "MWh": 1 / 3.6},
    "06000": {"kg": 1.0, "t": 1e-3},
}


def class_code(code: str) -> str:
    """The class a sub-item code belongs to: its first two digits + 000 (01B20 → 01000)."""
    return code[:2] + "000"


def factor(class_code_: str, unit: str) -> float:
    """Multiply a stored value of the class by this to get it in `unit`."""
    try:
        return FACTORS[class_code_][unit]
    except KeyError:
        known = ", ".join(FACTORS.get(class_code_, {})) or "none"
        raise ValueError(f"class {class_code_}: unit {unit!r} is not one civicwatt converts "
                         f"to; use one of {known}") from None
