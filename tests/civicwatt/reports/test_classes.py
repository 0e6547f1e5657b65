"""The daily report with water, gas and district heat next to electricity: the 分类能耗 table,
KPIs on 综合能耗 (which equals the sum of the classes' kgce), water per person, and the
findings of each class — a night-time water leak, gas on a closed day, heat above the
weather — with days that must not be flagged. Counters go through the real metering job."""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from civicwatt.config import load_site
from civicwatt.reports.job import build_report
from civicwatt.reports.render import render_html, write_csvs
from store import Row, Series, open_store
from tests.civicwatt.reports import known_week as kw

CLASS_POINTS = """\
  - {id: b1.water, building: b1, purpose: "02000", quantity: water, unit: m3}
  - {id: b1.heat, building: b1, purpose: "04000", quantity: heat, unit: GJ}
  - {id: b2.gas, building: b2, zone: b2.kitchen, purpose: "03000", quantity: gas, unit: m3}
  - {id: b1.outdoor, building: b1, quantity: temperature, unit: °C}
"""
PRICES = """\
  prices:
    water: {price: 7.15, unit: m3}
    gas: {price: 3.0, unit: m3}
    heat: {price: 40, unit: GJ}
"""
LEAK_FROM = dt.datetime(2026, 11, 24, 0, 0, tzinfo=ZoneInfo(kw.TZ))  # two nights before DAY ends
SUNDAY = dt.date(2026, 11, 22)
SH = ZoneInfo(kw.TZ)


def mean_temp(day: dt.date) -> float:
    """Each day's mean outdoor temperature: 5 °C ± 4, so 13 ± 4 heating degree days."""
    return 5.0 + 4.0 * math.sin(day.toordinal())


def rates(point: str, local: dt.datetime) -> float:
    """Per hour: water 1 m³/h 08–18 on workdays (+0.3 m³/h leaking from 24 Nov); the canteen
    2 m³/h of gas 07–19 on workdays and 15 m³ on Sunday 22 Nov (08–11: 5 m³/h); heat 0.5 GJ
    per degree day, ×1.5 on the report day."""
    work = local.weekday() < 5
    if point == "b1.water":
        return (1.0 if work and 8 <= local.hour < 18 else 0.0) + \
            (0.3 if local >= LEAK_FROM else 0.0)
    if point == "b2.gas":
        if local.date() == SUNDAY:
            return 5.0 if 8 <= local.hour < 11 else 0.0
        return 2.0 if work and 7 <= local.hour < 19 else 0.0
    hdd = 18.0 - mean_temp(local.date())
    return 0.5 * hdd / 24 * (1.5 if local.date() == kw.DAY else 1.0)


def class_rows(first: dt.date, last: dt.date) -> list[Row]:
    rows = []
    meta = {"b1.water": ("water", "b1", "02000"), "b1.heat": ("heat", "b1", "04000"),
            "b2.gas": ("gas", "b2.kitchen", "03000")}
    every = kw.slots(first, last)
    end = every[-1] + dt.timedelta(minutes=kw.STEP_MIN)
    for point, (quantity, zone, purpose) in meta.items():
        series = Series.of(quantity, site="hq", building=point[:2], zone=zone,
                           purpose=purpose, point=point)
        counter = 100.0
        for slot in [*every, end]:
            rows.append(Row(series, kw.ns(slot), {"value": round(counter, 9)}))
            counter += rates(point, slot) * kw.STEP_MIN / 60
    temp = Series.of("temperature", site="hq", building="b1", zone="b1", point="b1.outdoor")
    for slot in every[::4]:
        wobble = 3.0 * math.sin(2 * math.pi * (slot.hour - 9) / 24)  # averages 0 over a day
        rows.append(Row(temp, kw.ns(slot), {"value": mean_temp(slot.date()) + wobble}))
    return rows


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes-site")
    path = kw.write_site(folder)
    text = path.read_text(encoding="utf-8").replace("points:\n", "points:\n" + CLASS_POINTS, 1)
    text = text.replace("metering:\n", "metering:\n  temperature_point: b1.outdoor\n" + PRICES, 1)
    path.write_text(text, encoding="utf-8")
    config = load_site(path)
    store = open_store(config.store.url)
    store.write(kw.counter_rows(kw.FIRST, kw.DAY) + class_rows(kw.FIRST, kw.DAY))
    kw.run_metering(config, store, kw.FIRST, kw.DAY)
    store.close()
    return config


