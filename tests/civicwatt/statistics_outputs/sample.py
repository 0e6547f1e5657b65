"""A hand-made statistics document in the issue-17 JSON contract's shape (three buildings of two
types in two institutions), with the keys the core adds beside the contract (institution, type,
rank, quota, the institution and type levels) and a building without a previous year."""

from __future__ import annotations

import copy


def _row(id_, name, kwh, water, gas, heat, kgce, cost, co2, area, people, mom, yoy, share,
         **extra):
    return {"id": id_, "name": name, "electricity_kwh": kwh, "water_m3": water, "gas_m3": gas,
            "heat_gj": heat, "kgce": kgce, "cost": cost, "co2_kg": co2,
            "kgce_per_m2": kgce / area, "kgce_per_person": kgce / people,
            "water_m3_per_person": water / people,
            "mom_pct": mom, "yoy_pct": yoy, "estimated_share": share, **extra}


DOC = {
    "period": "2026-10",
    "buildings": [
        _row("b1", "综合楼 Main", 120345.5, 830.25, 410.0, 12.5, 17321.7, 98123.4, 70012.9,
             12000, 450, {"electricity_kwh": -4.2, "kgce": -3.9, "kgce_per_m2": -3.9},
             {"electricity_kwh": 6.1, "kgce": 5.0, "kgce_per_m2": 5.0}, 0.02,
             institution="市财政局", type="office", rank=2,
             quota={"constraint": 22.0, "guide": 16.0, "to_constraint": -7.1,
                    "to_guide": -1.1}),
        _row("b2", "档案馆 Annex", 40210.0, 120.0, 0.0, 0.0, 4941.8, 31000.0, 23321.8,
             3000, 60, {"electricity_kwh": 1.5, "kgce": 1.5, "kgce_per_m2": 1.5},
             {"electricity_kwh": None, "kgce": None, "kgce_per_m2": None}, 0.0,
             institution="市财政局", type="office", rank=1,
             quota={"constraint": 22.0, "guide": 16.0, "to_constraint": -20.4,
                    "to_guide": -14.4}),
        _row("s1", "实验小学 School", 60500.0, 2210.0, 0.0, 80.0, 10169.0, 45222.0, 35000.0,
             9000, 1300, {"electricity_kwh": 12.0, "kgce": 9.0, "kgce_per_m2": 9.0},
             {"electricity_kwh": -2.0, "kgce": -1.0, "kgce_per_m2": -1.0}, 0.25,
             institution="市教育局", type="education", rank=1),
    ],
    "institutions": [
        _row("市财政局", "市财政局", 160555.5, 950.25, 410.0, 12.5, 22263.5, 129123.4, 93334.7,
             15000, 510, {"kgce": -2.7}, {"kgce": None}, 0.015),
        _row("市教育局", "市教育局", 60500.0, 2210.0, 0.0, 80.0, 10169.0, 45222.0, 35000.0,
             9000, 1300, {"kgce": 9.0}, {"kgce": -1.0}, 0.25),
    ],
    "types": [
        _row("office", "office", 160555.5, 950.25, 410.0, 12.5, 22263.5, 129123.4, 93334.7,
             15000, 510, {"kgce": -2.7}, {"kgce": None}, 0.015),
        _row("education", "education", 60500.0, 2210.0, 0.0, 80.0, 10169.0, 45222.0, 35000.0,
             9000, 1300, {"kgce": 9.0}, {"kgce": -1.0}, 0.25),
    ],
    "total": _row("site", "site", 221055.5, 3160.25, 410.0, 92.5, 32432.5, 174345.4, 128334.7,
                  24000, 1810, {"electricity_kwh": -0.1, "kgce": 0.4},
                  {"electricity_kwh": None, "kgce": None}, 0.08),
}


def doc() -> dict:
    return copy.deepcopy(DOC)
