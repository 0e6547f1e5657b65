"""The pages' words in Chinese and English, and number formats a reader of either expects."""

from __future__ import annotations

import math

WORDS = {
    "zh": {
        "title": "{year}年公共机构能源资源消费公示",
        "site_intro": "{site}所属公共机构建筑的能源资源消费情况（按月、按年汇总）。",
        "institution": "单位", "building": "建筑", "area": "建筑面积 (m²)",
        "occupants": "用能人数", "kgce": "综合能耗 (kgce)", "kgce_per_m2": "单位面积能耗 (kgce/m²)",
        "kgce_per_person": "人均综合能耗 (kgce/人)", "water_m3_per_person": "人均用水量 (m³/人)",
        "co2_kg": "二氧化碳排放 (kg)", "co2_kg_per_m2": "单位面积碳排放 (kgCO₂/m²)",
        "status": "目标状态", "completeness": "数据完整率",
        "electricity_kwh": "电力 (kWh)", "water_m3": "水 (m³)", "gas_m3": "天然气 (m³)",
        "heat_gj": "热力 (GJ)", "cooling_gj": "冷量 (GJ)", "diesel_kg": "柴油 (kg)",
        "gasoline_kg": "汽油 (kg)", "lpg_kg": "液化石油气 (kg)", "coal_kg": "煤炭 (kg)",
        "pv_kwh": "光伏发电 (kWh)",
        "class": "能源种类", "amount": "消费量", "yoy": "同比",
        "summary": "{year}年概况", "through": "数据截至 {date}（年度累计）",
        "by_class": "分类能耗", "by_month": "逐月综合能耗", "month": "月份",
        "last_year": "{year}年",
        "trend": "历年单位面积能耗与目标", "year": "年份",
        "targets": "节能目标", "quota": "能耗定额", "indicator": "指标", "base": "基准年值",
        "target": "目标值", "allowance": "本期允许值", "value": "本期值", "constraint": "约束值",
        "guide": "引导值", "electricity_kwh_per_m2": "单位面积电耗 (kWh/m²)",
        "targets_note": "基准年 {base}，目标年 {target}（{source}）。",
        "status.ok": "达到目标", "status.bad": "未达目标",
        "on_track.True": "达到目标", "on_track.False": "未达目标",
        "quota.within_guide": "优于引导值", "quota.within_constraint": "约束值以内",
        "quota.above_guide": "高于引导值", "quota.above_constraint": "超出约束值",
        "gap.no_meter": "未安装计量表，不计入", "gap.no_data": "已安装计量表，本期无数据",
        "no_baseline": "未设定基准或定额", "no_quota": "未设定定额",
        "pro_rata": "年度未结束：目标与定额按已过天数折算（直线折算，未计季节差异）。",
        "days": "{days}/{expected} 天有计量数据（{share}）",
        "month_focus": "{month} 月度数据", "back": "返回目录",
        "chart_month": "{year}年逐月综合能耗（kgce），与{last}年同月比较",
        "chart_trend": "{first}–{last}年单位面积能耗（kgce/m²）",
        "no_data": "无数据", "generated": "生成于 {when}。仅公布月度和年度汇总数据。",
        "method": "综合能耗按等价值折算标准煤；碳排放按电网排放因子计算。",
        "index": "目录", "buildings_count": "{n} 栋建筑",
    },
    "en": {
        "title": "Public-institution energy disclosure {year}",
        "site_intro": "Energy and water use of the public-institution buildings of {site} "
                      "(monthly and annual totals).",
        "institution": "Institution", "building": "Building", "area": "Floor area (m²)",
        "occupants": "Occupants", "kgce": "Total energy (kgce)",
        "kgce_per_m2": "Energy per m² (kgce/m²)", "kgce_per_person": "Energy per person "
        "(kgce/person)", "water_m3_per_person": "Water per person (m³/person)",
        "co2_kg": "CO₂ emissions (kg)", "co2_kg_per_m2": "CO₂ per m² (kgCO₂/m²)",
        "status": "Target status", "completeness": "Data completeness",
        "electricity_kwh": "Electricity (kWh)", "water_m3": "Water (m³)", "gas_m3": "Gas (m³)",
        "heat_gj": "Heat (GJ)", "cooling_gj": "Cooling (GJ)", "diesel_kg": "Diesel (kg)",
        "gasoline_kg": "Gasoline (kg)", "lpg_kg": "LPG (kg)", "coal_kg": "Coal (kg)",
        "pv_kwh": "Solar generation (kWh)",
        "class": "Energy class", "amount": "Amount", "yoy": "vs last year",
        "summary": "{year} at a glance", "through": "Data through {date} (year to date)",
        "by_class": "Energy by class", "by_month": "Total energy by month", "month": "Month",
        "last_year": "{year}",
        "trend": "Energy per m² over the years, and targets", "year": "Year",
        "targets": "Five-year targets", "quota": "Energy quota", "indicator": "Indicator",
        "base": "Base year", "target": "Target", "allowance": "Allowed so far",
        "value": "This period", "constraint": "Constraint", "guide": "Guide",
        "electricity_kwh_per_m2": "Electricity per m² (kWh/m²)",
        "targets_note": "Base year {base}, target year {target} ({source}).",
        "status.ok": "On track", "status.bad": "Above target",
        "on_track.True": "On track", "on_track.False": "Above target",
        "quota.within_guide": "Within the guide value",
        "quota.within_constraint": "Within the constraint",
        "quota.above_guide": "Above the guide value",
        "quota.above_constraint": "Above the constraint",
        "gap.no_meter": "not metered here, not counted",
        "gap.no_data": "metered, but no data for the period",
        "no_baseline": "No baseline or quota set", "no_quota": "No quota set",
        "pro_rata": "The year is not over: targets and quota are pro rata to its days so far "
                    "(a straight line, ignoring seasons).",
        "days": "{days} of {expected} days metered ({share})",
        "month_focus": "Month {month}", "back": "Back to the index",
        "chart_month": "Total energy by month in {year} (kgce), against the same months of "
                       "{last}",
        "chart_trend": "Energy per m² {first}–{last} (kgce/m²)",
        "no_data": "no data", "generated": "Generated {when}. Only monthly and annual totals "
                                           "are published.",
        "method": "Total energy is in kg of standard coal equivalent (equivalent value); CO₂ "
                  "uses the grid's emission factor.",
        "index": "Index", "buildings_count": "{n} building(s)",
    },
}


def number(value: float | None, digits: int = 0) -> str:
    """Grouped thousands; an en dash where there is nothing to show."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value: float | None) -> str:
    """A signed percentage (statistics percentages are already ×100)."""
    if value is None:
        return "–"
    return "±0.0%" if round(value, 1) == 0 else f"{value:+.1f}%".replace("-", "−")
