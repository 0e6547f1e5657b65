"""The 12-month trend: the store's local-month sums over every class's root meters (sub-meters
left out), the same months a year earlier, None where nothing was metered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import store
from civicwatt.config import load_site
from civicwatt.statistics_outputs.periods import parse
from civicwatt.statistics_outputs.trend import monthly_trend
from store import Row, Series

CONFIG = Path(__file__).resolve().parents[3] / "config" / "example-site.yaml"
TZ = ZoneInfo("Asia/Shanghai")


def row(site, point: str, local: dt.datetime, kgce: float) -> Row:
    p = site.point_by_id(point)
    tags = {"site": site.site.id, "building": p.building, "zone": p.zone_id,
            "purpose": p.purpose, "point": point}
    return Row(Series("energy_interval", tuple(tags.items())),
               int(local.replace(tzinfo=TZ).timestamp()) * 10**9, {"kgce": kgce, "kwh": 1.0})


@pytest.mark.parametrize(("period", "span", "first", "month"), [
    ("2026-10-15", "day", "2026-10-15", "2026-10-01"),
    ("2026-10", "month", "2026-10-01", "2026-10-01"),
    ("2026-Q3", "quarter", "2026-07-01", "2026-09-01"),
    ("2026", "year", "2026-01-01", "2026-12-01")])
def test_periods_and_the_month_the_trend_ends_with(period, span, first, month):
    found = parse(period)
    assert (found.span, found.first.isoformat(), found.last_month.isoformat()) == (
        span, first, month)


@pytest.mark.parametrize("period", ["2026-13", "26-10", "2026-Q5", "October", "2026-02-30", ""])
def test_a_bad_period_names_the_accepted_forms(period):
    with pytest.raises(ValueError, match="a month 2026-10, a quarter 2026-Q3"):
        parse(period)


def test_local_months_roots_only_and_a_year_earlier(tmp_path):
    site = load_site(CONFIG)
    target = store.open_store(f"sqlite://{tmp_path / 'store.sqlite'}")
    try:
        target.write([
            # 1 October 00:30 in Shanghai is still 30 September in UTC: October's
            row(site, "b1.main", dt.datetime(2026, 10, 1, 0, 30), 10.0),
            row(site, "b2.gas", dt.datetime(2026, 10, 20, 12, 0), 5.0),
            row(site, "b1.heat", dt.datetime(2026, 9, 30, 23, 45), 7.0),  # September
            row(site, "b1.f1.light", dt.datetime(2026, 10, 5, 12, 0), 99.0),  # sub-meter
            row(site, "b2.main", dt.datetime(2025, 10, 31, 23, 0), 4.0),  # a year earlier
            row(site, "b2.main", dt.datetime(2025, 11, 1, 0, 0), 3.0),  # first trend month
            row(site, "b2.main", dt.datetime(2024, 11, 1, 0, 0), 2.0),  # its year earlier
            row(site, "b2.main", dt.datetime(2024, 10, 31, 23, 0), 100.0),  # outside
        ])
        trend = monthly_trend(site, target, "2026-10")
    finally:
        target.close()
    assert trend.months[0] == dt.date(2025, 11, 1) and trend.months[-1] == dt.date(2026, 10, 1)
    assert trend.current[-1] == pytest.approx(15.0)
    assert trend.current[-2] == pytest.approx(7.0)
    assert trend.previous[-1] == pytest.approx(4.0)
    assert trend.current[0] == pytest.approx(3.0) and trend.previous[0] == pytest.approx(2.0)
    assert trend.current[1:10] == [None] * 9