@pytest.fixture(scope="module")
def report(site):
    return build_report(site, kw.DAY, "zh", now=dt.datetime(2026, 11, 26, tzinfo=dt.UTC))


def test_class_table_and_total_energy_is_the_sum_of_the_classes(report):
    """25 Nov (a Wednesday): electricity as the known week; water 10 m³ of use + 7.2 of
    leak = 17.2 m³ (0 kgce); gas 24 m³ × 1.2143 = 29.1432 kgce; heat 0.75 × HDD GJ ×
    34.12 kgce/GJ. 综合能耗 is their sum, and the per-m² and per-person KPIs divide it."""
    rows = {r.energy: r for r in report.site.classes}
    assert list(rows) == ["electricity", "water", "gas", "heat"]
    electricity = kw.expected(("b1.main", "b2.main"), kw.DAY)
    heat_gj = 0.75 * (18.0 - mean_temp(kw.DAY))
    assert rows["electricity"].amount == pytest.approx(electricity.kwh)
    assert (rows["water"].amount, rows["water"].unit, rows["water"].kgce) == \
        (pytest.approx(17.2), "m3", 0)
    assert (rows["gas"].amount, rows["gas"].kgce, rows["gas"].cost) == \
        pytest.approx((24, 29.1432, 72))
    assert (rows["heat"].amount, rows["heat"].kgce) == \
        pytest.approx((heat_gj, heat_gj * 34.12))
    total = sum(r.kgce for r in report.site.classes)
    assert report.site.combined.kgce == pytest.approx(total)
    assert total == pytest.approx(electricity.kgce + 29.1432 + heat_gj * 34.12)
    assert sum(r.share for r in report.site.classes if r.share == r.share) == pytest.approx(1)
    assert rows["water"].share != rows["water"].share  # not in 综合能耗: no share
    area, people = 12000, 500
    assert report.site.intensity.kgce_per_m2 == pytest.approx(total / area)
    assert report.site.intensity.water_per_person == pytest.approx(17.2 / people)
    co2 = electricity.co2_kg + 24 * 2.16 + heat_gj * 110
    assert report.site.intensity.co2_per_m2 == pytest.approx(co2 / area)
    b2 = {r.energy: r for r in next(s for s in report.buildings if s.id == "b2").classes}
    assert set(b2) == {"electricity", "gas"}


def test_each_class_finding_with_its_evidence(report):
    found = {a.kind: a for a in report.anomalies}
    leak = found["water_leak"]
    assert (leak.point, leak.facts["nights"]) == ("b1.water", 2)
    assert leak.facts["m3_per_h"] == pytest.approx(0.3)
    heat = found["heat_weather"]
    hdd = 18.0 - mean_temp(kw.DAY)
    assert heat.facts["expected_gj"] == pytest.approx(0.5 * hdd, rel=1e-6)
    assert heat.facts["change"] == pytest.approx(0.5, rel=1e-6)
    assert "gas_closed" not in found  # a working day


def test_no_leak_after_one_night_and_gas_on_a_closed_day(site):
    """24 Nov: only one leaking night so far. Sunday 22 Nov: 15 m³ against a usual working
    day's 24 m³ (62.5 % > 50 %) is flagged; heat follows the weather those days."""
    one_night = build_report(site, kw.DAY - dt.timedelta(days=1), "en")
    assert "water_leak" not in {a.kind for a in one_night.anomalies}
    sunday = build_report(site, SUNDAY, "en")
    kinds = {a.kind: a for a in sunday.anomalies}
    assert kinds["gas_closed"].facts["m3"] == pytest.approx(15)
    assert kinds["gas_closed"].facts["workday_m3"] == pytest.approx(24)
    assert "heat_weather" not in kinds and "water_leak" not in kinds


def test_rendered_table_csv_and_evidence(report, tmp_path):
    charts = {f"curve-{s.kind}-{s.id}": b"" for s in report.scopes}  # the charts are not tested
    html = render_html(report, "zh", None, images=charts).html
    assert "分类能耗" in html and "综合能耗" in html and "人均用水" in html
    assert "夜间最小流量偏高" in html and "供热量高于气温预期" in html
    files = write_csvs(report, "zh", tmp_path, "x")
    classes = next(p for p in files if p.name == "x-classes.zh.csv").read_text("utf-8-sig")
    assert "water,水," in classes and ",m3," in classes
