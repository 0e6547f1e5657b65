"""The report's numbers against a known week: to the cent and the kWh.

The store is filled with a week of counters, the real metering job turns them
into `energy_interval` rows (`known_week.py`), and the report must agree with
the metering engine's output — and with figures computed independently from
the loads and the tariff.
"""

from __future__ import annotations

import datetime as dt
import math
from zoneinfo import ZoneInfo

import pytest

from civicwatt.config import load_site
from civicwatt.config.site import Baseline
from civicwatt.reports.job import build_report
from rules.calendar import CalendarSpec
from rules.clock import day_bounds
from store import open_store
from tests.civicwatt.reports import known_week as kw

B1 = ("b1.main",)
B2 = ("b2.main",)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    config = load_site(kw.write_site(folder))
    store = open_store(config.store.url)
    kw.fill(config, store)
    store.close()
    return config


def metered(config, points: tuple[str, ...], day: dt.date) -> dict[str, float]:
    """The metering engine's output for `points` on a local day, summed from the store."""
    start, end = day_bounds(day, kw.TZ)
    store = open_store(config.store.url)
    try:
        rows = store.read_rows("energy_interval", start, end)
    finally:
        store.close()
    sums = dict.fromkeys(("kwh", "cost", "co2_kg", "kgce"), 0.0)
    for row in rows:
        if row.series.tag("point") in points:
            for name in sums:
                sums[name] += row.fields[name]
    return sums


@pytest.fixture(scope="module")
def report(site):
    return build_report(site, kw.DAY, "en", now=dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC))


def close(actual: float, expected: float, cents: bool = False) -> bool:
    return abs(actual - expected) < (0.005 if cents else 0.0005)


def test_totals_match_the_metering_engine_to_the_cent_and_the_kwh(site, report):
    for scope, meters in ((report.site, B1 + B2), (report.buildings[0], B1),
                          (report.buildings[1], B2)):
        engine = metered(site, meters, kw.DAY)
        assert round(scope.totals.kwh, 3) == round(engine["kwh"], 3), scope.id
        assert round(scope.totals.cost, 2) == round(engine["cost"], 2), scope.id
        assert round(scope.totals.co2_kg, 3) == round(engine["co2_kg"], 3), scope.id
        assert round(scope.totals.kgce, 3) == round(engine["kgce"], 3), scope.id


def test_totals_match_the_loads_to_the_cent_and_the_kwh(report):
    for scope, meters in ((report.site, B1 + B2), (report.buildings[0], B1),
                          (report.buildings[1], B2)):
        want = kw.expected(meters, kw.DAY)
        got = scope.totals
        assert round(got.kwh, 3) == round(want.kwh, 3), scope.id
        assert round(got.cost, 2) == round(want.cost, 2), scope.id
        assert round(got.co2_kg, 3) == round(want.co2_kg, 3), scope.id
        assert round(got.kgce, 3) == round(want.kgce, 3), scope.id
    assert round(report.site.totals.kwh, 3) == 2286.0
    assert round(report.site.totals.cost, 2) == 1901.20


def test_tou_split_prices_each_period(report):
    b1 = report.buildings[0]
    by_period = {row.key: row for row in b1.tou}
    assert list(by_period) == ["peak", "flat", "valley"]
    for name, row in by_period.items():
        kwh = sum(kw.load_kw("b1.main", s) / 4 for s in kw.slots(kw.DAY, kw.DAY)
                  if kw.period(s.hour) == name)
        assert close(row.kwh, kwh)
        assert close(row.cost, kwh * kw.PRICES[name], cents=True)
    assert close(sum(r.share for r in b1.tou), 1.0)


