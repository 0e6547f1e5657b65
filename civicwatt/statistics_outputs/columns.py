"""The indicators of a statistics document, their labels (zh/en) and units, in the order of
the public-institution energy statistics table (公共机构能源资源消费统计表): class amounts,
综合能耗, cost and carbon, then the intensities.

A document may carry more indicators than the JSON contract names (cooling, fuels, the equal
value); every one listed here that a row has gets a column, others are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.targets import TYPE_NAMES


@dataclass(frozen=True)
class Indicator:
    key: str
    zh: str
    en: str
    unit: str  # shown in the header; "{currency}" is the site's currency

    def label(self, lang: str, currency: str = "CNY") -> str:
        name = self.zh if lang == "zh" else self.en
        unit = self.unit.format(currency=currency)
        return f"{name} ({unit})" if unit else name


INDICATORS: tuple[Indicator, ...] = (
    Indicator("electricity_kwh", "电力", "Electricity", "kWh"),
    Indicator("water_m3", "水", "Water", "m³"),
    Indicator("gas_m3", "天然气", "Natural gas", "m³"),
    Indicator("heat_gj", "热力", "Heat", "GJ"),
    Indicator("cooling_gj", "冷量", "Cooling", "GJ"),
    Indicator("diesel_kg", "柴油", "Diesel", "kg"),
    Indicator("gasoline_kg", "汽油", "Gasoline", "kg"),
    Indicator("lpg_kg", "液化石油气", "LPG", "kg"),
    Indicator("coal_kg", "煤炭", "Coal", "kg"),
    Indicator("pv_kwh", "光伏发电", "PV generation", "kWh"),
    Indicator("kgce", "综合能耗（当量值）", "Total energy (equivalent)", "kgce"),
    Indicator("kgce_equal_value", "综合能耗（等价值）", "Total energy (equal value)", "kgce"),
    Indicator("cost", "能源费用", "Energy cost", "{currency}"),
    Indicator("co2_kg", "二氧化碳排放", "CO₂ emissions", "kg"),
    Indicator("kgce_per_m2", "单位建筑面积能耗", "Energy per m²", "kgce/m²"),
    Indicator("kgce_per_person", "人均综合能耗", "Energy per person", "kgce/person"),
    Indicator("co2_kg_per_m2", "单位建筑面积碳排放", "CO₂ per m²", "kgCO₂/m²"),
    Indicator("electricity_kwh_per_m2", "单位建筑面积电耗", "Electricity per m²", "kWh/m²"),
    Indicator("water_m3_per_person", "人均用水量", "Water per person", "m³/person"),
)
BY_KEY = {i.key: i for i in INDICATORS}
#: The JSON contract's keys: always a column, even when every row lacks them.
CONTRACT = ("electricity_kwh", "water_m3", "gas_m3", "heat_gj", "kgce", "cost", "co2_kg",
            "kgce_per_m2", "kgce_per_person", "water_m3_per_person")


def present(rows: Iterable[Mapping]) -> list[Indicator]:
    """The contract's indicators and every other one some row has a non-zero figure for (a
    site without diesel gets no diesel column), in table order."""
    keys = set(CONTRACT)
    for row in rows:
        keys.update(k for k, v in row.items() if k in BY_KEY and v)
    return [i for i in INDICATORS if i.key in keys]

def type_name(code: str | None, lang: str) -> str:
    """office → 办公建筑 / Office (rules.targets.TYPE_NAMES); an unknown code as it is."""
    if not code:
        return ""
    zh, en = TYPE_NAMES.get(code, (code, code))
    return zh if lang == "zh" else en
