"""The setpoint job's inputs: forecast peak from the store, DR and state payloads, workdays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from civicwatt.config import load_site
from civicwatt.config.calendar import site_calendar
from civicwatt.setpoints.inputs import (
    forecast_peak,
    parse_dr,
    parse_state,
    schedule_periods,
    tariff_periods,
)
from rules.calendar import CalendarSpec, is_working
from store import Row, Series, open_store

NOW = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)


def test_forecast_peak_sums_buildings_per_hour(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/s.db")
    rows = []
    for hour, (b1, b2) in enumerate([(900, 400), (1000, 450), (800, 700), (2000, 2000)]):
        t = int((NOW + timedelta(hours=hour)).timestamp() * 1e9)
        rows += [Row(Series.of("forecast", site="hq", building="b1", target="load",
                               model="wls"), t, {"value": b1, "lower": 0.0, "upper": 0.0}),
                 Row(Series.of("forecast", site="hq", building="b2", target="load",
                               model="wls"), t, {"value": b2}),
                 Row(Series.of("forecast", site="hq", building="b1", zone="f2",
                               target="load", model="wls"), t, {"value": 5000.0}),
                 Row(Series.of("forecast", site="hq", building="b1", target="carbon",
                               model="wls"), t, {"value": 9999.0})]
    store.write(rows)
    assert forecast_peak(store, "hq", NOW, 3 * 3600) == 1500.0  # hour 2: 800 + 700
    assert forecast_peak(store, "hq", NOW + timedelta(hours=10), 3600) is None
    assert forecast_peak(store, "other", NOW, 3 * 3600) is None


def test_dr_payloads() -> None:
    assert parse_dr(b"2", NOW, 600) == (2, NOW + timedelta(seconds=600))
    until = (NOW + timedelta(minutes=5)).isoformat()
    assert parse_dr(f'{{"level": 3, "expires_at": "{until}"}}'.encode(), NOW, 600) == (
        3, NOW + timedelta(minutes=5))
    for bad in (b"4", b"-1", b"true", b'"2"', b"{}", b"\xff", b'{"level": 1, "expires_at": 5}',
                b"1.5"):
        assert parse_dr(bad, NOW, 600) is None, bad


def test_state_payloads() -> None:
    assert parse_state(b"26.5") == 26.5
    assert parse_state(b'{"value": 27}') == 27.0
    for bad in (b"", b"on", b'{"v": 1}', b"true", b"\xfe"):
        assert parse_state(bad) is None


@pytest.mark.parametrize(("day", "country", "expected"), [
    (date(2026, 10, 1), "CN", False),  # National Day
    (date(2026, 7, 15), "CN", True),
    (date(2026, 7, 18), "CN", False),  # Saturday
    (date(2026, 12, 25), "GB", False),
    (date(2026, 7, 4), "US", False),
    (date(2026, 7, 15), "GB", True),
])
def test_workdays(day, country, expected) -> None:
    assert is_working(day, CalendarSpec(country=country)) is expected


def test_periods_come_from_the_sites_tariff() -> None:
    site = load_site("config/example-site.yaml")
    source = tariff_periods(site)
    assert source is not None and "Beijing" in source.description
    at = datetime(2026, 7, 15, 2, 55, tzinfo=UTC)  # 10:55 local, summer
    period, upcoming = source(at)
    assert period == "peak"
    assert upcoming[:3] == ((datetime(2026, 7, 15, 3, 0, tzinfo=UTC), "sharp"),
                            (datetime(2026, 7, 15, 5, 0, tzinfo=UTC), "flat"),
                            (datetime(2026, 7, 15, 8, 0, tzinfo=UTC), "sharp"))
    assert source(datetime(2026, 1, 14, 10, 30, tzinfo=UTC))[0] == "sharp"  # 18:30 winter
    fallback = schedule_periods(site)
    assert fallback(at)[0] == "peak" and fallback.description == "setpoints.period_schedule"
    without = site.model_copy(update={"metering": None})
    assert tariff_periods(without) is None


def test_the_sites_own_days_count_as_its_tariff_counts_them() -> None:
    site = load_site("config/example-site.yaml")
    own = CalendarSpec(holidays=(date(2026, 7, 15),), workdays=(date(2026, 7, 18),))
    calendar = site_calendar(site.model_copy(update={"calendar": own}))
    assert is_working(date(2026, 7, 15), calendar) is False
    assert is_working(date(2026, 7, 18), calendar) is True
    without = site_calendar(site.model_copy(update={"calendar": None}))
    assert without == CalendarSpec(country=site.site.country)
