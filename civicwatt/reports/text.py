"""The report's words in Chinese and English. Numbers are formatted in `render.py`."""

from __future__ import annotations

ZH: dict[str, str] = {
    "title": "能源日报",
    "subtitle": "能耗、费用、碳排放与指标",
    "generated": "生成时间",
    "day_types.workday": "工作日", "day_types.adjusted_workday": "调休工作日",
    "day_types.weekend": "周末", "day_types.holiday": "节假日", "day_types.closed": "闭馆日",
    "vacation": "假期（学期外）",
    "weekdays": "星期一,星期二,星期三,星期四,星期五,星期六,星期日",
    "date_format": "{y}年{m}月{d}日",
    "summary": "概览",
    "highlights": "要点",
    "energy": "用电量", "cost": "电费", "carbon": "碳排放", "coal": "折标准煤",
    "vs_last_week": "较上周同日", "vs_forecast": "较日前预测",
    "no_comparison": "无上周数据",
    "cmp.above": "比{ref}高 {pct}", "cmp.below": "比{ref}低 {pct}", "cmp.level": "与{ref}持平",
    "dir.above": "高 {pct}", "dir.below": "低 {pct}", "dir.level": "持平",
    "ref.last_week": "上周同日", "ref.forecast": "日前预测",
    "load_curve": "逐时负荷曲线",
    "caption.actual": "柱：实际逐时平均负荷", "caption.forecast": "线：前一日发布的日前预测",
    "caption.band80": "深色带：80% 区间", "caption.band95": "浅色带：95% 区间", "caption.sep": "；",
    "no_forecast": "本日及次日无负荷预测：存储中没有 forecast 数据（预测至少需要 7 天计量历史；"
                   "可运行 civicwatt forecast）。",
    "actual": "实际", "forecast": "预测", "band80": "80% 区间", "band95": "95% 区间",
    "hour": "时刻", "kw": "kW",
    "buildings": "各建筑", "building": "建筑", "area": "建筑面积 m²", "occupants": "用能人数",
    "tou": "分时段电量与电费", "period": "时段", "share": "占比", "avg_price": "平均电价",
    "x_flat": "× 平段电价",
    "cost_money": "电费按电价文件的分时比价 × {month} 平段（代理购电）电价 {price}/kWh 计算"
                  "（{source}）。",
    "cost_relative": "电价文件“{tariff}”只给出分时比价（平段 = 1），未配置 {month} 的平段电价"
                     "（metering.base_prices）：电费以“× 平段电价”表示，不是人民币金额。",
    "periods.sharp": "尖峰", "periods.critical_peak": "尖峰", "periods.peak": "峰",
    "periods.flat": "平", "periods.valley": "谷", "periods.deep_valley": "深谷",
    "periods.off_peak": "低谷", "periods.on_peak": "高峰", "periods.shoulder": "腰荷",
    "purposes": "分项能耗", "purpose": "分项", "purpose_residual": "未分项计量（总表减各分表）",
    "zones": "区域能耗", "zone": "区域",
    "zone_residual": "未划入区域的计量（整栋电表，含总表减各分表）",
    "whole_building": "整栋建筑", "other_in": "其他（未细分）",
    "kpis": "单位面积与人均指标", "kpi": "指标", "day_value": "当日", "per_m2": "每平方米",
    "per_person": "人均",
    "kwh_per_m2": "单位面积电耗 kWh/m²", "kgce_per_m2": "单位建筑面积能耗 kgce/m²",
    "co2_per_m2": "单位建筑面积碳排放 kgCO₂/m²", "kwh_per_person": "人均电耗 kWh/人",
    "kgce_per_person": "人均综合能耗 kgce/人", "co2_per_person": "人均碳排放 kgCO₂/人",
    "kgco2_per_m2": "单位建筑面积碳排放 kgCO₂/m²",
    "ytd_caption": "年初至今累计（{days:.1f} 天数据，已过 {elapsed} 天）与{ref}按天数折算比较；"
                   "直线折算未考虑季节差异。",
    "ytd_caption.own": "目标为“十四五”下降目标。",
    "ytd_value": "年累计", "baseline": "{ref}（折算）", "target": "目标（折算）",
    "vs_baseline": "较{ref}", "status": "状态",
    "ref.own": "本楼 {year} 年基准", "ref.national_average": "全国公共机构 {year} 年平均水平",
    "ref.provincial_average": "省级公共机构 {year} 年平均水平", "ref.quota": "{year} 年能耗定额",
    "status.own.ok": "达标", "status.own.bad": "超出目标",
    "status.quota.ok": "未超定额", "status.quota.bad": "超定额",
    "status.average.ok": "低于平均", "status.average.bad": "高于平均",
    "ytd_mixed": "各建筑的基准类型不同，全场不作比较，见各建筑。",
    "no_baseline": "未配置基准（buildings[].baseline），无法比较。",
    "no_ytd": "今年尚无计量数据，无法计算年度累计。",
    "ytd_partial": "目标比较仅含已配置基准的建筑：{names}。",
    "hl.no_data": "存储中没有当日的计量数据（energy_interval）：请先运行 civicwatt meter。",
    "next_day": "次日预测",
    "next_day_caption": "逐时预测加总；峰值为逐时平均负荷的最大值；"
                        "80% 区间为逐时区间之和（偏保守）。",
    "next_day_for": "预测日期", "forecast_energy": "用电量",
    "peak": "峰值负荷", "peak_at": "峰值时刻", "forecast_carbon": "碳排放",
    "range80": "80% 区间", "model": "模型",
    "comparison": "对比", "last_week": "上周同日", "change": "变化", "actual_kwh": "实际电量",
    "forecast_kwh": "预测电量", "issued": "预测发布",
    "peak_demand": "最大 {m} 分钟需量",
    "anomalies": "异常", "no_anomalies": "未发现异常。", "kind": "类型", "point": "计量点",
    "evidence": "依据",
    "kinds.after_hours": "非工作时段负荷偏高", "kinds.non_working": "节假日/周末用电偏高",
    "kinds.silent": "计量点无数据", "kinds.reset": "电表清零/更换",
    "kinds.imbalance": "总分表不平衡",
    "ev.after_hours": "{window} 平均负荷 {kw} kW，通常为 {usual_kw} kW（前 {nights} 晚中位数），"
                      "高出 {change}，多用约 {excess_kwh} kWh",
    "ev.non_working": "{day_type}用电 {kwh} kWh，通常为 {usual_kwh} kWh（前 {days} 个非工作日"
                      "中位数），高出 {change}",
    "ev.silent": "最后数据 {last_seen}，至日末已 {hours} 小时无数据",
    "ev.silent_never": "统计期内无任何数据",
    "ev.reset": "{at} 读数由 {before} kWh 降至 {after} kWh（非溢出回零）",
    "ev.imbalance": "{reporting}/{children} 个分表合计 {children_kwh} kWh，比总表 {parent_kwh} kWh "
                    "{share}（阈值 ±{threshold}）",
    "completeness": "数据完整性", "expected": "应有时段", "measured": "实测时段",
    "estimated": "估算时段", "last_seen": "最后数据",
    "completeness_summary": "{ok}/{n} 个计量点数据完整率不低于 {min}；以下计量点低于该值：",
    "completeness_all_ok": "全部 {n} 个计量点数据完整率不低于 {min}。",
    "completeness_csv": "全部计量点的明细见 CSV 文件。",
    "more_in_csv": "另有 {n} 项未列出，见 CSV 文件。",
    "hl.energy": "全场用电 {kwh} kWh，电费 {cost}，碳排放 {co2} kgCO₂e，折标准煤 {kgce} kgce。",
    "hl.week": "{change}（{date}）。",
    "hl.forecast": "实际用电{change}。",
    "hl.peak": "最大 {m} 分钟需量 {kw} kW，出现在 {at}。",
    "hl.anomalies": "发现 {n} 项异常，详见“异常”一节。",
    "hl.no_anomalies": "未发现异常。",
    "hl.next": "{date} 预测用电 {kwh} kWh，峰值 {kw} kW（{at}）。",
    "hl.ytd": "年累计单位面积能耗 {value} kgce/m²，{change}（折算），{status}。",
    "building_section": "建筑：{name}",
    "notes": "说明",
    "note_method": "建筑能耗为各总表（无上级表的电表）之和；"
                   "分项与区域按各表自身电量（本表减下级表）归集，合计与总量一致："
                   "“未分项计量”是总表减各分表后无分表计量的部分，"
                   "“未划入区域的计量”是不属于任何区域的电表（整栋电表及未指定区域的分表）的电量。"
                   "比较均为“本日（或实际）相对对照值”的高低。"
                   "负荷为逐时平均功率（kWh/h）。"
                   "费用、碳排放与折标准煤来自计量引擎（energy_interval）。",
    "note_unknown_points": "存储中有 {n} 个未在配置中的计量点，未计入：{points}",
    "classes": "分类能耗", "energy_class": "能源种类", "amount": "用量", "unit": "单位",
    "kgce_share": "占综合能耗", "total_energy": "综合能耗", "class_cost": "费用",
    "classes_caption": "各类能源按其计量单位统计（电 kWh、水与天然气 m³、热/冷 GJ、燃料 kg），"
                       "折标准煤后相加为综合能耗；水不计入综合能耗，单列统计。",
    "water_per_person": "人均用水 m³/人",
    "hl.classes": "综合能耗 {kgce} kgce（{parts}）。",
    "kinds.water_leak": "夜间最小流量偏高（疑似漏水）", "kinds.gas_closed": "闭馆日用气偏高",
    "kinds.heat_weather": "供热量高于气温预期",
    "ev.water_leak": "{window} 最小小时流量连续 {nights} 晚高于 {limit} m³/h（昨晚 {m3_per_h} "
                     "m³/h，最低 {lowest} m³/h），约 {m3_per_day} m³/天",
    "ev.gas_closed": "{day_type}用气 {m3} m³，为工作日通常用量 {workday_m3} m³（前 {days} 个"
                     "工作日中位数）的 {share}",
    "ev.heat_weather": "供热 {gj} GJ，日均气温 {temp_c} °C（{hdd} 度日），按前 {days} 天的"
                       "供热–度日关系应为 {expected_gj} GJ，高出 {change}",
    "page": "第 {page} 页 / 共 {pages} 页",
    "site": "全场", "meters": "计量点",
    "none": "—",
}

