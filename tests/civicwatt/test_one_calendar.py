"""One calendar: a day the site declares a holiday is a holiday in the bill, the report, the
forecast and the setpoints (and a closure closes a building for all but the bill)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from civicwatt.config import ConfigError, load_site
from civicwatt.config.calendar import site_calendar
from civicwatt.jobs.forecast import model_settings
from civicwatt.jobs.metering import meter_site
from civicwatt.jobs.setpoints import SetpointJob
from civicwatt.reports.job import build_report
from civicwatt.reports.render import render_html
from forecaster.model import LoadForecaster
from rules.calendar import Term
from store import Row, Series, open_store

SH = ZoneInfo("Asia/Shanghai")
HOLIDAY = dt.date(2026, 11, 25)  # a Wednesday, a workday on China's calendar
WORKDAY = dt.date(2026, 11, 24)

SITE = """\
version: 1
site: {id: hq, name: HQ, timezone: Asia/Shanghai, country: CN}
calendar:
  holidays: [2026-11-25]
  closures: [{from: 2026-11-24, to: 2026-11-24, buildings: [b2], reason: works}]
buildings:
  - {id: b1, floor_area_m2: 1000, occupants: 10, zones: [{id: b1.f1}]}
  - {id: b2, floor_area_m2: 500, occupants: 5, zones: [{id: b2.f1}]}
store: {url: "sqlite:///STORE"}
points:
  - {id: main, building: b1, purpose: "01000", quantity: energy, unit: kWh}
  - {id: b1.sp, building: b1, zone: b1.f1, quantity: setpoint, unit: °C,
     mqtt: {topic: hq/b1/sp}}
  - {id: b2.sp, building: b2, zone: b2.f1, quantity: setpoint, unit: °C,
     mqtt: {topic: hq/b2/sp}}
metering: {tariff: tariff.yaml, emission_factor: 0.5}
setpoints:
  cooling_months: [11]
  zones:
    - zone: b1.f1
      occupancy: {workdays: [{start: "08:00", end: "18:00"}]}
      controllers: [{point: b1.sp, mode: cool, baseline: 26, setback: 29}]
    - zone: b2.f1
      occupancy: {workdays: [{start: "08:00", end: "18:00"}]}
      controllers: [{point: b2.sp, mode: cool, baseline: 26, setback: 29}]
"""

TARIFF = """\
name: workday peak, holidays all valley
currency: CNY
calendar: {country: CN}
versions:
  - effective_from: 2020-01-01
    seasons:
      - name: all
        months: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
        windows:
          - {period: valley, start: "20:00", end: "08:00", days: [workday]}
          - {period: peak, start: "08:00", end: "20:00", days: [workday]}
          - {period: valley, start: "00:00", end: "24:00", days: [weekend, holiday]}
        prices: {peak: 1.0, valley: 0.25}
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("one-calendar")
    (folder / "tariff.yaml").write_text(TARIFF)
    (folder / "site.yaml").write_text(SITE.replace("STORE", str(folder / "s.db")))
    config = load_site(folder / "site.yaml")
    store = open_store(config.store.url)
    series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                       point="main")
    start = dt.datetime.combine(WORKDAY, dt.time(), SH)
    store.write([Row(series, int((start + dt.timedelta(minutes=15 * i)).timestamp()) * 10**9,
                     {"value": 100.0 + 2.5 * i}) for i in range(2 * 96 + 1)])  # 10 kW
    meter_site(config, store, WORKDAY, HOLIDAY + dt.timedelta(days=1))
    yield config, store
    store.close()


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), SH)


def test_the_bill_prices_a_site_holiday_as_a_holiday(site) -> None:
    config, store = site
    for day, period in ((WORKDAY, "peak"), (HOLIDAY, "valley")):
        t = int(at(day, 10).timestamp()) * 10**9
        rows = store.read_rows("energy_interval", t, t + 1)
        assert [(r.series.tag("period"), r.fields["cost"]) for r in rows] == \
            [(period, 2.5 * (1.0 if period == "peak" else 0.25))]


