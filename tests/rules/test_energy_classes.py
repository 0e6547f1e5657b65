"""Golden cases for every energy class through the engine: counters → amounts, prices,
tiers, the heated-area fee, kgce and CO₂, litres → kg. Every expected number is worked
out by hand in the test's docstring."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from rules.carbon import ClassFactors
from rules.energy import BY_NAME
from rules.engine import PointClasses, meter
from rules.intervals import PointRules
from rules.prices import ClassPrice, billing_for
from rules.tariffs import Tariff
from tests.rules.helpers import NS, counter_from_load, ns, simple_tariff, w

ROOT = Path(__file__).resolve().parents[2]
FLAT = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0}))
D = dt.date
SHIPPED = ClassFactors.model_validate(
    yaml.safe_load((ROOT / "civicwatt" / "data" / "class_factors.yaml").read_text()))


def run(points: list[tuple[str, np.ndarray, np.ndarray]], first: dt.date, end: dt.date,
        prices: dict | None = None, parent=None, area=0.0, factors=None, rules=None,
        month_volume=None, co2_factor=0.5):
    """Meter [(class, times, counter values)], one point each, on a flat 1.0/kWh tariff."""
    energy = tuple(e for e, _, _ in points)
    pi = np.concatenate([np.full(t.size, i, np.int32) for i, (_, t, _) in enumerate(points)])
    t = np.concatenate([t for _, t, _ in points])
    v = np.concatenate([v for _, _, v in points])
    resolved = (factors or SHIPPED).resolve(0.1229)
    prices = {k: ClassPrice.model_validate(p) for k, p in (prices or {}).items()}
    billing = billing_for(energy, prices, {k: r.density for k, r in resolved.items()},
                          parent or [-1] * len(points), [0] * len(points), [area],
                          month_volume)
    return meter(pi, t, v, tuple(f"p{i}" for i in range(len(points))),
                 rules or PointRules.uniform(len(points)), FLAT, "Asia/Shanghai", first, end,
                 co2_factor=co2_factor, classes=PointClasses.of(energy, resolved, billing))


def totals(result, point: int = 0) -> dict[str, float]:
    """Whole-range totals of one point (all periods together)."""
    group = np.full(len(result.points), 1, np.int64)
    group[point] = 0
    out = result.totals(group, 2)
    return {k: round(float(v[0].sum()), 6) for k, v in out.items()}


def rate(per_hour: float):
    return lambda _: per_hour


def test_water_every_15_min_and_by_hand_once_a_day_give_the_same_amount():
    """2 m³/h for a day read every 15 min = 48 m³; the same meter read by hand at 00:00
    and 24:00 (1000 → 1048) spreads 0.5 m³ over each of the 96 intervals and is
    `estimated`. 7.15 per m³ → 343.2; water is not in 综合能耗 (kgce 0) nor CO₂."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-02T00:00", rate(2.0))
    auto = run([("water", t, v)], D(2026, 6, 1), D(2026, 6, 2),
               {"water": {"price": 7.15, "unit": "m3"}})
    hand = run([("water", t[[0, -1]], v[[0, -1]] + 1000)], D(2026, 6, 1), D(2026, 6, 2),
               {"water": {"price": 7.15, "unit": "m3"}})
    for r in (auto, hand):
        assert totals(r) == {"amount": 48.0, "cost": pytest.approx(343.2), "kgce": 0.0,
                             "co2_kg": 0.0}
    np.testing.assert_allclose(hand.energy.amount[0], 0.5)
    assert hand.energy.estimated.all() and not auto.energy.estimated.any()


