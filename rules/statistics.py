"""The arithmetic of portfolio statistics: intensities, 同比/环比, distance to a quota, ranks.

Pure functions over plain numbers. `None` means "no data", never 0: a change against a period
without data, or a percentage against 0, is None (JSON null), so a reader never sees a made-up
+100 % or a division by zero.
"""

from __future__ import annotations

from collections.abc import Mapping


def ratio(value: float | None, denominator: float | None) -> float | None:
    """value / denominator, None where either is missing or the denominator is 0."""
    if value is None or not denominator:
        return None
    return value / denominator


def intensities(sums: Mapping[str, float | None], area_m2: float, people: float) -> dict:
    """Per m² of floor area and per occupant (综合能耗, carbon, water, electricity)."""
    return {
        "kgce_per_m2": ratio(sums.get("kgce"), area_m2),
        "kgce_per_person": ratio(sums.get("kgce"), people),
        "co2_kg_per_m2": ratio(sums.get("co2_kg"), area_m2),
        "water_m3_per_person": ratio(sums.get("water_m3"), people),
        "electricity_kwh_per_m2": ratio(sums.get("electricity_kwh"), area_m2),
    }


def change(current: float | None, before: float | None) -> tuple[float | None, float | None]:
    """(absolute, percent) change from `before` to `current`: both None when either period
    has no data; the percentage None when `before` is 0."""
    if current is None or before is None:
        return None, None
    return current - before, (None if before == 0 else (current - before) / abs(before) * 100)


def changes(current: Mapping[str, float | None], before: Mapping[str, float | None] | None,
            fields: tuple[str, ...]) -> tuple[dict, dict]:
    """Per field: ({field: absolute}, {field: percent}); all None when `before` is None."""
    absolute, percent = {}, {}
    for name in fields:
        absolute[name], percent[name] = change(current.get(name),
                                               None if before is None else before.get(name))
    return absolute, percent


def quota_distance(value: float | None, constraint: float | None, guide: float | None,
                   fraction: float = 1.0) -> dict:
    """How far an intensity is from a quota's constraint and guide values (GB/T 51161: the
    constraint is the limit, the guide the level to aim for). Quotas are annual; `fraction`
    scales them to the period (a month of a 365-day year: 31/365). Positive distances are
    above the value (over the limit)."""
    limits = {"constraint": None if constraint is None else constraint * fraction,
              "guide": None if guide is None else guide * fraction}
    out: dict = {"value": value, **limits}
    for name, limit in limits.items():
        out[f"to_{name}"], out[f"to_{name}_pct"] = change(value, limit)
    if value is None:
        status = None
    elif limits["constraint"] is not None and value > limits["constraint"]:
        status = "above_constraint"
    elif limits["guide"] is not None and value > limits["guide"]:
        status = "above_guide"
    else:
        status = "within_guide" if limits["guide"] is not None else "within_constraint"
    out["status"] = status
    return out


def ranks(values: Mapping[str, float | None]) -> dict[str, int | None]:
    """Competition ranks (1, 2, 2, 4) by ascending value — rank 1 uses least; None for units
    without a value."""
    ordered = sorted(v for v in values.values() if v is not None)
    first = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return {k: (None if v is None else first[v]) for k, v in values.items()}

