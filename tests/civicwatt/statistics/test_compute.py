"""The statistics core on the three-building portfolio: periods add up from their days, 同比 and
环比 on hand-made figures (with a missing previous year), quota distance, ranks, the JSON
contract."""

from __future__ import annotations

import datetime as dt

import pytest

from civicwatt.statistics import Period, compute
from civicwatt.statistics.compute import ADDITIVE, INTENSITIES
from tests.civicwatt.statistics.site import KGCE, METERS

LEVELS = ("buildings", "institutions", "types")
SUMMED = tuple(f for f in (*ADDITIVE, *INTENSITIES) if f != "kgce_equal_value")


def rows(doc: dict) -> dict[tuple[str, str], dict]:
    found = {(level, r["id"]): r for level in LEVELS for r in doc[level]}
    return found | {("total", ""): doc["total"]}


def assert_sum_of(whole: dict, parts: list[dict]) -> None:
    """Every additive field and intensity of `whole` is the sum of the parts' (areas and
    occupants do not change within a period); the estimated share is kgce-weighted."""
    mine, theirs = rows(whole), [rows(p) for p in parts]
    assert mine.keys() == theirs[0].keys()
    for key, row in mine.items():
        for name in SUMMED:
            values = [t[key][name] for t in theirs]
            if row[name] is None:
                assert all(v is None for v in values), (key, name)
                continue
            assert row[name] == pytest.approx(sum(values), rel=1e-9, abs=1e-5), (key, name)
        kgce = [t[key]["kgce"] for t in theirs]
        if not sum(kgce):
            assert row["estimated_share"] is None
            continue
        estimated = sum((t[key]["estimated_share"] or 0.0) * k
                        for t, k in zip(theirs, kgce, strict=True))
        assert row["estimated_share"] == pytest.approx(estimated / sum(kgce), abs=1e-9)


def test_a_month_is_the_sum_of_its_days_for_every_field(either):
    site, store = either
    month = compute(site, store, "2026-10", compare=False).to_json()
    days = [compute(site, store, Period.day(dt.date(2026, 10, d)), compare=False).to_json()
            for d in range(1, 32)]
    assert month["total"]["electricity_kwh"] == pytest.approx(
        31 * sum(r for p, (b, q, parent, r) in METERS.items() if q == "energy" and not parent))
    assert_sum_of(month, days)


def test_a_quarter_and_a_year_are_the_sums_of_their_months(portfolio):
    site, store = portfolio
    for text in ("2026-Q3", "2026"):
        period = Period.parse(text)
        whole = compute(site, store, period, compare=False).to_json()
        assert_sum_of(whole, [compute(site, store, m, compare=False).to_json()
                              for m in period.months()])


def test_yoy_and_mom_on_hand_made_figures_with_a_missing_previous_year(portfolio):
    site, store = portfolio
    doc = compute(site, store, "2026-10").to_json()
    b1, b2, b3 = doc["buildings"]
    assert (doc["previous_period"], doc["last_year_period"]) == ("2026-09", "2025-10")
    # b1.main meters 1000 kWh a day × 1.0 (2026-10), 0.8 (2026-09), 0.5 (2025-10)
    assert b1["electricity_kwh"] == 31_000
    assert b1["mom"]["electricity_kwh"] == 31_000 - 24_000
    assert b1["mom_pct"]["electricity_kwh"] == pytest.approx(7000 / 24000 * 100, abs=0.005)
    assert b1["yoy"]["electricity_kwh"] == 31_000 - 15_500
    assert b1["yoy_pct"]["kgce"] == 100.0
    assert b1["yoy_pct"]["kgce_per_m2"] == 100.0
    # b2 has no gas meter: no comparison, not a made-up 0 %
    assert b2["gas_m3"] == 0 and b2["mom_pct"]["gas_m3"] is None
    # b3 started reporting in 2026: every 同比 is null, 环比 is there
    assert all(v is None for v in b3["yoy_pct"].values())
    assert all(v is None for v in b3["yoy"].values())
    assert b3["completeness"]["compared"] == {
        "mom": {"period": "2026-09", "days": 30, "days_with_data": 30},
        "yoy": {"period": "2025-10", "days": 31, "days_with_data": 0}}
    # heat: 2 GJ a day, 31 days at 1.0 against 30 days at 0.8
    assert b3["mom_pct"]["heat_gj"] == pytest.approx((62 - 48) / 48 * 100)
    # the site compares like with like: b3 (no 2025) stays out of the 同比
    total = doc["total"]
    assert total["compared_buildings"]["yoy"] == {"buildings": 2, "of": 3}
    like = b1["kgce"] + b2["kgce"]
    assert total["yoy_pct"]["kgce"] == pytest.approx(100.0, abs=0.005)
    assert total["yoy"]["kgce"] == pytest.approx(like / 2, rel=1e-6)
    # every meter: 31 days at 1.0 against 30 days at 0.8
    assert total["mom_pct"]["kgce"] == pytest.approx((31 / (30 * 0.8) - 1) * 100)


