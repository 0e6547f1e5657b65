"""The statistics as the issue-17 JSON contract (extra keys beside the contract's are fine).

`{"period", "buildings": [{"id", "name", "electricity_kwh", "water_m3", "gas_m3", "heat_gj",
"kgce", "cost", "co2_kg", "kgce_per_m2", "kgce_per_person", "water_m3_per_person",
"mom_pct": {field: % or null}, "yoy_pct": {…}, "estimated_share", …}], "total": {…}}` plus
`institutions` and `types` rows of the same shape. Amounts a building has no data for are 0
and its `completeness` says why; changes are null where the compared period has no data.
"""

from __future__ import annotations

from civicwatt.statistics.compute import (
    ADDITIVE,
    COMPARED,
    Statistics,
    Unit,
    compared,
    quota_rows,
    target_rows,
    type_ranks,
)
from civicwatt.statistics.read import CLASS_FIELDS
from rules.statistics import ratio
from rules.targets import BUILDING_TYPES, TYPE_NAMES

#: the classes every building's completeness speaks of, metered or not
CONTRACT_CLASSES = ("electricity", "water", "gas", "heat")
UNITS = {"electricity_kwh": "kWh", "water_m3": "m3", "gas_m3": "m3", "heat_gj": "GJ",
         "cooling_gj": "GJ", "diesel_kg": "kg", "gasoline_kg": "kg", "lpg_kg": "kg",
         "coal_kg": "kg", "pv_kwh": "kWh", "kgce": "kgce", "kgce_equal_value": "kgce",
         "co2_kg": "kgCO2", "kgce_per_m2": "kgce/m2", "kgce_per_person": "kgce/person",
         "co2_kg_per_m2": "kgCO2/m2", "water_m3_per_person": "m3/person",
         "electricity_kwh_per_m2": "kWh/m2"}


def document(stats: Statistics) -> dict:
    site, period = stats.site, stats.period
    fields = _fields(stats)
    ranked = type_ranks(stats.peers)

    def render(unit: Unit) -> dict:
        return _row(stats, unit, fields, ranked)

    return {
        "period": period.label, "kind": period.kind, "from": period.start.isoformat(),
        "to": period.end.isoformat(), "days": period.days,
        "previous_period": period.previous().label if stats.compared else None,
        "last_year_period": period.last_year().label if stats.compared else None,
        "site": site.site.id, "timezone": site.site.timezone, "currency": site.site.currency,
        "units": {f: UNITS.get(f, site.site.currency if f == "cost" else "")
                  for f in (*fields, *_intensity_fields())},
        "targets": {"base_year": site.targets.base_year, "target_year": site.targets.target_year,
                    "reductions": site.targets.reductions(), "source": site.targets.source},
        "buildings": [render(u) for u in stats.buildings],
        "institutions": [render(u) for u in stats.institutions],
        "types": [render(u) for u in stats.types],
        "total": render(stats.total),
    }


def _fields(stats: Statistics) -> tuple[str, ...]:
    m = stats.site.metering
    equal = stats.site.statistics.equal_value or (m is not None
                                                  and m.coal_convention == "equal_value")
    return tuple(f for f in ADDITIVE if equal or f != "kgce_equal_value")


def _intensity_fields() -> tuple[str, ...]:
    return tuple(f for f in COMPARED if f not in ADDITIVE)


def _row(stats: Statistics, unit: Unit, fields: tuple[str, ...], ranked: dict) -> dict:
    now = {f: unit.now.get(f) or 0.0 for f in fields}
    shown = (*fields, *_intensity_fields())
    mom, mom_pct, mom_basis = compared(unit, "previous")
    yoy, yoy_pct, yoy_basis = compared(unit, "last_year")
    row = {"id": unit.id, "name": _name(stats, unit), "level": unit.level,
           **_about(unit),
           **{f: _num(v) for f, v in now.items()},
           **{f: _num(v) for f, v in unit.intensities(now).items()},
           "mom": _pick(mom, shown), "mom_pct": _pick(mom_pct, shown),
           "yoy": _pick(yoy, shown), "yoy_pct": _pick(yoy_pct, shown),
           "compared_buildings": {"mom": mom_basis, "yoy": yoy_basis},
           "estimated_share": _num(_share(unit.estimated, unit.now)),
           "manual_share": _num(_share(unit.manual, unit.now)),
           "completeness": _completeness(stats, unit)}
    if unit.level == "building":
        rank, of = ranked.get(unit.id, (None, 0))
        row |= {"rank_in_type": rank, "ranked_in_type": of,
                "quota": _nested(quota_rows(stats.site, unit, stats.period))}
    row["targets"] = _nested(target_rows(unit, stats.site.targets, stats.period))
    return row


