"""check-config on points of every energy class: units per class, purposes under the class's
code, max_rate, prices and factors in `metering:` — each problem named, all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from civicwatt.config import ConfigError, load_site

SITE = """\
version: 1
site: {id: hq, name: HQ, timezone: Asia/Shanghai}
buildings:
  - {id: b1, floor_area_m2: 2000, heated_area_m2: 1500, occupants: 10}
purposes:
  - {code: 02A10, zh: 厨房, en: Kitchen, parent: "02000"}
points:
  - {id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh, max_kw: 400}
  - {id: water, building: b1, purpose: "02000", quantity: water, unit: m³, max_rate: 20}
  - {id: kitchen, building: b1, purpose: 02A10, quantity: water, unit: t, parent: water}
  - {id: gas, building: b1, purpose: "03000", quantity: gas, unit: m3}
  - {id: heat, building: b1, purpose: "04000", quantity: heat, unit: GJ}
  - {id: chill, building: b1, purpose: "05000", quantity: cooling, unit: GJ}
  - {id: genset, building: b1, purpose: "06000", quantity: diesel, unit: kg}
  - {id: roof, building: b1, quantity: pv, unit: kWh}
metering:
  tariff: beijing-general-ic-single-part-under-1kv
  prices:
    water: {price: 7.15, unit: m3}
    heat: {per_m2_season: 45}
    diesel: {price: 7.9, unit: L}
  virtual_meters:
    - {id: water.rest, formula: "water - sum(children)", building: b1, purpose: "02000"}
"""


def load(tmp_path: Path, *edits: tuple[str, str]):
    text = SITE
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    (tmp_path / "site.yaml").write_text(text)
    return load_site(tmp_path / "site.yaml")


def problems(tmp_path: Path, *edits: tuple[str, str]) -> str:
    with pytest.raises(ConfigError) as error:
        load(tmp_path, *edits)
    return "\n".join(str(p) for p in error.value.problems)


def test_a_site_with_every_class_is_valid(tmp_path):
    site = load(tmp_path)
    assert [p.quantity for p in site.points] == ["energy", "water", "water", "gas", "heat",
                                                 "cooling", "diesel", "pv"]
    assert site.building("b1").heated_area_m2 == 1500
    assert site.point_by_id("water").rate_limit == 20 and site.point_by_id("main").rate_limit == 400


@pytest.mark.parametrize(("edit", "expected"), [
    (("quantity: heat, unit: GJ", "quantity: heat, unit: MJ"),
     "unit = 'MJ' — heat is stored in GJ; for a meter counting MJ set the binding's `scale` "
     "to 0.001"),
    (("quantity: water, unit: m³", "quantity: water, unit: kWh"),
     "unit = 'kWh' — water is stored in m3 (meters counting m3, t, L convert"),
    (("quantity: diesel, unit: kg", "quantity: diesel, unit: L"),
     "unit = 'L' — diesel is stored in kg; for a meter counting litres set the binding's "
     "`scale` to the fuel's density"),
    (("purpose: \"03000\", quantity: gas", "purpose: 01A10, quantity: gas"),
     "purpose = '01A10' — a code under 03000 (natural gas): a gas point cannot count as "
     "room lighting & sockets"),
    (("purpose: 02A10, quantity: water", "purpose: 02B10, quantity: water"),
     "purpose = '02B10' — a sub-item code such as 02000"),
    (("quantity: water, unit: m³, max_rate: 20", "quantity: water, unit: m³, max_kw: 20"),
     "max_kw is for electricity; a water counter takes max_rate"),
    (("unit: kWh, max_kw: 400", "unit: kWh, max_kw: 400, max_rate: 400"),
     "give max_kw or max_rate, not both"),
    (("    water: {price: 7.15, unit: m3}", "    water: {price: 7.15, unit: kg}"),
     "metering.prices.water.unit = 'kg' — 'kg' is not a unit of water; use m3, t, L"),
    (("    water: {price: 7.15, unit: m3}", "    steam: {price: 7.15}"),
     "metering.prices.steam = 'steam' — a class other than electricity"),
    (("    water: {price: 7.15, unit: m3}", "    water: {unit: m3}"),
     "give `price` (with `unit`), `tiers` or `per_m2_season`"),
    (("formula: \"water - sum(children)\"", "formula: \"water - main\""),
     "points of one energy class (this mixes electricity, water)"),
    (("  virtual_meters:", "  factors: mine.yaml\n  virtual_meters:"),
     "metering.factors = 'mine.yaml' — factors"),
])
def test_class_mistakes_are_named(tmp_path, edit, expected):
    found = problems(tmp_path, edit)
    assert expected in " ".join(found.split()), found


def test_a_bad_factors_file_is_named_with_its_problem(tmp_path):
    (tmp_path / "mine.yaml").write_text("gas: {kgce: {value: 1.1, unit: kgce/kWh}}\n")
    found = problems(tmp_path, ("  virtual_meters:", "  factors: mine.yaml\n  virtual_meters:"))
    assert "gas.kgce.unit: 'kgce/kWh': 'kWh' is not a unit of gas" in found
