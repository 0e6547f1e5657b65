"""The Excel template energy officers fill in: a readings sheet, a bills sheet, the site's
manual points (with a drop-down on the point column) and instructions in the site's language."""

from __future__ import annotations

from pathlib import Path

from civicwatt.config import Point, SiteConfig
from civicwatt.readings.sheets import BILL_COLUMNS, READING_COLUMNS
from rules.energy import METERED, class_of

SHEETS = {"zh": ("读数 readings", "账单 bills", "计量点 points", "说明 instructions"),
          "en": ("readings", "bills", "points", "instructions")}
_HELP = {
    "zh": [
        "手工读数与账单补录模板（civicwatt readings import 文件名 --config 站点.yaml --user 姓名 "
        "--reason 原因）",
        "读数表：point 计量点编号，timestamp 抄表时间（ISO 8601，如 2026-10-31T08:00+08:00；"
        "不带时区时按站点时区 {tz} 解读），value 表计累计读数（单位见计量点表），note 备注。",
        "表计清零或更换：在 note 中写 reset，否则读数回退会被拒绝。",
        "账单表：point，from 起始日期，to 截止日期（含当日），amount 用量，cost 账单金额（可选，"
        "将覆盖按电价计算的费用），note 备注。",
        "同一计量点同一时间再次导入不同数值即为更正：旧值保留并标记为 superseded。",
        "导入前会检查所有行；任何一行有误则整份文件不导入，并列出工作表和行号。",
    ],
    "en": [
        "Manual readings and bills (civicwatt readings import FILE --config SITE.yaml --user NAME "
        "--reason TEXT)",
        "readings sheet: point id, timestamp of the reading (ISO 8601, e.g. "
        "2026-10-31T08:00+08:00; without an offset it is read in the site's timezone {tz}), "
        "value = the meter's cumulative reading (unit: see the points sheet), note.",
        "A meter reset or replaced: write reset in the note, else a reading that goes backwards "
        "is refused.",
        "bills sheet: point, from (first day), to (last day, inclusive), amount, cost (optional; "
        "overrides the cost computed from prices), note.",
        "Importing another value for the same point and time corrects it: the old value stays, "
        "marked superseded.",
        "Every row is checked first; if any row is wrong nothing is imported and every problem "
        "is listed with its sheet and row.",
    ],
}


def manual_points(site: SiteConfig, wanted: list[str] | None = None) -> list[Point]:
    """The points a template lists: those asked for, else the `manual:` points, else every
    counter of an energy class."""
    if wanted:
        return [site.point_by_id(p) for p in wanted]
    manual = [p for p in site.points if p.manual is not None]
    return manual or [p for p in site.points if p.quantity in METERED]


def write_template(site: SiteConfig, out: Path, points: list[Point]) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet.datavalidation import DataValidation

    lang = site.site.language
    names = SHEETS[lang]
    book = Workbook()
    readings = book.active
    readings.title = names[0]
    readings.append(list(READING_COLUMNS))
    bills = book.create_sheet(names[1])
    bills.append(list(BILL_COLUMNS))
    listing = book.create_sheet(names[2])
    listing.append(["point", "name", "building", "class" if lang == "en" else "能源类别",
                    "unit"])
    for p in points:
        energy = class_of(p.quantity)
        listing.append([p.id, p.name, p.building, energy.name_in(lang) if energy else "",
                        p.unit])
    help_sheet = book.create_sheet(names[3])
    for line in _HELP[lang]:
        help_sheet.append([line.format(tz=site.site.timezone)])
    help_sheet.column_dimensions["A"].width = 120
    if points:
        ref = f"'{names[2]}'!$A$2:$A${len(points) + 1}"
        for sheet in (readings, bills):
            check = DataValidation(type="list", formula1=ref, allow_blank=True,
                                   showErrorMessage=True, error="point id: see the points sheet",
                                   errorTitle="point")
            sheet.add_data_validation(check)
            check.add("A2:A5000")
    for sheet in (readings, bills, listing):
        for column in "ABCDEF":
            sheet.column_dimensions[column].width = 24
        sheet.freeze_panes = "A2"
    out.parent.mkdir(parents=True, exist_ok=True)
    book.save(out)
