"""The report compares a day with the forecast issued before it began, not a later revision."""

import datetime as dt

from civicwatt.reports.data import _forecasts
from rules.clock import day_bounds
from store import Row, Series, open_store

DAY = dt.date(2026, 11, 18)
TZ = "Asia/Shanghai"


def rows(measurement: str, start: int, hours: int, value: float) -> list[Row]:
    series = Series.of(measurement, site="s", building="b", zone="b", target="load", model="m")
    return [Row(series, start + h * 3_600_000_000_000, {"value": value}) for h in range(hours)]


def test_day_ahead_snapshot_wins_for_the_day_and_latest_for_the_next(tmp_path):
    store = open_store(f"sqlite://{tmp_path}/s.db")
    start, end = day_bounds(DAY, TZ)
    next_end = day_bounds(DAY + dt.timedelta(days=1), TZ)[1]
    store.write(rows("forecast", start, 48, 2.0) + rows("forecast_day_ahead", start, 48, 1.0))
    found = _forecasts(store, {"site": "s"}, start, end, next_end)
    assert [r.fields["value"] for r in found if r.time_ns < end] == [1.0] * 24
    assert [r.fields["value"] for r in found if r.time_ns >= end] == [2.0] * 24


def test_without_a_snapshot_the_latest_forecast_stands_in(tmp_path):
    store = open_store(f"sqlite://{tmp_path}/s.db")
    start, end = day_bounds(DAY, TZ)
    next_end = day_bounds(DAY + dt.timedelta(days=1), TZ)[1]
    store.write(rows("forecast", start, 48, 2.0))
    found = _forecasts(store, {"site": "s"}, start, end, next_end)
    assert [r.fields["value"] for r in found] == [2.0] * 48