def _about(unit: Unit) -> dict:
    if unit.level != "building":
        return {"buildings": len(unit.buildings), "floor_area_m2": unit.area_m2,
                "occupants": unit.people}
    b = unit.buildings[0]
    return {"institution": b.institution, "type": b.type,
            "platform_type": BUILDING_TYPES.get(b.type or ""), "floor_area_m2": b.floor_area_m2,
            "heated_area_m2": b.heated_area_m2, "cooled_area_m2": b.cooled_area_m2,
            "occupants": b.occupants}


def _name(stats: Statistics, unit: Unit) -> str:
    if unit.level == "type":
        zh, en = TYPE_NAMES.get(unit.id, ("未分类", "No type"))
        return zh if stats.site.site.language == "zh" else en
    if unit.level == "institution" and not unit.id:
        return "未填单位" if stats.site.site.language == "zh" else "No institution"
    return unit.name


def _share(part: dict, whole: dict) -> float | None:
    """The estimated (or manual) share of 综合能耗; of water where nothing counts in kgce."""
    key = "kgce" if whole.get("kgce") else "water_m3"
    return ratio(part.get(key) or 0.0, whole.get(key))


def _completeness(stats: Statistics, unit: Unit) -> dict:
    period = stats.period
    out = {"days": period.days, "days_with_data": unit.days_with_data,
           "compared": {k: {"period": p.label, "days": p.days,
                            "days_with_data": unit.compared_days.get(k, 0)}
                        for k, p in (("mom", period.previous()), ("yoy", period.last_year()))
                        if k in unit.compared_days}}
    if unit.level != "building":
        with_data = sum(1 for b in unit.buildings if stats.meters.get(b.id))
        return out | {"buildings_with_meters": with_data}
    meters = stats.meters.get(unit.id, {})
    classes = {}
    for cls in dict.fromkeys((*CONTRACT_CLASSES, *meters)):
        n, name = len(meters.get(cls, ())), CLASS_FIELDS[cls]
        status = "no_meter" if not n else "no_data" if name not in unit.now else "ok"
        classes[cls] = {"meters": n, "status": status, "why": _why(status, cls, n)}
        if status == "ok":
            classes[cls] |= {"estimated_share": _num(ratio(unit.estimated.get(name) or 0.0,
                                                           unit.now.get(name))),
                             "manual_share": _num(ratio(unit.manual.get(name) or 0.0,
                                                        unit.now.get(name)))}
    complete = unit.days_with_data == period.days and all(
        c["status"] == "ok" for c in classes.values() if c["meters"])
    return out | {"complete": complete, "classes": classes}


def _why(status: str, cls: str, meters: int) -> str | None:
    if status == "no_meter":
        return f"no {cls} meter configured for this building (0 is not a measurement)"
    if status == "no_data":
        return (f"{meters} {cls} meter(s) configured but nothing metered in the period: check "
                "the collectors and `civicwatt meter`")
    return None


def _pick(values: dict, fields: tuple[str, ...]) -> dict:
    return {f: _num(values.get(f)) for f in fields}


def _nested(value):
    if isinstance(value, dict):
        return {k: _nested(v) for k, v in value.items()}
    return _num(value) if isinstance(value, float) else value


def _num(value: float | None) -> float | None:
    """Unrounded (a month's JSON equals the sum of its days' to the last bits); floats only."""
    return None if value is None else float(value) + 0.0  # + 0.0: no -0.0
