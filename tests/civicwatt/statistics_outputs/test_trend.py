"""The 12-month trend: each month is the core's own site total, a year earlier beside it, None
where nothing was metered."""

from __future__ import annotations

import datetime as dt

import pytest

from civicwatt.statistics import compute
from civicwatt.statistics_outputs.trend import monthly_trend


def test_the_trend_ends_with_the_periods_month_and_equals_its_document(portfolio, month_doc):
    site, target = portfolio
    trend = monthly_trend(site, target, "2026-10")
    assert trend.months[0] == dt.date(2025, 11, 1) and trend.months[-1] == dt.date(2026, 10, 1)
    total = month_doc["total"]
    assert trend.current[-1] == pytest.approx(total["kgce"])
    # the whole portfolio then (同比 in the document compares like with like: School is new)
    last_october = compute(site, target, "2025-10", compare=False).to_json()["total"]
    assert trend.previous[-1] == pytest.approx(last_october["kgce"])
    b1, b2, _ = month_doc["buildings"]
    assert trend.previous[-1] == pytest.approx(b1["kgce"] - b1["yoy"]["kgce"]
                                               + b2["kgce"] - b2["yoy"]["kgce"])
    assert trend.current[-2] == pytest.approx(total["kgce"] - total["mom"]["kgce"])
    assert trend.current[0] is not None and trend.previous[0] is None  # 2024-11: nothing
    assert trend.current[1] is None  # the fixture has no December 2025


def test_a_quarter_and_a_year_end_with_their_last_month(portfolio):
    site, target = portfolio
    assert monthly_trend(site, target, "2026-Q3").months[-1] == dt.date(2026, 9, 1)
    assert monthly_trend(site, target, "2026").months[-1] == dt.date(2026, 12, 1)
