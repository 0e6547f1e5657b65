"""The statistics report PDF: CJK text drawn with a CJK font, the trend and one ranking chart per
building type embedded, the quota and target status, and the same in English."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from civicwatt.reports.fonts import font_for
from civicwatt.statistics_outputs.pdf import write
from civicwatt.statistics_outputs.report import StatisticsReport, quota_status, rankings
from civicwatt.statistics_outputs.trend import Trend
from tests.civicwatt.statistics_outputs.sample import doc

MONTHS = [dt.date(2025 if m > 10 else 2026, m, 1) for m in (11, 12, *range(1, 11))]
TREND = Trend(MONTHS, [30000.0 + 1000 * i for i in range(12)],
              [None, None] + [31000.0 + 900 * i for i in range(10)])
TARGETS = [{"metric": "kgce_per_m2", "label": "单位面积能耗", "baseline": 20.0, "value": 17.8,
            "change_pct": -11.0, "target_pct": -5.0, "on_track": True},
           {"metric": "water_m3_per_person", "label": "人均用水", "baseline": 30.0,
            "value": 29.9, "change_pct": -0.3, "target_pct": -6.0, "on_track": False}]


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def images(path) -> list[str]:
    listing = subprocess.run(["pdfimages", "-list", str(path)], check=True,
                             capture_output=True, text=True).stdout.splitlines()[2:]
    return [line for line in listing if line.split()[2] == "image"]


@pytest.fixture(scope="module")
def zh_pdf(tmp_path_factory):
    source = doc()
    source["targets"] = TARGETS
    report = StatisticsReport(source, "市行政中心 City Hall", trend=TREND)
    path = tmp_path_factory.mktemp("zh") / "stats.pdf"
    rendered = write(report, "zh", font_for("zh"), path)
    assert rendered.files == [path]
    return path, rendered


def test_the_pdf_renders_chinese_with_a_cjk_font(zh_pdf):
    path, _ = zh_pdf
    text = "".join(pdf_text(path).split())
    for words in ("月度能源资源消费统计报告", "统计期2026-10", "综合楼Main", "文化教育建筑",
                  "近12个月综合能耗与上年同期", "能耗定额执行情况", "同类型建筑排名"):
        assert words in text, words
    fonts = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True,
                           text=True).stdout
    assert "CJK" in fonts


def test_the_pdf_has_the_trend_and_a_ranking_chart_per_type(zh_pdf):
    path, rendered = zh_pdf
    assert sorted(rendered.images) == ["rank-education", "rank-office", "trend"]
    assert len(images(path)) == 3
    assert all(png.startswith(b"\x89PNG") for png in rendered.images.values())


def test_target_and_quota_status_are_in_the_report(zh_pdf):
    text = "".join(pdf_text(zh_pdf[0]).split())
    assert "达标进度内" in text and "落后于目标进度" in text
    assert "超约束值" in text and "未设定额" in text


def test_without_a_trend_the_report_says_so(tmp_path):
    rendered = write(StatisticsReport(doc(), "Hall"), "en", font_for("en"), tmp_path / "s.pdf",
                     html=tmp_path / "s.html")
    assert "trend" not in rendered.images
    text = pdf_text(tmp_path / "s.pdf")
    assert "Monthly energy statistics report" in text and "No monthly trend" in text
    assert (tmp_path / "s.html").read_text().count("data:image/png;base64,") == 2
    assert "cid:rank-office" in rendered.email_html


def test_quota_status_counts_each_building_once_and_lists_those_above():
    source = doc()
    source["buildings"][1]["quota"]["to_constraint"] = 0.4  # b2 now above its constraint
    source["buildings"][0]["quota"]["to_guide"] = 2.0  # b1 between guide and constraint
    groups, over = quota_status(StatisticsReport(source, "x"), "en")
    office = next(g for g in groups if g.type == "office")
    education = next(g for g in groups if g.type == "education")
    assert (office.n, office.over, office.between, office.ok, office.none) == (2, 1, 1, 0, 0)
    assert (education.n, education.none) == (1, 1)
    assert [b["id"] for b in over] == ["b2"]


def test_rankings_put_the_highest_intensity_first_within_each_type():
    found = {r.type: [b["id"] for b in r.rows] for r in rankings(StatisticsReport(doc(), "x"),
                                                                 "zh")}
    assert found == {"office": ["b2", "b1"], "education": ["s1"]}