def test_purpose_split_adds_up_and_names_the_unmetered(report):
    b1 = report.buildings[0]
    rows = {(r.key, r.residual): r for r in b1.purposes}
    light = kw.expected(("b1.light",), kw.DAY).kwh
    hvac = kw.expected(("b1.hvac",), kw.DAY).kwh
    dc = kw.expected(("b1.dc",), kw.DAY).kwh
    assert close(rows[("01A10", False)].kwh, light)
    assert close(rows[("01A00", False)].kwh, light)  # rolled up to the sub-item
    assert close(rows[("01B20", False)].kwh, hvac)
    assert close(rows[("01D10", False)].kwh, dc)
    assert close(rows[("01000", True)].kwh, 6.0 * 24)  # the 6 kW nobody sub-meters
    assert close(rows[("01000", False)].kwh, b1.totals.kwh)
    top = [r for r in b1.purposes if r.level == 1]
    assert close(sum(r.kwh for r in top), b1.totals.kwh)
    assert close(sum(r.cost for r in top), b1.totals.cost, cents=True)


def test_zone_split_rolls_nested_zones_up(report):
    b1 = report.buildings[0]
    rows = {(r.key, r.residual): r for r in b1.zones}
    light = kw.expected(("b1.light",), kw.DAY).kwh
    dc = kw.expected(("b1.dc",), kw.DAY).kwh
    assert close(rows[("b1.dc", False)].kwh, dc)
    assert close(rows[("b1.f1", False)].kwh, light + dc)  # the data room is inside floor 1
    assert close(rows[("b1.f1", True)].kwh, light)
    assert close(rows[("b1", False)].kwh, b1.totals.kwh)


def test_kpis_per_area_and_occupant(report):
    b1 = report.buildings[0]
    want = kw.expected(B1, kw.DAY)
    assert close(b1.intensity.kwh_per_m2, want.kwh / 10000)
    assert close(b1.intensity.kgce_per_person, want.kgce / 400)
    site = report.site
    assert close(site.intensity.co2_per_m2, kw.expected(B1 + B2, kw.DAY).co2_kg / 12000)


def test_year_to_date_against_a_named_reference(report):
    """The known site compares with the national average: a comparison, not a target."""
    ytd = report.buildings[0].ytd
    n = (kw.DAY - kw.FIRST).days + 1
    kgce = sum(kw.expected(B1, kw.FIRST + dt.timedelta(days=i)).kgce for i in range(n))
    assert ytd is not None and close(ytd.days, n)
    assert (ytd.reference.kind, ytd.reference.year) == ("national_average", 2020)
    row = next(r for r in ytd.rows if r.metric == "kgce_per_m2")
    assert close(row.value, kgce / 10000)
    assert close(row.baseline, 18.48 * n / 365)
    assert close(row.target, row.baseline) and row.reduction == 0
    assert row.on_track
    assert report.buildings[1].ytd.rows == []  # the canteen has no baseline configured


def with_baseline(config, **baseline):
    b1 = config.buildings[0].model_copy(update={"baseline": Baseline(**baseline)})
    return config.model_copy(update={"buildings": [b1, *config.buildings[1:]]})


def test_year_to_date_against_the_buildings_own_baseline_and_target(site):
    own = with_baseline(site, kind="own", kgce_per_m2=18.48)
    ytd = build_report(own, kw.DAY, "en").buildings[0].ytd
    n = (kw.DAY - kw.FIRST).days + 1
    row = next(r for r in ytd.rows if r.metric == "kgce_per_m2")
    assert ytd.reference.kind == "own"
    assert close(row.target, 18.48 * 0.95 * n / 365) and close(row.reduction, 0.05)


def test_buildings_with_different_kinds_of_baseline_are_not_summed(site):
    both = with_baseline(site, kind="own", kgce_per_m2=18.48)
    b2 = both.buildings[1].model_copy(update={"baseline": Baseline(kind="quota",
                                                                   kgce_per_m2=20.0)})
    mixed = both.model_copy(update={"buildings": [both.buildings[0], b2]})
    ytd = build_report(mixed, kw.DAY, "en").site.ytd
    assert ytd.mixed and ytd.rows == [] and ytd.reference is None