def test_water_rollover_reset_and_max_rate():
    """A 4-digit water meter wraps: 9998 → 2 at 00:30 is 4 m³ (rollover 10 000); a drop
    without rollover is a reset (0 m³, estimated); 30 m³ in 15 min on a meter whose
    max_rate is 20 m³/h (5 per 15 min) is flagged and counts 0."""
    times = np.array([ns("2026-06-01T00:00"), ns("2026-06-01T00:15"),
                      ns("2026-06-01T00:30"), ns("2026-06-01T00:45")])
    wrap = run([("water", times, np.array([9996.0, 9998.0, 2.0, 3.0]))], D(2026, 6, 1),
               D(2026, 6, 2), rules=PointRules(np.zeros(1, np.int8), np.array([10000.0]),
                                               np.array([np.nan])))
    assert list(wrap.energy.amount[0, :3]) == [2.0, 4.0, 1.0]
    reset = run([("water", times, np.array([500.0, 501.0, 2.0, 3.0]))], D(2026, 6, 1),
                D(2026, 6, 2))
    assert list(reset.energy.amount[0, :3]) == [1.0, 0.0, 1.0]
    assert reset.energy.estimated[0, 1]
    above = run([("water", times, np.array([0.0, 1.0, 31.0, 32.0]))], D(2026, 6, 1),
                D(2026, 6, 2), rules=PointRules(np.zeros(1, np.int8), np.array([np.nan]),
                                                np.array([20.0])))
    assert list(above.energy.amount[0, :3]) == [1.0, 0.0, 1.0]
    assert [e["kind"] for e in above.energy.events.records(["w"])] == ["above_max"]


