"""The statistics report's words in Chinese and English."""

from __future__ import annotations

_TEXT: dict[str, tuple[str, str]] = {
    "title.month": ("月度能源资源消费统计报告", "Monthly energy statistics report"),
    "title.quarter": ("季度能源资源消费统计报告", "Quarterly energy statistics report"),
    "title.year": ("年度能源资源消费统计报告", "Annual energy statistics report"),
    "title.day": ("能源资源消费统计报告（日）", "Daily energy statistics report"),
    "subtitle": ("公共机构能源资源消费统计：综合能耗、分类能耗、同比环比、定额与目标",
                 "Public institution energy statistics: totals, classes, YoY and MoM, quotas "
                 "and targets"),
    "period": ("统计期", "Period"), "generated": ("生成时间", "Generated"),
    "buildings_n": ("{n} 栋建筑 · {m} 个单位", "{n} buildings · {m} institutions"),
    "summary": ("概览", "Summary"),
    "indicator": ("指标", "Indicator"), "value": ("本期", "This period"),
    "yoy": ("同比", "YoY"), "mom": ("环比", "MoM"),
    "mom.month": ("环比（上月）", "vs previous month"),
    "mom.quarter": ("环比（上季度）", "vs previous quarter"),
    "mom.year": ("环比（上年）", "vs previous year"),
    "mom.day": ("环比（前一日）", "vs previous day"),
    "no_data": ("无可比数据", "no comparison"),
    "trend": ("近 12 个月综合能耗与上年同期", "Total energy, last 12 months against a year "
              "earlier"),
    "trend_caption": ("柱：本期 12 个月全部建筑综合能耗（当量值）；线：上年同月。"
                      "缺月表示该月无计量数据。表中同比只比较两期都有数据的建筑，趋势图为全部建筑。",
                      "Bars: total energy (equivalent value) of all buildings over the 12 "
                      "months; line: the same months a year earlier. A missing month has no "
                      "metered data. The tables' YoY compares only buildings with data in both "
                      "periods; the trend shows them all."),
    "no_trend": ("未读取月度趋势（无存储数据）。", "No monthly trend (no store data was read)."),
    "this_year": ("本期", "this period"), "last_year": ("上年同期", "a year earlier"),
    "kgce": ("综合能耗 kgce", "kgce"), "kgce_m2": ("单位建筑面积能耗 kgce/m²", "kgce per m²"),
    "constraint": ("约束值", "constraint"), "guide": ("引导值", "guide"),
    "targets": ("节能目标（五年规划）进度", "Five-year targets: progress"),
    "target.metric": ("指标", "Indicator"), "target.baseline": ("基准年值", "Base year"),
    "target.goal": ("本年目标值", "This year's target"),
    "target.allowance": ("至今允许值", "Allowance to date"),
    "target.value": ("本年累计", "Year to date"), "target.change": ("较允许值", "vs allowance"),
    "target.status": ("状态", "Status"),
    "target.caption": ("目标：{source}；{base}—{target} 年降幅 {cuts}。"
                       "至今允许值按本年已过天数折算，未考虑季节性（冬季供热、夏季供冷）。",
                       "Targets: {source}; reductions {base}–{target}: {cuts}. The allowance to "
                       "date is the year's target pro rata to the days elapsed, ignoring "
                       "seasonality (winter heat, summer cooling)."),
    "no_base": ("无基准年数据", "no base-year data"),
    "on_track": ("达标进度内", "on track"), "off_track": ("落后于目标进度", "behind"),
    "no_targets": ("未配置节能目标。", "No targets configured."),
    "quota": ("能耗定额执行情况", "Energy quotas"),
    "quota.type": ("建筑类型", "Building type"), "quota.n": ("建筑数", "Buildings"),
    "quota.over": ("超约束值", "Above constraint"),
    "quota.between": ("超引导值", "Above guide"),
    "quota.ok": ("符合定额", "Within quota"), "quota.none": ("未设定额", "No quota"),
    "quota.list": ("超约束值的建筑", "Buildings above their constraint value"),
    "quota.note": ("定额为站点配置的年度约束值与引导值（GB/T 51161 结构），按统计期天数折算；"
                   "“距约束值”为负表示低于约束值。",
                   "Quotas are the site's annual constraint and guide values (GB/T 51161 "
                   "structure), pro rata to the period; a negative distance is below the value."),
    "no_quota": ("本站点未配置建筑能耗定额。", "No building quotas are configured for this site."),
    "ranking": ("同类型建筑排名", "Ranking within building type"),
    "ranking.type": ("{type}：单位建筑面积能耗", "{type}: energy per m²"),
    "ranking.more": ("仅显示能耗最高的 {n} 栋，共 {m} 栋；完整排名见 XLSX 统计表。",
                     "The {n} highest of {m} shown; the XLSX table has all."),
    "rank": ("排名（1 = 最低）", "Rank (1 = lowest)"), "building": ("建筑", "Building"),
    "institution": ("单位", "Institution"),
    "to_constraint": ("距约束值", "To constraint"), "to_guide": ("距引导值", "To guide"),
    "institutions": ("各单位", "Institutions"), "types": ("各建筑类型", "Building types"),
    "estimated": ("估算/手工占比", "Estimated/manual share"),
    "notes": ("说明", "Notes"),
    "note.estimated": ("全站 {pct} 的数据为估算或手工录入（读数间隔过长的区间按插值估算）。",
                       "{pct} of the site's figures are estimated or entered by hand (intervals "
                       "across long reading gaps are interpolated)."),
    "note.kgce": ("综合能耗按当量值折标准煤；同比为与上年同期比较，环比为与上一统计期比较；"
                  "“—”表示比较期无数据。",
                  "Total energy is in standard coal (equivalent value); YoY compares with the "
                  "same period a year earlier, MoM with the previous period; “—” means the "
                  "comparison period has no data."),
    "page": ("第{page}页/共{pages}页", "Page {page} of {pages}"),
}


def texts(lang: str) -> dict[str, str]:
    index = 0 if lang == "zh" else 1
    return {key: pair[index] for key, pair in _TEXT.items()}
