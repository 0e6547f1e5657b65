"""The statistics report PDF, from the core's document: CJK text drawn with a CJK font, the
trend and one ranking chart per building type embedded, the quota and target status, and the
same in English."""

from __future__ import annotations

import subprocess

import pytest

from civicwatt.reports.fonts import font_for
from civicwatt.statistics_outputs.pdf import write
from civicwatt.statistics_outputs.report import StatisticsReport, quota_status, rankings
from civicwatt.statistics_outputs.trend import monthly_trend


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def images(path) -> list[str]:
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    return [line for line in listing if line.split()[2] == "image"]


@pytest.fixture(scope="module")
def zh_pdf(portfolio, month_doc, tmp_path_factory):
    site, target = portfolio
    report = StatisticsReport(month_doc, "测试管理局 Test bureau",
                              trend=monthly_trend(site, target, "2026-10"))
    path = tmp_path_factory.mktemp("zh") / "stats.pdf"
    rendered = write(report, "zh", font_for("zh"), path)
    assert rendered.files == [path]
    return path, rendered


def test_the_pdf_renders_chinese_with_a_cjk_font(zh_pdf):
    path, _ = zh_pdf
    text = "".join(pdf_text(path).split())
    for words in ("月度能源资源消费统计报告", "统计期2026-10", "测试管理局", "办公建筑",
                  "文化教育建筑", "近12个月综合能耗与上年同期", "能耗定额执行情况",
                  "同类型建筑排名", "节能目标（五年规划）进度", "OfficeoneFinancebureau"):
        assert words in text, words
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout
    assert "CJK" in fonts


def test_the_pdf_has_the_trend_and_a_ranking_chart_per_type(zh_pdf):
    path, rendered = zh_pdf
    assert sorted(rendered.images) == ["rank-education", "rank-office", "trend"]
    assert len(images(path)) == 3
    assert all(png.startswith(b"\x89PNG") for png in rendered.images.values())


def test_quota_and_target_status_are_in_the_report(zh_pdf):
    text = "".join(pdf_text(zh_pdf[0]).split())
    assert "符合定额" in text and "未设定额" in text
    assert "十四五公共机构节约能源资源工作规划" in text and "无基准年数据" in text


def test_without_a_trend_the_report_says_so_in_english(month_doc, tmp_path):
    rendered = write(StatisticsReport(month_doc, "Hall"), "en", font_for("en"),
                     tmp_path / "s.pdf", html=tmp_path / "s.html")
    assert "trend" not in rendered.images
    text = pdf_text(tmp_path / "s.pdf")
    assert "Monthly energy statistics report" in text and "No monthly trend" in text
    assert (tmp_path / "s.html").read_text().count("data:image/png;base64,") == 2
    assert "cid:rank-office" in rendered.email_html


def test_quota_status_counts_each_building_once_and_lists_those_above(doc):
    b1, b2, b3 = doc["buildings"]
    b2["quota"]["kgce_per_m2"] |= {"status": "above_constraint", "to_constraint_pct": 3.0}
    b1["quota"]["kgce_per_m2"]["status"] = "above_guide"
    groups, over = quota_status(StatisticsReport(doc, "x"), "en")
    office = next(g for g in groups if g.type == "office")
    education = next(g for g in groups if g.type == "education")
    assert (office.n, office.over, office.between, office.ok, office.none) == (2, 1, 1, 0, 0)
    assert (education.n, education.none) == (1, 1)
    assert [b["id"] for b in over] == ["b2"]


def test_rankings_put_the_highest_intensity_first_within_each_type(month_doc):
    found = {r.type: [b["id"] for b in r.rows]
             for r in rankings(StatisticsReport(month_doc, "x"), "zh")}
    by_id = {b["id"]: b for b in month_doc["buildings"]}
    office = sorted(("b1", "b2"), key=lambda i: -by_id[i]["kgce_per_m2"])
    assert found == {"office": office, "education": ["b3"]}
    assert by_id[office[-1]]["rank_in_type"] == 1  # the core ranks the lowest first