def test_gas_tiers_by_monthly_volume():
    """Gas at 10 m³/day for 15 days from 1 June: 150 m³ in the month. Tiers 3.0 per m³ up
    to 100, 4.0 from 100: 100 × 3 + 50 × 4 = 500, identical as steps (`from`) and as
    bands (`upto`). kgce 150 × 1.2143 = 182.145; CO₂ 150 × 2.16 = 324."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-16T00:00", rate(10 / 24), step_min=60)
    steps = {"gas": {"price": 3.0, "unit": "m3", "tiers": [{"from": 100, "price": 4.0}]}}
    bands = {"gas": {"tiers": [{"upto": 100, "price": 3.0}, {"price": 4.0}]}}
    for prices in (steps, bands):
        r = run([("gas", t, v)], D(2026, 6, 1), D(2026, 6, 16), prices)
        assert totals(r) == {"amount": pytest.approx(150), "cost": pytest.approx(500),
                             "kgce": pytest.approx(182.145), "co2_kg": pytest.approx(324)}


def test_gas_tiers_count_the_month_from_its_first_day_and_restart_next_month():
    """Metering 10-15 June when 95 m³ were already used in June: the first 5 m³ (half a
    day) at 3.0, the remaining 55 at 4.0 → 15 + 220 = 235. Across a month end the
    count restarts: 29 June – 1 July with 95 m³ before → 20 m³ in June (5 × 3 + 15 × 4
    = 75), then 10 m³ on 1 July at 3.0 (30): 105."""
    prices = {"gas": {"price": 3.0, "tiers": [{"from": 100, "price": 4.0}]}}
    t, v = counter_from_load("2026-06-10T00:00", "2026-06-16T00:00", rate(10 / 24), step_min=60)
    r = run([("gas", t, v)], D(2026, 6, 10), D(2026, 6, 16), prices,
            month_volume=np.array([95.0]))
    assert totals(r)["cost"] == pytest.approx(235)
    t, v = counter_from_load("2026-06-29T00:00", "2026-07-02T00:00", rate(10 / 24), step_min=60)
    r = run([("gas", t, v)], D(2026, 6, 29), D(2026, 7, 2), prices,
            month_volume=np.array([95.0]))
    assert totals(r)["cost"] == pytest.approx(105)


def test_sub_meter_pays_its_root_meters_tier():
    """Root gas meter 10 m³/day, a kitchen sub-meter 4 m³/day, 15 days from 1 June, tiers
    3.0 → 4.0 from 100 m³ (on the root's volume). The root crosses 100 m³ at day 10, so
    the kitchen pays 3.0 for 10 days and 4.0 for 5: 40 × 3 + 20 × 4 = 200 (its own 60 m³
    alone would never reach the second tier: 180)."""
    t, root = counter_from_load("2026-06-01T00:00", "2026-06-16T00:00", rate(10 / 24),
                                step_min=60)
    _, kitchen = counter_from_load("2026-06-01T00:00", "2026-06-16T00:00", rate(4 / 24),
                                   step_min=60)
    r = run([("gas", t, root), ("gas", t, kitchen)], D(2026, 6, 1), D(2026, 6, 16),
            {"gas": {"price": 3.0, "tiers": [{"from": 100, "price": 4.0}]}}, parent=[-1, 0])
    assert totals(r, 1)["cost"] == pytest.approx(200)
    assert totals(r, 0)["cost"] == pytest.approx(500)


def test_heat_from_an_mj_meter_per_gj_price_kgce_and_co2():
    """A heat meter counting MJ, 500 MJ/h for a day = 12 000 MJ = 12 GJ (the points scale
    MJ → GJ by 0.001 before the engine). 40 per GJ → 480; kgce 12 × 34.12 = 409.44 (0.03412
    kgce/MJ); CO₂ 12 × 110 = 1320 (0.11 kg/MJ)."""
    t, v = counter_from_load("2026-01-10T00:00", "2026-01-11T00:00", rate(500.0))
    scale = BY_NAME["heat"].factor("MJ")
    r = run([("heat", t, v * scale)], D(2026, 1, 10), D(2026, 1, 11),
            {"heat": {"price": 40, "unit": "GJ"}})
    assert totals(r) == {"amount": pytest.approx(12), "cost": pytest.approx(480),
                         "kgce": pytest.approx(409.44), "co2_kg": pytest.approx(1320)}
    per_mj = run([("heat", t, v * scale)], D(2026, 1, 10), D(2026, 1, 11),
                 {"heat": {"price": 0.04, "unit": "MJ"}})
    assert totals(per_mj)["cost"] == pytest.approx(480)


def test_heated_area_fee_spread_over_the_season():
    """45 per m² for the season 15 Nov 2026 – 15 Mar 2027 (16 + 31 + 31 + 28 + 15 = 121
    days), 1210 m²: 54 450 a season, 450 a day. Two metered January days cost 900 on top of
    1.5 GJ × 20 = 30 of the per-GJ part (a two-part price); a July day costs no fee."""
    prices = {"heat": {"price": 20, "unit": "GJ", "per_m2_season": 45,
                       "season": {"start": "11-15", "end": "03-15"}}}
    t, v = counter_from_load("2027-01-10T00:00", "2027-01-12T00:00", rate(0.75 / 24))
    r = run([("heat", t, v)], D(2027, 1, 10), D(2027, 1, 12), prices, area=1210.0)
    assert totals(r)["cost"] == pytest.approx(930)
    t, v = counter_from_load("2026-07-10T00:00", "2026-07-11T00:00", rate(0.75 / 24))
    summer = run([("heat", t, v)], D(2026, 7, 10), D(2026, 7, 11), prices, area=1210.0)
    assert totals(summer)["cost"] == pytest.approx(0.75 * 20)


def test_diesel_in_litres_to_kg():
    """100 L of diesel (density 0.84) = 84 kg: kgce 84 × 1.4571 = 122.3964, CO₂ 84 × 3.10
    = 260.4; priced 7.9 per L → 790. Gasoline 100 L = 74 kg: kgce 108.8836, CO₂ 216.82."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-02T00:00", rate(100 / 24))
    for name, kg, kgce, co2 in (("diesel", 84, 122.3964, 260.4),
                                ("gasoline", 74, 108.8836, 216.82)):
        litre = BY_NAME[name].factor("L", SHIPPED.resolve(0.1229)[name].density)
        r = run([(name, t, v * litre)], D(2026, 6, 1), D(2026, 6, 2),
                {name: {"price": 7.9, "unit": "L"}})
        assert totals(r) == {"amount": pytest.approx(kg), "cost": pytest.approx(790),
                             "kgce": pytest.approx(kgce), "co2_kg": pytest.approx(co2)}