def test_the_report_calls_it_a_holiday(site) -> None:
    config, _ = site
    assert build_report(config, HOLIDAY, "en").day_type == "holiday"
    assert build_report(config, WORKDAY, "en").day_type == "workday"


def test_the_forecaster_treats_it_as_a_sunday(site) -> None:
    config, _ = site
    model = LoadForecaster(model_settings(config))
    hours = np.array([int(at(d, 10).timestamp()) * 10**9 for d in (WORKDAY, HOLIDAY)])
    _, daytype, _ = model.calendar.features(hours)
    assert daytype.tolist() == [1, 6]  # Tuesday, then the holiday as a Sunday


def test_the_setpoints_treat_it_as_unoccupied_and_off_peak(site) -> None:
    config, _ = site
    job = SetpointJob(config)
    holiday = job.inputs(at(HOLIDAY, 10))
    assert (holiday.workday, holiday.period) == (False, "valley")
    workday = job.inputs(at(WORKDAY, 10))
    assert (workday.workday, workday.period) == (True, "peak")
    # b2 is closed on the workday: its zone is unoccupied, b1's is not
    assert workday.closed_zones == {"b2.f1"}
    planned = {c.zone: (c.rule, c.value) for c in job.plan(at(WORKDAY, 10)).commands}
    assert planned["b1.f1"][0] == "demand_limit" and planned["b2.f1"][1] == 29.5  # setback 29 + 0.5

def test_old_holiday_keys_say_where_they_moved(tmp_path) -> None:
    (tmp_path / "tariff.yaml").write_text(TARIFF)
    moved = SITE.replace("calendar:\n  holidays: [2026-11-25]\n", "calendar:\n") \
        .replace("closures: [{from: 2026-11-24, to: 2026-11-24, buildings: [b2], reason: works}]",
                 "country: CN") \
        .replace("metering: {tariff: tariff.yaml, emission_factor: 0.5}",
                 "metering: {tariff: tariff.yaml, holidays: [2026-11-25]}\n"
                 "forecast: {extra_closures: ['12-31']}")
    (tmp_path / "site.yaml").write_text(moved.replace("STORE", str(tmp_path / "s.db")))
    with pytest.raises(ConfigError) as caught:
        load_site(tmp_path / "site.yaml")
    text = str(caught.value)
    assert "metering.holidays = [datetime.date(2026, 11, 25)] — moved to calendar.holidays" in text
    assert "forecast.extra_closures = ['12-31'] — moved to calendar.closures" in text
    assert "unknown key" not in text


def test_the_report_names_the_school_term(site) -> None:
    config, _ = site
    terms = site_calendar(config).model_copy(update={"terms": (
        Term(name="autumn 2026", start=dt.date(2026, 9, 1), end=WORKDAY),)})
    school = config.model_copy(update={"calendar": terms})
    assert build_report(school, WORKDAY, "en").term == "autumn 2026"
    vacation = build_report(school, HOLIDAY, "en")
    assert vacation.term == ""
    assert "holiday · between terms (vacation)" in render_html(vacation, "en", None).html
    assert build_report(config, WORKDAY, "en").term is None  # no terms: nothing said


def test_calendar_mistakes_are_named(tmp_path) -> None:
    (tmp_path / "tariff.yaml").write_text(TARIFF)
    bad = SITE.replace("buildings: [b2]", "buildings: [b9]") \
        .replace("calendar:\n", "calendar:\n  country: GB\n")
    (tmp_path / "site.yaml").write_text(bad.replace("STORE", str(tmp_path / "s.db")))
    with pytest.raises(ConfigError) as caught:
        load_site(tmp_path / "site.yaml")
    found = {p.path: p.allowed for p in caught.value.problems}
    assert "one of the building ids ['b1', 'b2']" in found["calendar.closures[0].buildings[0]"]
    assert "the same country as site.country (CN)" in found["calendar.country"]
