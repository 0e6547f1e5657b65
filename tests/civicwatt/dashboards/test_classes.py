"""The overview shows every energy class of the site, each in its own unit, and its per-m²
KPIs sum 综合能耗 over every class's root meters (not electricity alone)."""

from __future__ import annotations

from pathlib import Path

from civicwatt.config import load_site
from civicwatt.dashboards import build_dashboards

CONFIG = Path(__file__).resolve().parents[3] / "config" / "example-site.yaml"


def panels(board: dict) -> dict[str, dict]:
    return {p["title"]: p for p in board["panels"]}


def test_a_panel_per_class_with_its_unit():
    overview = panels(build_dashboards(load_site(CONFIG))["overview"])
    expected = {"电（按日，kWh）": "kwatth", "水（按日，m³）": "suffix: m³",
                "天然气（按日，m³）": "suffix: m³", "集中供热（按日，GJ）": "suffix: GJ"}
    for title, unit in expected.items():
        panel = overview[title]
        assert panel["fieldConfig"]["defaults"]["unit"] == unit
        (target,) = panel["targets"]
        assert 'sum("amount")' in target["query"]
    water = overview["水（按日，m³）"]["targets"][0]["query"]
    assert "b1\\.water" in water and "b1\\.main" not in water
    pie = overview["综合能耗构成（本月，kgce）"]["targets"][0]["query"]
    assert 'GROUP BY "energy"' in pie
    for point in ("b1\\.main", "b1\\.water", "b1\\.heat", "b2\\.gas", "b2\\.main"):
        assert point in pie
    assert "b1\\.f2\\.light" not in pie  # a sub-meter would count twice


def test_kgce_per_m2_counts_every_class_kwh_per_m2_only_electricity():
    overview = panels(build_dashboards(load_site(CONFIG))["overview"])
    kgce = " ".join(t["query"] for t in overview["单位面积能耗 kgce/m²"]["targets"])
    kwh = " ".join(t["query"] for t in overview["单位面积用电 kWh/m²"]["targets"])
    assert "b1\\.heat" in kgce and "b2\\.gas" in kgce and "b1\\.main" in kgce
    assert "b1\\.heat" not in kwh and "b1\\.main" in kwh


def test_an_electricity_only_site_has_no_class_row(tmp_path):
    text = CONFIG.read_text()
    start = text.index("  ## Other energy classes")
    end = text.index("  - {id: b1.outdoor_temp")
    text = text[:start] + text[end:]
    gas = text.index("  - {id: b2.gas,")
    text = text[:gas] + text[text.index("\n\n", gas) + 1:]
    (tmp_path / "site.yaml").write_text(text)
    (tmp_path / "example-points.csv").write_text(
        CONFIG.with_name("example-points.csv").read_text())
    overview = panels(build_dashboards(load_site(tmp_path / "site.yaml"))["overview"])
    assert "电（按日，kWh）" in overview and "水（按日，m³）" not in overview
