"""A statistics document → an XLSX workbook in the layout of the public-institution energy
statistics table (公共机构能源资源消费统计表): a sheet per level (buildings, institutions,
types, site), one row per unit or building, one column per energy class and indicator with
its unit in the header, then the estimated share, 同比 and 环比 (%) and, for buildings, the
rank within their type and the distance to the quota.

Row 1 is the title (table, site, period), row 2 the header, data from row 3; the header is
frozen and filterable. Cells hold the document's numbers unrounded (formats only round the
display), empty where the document has null.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from civicwatt.statistics_outputs.columns import Indicator, compared, present, type_name

TITLE = {"zh": "公共机构能源资源消费统计表",
         "en": "Public institution energy and resource statistics"}
#: level key in the document → (sheet title zh, en)
LEVELS = (("buildings", "建筑", "Buildings"), ("institutions", "单位", "Institutions"),
          ("types", "建筑类型", "Building types"), ("total", "合计", "Site"))
_TEXT = {
    "no": ("序号", "No."), "id": ("编码", "ID"), "name": ("名称", "Name"),
    "institution": ("所属单位", "Institution"), "type": ("建筑类型", "Type"),
    "estimated_share": ("估算/手工占比", "Estimated/manual share"),
    "yoy": ("同比 {name} (%)", "YoY {name} (%)"), "mom": ("环比 {name} (%)", "MoM {name} (%)"),
    "rank": ("类型内排名", "Rank in type"),
    "quota_constraint": ("距约束值 (kgce/m²)", "To constraint (kgce/m²)"),
    "quota_guide": ("距引导值 (kgce/m²)", "To guide (kgce/m²)"),
    "period": ("统计期", "Period"),
}
AMOUNT_FORMAT = "#,##0.00"
PCT_FORMAT = "0.0"  # the JSON's *_pct are already percent
SHARE_FORMAT = "0.0%"  # shares are fractions (0–1), shown as percent


def text(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


@dataclass(frozen=True)
class Column:
    header: str
    value: Any  # row → cell value
    number_format: str | None = None
    width: float = 12


def rows_of(doc: Mapping, level: str) -> list[Mapping]:
    found = doc.get(level)
    if level == "total":
        return [found] if isinstance(found, Mapping) else []
    return list(found or [])


def columns(rows: Sequence[Mapping], level: str, lang: str, currency: str) -> list[Column]:
    """The sheet's columns: identity, every indicator present, shares, 同比, 环比, rank, quota."""
    out = [Column(text("no", lang), None, width=6)]
    if level != "total":
        out += [Column(text("id", lang), lambda r: r.get("id"), width=14),
                Column(text("name", lang), lambda r: r.get("name") or r.get("id"), width=24)]
    if level == "buildings":
        out += [Column(text("institution", lang), lambda r: r.get("institution"), width=18),
                Column(text("type", lang), lambda r: type_name(r.get("type"), lang))]
    if level == "types":
        out[-1] = Column(text("name", lang), lambda r: type_name(r.get("id"), lang)
                         or r.get("name"), width=16)

    def value(key: str):
        return lambda r: r.get(key)

    def change(which: str, key: str):
        return lambda r: (r.get(which) or {}).get(key)

    out += [Column(i.label(lang, currency), value(i.key), AMOUNT_FORMAT, 14)
            for i in present(rows)]
    out.append(Column(text("estimated_share", lang), value("estimated_share"), SHARE_FORMAT))
    for which, label in (("yoy_pct", "yoy"), ("mom_pct", "mom")):
        out += [Column(text(label, lang).format(name=_short(i, lang)), change(which, i.key),
                       PCT_FORMAT) for i in compared(rows, which)]
    if any("rank" in r for r in rows):
        out.append(Column(text("rank", lang), _scalar("rank"), "0", 10))
    for bound in ("constraint", "guide"):
        key = f"quota_{bound}"
        if any(_quota(r, bound) is not None for r in rows):
            out.append(Column(text(key, lang), lambda r, b=bound: _quota(r, b),
                              AMOUNT_FORMAT, 14))
    return out


def _short(indicator: Indicator, lang: str) -> str:
    return indicator.zh if lang == "zh" else indicator.en


def _scalar(key: str):
    def get(row: Mapping):
        value = row.get(key)
        if isinstance(value, Mapping):  # {"position": n, "of": m} or similar
            value = value.get("position", value.get("rank"))
        return value
    return get


def _quota(row: Mapping, bound: str) -> float | None:
    """Distance to the quota's bound (negative: below it); the document's own figure."""
    quota = row.get("quota")
    if not isinstance(quota, Mapping):
        return None
    for key in (f"to_{bound}", f"{bound}_distance", f"distance_{bound}"):
        if isinstance(quota.get(key), int | float):
            return quota[key]
    return None


def write_xlsx(doc: Mapping, path: Path, lang: str = "zh", site_name: str = "",
               currency: str = "CNY") -> Path:
    """Write the workbook; raises OSError when `path` cannot be written."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    book.remove(book.active)
    period = doc.get("period", "")
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="EEF2F7")
    for level, zh, en in LEVELS:
        rows = rows_of(doc, level)
        if not rows and level not in ("buildings", "total"):
            continue
        sheet = book.create_sheet(zh if lang == "zh" else en)
        cols = columns(rows, level, lang, currency)
        title = " · ".join(p for p in (TITLE[lang], site_name,
                                       f"{text('period', lang)} {period}") if p)
        sheet.cell(1, 1, title).font = Font(bold=True, size=13)
        for c, col in enumerate(cols, start=1):
            cell = sheet.cell(2, c, col.header)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            sheet.column_dimensions[get_column_letter(c)].width = col.width
        for r, row in enumerate(rows, start=3):
            for c, col in enumerate(cols, start=1):
                cell = sheet.cell(r, c, r - 2 if col.value is None else col.value(row))
                if col.number_format:
                    cell.number_format = col.number_format
        sheet.row_dimensions[2].height = 42
        sheet.freeze_panes = "D3" if level != "total" else "B3"
        if rows:
            sheet.auto_filter.ref = f"A2:{get_column_letter(len(cols))}{len(rows) + 2}"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
