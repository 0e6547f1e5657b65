"""A statistics document → an XLSX workbook in the layout of the public-institution energy
statistics table (公共机构能源资源消费统计表): a sheet per level (buildings, institutions,
types, site), one row per unit or building, one column per energy class and indicator with
its unit in the header, then the estimated and manual shares, 同比 and 环比 (%; absolute for
综合能耗), completeness and, for buildings, the rank within their type and the distance to
each configured quota.

Row 1 is the title (table, site, period), row 2 the header, data from row 3; the header is
frozen and filterable. Cells hold the document's numbers unrounded (formats only round the
display), empty where the document has null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicwatt.statistics_outputs.columns import BY_KEY, Indicator, present, type_name

TITLE = {"zh": "公共机构能源资源消费统计表",
         "en": "Public institution energy and resource statistics"}
#: level key in the document → (sheet title zh, en)
LEVELS = (("buildings", "建筑", "Buildings"), ("institutions", "单位", "Institutions"),
          ("types", "建筑类型", "Building types"), ("total", "合计", "Site"))
_TEXT = {
    "no": ("序号", "No."), "id": ("编码", "ID"), "name": ("名称", "Name"),
    "institution": ("所属单位", "Institution"), "type": ("建筑类型", "Type"),
    "platform_type": ("类型代码", "Type letter"), "buildings": ("建筑数", "Buildings"),
    "floor_area_m2": ("建筑面积 (m²)", "Floor area (m²)"),
    "occupants": ("用能人数 (人)", "Occupants"),
    "estimated_share": ("估算占比", "Estimated share"),
    "manual_share": ("手工录入占比", "Manual share"),
    "yoy": ("同比 {name} (%)", "YoY {name} (%)"), "mom": ("环比 {name} (%)", "MoM {name} (%)"),
    "yoy_abs": ("同比增减 {name} ({unit})", "YoY change {name} ({unit})"),
    "mom_abs": ("环比增减 {name} ({unit})", "MoM change {name} ({unit})"),
    "days": ("有数据天数", "Days with data"), "complete": ("数据完整", "Complete"),
    "rank": ("类型内排名（1 = 最低）", "Rank in type (1 = lowest)"),
    "ranked": ("同类建筑数", "Ranked in type"),
    "quota_constraint": ("{name}定额约束值 ({unit})", "{name} quota constraint ({unit})"),
    "quota_guide": ("{name}定额引导值 ({unit})", "{name} quota guide ({unit})"),
    "quota_to_constraint": ("{name}距约束值 ({unit})", "{name} to constraint ({unit})"),
    "quota_to_guide": ("{name}距引导值 ({unit})", "{name} to guide ({unit})"),
    "quota_status": ("{name}定额状态", "{name} quota status"),
    "period": ("统计期", "Period"), "yes": ("是", "yes"), "no_": ("否", "no"),
    "status.above_constraint": ("超约束值", "above constraint"),
    "status.above_guide": ("超引导值", "above guide"),
    "status.within_guide": ("不高于引导值", "within guide"),
    "status.within_constraint": ("不高于约束值", "within constraint"),
}
AMOUNT_FORMAT = "#,##0.00"
PCT_FORMAT = "0.00"  # the JSON's *_pct are already percent
SHARE_FORMAT = "0.0%"  # shares are fractions (0–1), shown as percent
#: the indicators whose 同比/环比 also get an absolute column
ABSOLUTE = ("kgce",)


def text(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Column:
    header: str
    value: Any  # row → cell value; None: the row number
    number_format: str | None = None
    width: float = 12


def rows_of(doc: Mapping, level: str) -> list[Mapping]:
    found = doc.get(level)
    if level == "total":
        return [found] if isinstance(found, Mapping) else []
    return list(found or [])


def _get(key: str):
    return lambda r: r.get(key)


def _in(which: str, key: str):
    return lambda r: (r.get(which) or {}).get(key)


def _short(indicator: Indicator, lang: str) -> str:
    return indicator.zh if lang == "zh" else indicator.en


def identity(level: str, lang: str) -> list[Column]:
    out = [Column(text("no", lang), None, width=6)]
    if level != "total":
        out += [Column(text("id", lang), _get("id"), width=14),
                Column(text("name", lang), lambda r: r.get("name") or r.get("id"), width=24)]
    if level == "buildings":
        out += [Column(text("institution", lang), _get("institution"), width=18),
                Column(text("type", lang), lambda r: type_name(r.get("type"), lang)),
                Column(text("platform_type", lang), _get("platform_type"), width=8)]
    else:
        out.append(Column(text("buildings", lang), _get("buildings"), "0", 8))
    return out + [Column(text("floor_area_m2", lang), _get("floor_area_m2"), AMOUNT_FORMAT, 13),
                  Column(text("occupants", lang), _get("occupants"), "#,##0", 10)]


def columns(rows: Sequence[Mapping], level: str, lang: str, currency: str) -> list[Column]:
    """The sheet's columns: identity, every indicator present, shares, 同比, 环比,
    completeness, rank and quotas."""
    shown = present(rows)
    out = identity(level, lang)
    out += [Column(i.label(lang, currency), _get(i.key), AMOUNT_FORMAT, 14) for i in shown]
    out += [Column(text("estimated_share", lang), _get("estimated_share"), SHARE_FORMAT),
            Column(text("manual_share", lang), _get("manual_share"), SHARE_FORMAT)]
    for which in ("yoy", "mom"):
        out += [Column(text(which, lang).format(name=_short(i, lang)), _in(f"{which}_pct", i.key),
                       PCT_FORMAT) for i in shown]
        out += [Column(text(f"{which}_abs", lang).format(
                    name=_short(BY_KEY[k], lang), unit=BY_KEY[k].unit), _in(which, k),
                    AMOUNT_FORMAT, 14) for k in ABSOLUTE]
    out.append(Column(text("days", lang), lambda r: (r.get("completeness") or {}).get(
        "days_with_data"), "0", 10))
    if level == "buildings":
        out += [Column(text("complete", lang), lambda r: _yes((r.get("completeness") or {})
                                                             .get("complete"), lang), width=8),
                Column(text("rank", lang), _get("rank_in_type"), "0", 12),
                Column(text("ranked", lang), _get("ranked_in_type"), "0", 10)]
        out += quota_columns(rows, lang)
    return out


def quota_columns(rows: Sequence[Mapping], lang: str) -> list[Column]:
    """For every metric some building has a quota on: its values (pro rata to the period),
    the distances to them and the status."""
    metrics = [i for i in BY_KEY.values()
               if any(i.key in (r.get("quota") or {}) for r in rows)]
    out = []
    for i in metrics:
        def cell(key: str, metric: str = i.key):
            return lambda r: ((r.get("quota") or {}).get(metric) or {}).get(key)
        for key in ("constraint", "guide", "to_constraint", "to_guide"):
            out.append(Column(text(f"quota_{key}", lang).format(name=_short(i, lang),
                                                                unit=i.unit),
                              cell(key), AMOUNT_FORMAT, 14))
        status = cell("status")
        out.append(Column(text("quota_status", lang).format(name=_short(i, lang)),
                          lambda r, s=status: text(f"status.{s(r)}", lang) if s(r) else None,
                          width=14))
    return out


def _yes(value: object, lang: str) -> str | None:
    return None if value is None else text("yes" if value else "no_", lang)


def write_xlsx(doc: Mapping, path: Path, lang: str = "zh", site_name: str = "") -> Path:
    """Write the workbook; raises OSError when `path` cannot be written.

    A write-only workbook streams the rows (with lxml installed openpyxl serialises in C);
    figures for 1,000 buildings: bench/statistics_outputs.py. The file is opened before the
    workbook is built (an unwritable path fails at once) and replaces `path` only when
    complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    try:
        with part.open("wb") as out:
            _workbook(doc, lang, site_name).save(out)
        part.replace(path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return path


def _workbook(doc: Mapping, lang: str, site_name: str):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    period, currency = doc.get("period", ""), str(doc.get("currency") or "CNY")
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F7")
    wrap = Alignment(wrap_text=True, vertical="center")
    for level, zh, en in LEVELS:
        rows = rows_of(doc, level)
        if not rows and level not in ("buildings", "total"):
            continue
        sheet = book.create_sheet(zh if lang == "zh" else en)
        cols = columns(rows, level, lang, currency)
        for c, col in enumerate(cols, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = col.width
        sheet.freeze_panes = "D3" if level != "total" else "B3"
        if rows:
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{len(rows) + 2}"
        title = WriteOnlyCell(sheet, " · ".join(p for p in (
            TITLE[lang], site_name, f"{text('period', lang)} {period}") if p))
        title.font = Font(bold=True, size=13)
        sheet.append([title])
        header = []
        for col in cols:
            cell = WriteOnlyCell(sheet, col.header)
            cell.font, cell.fill, cell.alignment = bold, fill, wrap
            header.append(cell)
        sheet.row_dimensions[2].height = 48
        sheet.append(header)
        for n, row in enumerate(rows, start=1):
            line = []
            for col in cols:
                cell = WriteOnlyCell(sheet, n if col.value is None else col.value(row))
                if col.number_format:
                    cell.number_format = col.number_format
                line.append(cell)
            sheet.append(line)
    return book
