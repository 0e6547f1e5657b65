"""The metering job with water, gas and district heat next to electricity: `energy_interval`
rows carry the class tag and amount/unit, prices and factors come from the site config,
and tiers count the month from its first day across separate runs. SQLite and a real
InfluxDB 1.x."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from civicwatt.config import load_site
from civicwatt.jobs.metering import meter_site
from store import Row, Series, open_store

SH = ZoneInfo("Asia/Shanghai")

SITE = """\
version: 1
site: {{id: hq, name: HQ, timezone: Asia/Shanghai, country: CN, grid_region: north}}
buildings:
  - {{id: b1, floor_area_m2: 2000, heated_area_m2: 1210, occupants: 10}}
store: {{url: "{url}"}}
purposes:
  - {{code: 02A10, zh: 厨房, en: Kitchen, parent: "02000"}}
points:
  - {{id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh}}
  - {{id: water, building: b1, purpose: "02000", quantity: water, unit: m3, rollover: 10000}}
  - {{id: kitchen, building: b1, purpose: 02A10, quantity: water, unit: m3, parent: water}}
  - {{id: gas, building: b1, purpose: "03000", quantity: gas, unit: m3, max_rate: 50}}
  - {{id: heat, building: b1, purpose: "04000", quantity: heat, unit: GJ}}
metering:
  tariff: beijing-general-ic-single-part-under-1kv
  emission_factor: 0.5
  chunk_days: {chunk}
  prices:
    water: {{price: 7.15, unit: m3}}
    gas: {{price: 3.0, unit: m3, tiers: [{{from: 100, price: 4.0}}]}}
    heat: {{per_m2_season: 45, season: {{start: "11-15", end: "03-15"}}}}
  virtual_meters:
    - {{id: water.rest, formula: "water - sum(children)", building: b1, purpose: "02000"}}
"""
RATES = {"main": ("energy", 2.0), "water": ("water", 0.5), "kitchen": ("water", 0.125),
         "gas": ("gas", 10 / 24), "heat": ("heat", 0.05)}


def seed(url: str, base: Path, first: dt.date, days: int) -> None:
    """Every meter constant per hour, read every 15 min from the day before `first` to the
    day after the range (the job reads a margin); water starts at 9980 and wraps on the
    first day, at 16:00."""
    store = open_store(url, base)
    rows = []
    start = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), SH)
    for pid, (quantity, per_hour) in RATES.items():
        series = Series.of(quantity, site="hq", building="b1", zone="b1", point=pid)
        initial = 9980.0 if pid == "water" else 0.0
        for i in range(4 * 24 * (days + 2) + 1):
            value = initial + per_hour * i / 4
            value = value % 10000 if pid == "water" else value
            t = start + dt.timedelta(minutes=15 * i)
            rows.append(Row(series, int(t.timestamp()) * 10**9, {"value": value}))
    store.write(rows)
    store.close()


def sums(url: str, base: Path) -> dict:
    store = open_store(url, base)
    rows = store.read_rows("energy_interval", 0, 2**62)
    store.close()
    out: dict = defaultdict(float)
    for row in rows:
        tags = row.series.tag_dict
        point = tags["point"]
        assert tags["energy"] == ("electricity" if point == "main" else
                                  RATES.get(point, ("water",))[0])
        assert ("period" in tags) == (point == "main")
        assert ("kwh" in row.fields) == (point == "main")
        out[point, "unit"] = row.fields["unit"]
        for field in ("amount", "cost", "kgce", "co2_kg"):
            out[point, field] += row.fields.get(field, float("nan"))
    return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}


def meter(url: str, tmp_path: Path, first: dt.date, end: dt.date, chunk: int = 7):
    (tmp_path / "site.yaml").write_text(SITE.format(url=url, chunk=chunk))
    site = load_site(tmp_path / "site.yaml")
    store = open_store(site.store.url, site.base_dir)
    try:
        return meter_site(site, store, first, end)
    finally:
        store.close()


def check_classes(url: str, tmp_path: Path) -> None:
    """15 days from 2027-01-01 (heating season 15 Nov – 15 Mar: 121 days):
    - water 0.5 m³/h → 180 m³ × 7.15 = 1287 (the 4-digit counter wraps on day 1); kgce 0;
      the kitchen 45 m³ → 321.75; the virtual rest 135 m³ → 965.25;
    - gas 10 m³/day → 150 m³: 100 × 3 + 50 × 4 = 500; kgce 182.145, CO₂ 324;
    - heat 1.2 GJ/day → 18 GJ; fee 45 × 1210 / 121 × 15 days = 6750; kgce 614.16;
    - electricity 720 kWh, kgce 88.488, CO₂ 360 at the site's 0.5."""
    first, end = dt.date(2027, 1, 1), dt.date(2027, 1, 16)
    seed(url, tmp_path, first, 15)
    summary = meter(url, tmp_path, first, end)
    assert summary.amounts == pytest.approx({"electricity": 720, "water": 225, "gas": 150,
                                             "heat": 18})
    got = sums(url, tmp_path)
    assert (got["water", "unit"], got["gas", "unit"], got["heat", "unit"]) == ("m3", "m3", "GJ")
    assert (got["water", "amount"], got["water", "cost"], got["water", "kgce"]) == \
        pytest.approx((180, 1287, 0))
    assert (got["kitchen", "cost"], got["water.rest", "amount"], got["water.rest", "cost"]) == \
        pytest.approx((321.75, 135, 965.25))
    assert (got["gas", "amount"], got["gas", "cost"], got["gas", "kgce"],
            got["gas", "co2_kg"]) == pytest.approx((150, 500, 182.145, 324))
    assert (got["heat", "amount"], got["heat", "cost"], got["heat", "kgce"]) == \
        pytest.approx((18, 6750, 614.16))
    assert (got["main", "amount"], got["main", "kgce"], got["main", "co2_kg"]) == \
        pytest.approx((720, 88.488, 360))