def test_electricity_next_to_other_classes_keeps_tou_and_grid_carbon():
    """1 kWh/h for a day on the flat 1.0 tariff: 24 kWh, cost 24, kgce 24 × 0.1229 =
    2.9496, CO₂ at the grid factor 0.5 = 12; the water point beside it stays out of the
    electricity columns (its own no-period column)."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-02T00:00", rate(1.0))
    r = run([("electricity", t, v), ("water", t, v)], D(2026, 6, 1), D(2026, 6, 2),
            {"water": {"price": 5.0}})
    out = r.totals(np.array([0, 1]), 2)
    assert out["amount"][0, :-1].sum() == pytest.approx(24) and out["amount"][0, -1] == 0
    assert (out["cost"][0].sum(), out["kgce"][0].sum(), out["co2_kg"][0].sum()) == \
        pytest.approx((24, 2.9496, 12))
    assert out["amount"][1, :-1].sum() == 0 and out["amount"][1, -1] == pytest.approx(24)
    assert out["cost"][1, -1] == pytest.approx(120)


def test_pv_is_reported_and_subtracted_only_where_the_site_says_so():
    """10 kWh of PV: by default kgce 0 and CO₂ 0 (generation, not consumption); with
    pv.in_kgce true it counts as avoided electricity: −1.229 kgce, −5 kgCO₂ at 0.5."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-01T10:00", rate(1.0))
    plain = totals(run([("pv", t, v)], D(2026, 6, 1), D(2026, 6, 2)))
    assert (plain["amount"], plain["kgce"], plain["co2_kg"]) == (10.0, 0.0, 0.0)
    assert np.isnan(plain["cost"])  # not bought: no price
    included = run([("pv", t, v)], D(2026, 6, 1), D(2026, 6, 2),
                   factors=SHIPPED.merged(ClassFactors.model_validate({"pv": {"in_kgce": True}})))
    assert (totals(included)["kgce"], totals(included)["co2_kg"]) == \
        pytest.approx((-1.229, -5.0))


def test_a_site_overrides_one_factor_and_excludes_a_class():
    """Gas at the site's own 1.1000 kgce/m³ (the low end of GB/T 2589's range): 10 m³ →
    11 kgce, CO₂ still the shipped 2.16/m³ → 21.6; cooling excluded from 综合能耗 → 0."""
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-01T10:00", rate(1.0))
    site = ClassFactors.model_validate({"gas": {"kgce": {"value": 1.1, "unit": "kgce/m3"}},
                                        "cooling": {"in_kgce": False}})
    r = run([("gas", t, v), ("cooling", t, v)], D(2026, 6, 1), D(2026, 6, 2),
            factors=SHIPPED.merged(site))
    assert (totals(r, 0)["kgce"], totals(r, 0)["co2_kg"]) == pytest.approx((11, 21.6))
    assert totals(r, 1)["kgce"] == 0.0


def test_an_unpriced_class_has_unknown_cost_not_zero():
    t, v = counter_from_load("2026-06-01T00:00", "2026-06-01T10:00", rate(1.0))
    assert np.isnan(totals(run([("gas", t, v)], D(2026, 6, 1), D(2026, 6, 2)))["cost"])


@pytest.mark.parametrize(("price", "message"), [
    ({}, "give `price`"),
    ({"tiers": [{"from": 10, "price": 2}]}, "step tiers need `price`"),
    ({"tiers": [{"upto": 10, "price": 2}]}, "volume above the last band (10) needs a price"),
    ({"price": 1, "tiers": [{"upto": 10, "price": 2}, {"price": 3}]}, "leave it out"),
    ({"price": 1, "tiers": [{"from": 10, "price": 2}, {"from": 5, "price": 3}]},
     "tier volumes must increase"),
    ({"tiers": [{"upto": 10, "price": 2}, {"from": 20, "price": 3}]}, "not mixed"),
    ({"price": 1, "season": {"start": "11-15"}}, "belong to a `per_m2_season` fee"),
    ({"per_m2_season": 45, "season": {"start": "13-01"}}, "not a day of the year"),
])
def test_bad_prices_say_what_to_write(price, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        ClassPrice.model_validate(price)


def test_season_bounds_across_the_new_year():
    from rules.prices import Season

    season = Season(start="11-15", end="03-15")
    assert season.bounds(D(2027, 1, 1)) == (D(2026, 11, 15), D(2027, 3, 15))
    assert season.bounds(D(2026, 11, 15)) == (D(2026, 11, 15), D(2027, 3, 15))
    assert season.bounds(D(2027, 3, 15)) == (D(2026, 11, 15), D(2027, 3, 15))
    assert season.bounds(D(2027, 3, 16)) is None and season.bounds(D(2026, 11, 14)) is None
    assert Season(start="05-15", end="09-30").bounds(D(2026, 7, 1)) == \
        (D(2026, 5, 15), D(2026, 9, 30))
    assert NS  # helpers' unit, used by counter_from_load