def test_a_day_compares_with_the_day_before_and_the_same_day_last_year(portfolio):
    site, store = portfolio
    doc = compute(site, store, "2026-10-01").to_json()
    b1 = doc["buildings"][0]
    assert (doc["previous_period"], doc["last_year_period"]) == ("2026-09-30", "2025-10-01")
    assert b1["mom_pct"]["electricity_kwh"] == 25.0  # 1000 vs 800
    assert b1["yoy_pct"]["electricity_kwh"] == 100.0  # 1000 vs 500


def test_quota_distance_pro_rata_and_rank_within_type(portfolio):
    site, store = portfolio
    doc = compute(site, store, "2026-10").to_json()
    b1, b2, b3 = doc["buildings"]
    kgce = 31 * (1000 * KGCE["electricity"] + 50 * KGCE["gas"])
    assert b1["kgce"] == pytest.approx(kgce)
    quota = b1["quota"]["kgce_per_m2"]  # its own quota: constraint 12, guide 9 kgce/m²·a
    assert quota["constraint"] == pytest.approx(12 * 31 / 365, abs=1e-6)
    assert quota["to_constraint"] == pytest.approx(kgce / 10_000 - 12 * 31 / 365, abs=1e-6)
    assert quota["to_guide"] == pytest.approx(kgce / 10_000 - 9 * 31 / 365, abs=1e-6)
    assert quota["status"] == "within_guide"
    # b2 has none of its own: the office type's quota (constraint 20, no guide)
    assert b2["quota"]["kgce_per_m2"]["constraint"] == pytest.approx(20 * 31 / 365, abs=1e-6)
    assert b2["quota"]["kgce_per_m2"]["guide"] is None
    assert b3["quota"] is None  # no school quota configured: none invented
    # offices: b1 0.57 kgce/m², b2 0.76 → 1 and 2 of 2; the school alone in its type
    assert b1["kgce_per_m2"] < b2["kgce_per_m2"]
    assert [(b["rank_in_type"], b["ranked_in_type"]) for b in (b1, b2, b3)] == [
        (1, 2), (2, 2), (1, 1)]


def test_a_building_over_its_constraint(tmp_path):
    from store import open_store
    from tests.civicwatt.statistics.site import fill, write_site

    quota = {"kgce_per_m2": {"constraint": 5.0, "guide": 4.0}}  # b2 runs ~9 kgce/m²·a
    site = write_site(tmp_path, extra={"statistics": {"quotas": {"office": quota}}})
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    b2 = compute(site, store, "2026-10", compare=False).to_json()["buildings"][1]
    store.close()
    assert b2["quota"]["kgce_per_m2"]["status"] == "above_constraint"
    assert b2["quota"]["kgce_per_m2"]["to_constraint_pct"] > 0


def test_json_contract_keys(portfolio):
    site, store = portfolio
    doc = compute(site, store, "2026-Q3").to_json()
    contract = {"id", "name", "electricity_kwh", "water_m3", "gas_m3", "heat_gj", "kgce",
                "cost", "co2_kg", "kgce_per_m2", "kgce_per_person", "water_m3_per_person",
                "mom_pct", "yoy_pct", "estimated_share"}
    assert doc["period"] == "2026-Q3"
    assert {"period", "buildings", "total"} <= doc.keys()
    assert [b["id"] for b in doc["buildings"]] == ["b1", "b2", "b3"]
    for row in [*doc["buildings"], doc["total"]]:
        assert contract - row.keys() == set()
        for key in ("mom_pct", "yoy_pct"):
            assert {"electricity_kwh", "water_m3", "gas_m3", "heat_gj", "kgce", "cost",
                    "co2_kg", "kgce_per_m2", "kgce_per_person",
                    "water_m3_per_person"} <= row[key].keys()
            assert all(v is None or isinstance(v, float) for v in row[key].values())


def test_completeness_says_why_a_class_is_zero(portfolio):
    site, store = portfolio
    doc = compute(site, store, "2025-10").to_json()
    b1, b2, b3 = doc["buildings"]
    assert b2["completeness"]["classes"]["gas"]["status"] == "no_meter"
    assert "no gas meter" in b2["completeness"]["classes"]["gas"]["why"]
    assert b3["electricity_kwh"] == 0 and b3["completeness"]["classes"]["electricity"][
        "status"] == "no_data"  # b3 has a meter but nothing metered in 2025
    assert b3["completeness"]["days_with_data"] == 0
    assert b1["completeness"]["complete"] is True
    assert b1["completeness"]["classes"]["electricity"]["estimated_share"] == pytest.approx(
        6 / 31, abs=1e-6)  # days 5, 10, …, 30 are estimated


def test_equal_value_converts_electricity_kgce(tmp_path):
    from store import open_store
    from tests.civicwatt.statistics.site import fill, write_site

    site = write_site(tmp_path, extra={"statistics": {"equal_value": True}})
    store = open_store(site.store.url, site.base_dir)
    fill(store)
    b2 = compute(site, store, "2026-10", compare=False).to_json()["buildings"][1]
    store.close()
    from civicwatt.metering.files import load_coal_factors

    coal = load_coal_factors()
    ratio = coal.electricity("equal_value") / coal.electricity("equivalent")
    assert b2["kgce_equal_value"] == pytest.approx(b2["kgce"] * ratio)  # b2: electricity only
