"""`civicwatt statistics --xlsx/--pdf`: the files carry the JSON's numbers; a path that cannot
be written or a missing font is one clean error that names it."""

from __future__ import annotations

import json
import subprocess

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from civicwatt.cli import app
from store import open_store
from tests.civicwatt.statistics.site import fill, write_site


def civicwatt(*args: str):
    return CliRunner().invoke(app, list(args))


def test_xlsx_and_pdf_carry_the_json_numbers(config, tmp_path):
    xlsx, pdf = tmp_path / "out" / "oct.xlsx", tmp_path / "out" / "oct.pdf"
    done = civicwatt("statistics", "--config", config, "--period", "2026-10", "--xlsx",
                     str(xlsx), "--pdf", str(pdf), "--lang", "zh", "--json")
    assert done.exit_code == 0, done.output
    doc = json.loads(done.stdout)
    site = load_workbook(xlsx)["合计"]
    names = [c.value for c in site[2]]
    total = dict(zip(names, (c.value for c in site[3]), strict=True))
    assert total["综合能耗（当量值） (kgce)"] == pytest.approx(doc["total"]["kgce"], rel=1e-14)
    assert total["同比 电力 (%)"] == pytest.approx(doc["total"]["yoy_pct"]["electricity_kwh"])
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "月度能源资源消费统计报告" in "".join(text.split())
    assert f"{doc['total']['kgce']:,.0f}" in text


def test_files_alone_print_no_table(config, tmp_path):
    done = civicwatt("statistics", "--config", config, "--period", "2026-Q3", "--xlsx",
                     str(tmp_path / "q3.xlsx"))
    assert done.exit_code == 0, done.output
    assert (tmp_path / "q3.xlsx").stat().st_size > 0
    assert "written:" in done.output and "Office one" not in done.output


def test_an_unwritable_path_is_one_clean_error(config, tmp_path):
    (tmp_path / "taken").mkdir()
    done = civicwatt("statistics", "--config", config, "--period", "2026-10", "--xlsx",
                     str(tmp_path / "taken"))
    assert done.exit_code == 1
    assert "cannot write" in done.output and "taken" in done.output
    assert "Traceback" not in done.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]  # no half-written file


def test_a_missing_font_is_named(tmp_path):
    site = write_site(tmp_path / "site", extra={"report": {"font": "No Such Sans"}})
    target = open_store(site.store.url, site.base_dir)
    try:
        fill(target)
    finally:
        target.close()
    done = civicwatt("statistics", "--config", str(site.base_dir / "site.yaml"), "--period",
                     "2026-10", "--pdf", str(tmp_path / "x.pdf"))
    assert done.exit_code == 1
    assert "report.font" in done.output and "No Such Sans" in done.output
    assert "Traceback" not in done.output and not (tmp_path / "x.pdf").exists()
