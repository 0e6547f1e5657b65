"""The XLSX statistics table: opens with openpyxl, the header row names every class and
indicator with its unit, and every cell equals the document's number."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from civicwatt.statistics_outputs.columns import BY_KEY
from civicwatt.statistics_outputs.xlsx import write_xlsx
from tests.civicwatt.statistics_outputs.sample import doc

HEADER_ZH = ["序号", "编码", "名称", "所属单位", "建筑类型", "电力 (kWh)", "水 (m³)",
             "天然气 (m³)", "热力 (GJ)", "综合能耗（当量值） (kgce)", "能源费用 (CNY)",
             "二氧化碳排放 (kg)", "单位建筑面积能耗 (kgce/m²)", "人均综合能耗 (kgce/人)",
             "人均用水量 (m³/人)", "估算/手工占比", "同比 电力 (%)", "同比 综合能耗（当量值） (%)",
             "同比 单位建筑面积能耗 (%)", "环比 电力 (%)", "环比 综合能耗（当量值） (%)",
             "环比 单位建筑面积能耗 (%)", "类型内排名", "距约束值 (kgce/m²)", "距引导值 (kgce/m²)"]


def same(value):
    """openpyxl writes floats with 15 significant digits, Excel's own precision."""
    return pytest.approx(value, rel=1e-14, abs=0)


@pytest.fixture
def book(tmp_path):
    path = write_xlsx(doc(), tmp_path / "stats.xlsx", "zh", site_name="市行政中心")
    return load_workbook(path)


def header(sheet) -> list[str]:
    return [c.value for c in sheet[2]]


def test_a_sheet_per_level_and_the_expected_header_row(book):
    assert book.sheetnames == ["建筑", "单位", "建筑类型", "合计"]
    assert header(book["建筑"]) == HEADER_ZH
    assert book["建筑"]["A1"].value == "公共机构能源资源消费统计表 · 市行政中心 · 统计期 2026-10"
    assert header(book["单位"])[:4] == ["序号", "编码", "名称", "电力 (kWh)"]
    assert header(book["合计"])[:2] == ["序号", "电力 (kWh)"]


def test_every_cell_equals_the_document(book):
    source = doc()
    for sheet_name, rows in (("建筑", source["buildings"]), ("单位", source["institutions"]),
                             ("建筑类型", source["types"]), ("合计", [source["total"]])):
        sheet = book[sheet_name]
        names = header(sheet)
        assert sheet.max_row == 2 + len(rows), sheet_name
        for r, row in enumerate(rows, start=3):
            cells = dict(zip(names, (c.value for c in sheet[r]), strict=True))
            for key, value in row.items():
                if key in BY_KEY:
                    assert cells[BY_KEY[key].label("zh")] == same(value), (sheet_name, key)
            for which, label in (("yoy_pct", "同比"), ("mom_pct", "环比")):
                for key, pct in row[which].items():
                    assert cells[f"{label} {BY_KEY[key].zh} (%)"] == pct, (sheet_name, which)
            assert cells["估算/手工占比"] == row["estimated_share"]


def test_missing_comparisons_are_empty_cells_not_zero(book):
    sheet = book["建筑"]
    names = header(sheet)
    b2 = dict(zip(names, (c.value for c in sheet[4]), strict=True))
    assert b2["编码"] == "b2"
    assert b2["同比 电力 (%)"] is None and b2["环比 电力 (%)"] == 1.5


def test_english_headers_type_names_and_rank(tmp_path):
    book = load_workbook(write_xlsx(doc(), tmp_path / "en.xlsx", "en", currency="EUR"))
    sheet = book["Buildings"]
    names = header(sheet)
    assert "Electricity (kWh)" in names and "Energy cost (EUR)" in names
    assert "YoY Total energy (equivalent) (%)" in names
    school = dict(zip(names, (c.value for c in sheet[5]), strict=True))
    assert school["Type"] == "Education" and school["Rank in type"] == 1
    assert school["To constraint (kgce/m²)"] is None  # no quota configured
    assert [c.value for c in book["Building types"]["C"][2:]] == ["Office", "Education"]


def test_a_document_with_only_the_contract_levels(tmp_path):
    """Buildings and total are the contract; missing institution/type levels leave no sheet."""
    source = doc()
    del source["institutions"], source["types"]
    book = load_workbook(write_xlsx(source, tmp_path / "min.xlsx", "zh"))
    assert book.sheetnames == ["建筑", "合计"]