def test_classes_on_sqlite(tmp_path):
    check_classes(f"sqlite://{tmp_path / 'cw.db'}", tmp_path)


@pytest.mark.integration
def test_classes_on_influxdb(influx_url, tmp_path):
    check_classes(influx_url, tmp_path)


def test_tiers_count_from_the_first_of_the_month_across_runs(tmp_path):
    """Metering 1–10 June, then 11–15 June in another run (and in 1-day chunks) bills gas
    as one run of 1–15 June: 500 (the second run reads June's first 100 m³ from the store)."""
    url = f"sqlite://{tmp_path / 'cw.db'}"
    seed(url, tmp_path, dt.date(2026, 6, 1), 15)
    meter(url, tmp_path, dt.date(2026, 6, 1), dt.date(2026, 6, 11))
    meter(url, tmp_path, dt.date(2026, 6, 11), dt.date(2026, 6, 16), chunk=1)
    assert sums(url, tmp_path)["gas", "cost"] == pytest.approx(500)


def test_unpriced_class_is_noted_and_has_no_cost(tmp_path):
    url = f"sqlite://{tmp_path / 'cw.db'}"
    seed(url, tmp_path, dt.date(2026, 6, 1), 1)
    (tmp_path / "site.yaml").write_text(SITE.format(url=url, chunk=7).replace(
        "    gas: {price: 3.0, unit: m3, tiers: [{from: 100, price: 4.0}]}\n", ""))
    site = load_site(tmp_path / "site.yaml")
    store = open_store(site.store.url, site.base_dir)
    summary = meter_site(site, store, dt.date(2026, 6, 1), dt.date(2026, 6, 2))
    store.close()
    assert any("no price for gas" in n for n in summary.notes)
    got = sums(url, tmp_path)
    assert got["gas", "amount"] == pytest.approx(10)
    assert got["gas", "cost"] != got["gas", "cost"]  # NaN: no cost field on the rows
