"""Dashboard and panel titles in Chinese and English (the site's `language`)."""

from __future__ import annotations

_TEXT: dict[str, tuple[str, str]] = {
    # dashboards
    "overview": ("站点概览", "Site overview"),
    "subitems": ("分项与区域", "Sub-items and zones"),
    "tariff": ("分时电价", "Tariff"),
    "forecast": ("负荷与碳排放预测", "Forecast"),
    "health": ("计量健康", "Meter health"),
    "setpoints": ("设定值指令", "Setpoints"),
    "portfolio": ("能耗统计与排名", "Portfolio statistics"),
    # variables
    "site": ("站点", "Site"), "building": ("建筑", "Building"), "zone": ("区域", "Zone"),
    "purpose": ("分项", "Purpose"),
    "span": ("统计周期", "Period"), "building_type": ("建筑类型", "Building type"),
    # overview
    "live": ("实时", "Live"), "live_power": ("各建筑实时功率", "Live power per building"),
    "power_now": ("当前功率", "Power now"),
    "today_vs_forecast": ("今日用电与预测区间", "Today's energy vs forecast band"),
    "actual": ("实际", "actual"), "forecast_s": ("预测", "forecast"),
    "band80": ("80% 区间", "80% band"), "band95": ("95% 区间", "95% band"),
    "today_by_period": ("今日分时段用电", "Energy by TOU period today"),
    "today_mtd": ("今日与本月累计", "Today and month to date"),
    "energy_today": ("今日用电", "Energy today"), "energy_mtd": ("本月用电", "Energy MTD"),
    "cost_today": ("今日电费", "Cost today"), "cost_mtd": ("本月电费", "Cost MTD"),
    "co2_today": ("今日碳排放", "CO₂ today"), "co2_mtd": ("本月碳排放", "CO₂ MTD"),
    "kpi": ("能耗指标（本年累计）", "KPIs (year to date)"),
    "kwh_m2": ("单位面积用电 kWh/m²", "Energy per m² (kWh/m²)"),
    "kwh_person": ("人均用电 kWh/人", "Energy per occupant (kWh/person)"),
    "kgce_m2": ("单位面积能耗 kgce/m²", "Energy use per m² (kgce/m²)"),
    "co2_m2": ("单位面积碳排放 kgCO₂/m²", "CO₂ per m² (kgCO₂/m²)"),
    # energy classes (overview)
    "classes": ("分类能耗", "Energy classes"),
    "kgce_by_class": ("综合能耗构成（本月，kgce）", "Total energy by class (MTD, kgce)"),
    "kgce_mtd": ("本月综合能耗", "Total energy MTD"),
    "class_daily": ("{name}（按日，{unit}）", "{name} per day ({unit})"),
    "class_mtd": ("本月{name}", "{name} MTD"),
    # sub-items
    "by_subitem": ("分项用电（按日）", "Energy by sub-item (daily)"),
    "subitem_share": ("分项构成", "Sub-item breakdown"),
    "by_zone": ("区域用电（按日）", "Energy by zone (daily)"),
    "top": ("用电排名前十", "Top 10 consumers"),
    "unmetered_share": ("未计量占比（总表 − 分表）", "Unmetered share (main − sub-meters)"),
    "imbalance": ("总表与分表差额（按日）", "Parent/children imbalance (daily)"),
    # tariff
    "daily_energy_period": ("日用电量（按时段）", "Daily energy by period"),
    "daily_cost_period": ("日电费（按时段）", "Daily cost by period"),
    "peak_share": ("尖峰用电占比", "Sharp + peak share"),
    "peak_share_daily": ("尖峰用电占比（按日）", "Sharp + peak share (daily)"),
    "demand": ("最大需量（15 分钟）", "Demand (max 15-min kW)"),
    "demand_daily": ("日最大需量（15 分钟）", "Daily max demand (15-min kW)"),
    # forecast
    "load_fc": ("负荷预测与实际", "Load forecast vs actual"),
    "carbon_fc": ("碳排放预测与实际", "Carbon forecast vs actual"),
    "fc_error": ("近期预测误差（按日）", "Recent forecast error (daily)"),
    "error": ("相对误差", "relative error"),
    "diff": ("差值", "difference"),
    # health
    "last_reading": ("各测点最新读数", "Last reading per point"),
    "readings_hour": ("每小时读数（完整性）", "Readings per hour (completeness)"),
    "completeness": ("区间完整率（非估算）", "Interval completeness (not estimated)"),
    "dead_letters": ("拒收计数（按原因）", "Dead letters by reason"),
    "spool": ("缓冲队列深度", "Spool depth"),
    "latency": ("写入延迟", "Write latency"),
    "modbus_state": ("Modbus 设备状态", "Modbus device states"),
    "replicas": ("采集副本数", "Collector replicas"),
    "online": ("在线", "online"), "offline": ("离线", "offline"),
    # setpoints
    "by_status": ("指令数（按状态）", "Commands by status"),
    "setpoint_zone": ("设定值（按区域）", "Setpoints by zone"),
    "zone_temp": ("区域温度", "Zone temperature"),
    "recent_commands": ("最近指令", "Recent commands"),
    "commands": ("设定值指令", "Setpoint commands"),
    # portfolio
    "portfolio_latest": ("最近一期（全站）", "Latest period (site)"),
    "kgce_period": ("综合能耗", "Total energy"),
    "yoy_pct": ("同比", "YoY"), "mom_pct": ("环比", "MoM"),
    "above_constraint": ("超约束值建筑数", "Buildings above constraint"),
    "estimated_share": ("估算占比", "Estimated share"),
    "yoy_mom": ("同比与环比", "Year on year and period on period"),
    "kgce_per_period": ("各期综合能耗（kgce）", "Total energy per period (kgce)"),
    "changes_per_period": ("各期同比与环比", "YoY and MoM per period"),
    "buildings_latest": ("各建筑最近一期", "Buildings, latest period"),
    "institution": ("单位", "Institution"), "rank": ("类型内排名", "Rank in type"),
    "ranked": ("同类建筑数", "Of"),
    "ranking": ("同类型建筑排名", "Ranking within building type"),
    "ranking_type": ("{type}：单位面积能耗 kgce/m²", "{type}: energy per m² (kgce/m²)"),
    "quota_status": ("能耗定额", "Energy quotas"),
    "quota_table": ("定额执行情况（单位面积能耗，按统计期折算）",
                    "Quota status (energy per m², pro rata to the period)"),
    "constraint": ("约束值", "Constraint"), "guide": ("引导值", "Guide"),
    "to_constraint": ("距约束值", "To constraint"), "status": ("状态", "Status"),
    "quota_within": ("符合定额", "within quota"),
    "quota_above_guide": ("超引导值", "above guide"),
    "quota_above_constraint": ("超约束值", "above constraint"),
}


def t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en
