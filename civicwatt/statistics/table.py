"""The statistics as a rich table for people (zh/en): one row per building, institution or
type, the site total last; class columns only for classes the portfolio meters."""

from __future__ import annotations

from rich.table import Table

from civicwatt.statistics.read import CLASS_FIELDS
from rules.targets import TYPE_NAMES

LABELS = {
    "name": ("名称", "Name"), "type": ("类型", "Type"),
    "electricity_kwh": ("电 kWh", "Electricity kWh"), "water_m3": ("水 m³", "Water m³"),
    "gas_m3": ("天然气 m³", "Gas m³"), "heat_gj": ("热 GJ", "Heat GJ"),
    "cooling_gj": ("冷 GJ", "Cooling GJ"), "diesel_kg": ("柴油 kg", "Diesel kg"),
    "gasoline_kg": ("汽油 kg", "Gasoline kg"), "lpg_kg": ("液化气 kg", "LPG kg"),
    "coal_kg": ("煤 kg", "Coal kg"), "pv_kwh": ("光伏 kWh", "PV kWh"),
    "kgce": ("综合能耗 kgce", "Energy kgce"), "cost": ("费用", "Cost"),
    "co2_kg": ("CO₂ kg", "CO₂ kg"), "kgce_per_m2": ("kgce/m²", "kgce/m²"),
    "kgce_per_person": ("kgce/人", "kgce/person"), "water_m3_per_person": ("水 m³/人",
                                                                          "Water m³/person"),
    "yoy": ("同比", "YoY"), "mom": ("环比", "MoM"), "estimated_share": ("估算占比", "Estimated"),
    "quota": ("定额", "Quota"), "rank": ("类型内排名", "Rank in type"),
}
QUOTA = {"above_constraint": ("超约束值", "over constraint"),
         "above_guide": ("超引导值", "over guide"), "within_guide": ("达引导值", "within guide"),
         "within_constraint": ("达约束值", "within constraint")}
LEVEL_KEY = {"building": "buildings", "institution": "institutions", "type": "types"}


def statistics_table(doc: dict, by: str, lang: str) -> Table:
    i = 0 if lang == "zh" else 1
    rows = doc[LEVEL_KEY[by]]
    everyone = [*rows, doc["total"]]
    classes = [f for f in CLASS_FIELDS.values() if any(r[f] for r in everyone)]
    numbers = [*classes, "kgce", "cost", "co2_kg", "kgce_per_m2", "kgce_per_person",
               "water_m3_per_person"]
    title = (f"{doc['period']} 能耗统计 · 同比 {doc['last_year_period']} · 环比 "
             f"{doc['previous_period']}" if i == 0 else
             f"{doc['period']} energy statistics · YoY vs {doc['last_year_period']} · MoM vs "
             f"{doc['previous_period']}")
    table = Table(title=title, title_justify="left", show_footer=False)
    table.add_column(LABELS["name"][i])
    if by == "building":
        table.add_column(LABELS["type"][i])
    for name in (*numbers, "yoy", "mom", "estimated_share"):
        label = LABELS[name][i] + (" kgce %" if name in ("yoy", "mom") else "")
        table.add_column(label, justify="right")
    if by == "building":
        table.add_column(LABELS["quota"][i])
        table.add_column(LABELS["rank"][i], justify="right")
    for row in everyone:
        total = row is doc["total"]
        name = row["name"] or row["id"]
        if by == "type" and not total:
            name = TYPE_NAMES.get(row["id"], ("未分类", "No type"))[i]
        cells = [("[bold]" if total else "") + str(name)]
        if by == "building":
            kind = f"{row.get('type') or ''} {row.get('platform_type') or ''}"
            cells.append("" if total else kind)
        cells += [_fmt(row[n]) for n in numbers]
        partial = {k: _partial(row["completeness"], k) for k in ("yoy", "mom")}
        cells += [_pct(row["yoy_pct"]["kgce"]) + partial["yoy"],
                  _pct(row["mom_pct"]["kgce"]) + partial["mom"],
                  _pct(None if row["estimated_share"] is None else row["estimated_share"] * 100)]
        if by == "building":
            cells += ["" if total else _quota(row.get("quota"), i),
                      "" if total or row.get("rank_in_type") is None else
                      f"{row['rank_in_type']}/{row['ranked_in_type']}"]
        table.add_row(*cells, end_section=len(everyone) > 1 and row is everyone[-2])
    table.caption = ("* 对比期数据不完整 (部分天数)" if i == 0 else
                     "* the compared period has data on only some of its days")
    return table


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def _partial(completeness: dict, key: str) -> str:
    """' *' when the compared period has data on only some of its days."""
    seen = completeness.get("compared", {}).get(key)
    return " *" if seen and 0 < seen["days_with_data"] < seen["days"] else ""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:+.1f}%"


def _quota(quota: dict | None, i: int) -> str:
    if not quota or "kgce_per_m2" not in quota:
        return "—"
    status = quota["kgce_per_m2"]["status"]
    return QUOTA[status][i] if status in QUOTA else "—"
