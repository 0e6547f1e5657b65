"""Which codes a building sends for an hour and what each is worth (pure), and the plan
that maps site purposes to the platform's table."""

from __future__ import annotations

import textwrap

import pytest

from civicwatt.config import load_site
from civicwatt.config.purposes import Purpose, PurposeTree
from civicwatt.platform.items import hour_items
from civicwatt.platform.messages import format_value
from civicwatt.platform.plan import BuildingPlan, parent_code, plan_buildings, platform_code
from civicwatt.platform.profiles import PROFILES
from civicwatt.platform.units import CANONICAL

GB = PROFILES["gb-2008"]
ONE = dict.fromkeys(CANONICAL, 1.0)


def building(members: dict[str, tuple[str, str | None]], roots: tuple[str, ...],
             factors=ONE, code_of=None) -> BuildingPlan:
    """members: point → (purpose, parent)."""
    purposes = {p: purpose for p, (purpose, _) in members.items()}
    return BuildingPlan("b1", "110101A001", tuple(members),
                        {p: parent for p, (_, parent) in members.items()}, roots, purposes,
                        tuple(members), code_of or {c: c for c in purposes.values()}, factors)


def test_sub_items_take_their_own_share_and_roll_up_to_level_one_and_the_class():
    plan = building({"main": ("01000", None), "light": ("01A10", "main"),
                     "corridor": ("01A20", "main"), "chiller": ("01B10", "main"),
                     "chiller.c1": ("01B11", "chiller")}, ("main",))
    values = {"main": 100.0, "light": 20.0, "corridor": 5.0, "chiller": 40.0, "chiller.c1": 15.0}
    items = hour_items(plan, values, {}, format_value)
    assert items == {"01000": "100", "01A00": "25", "01A10": "20", "01A20": "5",
                     "01B00": "40", "01B10": "40", "01B11": "15"}
    assert list(items) == sorted(items)


def test_the_class_total_is_the_sum_of_the_root_meters_like_the_report():
    """Two main meters; a sub-meter reading more than the rest of its parent would be
    double counted by a plain sum of all meters (220), not by the roots (150)."""
    plan = building({"a": ("01000", None), "b": ("01000", None), "a.it": ("01D10", "a")},
                    ("a", "b"))
    items = hour_items(plan, {"a": 100.0, "b": 50.0, "a.it": 70.0}, {}, format_value)
    assert items["01000"] == "150"
    assert items["01D00"] == items["01D10"] == "70"


def test_no_class_total_when_no_root_meter_reported_the_hour():
    plan = building({"main": ("01000", None), "light": ("01A10", "main")}, ("main",))
    assert hour_items(plan, {"light": 3.0}, {}, format_value) == {"01A00": "3", "01A10": "3"}


def test_each_class_gets_its_total_in_the_platforms_unit():
    factors = {**ONE, "04000": 1e3 / 3.6}  # heat stored in GJ, the platform wants kWh
    plan = building({"main": ("01000", None), "heat": ("04000", None), "water": ("02000", None)},
                    ("main", "heat", "water"), factors)
    items = hour_items(plan, {"main": 10.0, "heat": 0.36, "water": 2.5}, {}, format_value)
    assert items == {"01000": "10", "02000": "2.5", "04000": "100"}


def test_the_stored_purpose_wins_like_in_the_report():
    plan = building({"main": ("01000", None), "x": ("01A10", "main")}, ("main",),
                    code_of={"01000": "01000", "01A10": "01A10", "01C10": "01C10"})
    items = hour_items(plan, {"main": 9.0, "x": 4.0}, {"x": "01C10"}, format_value)
    assert items["01C10"] == "4" and "01A10" not in items


def test_site_codes_become_platform_codes():
    tree = PurposeTree((Purpose(code="01A11", zh="办公照明", en="office lighting", parent="01A10"),
                        Purpose(code="02A00", zh="厨房用水", en="kitchen water", parent="02000"),
                        Purpose(code="07000", zh="煤", en="coal", parent=None)))
    assert platform_code("01A10", GB, tree, {}) == "01A10"
    assert platform_code("01A11", GB, tree, {}) == "01A11"  # level 3 under a known level 2
    assert platform_code("02A00", GB, tree, {}) == "02000"  # nearest ancestor in the table
    assert platform_code("02A00", GB, tree, {"02A00": "02000"}) == "02000"
    assert platform_code("07000", GB, tree, {}) is None
    assert platform_code("07000", GB, tree, {"07000": "06000"}) == "06000"


@pytest.mark.parametrize(("code", "parent"), [
    ("01B21", "01B20"), ("01B20", "01B00"), ("01B00", "01000"), ("01000", None),
    ("02A00", "02000")])
def test_codes_roll_up_by_their_layout(code, parent):
    assert parent_code(code) == parent


def test_plan_follows_the_reports_meter_tree(tmp_path, monkeypatch):
    monkeypatch.setenv("PLATFORM_KEY", "0123456789ABCDEF")
    path = tmp_path / "site.yaml"
    path.write_text(textwrap.dedent("""\
        version: 1
        site: {id: s, name: S, timezone: Asia/Shanghai}
        buildings:
          - {id: b1, floor_area_m2: 1000, occupants: 10}
          - {id: b2, floor_area_m2: 1000, occupants: 10}
        metering: {tariff: beijing-general-ic-single-part-under-1kv, power_points: [b1.kw]}
        points:
          - {id: b1.main, building: b1, purpose: "01000", quantity: energy, unit: kWh}
          - {id: b1.light, building: b1, purpose: 01A10, quantity: energy, unit: kWh,
             parent: b1.main}
          - {id: b1.kw, building: b1, purpose: 01C10, quantity: power, unit: kW,
             parent: b1.main}
          - {id: b1.main.kw, building: b1, purpose: "01000", quantity: power, unit: kW}
          - {id: b2.main, building: b2, purpose: "01000", quantity: energy, unit: kWh}
        platform:
          host: 127.0.0.1
          port: 9100
          auth_key: ${PLATFORM_KEY}
          units: {"01000": MWh}
          buildings: {b1: 110101A001}
        """))
    site = load_site(path)
    [plan] = plan_buildings(site, site.platform, GB)
    assert (plan.building, plan.platform_id) == ("b1", "110101A001")
    assert set(plan.members) == {"b1.main", "b1.light", "b1.kw"}  # b1.main.kw duplicates main
    assert plan.roots == ("b1.main",)
    assert set(plan.required) == {"b1.main", "b1.light", "b1.kw"}
    assert plan.factors["01000"] == 1e-3 and plan.factors["04000"] == 1.0
