"""The dashboards and the daily report sum the same meters: one tree, `civicwatt.config.meters`."""

from __future__ import annotations

from pathlib import Path

from civicwatt.config import load_site
from civicwatt.config.meters import meter_tree
from civicwatt.dashboards.context import SiteContext

ROOT = Path(__file__).resolve().parents[3]

SITE = """\
version: 1
site: {id: s, name: S, timezone: Asia/Shanghai}
buildings:
  - {id: b1, floor_area_m2: 100, occupants: 1}
  - {id: b2, floor_area_m2: 100, occupants: 1}
points:
  - {id: b1.main, building: b1, purpose: "01000", quantity: energy, unit: kWh}
  - {id: b1.light, building: b1, purpose: 01A10, quantity: energy, unit: kWh, parent: b1.main}
  - {id: b1.hvac.kw, building: b1, purpose: 01B00, quantity: power, unit: kW, parent: b1.main}
  - {id: b2.kw, building: b2, purpose: "01000", quantity: power, unit: kW}
"""


def test_building_totals_and_breakdowns_use_the_reports_meters(tmp_path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text(SITE)
    config = load_site(path)
    tree, ctx = meter_tree(config), SiteContext(config)
    # b2 is metered by a power meter only, b1's HVAC by a power sub-meter: the report counts
    # both, so the dashboards' totals and breakdowns must too
    assert {b.id: b.roots for b in ctx.buildings} == {"b1": ("b1.main",), "b2": ("b2.kw",)}
    assert set(ctx.leaves) == {"b1.light", "b1.hvac.kw", "b2.kw"} == set(tree.leaves)
    assert ctx.children == {"b1.main": ("b1.light", "b1.hvac.kw")}


def test_the_example_sites_point_sets_agree() -> None:
    config = load_site(ROOT / "config" / "example-site.yaml")
    tree, ctx = meter_tree(config), SiteContext(config)
    assert ctx.roots == tuple(p for b in config.buildings for p in tree.roots[b.id])
    assert set(ctx.leaves) == set(tree.leaves)
