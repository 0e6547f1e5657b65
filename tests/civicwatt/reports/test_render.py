"""Rendering: Chinese that really renders (HTML headings, the PDF's first page), A4 pages with
the site and date on each, CSV tables, and a clear error when no CJK font exists."""

from __future__ import annotations

import csv
import subprocess

import numpy as np
import pytest

from civicwatt.reports.fonts import FontError, font_for
from tests.civicwatt.reports import known_week as kw

ZH_HEADINGS = ("能源日报", "概览", "逐时负荷曲线", "各建筑", "分时段电量与电费", "分项能耗",
               "区域能耗", "单位面积与人均指标", "次日预测", "异常", "数据完整性")


def files(rendered, suffix):
    return [p for p in rendered.files if p.name.endswith(suffix)]


def test_zh_html_has_the_chinese_headings_and_inline_charts(rendered_zh):
    html = files(rendered_zh, ".zh.html")[0].read_text(encoding="utf-8")
    for heading in ZH_HEADINGS:
        assert heading in html, heading
    assert "2026年11月25日 星期三" in html and "工作日" in html
    assert html.count('src="data:image/png;base64,') == 3  # site + two buildings
    assert "http://" not in html and "https://" not in html  # self-contained


def _pgm(path):
    data = path.read_bytes()
    parts = data.split(maxsplit=4)  # P5 width height maxval pixels
    width, height = int(parts[1]), int(parts[2])
    return np.frombuffer(parts[4][: width * height], np.uint8).reshape(height, width)


def test_pdf_first_page_shows_the_cjk_title(rendered_zh, tmp_path):
    pdf = files(rendered_zh, ".zh.pdf")[0]
    subprocess.run(["pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-gray", str(pdf),
                    str(tmp_path / "page")], check=True)
    page = _pgm(next(tmp_path.glob("page*.pgm")))
    height, width = page.shape
    assert abs(width / height - 210 / 297) < 0.01  # A4 portrait
    title = page[int(0.06 * height):int(0.12 * height), int(0.05 * width):int(0.40 * width)]
    dark = (title < 128).mean()
    assert dark > 0.03, f"the title region is blank ({dark:.1%} dark pixels)"
    text = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout
    assert "能源日报" in text and "市行政中心" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True,
                           text=True).stdout
    assert "CJK" in fonts  # the glyphs come from a CJK font, not a fallback box


def test_every_pdf_page_has_site_date_and_page_number(rendered_zh):
    pdf = files(rendered_zh, ".zh.pdf")[0]
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()
        if line.startswith("Pages:")))
    assert pages >= 3
    for page in range(1, pages + 1):
        text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                              check=True, capture_output=True, text=True).stdout
        assert "市行政中心 City Hall" in text and "2026-11-25" in text, page
        assert f"第{page}页/共{pages}页" in "".join(text.split()), page  # no CJK spaces


def test_csv_tables_carry_the_numbers(rendered_zh):
    (summary,) = files(rendered_zh, "-summary.zh.csv")
    with summary.open(encoding="utf-8-sig") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle)}
    want = kw.expected(("b1.main", "b2.main"), kw.DAY)
    assert float(rows["hq"]["kwh"]) == round(want.kwh, 3)
    assert float(rows["hq"]["cost"]) == round(want.cost, 2)
    assert set(rows) == {"hq", "b1", "b2"}
    names = {p.name.removeprefix("hq-2026-11-25-") for p in rendered_zh.files}
    assert {f"{table}.zh.csv" for table in ("tou", "purposes", "zones", "hourly", "next_day",
                                            "targets", "anomalies", "completeness")} <= names
    (anomalies,) = files(rendered_zh, "-anomalies.zh.csv")
    text = anomalies.read_text(encoding="utf-8-sig")
    assert "b2.main" in text and "总分表不平衡" in text


def test_zh_without_a_cjk_font_fails_clearly():
    with pytest.raises(FontError, match="fonts-noto-cjk"):
        font_for("zh", available=["DejaVu Sans"])
    assert font_for("en", available=["DejaVu Sans"]) is None  # English still works
    with pytest.raises(FontError, match="'Nope Sans' is not installed"):
        font_for("en", preferred="Nope Sans", available=["DejaVu Sans"])
    assert font_for("zh", available=["DejaVu Sans", "Noto Sans CJK SC"]) == "Noto Sans CJK SC"