@pytest.fixture(scope="module")
def forecaster_output(site):
    store = open_store(site.store.url)
    try:
        tomorrow = kw.DAY + dt.timedelta(days=1)
        return {(b, day, target): kw.forecast_sums(store, b, day, target)
                for b in ("b1", "b2") for day in (kw.DAY, tomorrow)
                for target in ("load", "carbon")}
    finally:
        store.close()


def test_same_weekday_last_week_and_forecast_error(report, forecaster_output):
    b1 = report.buildings[0]
    assert b1.last_week is not None
    assert close(b1.last_week.kwh, kw.expected(B1, kw.DAY - dt.timedelta(days=7)).kwh)
    check = b1.forecast_check
    issued = forecaster_output[("b1", kw.DAY, "load")]
    assert check is not None and check.hours == 24
    assert round(check.forecast_kwh, 3) == round(issued["kwh"], 3)
    # one convention: actual against forecast (−0.38 reads "38 % below the forecast")
    assert close(check.deviation, kw.expected(B1, kw.DAY).kwh / issued["kwh"] - 1)
    assert check.model == issued["model"]
    assert check.issued_at == dt.datetime(2026, 11, 25, tzinfo=check.issued_at.tzinfo)
    site = report.site.forecast_check
    both = issued["kwh"] + forecaster_output[("b2", kw.DAY, "load")]["kwh"]
    assert site is not None and round(site.forecast_kwh, 3) == round(both, 3)


def test_hourly_curve_and_next_day(report, forecaster_output):
    b1 = report.buildings[0]
    assert len(b1.curve.hours) == 24 and b1.curve.hours[9].hour == 9
    nine = kw.slots(kw.DAY, kw.DAY)[36:40]
    assert close(b1.curve.actual_kw[9], sum(kw.load_kw("b1.main", s) for s in nine) / 4)
    assert close(b1.curve.forecast_kw[9], forecaster_output[("b1", kw.DAY, "load")]["hourly"][9])
    nxt = b1.next_day
    tomorrow = kw.DAY + dt.timedelta(days=1)
    hourly = forecaster_output[("b1", tomorrow, "load")]["hourly"]
    assert nxt is not None and nxt.day == tomorrow and nxt.hours == 24
    assert round(nxt.kwh, 3) == round(sum(hourly), 3)
    assert close(nxt.peak_kw, max(hourly)) and nxt.peak_hour.hour == hourly.index(max(hourly))
    assert round(nxt.co2_kg, 3) == round(forecaster_output[("b1", tomorrow, "carbon")]["kwh"], 3)
    site_kwh = sum(forecaster_output[(b, tomorrow, "load")]["kwh"] for b in ("b1", "b2"))
    assert round(report.site.next_day.kwh, 3) == round(site_kwh, 3)


def test_peak_demand_and_completeness(report):
    b1 = report.buildings[0]
    assert b1.peak is not None and close(b1.peak.kw, 30 + 81.5 + 20 + 6)  # HVAC 81.5 kW at :45
    assert b1.peak.at.hour == 8 and b1.peak.at.minute == 45
    assert all(c.share == 1.0 and c.expected == 96 for c in report.completeness)
    assert report.notes == []  # the metering job's virtual meter b1.unmetered is not "unknown"


def test_imbalance_is_found_with_its_evidence(report):
    found = [a for a in report.anomalies if a.kind == "imbalance"]
    assert [a.point for a in found] == ["b2.main"]  # 3 kW of 43 is not sub-metered
    facts = found[0].facts
    b2 = kw.expected(B2, kw.DAY).kwh
    assert close(facts["parent_kwh"], b2)
    assert close(facts["share"], 72.0 / b2)
    # b1's 6 kW unmetered is below the 10 % threshold: not an anomaly
    assert not any(a.point == "b1.main" for a in report.anomalies)


