"""The XLSX statistics table: opens with openpyxl, the header row names every class and
indicator with its unit, and every cell equals the JSON document's number."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from civicwatt.statistics_outputs.columns import BY_KEY, CONTRACT
from civicwatt.statistics_outputs.xlsx import write_xlsx

HEADER_START = ["序号", "编码", "名称", "所属单位", "建筑类型", "类型代码", "建筑面积 (m²)",
                "用能人数 (人)", "电力 (kWh)", "水 (m³)", "天然气 (m³)", "热力 (GJ)",
                "综合能耗（当量值） (kgce)", "能源费用 (CNY)", "二氧化碳排放 (kg)",
                "单位建筑面积能耗 (kgce/m²)", "人均综合能耗 (kgce/person)"]
LEVELS = (("建筑", "buildings"), ("单位", "institutions"), ("建筑类型", "types"),
          ("合计", "total"))


def same(value):
    """openpyxl writes floats with 15 significant digits, Excel's own precision."""
    return value if value is None else pytest.approx(value, rel=1e-14, abs=0)


def header(sheet) -> list[str]:
    return [c.value for c in sheet[2]]


def records(sheet) -> list[dict]:
    names = header(sheet)
    return [dict(zip(names, (c.value for c in row), strict=True))
            for row in sheet.iter_rows(min_row=3)]


@pytest.fixture
def book(month_doc, tmp_path):
    return load_workbook(write_xlsx(month_doc, tmp_path / "stats.xlsx", "zh",
                                    site_name="测试管理局"))


def test_a_sheet_per_level_and_the_expected_header_row(book):
    assert book.sheetnames == ["建筑", "单位", "建筑类型", "合计"]
    names = header(book["建筑"])
    assert names[:len(HEADER_START)] == HEADER_START
    for key in CONTRACT:
        assert f"同比 {BY_KEY[key].zh} (%)" in names and f"环比 {BY_KEY[key].zh} (%)" in names
    assert "柴油 (kg)" not in names  # no building burns diesel: no empty fuel columns
    assert {"估算占比", "类型内排名（1 = 最低）",
            "单位建筑面积能耗距约束值 (kgce/m²)"} <= set(names)
    assert book["建筑"]["A1"].value == "公共机构能源资源消费统计表 · 测试管理局 · 统计期 2026-10"
    assert header(book["单位"])[:4] == ["序号", "编码", "名称", "建筑数"]
    assert header(book["合计"])[:2] == ["序号", "建筑数"]


def test_every_cell_equals_the_document(book, month_doc):
    checked = 0
    for sheet_name, level in LEVELS:
        rows = month_doc[level] if level != "total" else [month_doc[level]]
        found = records(book[sheet_name])
        assert len(found) == len(rows), sheet_name
        for cells, row in zip(found, rows, strict=True):
            for key, indicator in BY_KEY.items():
                label = indicator.label("zh")
                if label in cells:
                    assert cells[label] == same(row[key]), (sheet_name, key)
                    checked += 1
                for which, word in (("yoy_pct", "同比"), ("mom_pct", "环比")):
                    column = f"{word} {indicator.zh} (%)"
                    if column in cells:
                        assert cells[column] == same(row[which][key]), (sheet_name, column)
                        checked += 1
            assert cells["估算占比"] == same(row["estimated_share"])
            assert cells["同比增减 综合能耗（当量值） (kgce)"] == same(row["yoy"]["kgce"])
    assert checked > 200


def test_buildings_rank_quota_and_a_missing_previous_year(book, month_doc):
    rows = {r["编码"]: r for r in records(book["建筑"])}
    b1, b3 = rows["b1"], rows["b3"]
    quota = month_doc["buildings"][0]["quota"]["kgce_per_m2"]
    assert b1["类型内排名（1 = 最低）"] == 1 and b1["同类建筑数"] == 2
    assert b1["单位建筑面积能耗距约束值 (kgce/m²)"] == same(quota["to_constraint"])
    assert b1["单位建筑面积能耗定额状态"] == "不高于引导值"
    assert b3["建筑类型"] == "文化教育建筑"
    assert b3["同比 电力 (%)"] is None  # no data a year earlier: empty, never 0
    assert b3["环比 电力 (%)"] == same(month_doc["buildings"][2]["mom_pct"]["electricity_kwh"])


def test_english_headers_and_currency(month_doc, tmp_path):
    doc = dict(month_doc, currency="EUR")
    book = load_workbook(write_xlsx(doc, tmp_path / "en.xlsx", "en"))
    assert book.sheetnames == ["Buildings", "Institutions", "Building types", "Site"]
    names = header(book["Buildings"])
    assert "Electricity (kWh)" in names and "Energy cost (EUR)" in names
    assert "YoY Total energy (equivalent) (%)" in names


def test_a_document_with_only_the_contract_levels(month_doc, tmp_path):
    """Buildings and total are the contract; without institution/type levels, no sheet."""
    doc = {k: v for k, v in month_doc.items() if k not in ("institutions", "types")}
    book = load_workbook(write_xlsx(doc, tmp_path / "min.xlsx", "zh"))
    assert book.sheetnames == ["建筑", "合计"]
