"""`civicwatt meter` offline with every energy class: the JSON contract, `--prices`,
`--factors`, and bad price/factor files, run as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest

from tests.civicwatt.test_meter_command import BEIJING, civicwatt, write_counter

SH = ZoneInfo("Asia/Shanghai")
KEYS = {"zone", "purpose", "energy", "period", "amount", "unit", "cost", "kgce", "co2_kg"}
POINTS = """point,zone,purpose,quantity,unit,parent
e1,F1,01A10,energy,kWh,
w1,F1,02000,water,m3,
w2,F1,02A10,water,L,w1
g1,F1,03000,gas,m3,
h1,F1,04000,heat,MJ,
d1,F1,06000,diesel,L,
pv1,F1,,pv,kWh,
"""
PRICES = """
water: {price: 7.15, unit: m3}
gas: {price: 3.0, unit: m3, tiers: [{from: 20, price: 4.0}]}
heat: {price: 40, unit: GJ, per_m2_season: 45, area_m2: 1210,
       season: {start: "11-15", end: "03-15"}}
diesel: {price: 7.9, unit: L}
"""


def offline(tmp_path, *extra: str, prices: str | None = PRICES, points: str = POINTS):
    """Two January days (2027-01-10, -11), every meter constant: electricity 1 kW, water
    0.5 m³/h (its kitchen sub-meter 100 L/h), gas 1 m³/h, heat 250 MJ/h, diesel 2 L/h,
    PV 3 kWh/h."""
    rates = {"e1": 1.0, "w1": 0.5, "w2": 100.0, "g1": 1.0, "h1": 250.0, "d1": 2.0, "pv1": 3.0}
    write_counter(tmp_path / "r.csv", {p: (lambda t, r=r: r) for p, r in rates.items()},
                  dt.datetime(2027, 1, 10, tzinfo=SH), dt.datetime(2027, 1, 12, tzinfo=SH))
    (tmp_path / "p.csv").write_text(points)
    args = ["meter", "--readings", str(tmp_path / "r.csv"), "--points", str(tmp_path / "p.csv"),
            "--tariff", str(BEIJING), "--tz", "Asia/Shanghai", "--from", "2027-01-10",
            "--to", "2027-01-12", "--emission-factor", "0.5"]
    if prices is not None:
        (tmp_path / "prices.yaml").write_text(prices)
        args += ["--prices", str(tmp_path / "prices.yaml")]
    return civicwatt(*args, *extra)


def by_energy(stdout: str) -> dict[str, dict]:
    """One row per class (electricity: its periods summed)."""
    out: dict[str, dict] = {}
    for row in json.loads(stdout)["rows"]:
        assert set(row) >= KEYS, row
        if row["energy"] in out:
            for k in ("amount", "cost", "kgce", "co2_kg"):
                if None in (out[row["energy"]][k], row[k]):  # unknown stays unknown
                    out[row["energy"]][k] = None
                else:
                    out[row["energy"]][k] = round(out[row["energy"]][k] + row[k], 6)
        else:
            out[row["energy"]] = dict(row)
    return out


def test_every_class_in_the_json_contract(tmp_path):
    """48 h of each meter; expected figures by hand:
    - electricity 48 kWh: kgce 48 × 0.1229 = 5.8992, CO₂ 48 × 0.5 = 24, TOU periods;
    - water 24 m³ × 7.15 = 171.6, kgce 0 (not in 综合能耗), CO₂ 0; its sub-meter 100 L/h =
      4.8 m³ at 7.15 = 34.32 (the root is far below any tier);
    - gas 48 m³: 20 at 3.0 + 28 at 4.0 = 172; kgce 58.2864, CO₂ 103.68;
    - heat 250 MJ/h = 0.25 GJ/h → 12 GJ × 40 = 480 plus the area fee 45 × 1210 / 121 days
      × 2 days = 900 → 1380; kgce 12 × 34.12 = 409.44, CO₂ 12 × 110 = 1320;
    - diesel 96 L × 0.84 = 80.64 kg, 96 L × 7.9 = 758.4; kgce 117.500544, CO₂ 249.984;
    - PV 144 kWh, reported only: kgce 0, CO₂ 0, no cost."""
    res = offline(tmp_path, "--json")
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]
    for row in rows:
        if row["energy"] == "electricity":
            assert row["period"] in ("valley", "flat", "peak", "sharp") and \
                row["kwh"] == row["amount"]
        else:
            assert row["period"] is None and "kwh" not in row
    got = by_energy(res.stdout)
    assert {e: (r["unit"], r["amount"]) for e, r in got.items()} == {
        "electricity": ("kWh", 48.0), "water": ("m3", 28.8), "gas": ("m3", 48.0),
        "heat": ("GJ", 12.0), "diesel": ("kg", 80.64), "pv": ("kWh", 144.0)}
    assert got["electricity"]["kgce"] == pytest.approx(5.8992)
    assert got["electricity"]["co2_kg"] == pytest.approx(24)
    water = {r["purpose"]: r for r in rows if r["energy"] == "water"}
    assert (water["02000"]["cost"], water["02A10"]["cost"]) == pytest.approx((171.6, 34.32))
    assert (water["02000"]["kgce"], water["02000"]["co2_kg"]) == (0, 0)
    assert (got["gas"]["cost"], got["gas"]["kgce"], got["gas"]["co2_kg"]) == \
        pytest.approx((172, 58.2864, 103.68))
    assert (got["heat"]["cost"], got["heat"]["kgce"], got["heat"]["co2_kg"]) == \
        pytest.approx((1380, 409.44, 1320))
    assert (got["diesel"]["cost"], got["diesel"]["kgce"], got["diesel"]["co2_kg"]) == \
        pytest.approx((758.4, 117.500544, 249.984))
    assert (got["pv"]["cost"], got["pv"]["kgce"], got["pv"]["co2_kg"]) == (None, 0, 0)


def test_factors_file_overrides_the_shipped_ones(tmp_path):
    """Gas at 1.1 kgce/m³ and 2.0 kgCO₂/m³ (48 m³ → 52.8 and 96); diesel's density 0.85
    kg/L turns 96 L into 81.6 kg; heat excluded from 综合能耗 → kgce 0, CO₂ unchanged."""
    (tmp_path / "f.yaml").write_text(
        "gas: {kgce: {value: 1.1, unit: kgce/m3}, co2: {value: 2.0, unit: kgCO2/m3}}\n"
        "diesel: {density: {value: 0.85, unit: kg/L}}\nheat: {in_kgce: false}\n")
    res = offline(tmp_path, "--json", "--factors", str(tmp_path / "f.yaml"))
    assert res.returncode == 0, res.stderr
    got = by_energy(res.stdout)
    assert (got["gas"]["kgce"], got["gas"]["co2_kg"]) == pytest.approx((52.8, 96))
    assert got["diesel"]["amount"] == pytest.approx(81.6)
    assert (got["heat"]["kgce"], got["heat"]["co2_kg"]) == (0, pytest.approx(1320))


def test_unpriced_classes_have_null_cost_and_a_note(tmp_path):
    res = offline(tmp_path, prices=None)
    assert res.returncode == 0, res.stderr
    text = " ".join(res.stdout.split())
    for name in ("water", "gas", "heat", "diesel"):
        assert f"no price for {name}" in text
    assert "no price for pv" not in text
    # 综合能耗 = 5.8992 + 0 + 58.2864 + 409.44 + 117.500544 (+ PV's 0) kgce
    assert "591.13" in text
    rows = by_energy(offline(tmp_path, "--json", prices=None).stdout)
    assert rows["water"]["cost"] is None and rows["electricity"]["cost"] is not None


@pytest.mark.parametrize(("prices", "expected"), [
    ("- water\n", "expected a map of class → {price, unit}"),
    ("steam: {price: 1}\n", "steam: a class other than electricity"),
    ("electricity: {price: 1}\n", "electricity: a class other than electricity"),
    ("water: {price: 1, unit: kg}\n", "water.unit: 'kg' is not a unit of water; use m3, t, L"),
    ("water: {price: -1}\n", "water.price: Input should be greater than or equal to 0"),
    ("water: {price: 1, colour: blue}\n", "water.colour: Extra inputs are not permitted"),
    ("gas: {price: 1, per_m2_season: 3}\n", "gas.per_m2_season: a fee per heated m² is for"),
    ("water: {price: [1\n", "not valid YAML"),
])
def test_bad_prices_file(tmp_path, prices, expected):
    res = offline(tmp_path, "--json", prices=prices)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    message = " ".join(res.stderr.split())
    assert "prices.yaml" in message and expected in message, message
    assert res.stdout == ""


@pytest.mark.parametrize(("factors", "expected"), [
    ("gas: {kgce: {value: 1.1, unit: kgce/kg}}\n", "gas.kgce.unit: 'kgce/kg': 'kg' is not a"),
    ("steam: {in_kgce: true}\n", "steam: not an energy class"),
    ("electricity: {co2: {value: 0.6, unit: kgCO2/kWh}}\n", "--emission-factor"),
    ("gas: {kgce: {value: -1, unit: kgce/m3}}\n", "greater than or equal to 0"),
])
def test_bad_factors_file(tmp_path, factors, expected):
    (tmp_path / "f.yaml").write_text(factors)
    res = offline(tmp_path, "--json", "--factors", str(tmp_path / "f.yaml"))
    assert res.returncode == 1 and "Traceback" not in res.stderr
    message = " ".join(res.stderr.split())
    assert "f.yaml" in message and expected in message, message


def test_heat_area_fee_without_an_area_is_refused(tmp_path):
    res = offline(tmp_path, "--json", prices="heat: {per_m2_season: 45}\n")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "area_m2" in res.stderr