@pytest.fixture(scope="module")
def troubled(tmp_path_factory):
    """The known week with trouble on the report day, metered by the real job: the HVAC runs
    all night, the data-room meter falls silent at noon, the kitchen meter is replaced."""
    folder = tmp_path_factory.mktemp("troubled")
    config = load_site(kw.write_site(folder))
    zone = ZoneInfo(kw.TZ)
    noon = dt.datetime.combine(kw.DAY, dt.time(12), tzinfo=zone)
    three = dt.datetime.combine(kw.DAY, dt.time(15), tzinfo=zone)

    def night_hvac(point: str, slot: dt.datetime) -> float:
        night = slot.hour >= 22 or slot.hour < 6
        return 30.0 if slot.date() == kw.DAY and night and point in ("b1.hvac", "b1.main") \
            else 0.0

    store = open_store(config.store.url)
    kw.fill(config, store, extra_kw=night_hvac, silent_from={"b1.dc": noon},
            reset_at={"b2.kitchen": three})
    store.close()
    return build_report(config, kw.DAY, "en")


def test_after_hours_load_is_flagged_against_usual_nights(troubled):
    found = {a.point: a for a in troubled.anomalies if a.kind == "after_hours"}
    assert set(found) == {"b1.hvac", "b1.main"}
    facts = found["b1.hvac"].facts
    assert close(facts["usual_kw"], 10.0 + 0.5 * 22.5 / 15)  # weeknight HVAC mean
    assert close(facts["kw"], facts["usual_kw"] + 30.0)
    assert close(facts["excess_kwh"], 30.0 * 8)
    assert facts["nights"] == (kw.DAY - kw.FIRST).days and facts["window"] == "22:00-06:00"


def test_silent_meter_is_flagged_with_its_last_data(troubled):
    silent = [a for a in troubled.anomalies if a.kind == "silent"]
    assert [a.point for a in silent] == ["b1.dc"]
    last = silent[0].facts["last_seen"]  # readings stop from noon: the last one is 11:45
    assert (last.hour, last.minute) == (11, 45) and close(silent[0].facts["hours"], 12.25)
    dc = next(c for c in troubled.completeness if c.point == "b1.dc")
    assert dc.measured == 47 and math.isclose(dc.share, 47 / 96)
    assert troubled.completeness[0].point == "b1.dc"  # worst first


def test_meter_reset_is_flagged_with_before_and_after(troubled):
    resets = [a for a in troubled.anomalies if a.kind == "reset"]
    assert [a.point for a in resets] == ["b2.kitchen"]
    assert resets[0].facts["after"] == 0.0 and resets[0].facts["before"] > 1000
    assert resets[0].facts["at"].hour == 15


def test_non_working_day_use_above_normal(tmp_path):
    """A Saturday on which the kitchen ran 20 kW more, after three normal weekends."""
    config = load_site(kw.write_site(tmp_path))
    saturday = dt.date(2026, 11, 21)

    def busy(point: str, slot: dt.datetime) -> float:
        return 20.0 if slot.date() == saturday and point in ("b2.kitchen", "b2.main") else 0.0

    store = open_store(config.store.url)
    kw.fill(config, store, saturday - dt.timedelta(days=21), saturday, extra_kw=busy)
    store.close()
    report = build_report(config, saturday, "zh")
    assert report.day_type == "weekend"
    found = {a.point: a for a in report.anomalies if a.kind == "non_working"}
    assert set(found) == {"b2.kitchen", "b2.main"}
    facts = found["b2.kitchen"].facts
    assert close(facts["usual_kwh"], 48.0) and close(facts["kwh"], 48.0 + 20.0 * 24)
    assert facts["days"] == 6


def test_a_site_holiday_is_a_non_working_day_for_the_report(site):
    """A Wednesday the site declares a holiday: the kitchen's workday cooking is flagged
    against its usual non-working days (before: the report followed site.country only)."""
    holiday = site.model_copy(update={"calendar": CalendarSpec(holidays=(kw.DAY,))})
    report = build_report(holiday, kw.DAY, "en")
    assert report.day_type == "holiday"
    found = {a.point: a.facts for a in report.anomalies if a.kind == "non_working"}
    assert close(found["b2.kitchen"]["usual_kwh"], 48.0)  # its weekends: 2 kW all day
    assert found["b2.kitchen"]["day_type"] == "holiday"