EN: dict[str, str] = {
    "title": "Daily energy report",
    "subtitle": "Energy, cost, carbon and KPIs",
    "generated": "Generated",
    "day_types.workday": "workday", "day_types.adjusted_workday": "adjusted workday",
    "day_types.weekend": "weekend", "day_types.holiday": "holiday",
    "day_types.closed": "site closure day", "vacation": "between terms (vacation)",
    "weekdays": "Monday,Tuesday,Wednesday,Thursday,Friday,Saturday,Sunday",
    "date_format": "{d} {month} {y}",
    "summary": "Summary",
    "highlights": "Highlights",
    "energy": "Energy", "cost": "Cost", "carbon": "Carbon", "coal": "Standard coal",
    "vs_last_week": "vs same day last week", "vs_forecast": "vs day-ahead forecast",
    "no_comparison": "no data last week",
    "cmp.above": "{pct} above {ref}", "cmp.below": "{pct} below {ref}",
    "cmp.level": "level with {ref}",
    "dir.above": "{pct} above", "dir.below": "{pct} below", "dir.level": "level",
    "ref.last_week": "the same day last week", "ref.forecast": "the day-ahead forecast",
    "load_curve": "Hourly load",
    "caption.actual": "bars: actual hourly mean load",
    "caption.forecast": "line: the day-ahead forecast issued before the day",
    "caption.band80": "dark band: 80 % interval", "caption.band95": "light band: 95 % interval",
    "caption.sep": "; ",
    "no_forecast": "No load forecast for this day or the next: the store holds no forecast rows "
                   "(the forecaster needs at least 7 days of metered history; run "
                   "`civicwatt forecast`).",
    "actual": "Actual", "forecast": "Forecast", "band80": "80 % interval",
    "band95": "95 % interval", "hour": "Hour", "kw": "kW",
    "buildings": "Buildings", "building": "Building", "area": "Floor area m²",
    "occupants": "Occupants",
    "tou": "Energy and cost by tariff period", "period": "Period", "share": "Share",
    "avg_price": "Mean price", "x_flat": "× flat price",
    "cost_money": "Cost is the tariff's price ratios × the {month} flat (agency-purchase) price "
                  "{price}/kWh ({source}).",
    "cost_relative": "Tariff “{tariff}” holds price ratios (flat = 1) and no flat price is "
                     "configured for {month} (metering.base_prices): costs are multiples of the "
                     "flat price (× flat price), not money.",
    "periods.sharp": "Sharp peak", "periods.critical_peak": "Critical peak",
    "periods.peak": "Peak", "periods.flat": "Flat", "periods.valley": "Valley",
    "periods.deep_valley": "Deep valley", "periods.off_peak": "Off-peak",
    "periods.on_peak": "On-peak", "periods.shoulder": "Shoulder",
    "purposes": "Energy by purpose (sub-items)", "purpose": "Purpose",
    "purpose_residual": "Not sub-metered (main minus sub-meters)",
    "zones": "Energy by zone", "zone": "Zone",
    "zone_residual": "Meters with no zone (whole-building meters, incl. main minus sub-meters)",
    "whole_building": "Whole building", "other_in": "Other, not itemised",
    "kpis": "Per-area and per-occupant KPIs", "kpi": "KPI", "day_value": "Day",
    "per_m2": "per m²", "per_person": "per occupant",
    "kwh_per_m2": "Electricity per floor area, kWh/m²",
    "kgce_per_m2": "Energy per floor area, kgce/m²",
    "co2_per_m2": "Carbon per floor area, kgCO₂/m²",
    "kwh_per_person": "Electricity per occupant, kWh",
    "kgce_per_person": "Energy per occupant, kgce",
    "co2_per_person": "Carbon per occupant, kgCO₂",
    "kgco2_per_m2": "Carbon per floor area, kgCO₂/m²",
    "ytd_caption": "Year to date ({days:.1f} days of data, {elapsed} days elapsed) against the "
                   "{ref}, pro rata by days; the straight line ignores seasons.",
    "ytd_caption.own": "Targets are the 14th Five-Year Plan reductions.",
    "ytd_value": "Year to date", "baseline": "{ref} (pro rata)",
    "target": "Target (pro rata)", "vs_baseline": "vs {ref}", "status": "Status",
    "ref.own": "building's own {year} baseline",
    "ref.national_average": "national public-institution average {year}",
    "ref.provincial_average": "provincial public-institution average {year}",
    "ref.quota": "energy quota {year}",
    "status.own.ok": "on track", "status.own.bad": "above target",
    "status.quota.ok": "within quota", "status.quota.bad": "above quota",
    "status.average.ok": "below the average", "status.average.bad": "above the average",
    "ytd_mixed": "The buildings' baselines are of different kinds: no site-wide comparison; "
                 "see each building.",
    "no_baseline": "No baseline configured (buildings[].baseline): no comparison.",
    "no_ytd": "No metered data this year yet: no year-to-date figures.",
    "ytd_partial": "The target comparison covers the buildings with a baseline: {names}.",
    "hl.no_data": "The store holds no metered energy for this day (energy_interval): "
                  "run `civicwatt meter` first.",
    "next_day": "Next-day forecast",
    "next_day_caption": "Sum of the hourly forecasts; the peak is the highest hourly mean load; "
                        "the 80 % range sums the hourly bounds (conservative).",
    "next_day_for": "Forecast for",
    "forecast_energy": "Energy", "peak": "Peak load", "peak_at": "Peak hour",
    "forecast_carbon": "Carbon", "range80": "80 % range",
    "model": "Model",
    "comparison": "Comparison", "last_week": "Same day last week", "change": "Change",
    "actual_kwh": "Actual", "forecast_kwh": "Forecast", "issued": "Forecast issued",
    "peak_demand": "Max {m}-min demand",
    "anomalies": "Anomalies", "no_anomalies": "No anomalies found.", "kind": "Kind",
    "point": "Point", "evidence": "Evidence",
    "kinds.after_hours": "After-hours load high", "kinds.non_working":
        "High use on a non-working day", "kinds.silent": "Meter silent",
    "kinds.reset": "Meter reset or replaced", "kinds.imbalance": "Parent/sub-meter imbalance",
    "ev.after_hours": "mean {kw} kW during {window}; usually {usual_kw} kW (median of {nights} "
                      "nights), {change} higher, about {excess_kwh} kWh extra",
    "ev.non_working": "{kwh} kWh on this {day_type}; usually {usual_kwh} kWh (median of {days} "
                      "non-working days), {change} higher",
    "ev.silent": "last data {last_seen}; silent for {hours} h at the end of the day",
    "ev.silent_never": "no data at all in the period read",
    "ev.reset": "counter fell from {before} kWh to {after} kWh at {at} (not a rollover)",
    "ev.imbalance": "sub-meters {children_kwh} kWh ({reporting} of {children} reporting), "
                    "{share} the parent's {parent_kwh} kWh (threshold ±{threshold})",
    "completeness": "Data completeness", "expected": "Expected", "measured": "Measured",
    "estimated": "Estimated", "last_seen": "Last data",
    "completeness_summary": "{ok} of {n} meters measured at least {min} of the day's "
                            "intervals; below that:",
    "completeness_all_ok": "All {n} meters measured at least {min} of the day's intervals.",
    "completeness_csv": "Every meter is listed in the CSV file.",
    "more_in_csv": "{n} more not listed here: see the CSV file.",
    "hl.energy": "The site used {kwh} kWh, costing {cost}, emitting {co2} kgCO₂e "
                 "({kgce} kgce standard coal).",
    "hl.week": "That is {change} ({date}).",
    "hl.forecast": "Actual energy was {change}.",
    "hl.peak": "Max {m}-min demand {kw} kW at {at}.",
    "hl.anomalies": "Anomalies found: {n} (see Anomalies).",
    "hl.no_anomalies": "No anomalies found.",
    "hl.next": "Forecast for {date}: {kwh} kWh, peak {kw} kW at {at}.",
    "hl.ytd": "Year to date {value} kgce/m², {change} (pro rata): {status}.",
    "building_section": "Building: {name}",
    "notes": "Notes",
    "note_method": "A building's energy is the sum of its main meters (meters without a parent); "
                   "purposes and zones take each meter's own energy (its value minus its "
                   "sub-meters'), so they add up to the total: “not sub-metered” is what the main "
                   "meter measured beyond its sub-meters, “meters with no zone” the energy of "
                   "meters not in any zone (whole-building meters and sub-meters without one). "
                   "Every comparison reads “this day (or actual) above/below the other figure”. "
                   "Load is the hourly mean (kWh/h). "
                   "Cost, carbon and standard coal come from the metering engine "
                   "(energy_interval).",
    "note_unknown_points": "{n} points in the store are not in the config and were left out: "
                           "{points}",
    "classes": "Energy by class", "energy_class": "Energy class", "amount": "Amount",
    "unit": "Unit", "kgce_share": "Share of total", "total_energy": "Total energy",
    "class_cost": "Cost",
    "classes_caption": "Each class in its own unit (electricity kWh, water and gas m³, heat "
                       "and cooling GJ, fuels kg); their standard-coal equivalents add up to "
                       "the total energy (综合能耗). Water is reported but not counted in it.",
    "water_per_person": "Water per occupant, m³",
    "hl.classes": "Total energy {kgce} kgce ({parts}).",
    "kinds.water_leak": "Night water flow high (possible leak)",
    "kinds.gas_closed": "Gas used on a closed day", "kinds.heat_weather":
        "Heat above the weather-normalised expectation",
    "ev.water_leak": "minimum hourly flow during {window} above {limit} m³/h for {nights} "
                     "nights ({m3_per_h} m³/h last night, lowest {lowest} m³/h): about "
                     "{m3_per_day} m³ a day",
    "ev.gas_closed": "{m3} m³ of gas on this {day_type}: {share} of a usual working day's "
                     "{workday_m3} m³ (median of {days} working days)",
    "ev.heat_weather": "{gj} GJ at a mean {temp_c} °C ({hdd} degree days); the previous {days} "
                       "days' heat-vs-degree-day line expects {expected_gj} GJ: {change} more",
    "page": "Page {page} of {pages}",
    "site": "Site", "meters": "Meters",
    "none": "—",
}

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def texts(language: str) -> dict[str, str]:
    return ZH if language == "zh" else EN
