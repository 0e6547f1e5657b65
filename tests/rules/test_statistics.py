"""The arithmetic of statistics: periods, 同比/环比, quota distance, ranks, target trajectory."""

from __future__ import annotations

import datetime as dt

import pytest

from rules.statistics import change, changes, intensities, quota_distance, ranks
from rules.statistics_period import Period
from rules.targets import Limit, Quota, Targets, building_type, target_value, trajectory


@pytest.mark.parametrize("text,start,end,previous,last_year", [
    ("2026-10-15", "2026-10-15", "2026-10-16", "2026-10-14", "2025-10-15"),
    ("2026-03-01", "2026-03-01", "2026-03-02", "2026-02-28", "2025-03-01"),
    ("2024-02-29", "2024-02-29", "2024-03-01", "2024-02-28", "2023-02-28"),
    ("2026-01", "2026-01-01", "2026-02-01", "2025-12", "2025-01"),
    ("2026-Q1", "2026-01-01", "2026-04-01", "2025-Q4", "2025-Q1"),
    ("2026-q3", "2026-07-01", "2026-10-01", "2026-Q2", "2025-Q3"),
    ("2026", "2026-01-01", "2027-01-01", "2025", "2025"),
])
def test_periods_and_what_they_compare_with(text, start, end, previous, last_year):
    p = Period.parse(text)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)
    assert (p.previous().label, p.last_year().label) == (previous, last_year)
    assert Period.parse(p.label) == p


@pytest.mark.parametrize("text,why", [("2026-13", "month must be in 1..12"),
                                      ("2026-02-30", "day is out of range"),
                                      ("2026-Q5", "not a day, month, quarter or year"),
                                      ("Oct 2026", "not a day, month, quarter or year"),
                                      ("", "not a day")])
def test_bad_periods_say_what_is_accepted(text, why):
    with pytest.raises(ValueError, match=why) as caught:
        Period.parse(text)
    assert "2026-Q3 (a quarter)" in str(caught.value)


def test_trailing_months_and_year_fraction():
    p = Period.parse("2026-02")
    assert [m.label for m in p.trailing_months(3)] == ["2025-12", "2026-01", "2026-02"]
    assert len(Period.parse("2026").months()) == 12
    assert p.year_fraction() == 28 / 365
    assert Period.parse("2024").year_fraction() == 1.0
    assert Period.parse("2026-10-15").year_to_date() == Period(
        dt.date(2026, 1, 1), dt.date(2026, 10, 16), "year")


def test_change_is_null_without_data_and_percent_null_against_zero():
    assert change(110.0, 100.0) == (10.0, 10.0)
    assert change(90.0, None) == (None, None)
    assert change(None, 90.0) == (None, None)
    assert change(5.0, 0.0) == (5.0, None)
    assert change(-5.0, -10.0) == (5.0, 50.0)  # PV: less generation counted against
    absolute, pct = changes({"a": 2.0, "b": 1.0}, None, ("a", "b"))
    assert absolute == pct == {"a": None, "b": None}


def test_intensities_need_a_denominator():
    found = intensities({"kgce": 100.0, "water_m3": 10.0}, 50.0, 0)
    assert found["kgce_per_m2"] == 2.0
    assert found["kgce_per_person"] is None and found["water_m3_per_person"] is None
    assert found["co2_kg_per_m2"] is None  # no CO₂ figure: no intensity


def test_quota_distance_statuses_and_pro_rata():
    assert quota_distance(13.0, 12.0, 9.0)["status"] == "above_constraint"
    assert quota_distance(10.0, 12.0, 9.0)["status"] == "above_guide"
    assert quota_distance(9.0, 12.0, 9.0)["status"] == "within_guide"
    assert quota_distance(9.0, 12.0, None)["status"] == "within_constraint"
    month = quota_distance(1.0, 12.0, 9.0, fraction=0.1)
    assert month["constraint"] == pytest.approx(1.2) and month["guide"] == pytest.approx(0.9)
    assert month["to_constraint"] == pytest.approx(-0.2)
    assert month["to_guide_pct"] == pytest.approx(0.1 / 0.9 * 100)
    assert quota_distance(None, 12.0, 9.0)["status"] is None


def test_ranks_ascending_with_ties_and_missing():
    assert ranks({"a": 3.0, "b": 1.0, "c": 3.0, "d": None, "e": 5.0}) == {
        "a": 2, "b": 1, "c": 2, "d": None, "e": 4}


def test_targets_follow_the_plan_and_hold_after_it():
    t = Targets()
    assert t.reductions() == {"kgce_per_m2": 0.05, "kgce_per_person": 0.06,
                              "water_m3_per_person": 0.06, "co2_kg_per_m2": 0.07}
    assert target_value(10.0, 0.05, 2020, 2025, 2023) == pytest.approx(9.7)
    assert target_value(10.0, 0.05, 2020, 2025, 2025) == pytest.approx(9.5)
    assert target_value(10.0, 0.05, 2020, 2025, 2026) == pytest.approx(9.5)
    row = trajectory(4.0, 10.0, 0.05, t, 2026, 0.5)
    assert row["allowance"] == pytest.approx(4.75) and row["on_track"] is True
    assert row["to_allowance_pct"] == pytest.approx((4.0 - 4.75) / 4.75 * 100)
    assert trajectory(5.0, 10.0, 0.05, t, 2026, 0.5)["on_track"] is False
    assert trajectory(5.0, None, 0.05, t, 2026, 0.5)["on_track"] is None
    with pytest.raises(ValueError, match="target_year"):
        Targets(base_year=2025, target_year=2020)


def test_quota_and_type_models():
    with pytest.raises(ValueError, match="guide value is the stricter"):
        Limit(constraint=9.0, guide=12.0)
    with pytest.raises(ValueError, match="give constraint, guide or both"):
        Limit()
    with pytest.raises(ValueError, match="at least one of"):
        Quota(source="x")
    assert [building_type(t) for t in ("school", "Hospital", "A", "h", "office", "zoo")] == [
        "education", "medical", "office", "other", "office", "zoo"]
