"""Exact behaviour of the setpoint rules and governor at their edges: boundaries, reasons,
heating signs, period schedules. Written to kill the mutants mutmut found alive
(tests/MUTATION.md); each asserts what a user or controller would see."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from rules.setpoint_governor import Governor
from rules.setpoint_settings import Occupancy
from rules.setpoints import (
    is_occupied,
    period_at,
    site_level,
    targets,
    upcoming_periods,
)
from tests.rules.test_setpoints import SUMMER, TZ, WINTER, inputs, make_settings

LOCAL = datetime(2026, 7, 15, 8, 30)  # naive local clock readings for is_occupied/period_at


def test_occupancy_minutes_and_months() -> None:
    occupancy = Occupancy(workdays=({"start": "08:15", "end": "18:00", "months": [7]},))
    assert is_occupied(occupancy, LOCAL, True)  # 08:30 ≥ 08:15
    assert not is_occupied(occupancy, LOCAL.replace(minute=10), True)
    assert not is_occupied(occupancy, LOCAL.replace(month=8), True)  # not in its months
    assert not is_occupied(occupancy, LOCAL, False)  # no non-workday windows


def test_period_at_first_matching_window_by_month_and_minute() -> None:
    s = make_settings(period_schedule=[
        {"start": "14:30", "end": "16:00", "period": "sharp", "months": [7, 8]},
        {"start": "10:00", "end": "15:00", "period": "peak"}], default_period="flat")
    assert period_at(s, LOCAL.replace(hour=14, minute=40)) == "sharp"
    assert period_at(s, LOCAL.replace(hour=14, minute=20)) == "peak"  # 14:20 < 14:30
    assert period_at(s, LOCAL.replace(month=9, hour=14, minute=40)) == "peak"
    assert period_at(s, LOCAL.replace(hour=16, minute=0)) == "flat"


def test_upcoming_periods_in_local_time_with_their_edges() -> None:
    s = make_settings(period_schedule=[
        {"start": "14:30", "end": "16:00", "period": "sharp", "months": [7]},
        {"start": "10:00", "end": "14:30", "period": "peak"}])
    now = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)  # 10:00 local: peak starts exactly now
    ahead = upcoming_periods(s, now, TZ, timedelta(hours=24))
    local = [(t.astimezone(UTC) + timedelta(hours=8), name) for t, name in ahead]
    assert [(f"{t:%d %H:%M}", name) for t, name in local] == [
        ("15 14:30", "sharp"), ("16 10:00", "peak")]  # now itself is excluded, not 16th 14:30
    edge = upcoming_periods(s, now, TZ, timedelta(hours=4, minutes=30))
    assert [name for _, name in edge] == ["sharp"]  # a start exactly at the horizon counts
    july_31 = datetime(2026, 7, 31, 2, 0, tzinfo=UTC)
    assert [name for _, name in upcoming_periods(s, july_31, TZ, timedelta(days=1))] == [
        "sharp", "peak"]  # 1 August: the July-only sharp window does not apply
    late = datetime(2026, 7, 15, 17, 0, tzinfo=UTC)  # 01:00 local on the 16th
    assert [f"{t.astimezone(UTC):%d %H}" for t, _ in upcoming_periods(s, late, TZ,
                                                                  timedelta(hours=12))] == [
        "16 02"]  # 10:00 local = 02:00 UTC on the 16th
    phoenix = datetime(2026, 7, 16, 3, 0, tzinfo=UTC)  # 20:00 on the 15th in Phoenix (UTC−7)
    s2 = make_settings(period_schedule=[{"start": "22:00", "end": "23:00", "period": "peak"}])
    found = upcoming_periods(s2, phoenix, "America/Phoenix", timedelta(hours=3))
    assert [f"{t.astimezone(UTC):%d %H}" for t, _ in found] == ["16 05"]  # the local date


def test_a_single_allowed_value_is_still_a_target() -> None:
    s = make_settings(policy={"comfort_cooling": {"low": 26, "high": 26}})
    _, ts = targets(s, inputs(SUMMER, "sharp"), {})
    assert [(t.value, t.low, t.high) for t in ts] == [(26.0, 26.0, 26.0)]


def heating(**over):
    return make_settings(offsets={"cooling": [0.5, 1.0, 2.0], "heating": [1.0, 1.5, 2.5]},
                         zones=[{"zone": "z", "controllers": [
                             {"point": "h", "mode": "heat", "baseline": 21,
                              "setback": 15}]}], policy={"public_institution": False}, **over)


def test_heating_sheds_downwards_by_its_own_offsets() -> None:
    s = heating()
    _, (t,) = targets(s, inputs(WINTER, "peak"), {})  # level 1
    assert (t.value, t.baseline, t.rule, t.mode) == (20.0, 21.0, "demand_limit", "heat")
    _, (t,) = targets(s, inputs(WINTER, "sharp"), {})  # level 2
    assert t.value == 19.5


def test_reasons_say_why() -> None:
    s = make_settings()
    _, (t,) = targets(s, inputs(SUMMER, "flat"), {})
    assert (t.rule, t.active, t.reason) == ("baseline", False, "occupied, no demand limit")
    s2 = make_settings(zones=[{"zone": "z", "controllers": [
        {"point": "c", "mode": "cool", "baseline": 26.5}]}])
    night = SUMMER.replace(hour=15)
    _, (t,) = targets(s2, inputs(night, "flat"), {})
    assert (t.rule, t.active, t.reason) == ("baseline", False,
                                            "unoccupied, no setback configured")
    _, (t,) = targets(s, inputs(night, "flat"), {})
    assert (t.rule, t.active, t.reason) == ("setback", True, "unoccupied (setback)")
    _, (t,) = targets(s, inputs(night, "sharp", dr_level=1), {})
    assert t.reason == "level 2: period sharp → level 2; demand response → level 1, on the " \
                       "setback"
    assert t.value == 30.0
    capped = make_settings(zones=[{"zone": "z", "max_level": 1, "controllers": [
        {"point": "c", "mode": "cool", "baseline": 26.5}]}])
    _, (t,) = targets(capped, inputs(SUMMER, "sharp"), {})
    assert t.reason == "level 1: period sharp → level 2 (zone max 2)".replace("2)", "1)")
    equal = make_settings(zones=[{"zone": "z", "max_level": 2, "controllers": [
        {"point": "c", "mode": "cool", "baseline": 26.5}]}])
    _, (t,) = targets(equal, inputs(SUMMER, "sharp"), {})
    assert t.reason == "level 2: period sharp → level 2"  # no "(zone max …)" when not capped


def test_precool_window_edges_and_levels() -> None:
    s = make_settings(levels={"periods": {"sharp": 2}}, precool={"lead": 1800, "offset": 0.5})
    at = SUMMER - timedelta(hours=1)  # 13:00 local, occupied, flat
    for start, expected in ((at, "baseline"), (at + timedelta(minutes=30), "precool"),
                            (at + timedelta(minutes=31), "baseline")):
        _, (t,) = targets(s, inputs(at, "flat", upcoming=((start, "sharp"),)), {})
        assert t.rule == expected, start
    _, (t,) = targets(s, inputs(at, "flat", upcoming=((at + timedelta(minutes=10), "valley"),)),
                      {})
    assert t.rule == "baseline"  # a period without a level is no reason to pre-cool
    one = make_settings(levels={"periods": {"sharp": 2}},
                        precool={"lead": 1800, "offset": 0.5, "before_level": 1})
    _, (t,) = targets(one, inputs(at, "flat", upcoming=((at + timedelta(minutes=10), "x"),)),
                      {})
    assert t.rule == "baseline"
    far = ((at + timedelta(hours=3), "sharp"),)  # a high-level period, but not within the lead
    _, (t,) = targets(s, inputs(at, "flat", upcoming=far), {})
    assert t.rule == "baseline"
    off = make_settings(levels={"periods": {"sharp": 2}}, precool=None)
    _, (t,) = targets(off, inputs(at, "flat", upcoming=((at + timedelta(minutes=10), "sharp"),)),
                      {})
    assert t.rule == "baseline"


@pytest.mark.parametrize(("peak", "level"), [(999.9, 0), (1000.0, 1), (1100.0, 2), (1200.0, 3)])
def test_forecast_levels_at_their_ratios(peak, level) -> None:
    s = make_settings(levels={"periods": {}, "forecast": {"limit_kw": 1000}})
    assert site_level(s, inputs(SUMMER, "flat", forecast_peak_kw=peak)).level == level


def test_governor_memory_starts_empty() -> None:
    gov = Governor(make_settings(), random.Random(0))
    assert gov.memory == {} and gov.baselines() == {}
