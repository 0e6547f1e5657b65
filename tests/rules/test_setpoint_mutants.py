"""Exact behaviour of the setpoint rules and governor at their edges: boundaries, reasons,
heating signs, period schedules. Written to kill the mutants mutmut found alive
(tests/MUTATION.md); each asserts what a user or controller would see."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from rules.setpoint_governor import Governor, PointMemory, StatusChange, _adds_load, _sheds
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


# ----------------------------------------------------------------- governor


def sharp_decision(s, gov, now=SUMMER):
    (d,) = gov.decide(targets(s, inputs(now, "sharp"), {})[1], now)
    return d


def test_point_memory_is_active_until_its_expiry_unless_ended() -> None:
    end = SUMMER + timedelta(minutes=10)
    for status in ("planned", "sent", "unconfirmed", "acked", "applied", None):
        memory = PointMemory(value=27.0, expires_at=end, status=status)
        assert memory.active(end - timedelta(microseconds=1)) and not memory.active(end)
    for status in ("rejected", "expired", "overridden"):
        assert not PointMemory(value=27.0, expires_at=end, status=status).active(SUMMER)
    assert not PointMemory(value=None, expires_at=end, status="sent").active(SUMMER)
    assert not PointMemory(value=27.0, expires_at=None, status="sent").active(SUMMER)


def test_load_direction_and_sheds() -> None:
    assert _adds_load("cool", 27.0, 26.5) and not _adds_load("cool", 27.0, 27.0)
    assert not _adds_load("cool", 27.0, 27.5)
    assert _adds_load("heat", 19.0, 19.5) and not _adds_load("heat", 19.0, 19.0)
    assert not _adds_load("heat", 19.0, 18.5)
    s = make_settings()
    gov = Governor(s, random.Random(1))
    d = sharp_decision(s, gov)
    assert _sheds(d) and (d.previous, d.value) == (26.5, 27.5)  # the baseline → level 2
    assert _sheds(replace(d, previous=27.0, value=27.5))
    assert not _sheds(replace(d, previous=27.5, value=27.5))
    assert not _sheds(replace(d, previous=28.0, value=27.5))
    assert not _sheds(replace(d, previous=None))
    heat = replace(d, target=replace(d.target, mode="heat"))
    assert _sheds(replace(heat, previous=20.0, value=19.5))
    assert not _sheds(replace(heat, previous=19.0, value=19.5))


def test_record_keeps_what_was_commanded() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    d = sharp_decision(s, gov)
    gov.point("f2.cool").applied_value = 1.0
    gov.record(d, "c9", SUMMER, live=True)
    mem = gov.point("f2.cool")
    assert (mem.value, mem.command_id, mem.sent_at, mem.expires_at, mem.live, mem.status,
            mem.applied_value, mem.applied_at, mem.level) == (
        27.5, "c9", SUMMER, SUMMER + timedelta(seconds=s.expiry), True, "sent", None, None, 2)
    gov.record(d, "c10", SUMMER, live=False)
    assert (gov.point("f2.cool").status, gov.point("f2.cool").live) == ("planned", False)


def test_response_transitions_and_their_effects() -> None:
    s = make_settings(hold=3600)
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    at = SUMMER + timedelta(minutes=1)
    assert gov.observe_response("f2.cool", "c0", "acked", None, at) is None  # an older command
    assert gov.observe_response("f2.cool", "c1", "done", None, at) is None
    assert gov.observe_response("f2.cool", "c1", "acked", None, at) == StatusChange(
        "f2.cool", "c1", "acked", None)
    assert gov.observe_response("f2.cool", "c1", "acked", None, at) is None  # not twice
    assert gov.observe_response("f2.cool", "c1", "applied", 27.0, at) == StatusChange(
        "f2.cool", "c1", "applied", 27.0)
    mem = gov.point("f2.cool")
    assert (mem.status, mem.applied_value, mem.applied_at, mem.override_until) == (
        "applied", 27.0, at, None)
    assert gov.observe_response("f2.cool", "c1", "rejected", None, at) is None  # applied is final
    gov.record(sharp_decision(s, Governor(s)), "c2", at, live=True)
    gov.observe_response("f2.cool", "c2", "applied", None, at)
    assert gov.point("f2.cool").applied_value == 27.5  # no value: the commanded one
    gov.record(sharp_decision(s, Governor(s)), "c3", at, live=False)  # dry-run: nothing answers
    assert gov.observe_response("f2.cool", "c3", "applied", 27.5, at) is None


def test_sweep_expires_once_and_sees_overrides_beyond_half_a_step() -> None:
    s = make_settings(expiry=1800, refresh_before=60, hold=3600)
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    assert gov.sweep(SUMMER + timedelta(seconds=1799)) == []
    assert gov.sweep(SUMMER + timedelta(seconds=1800)) == [StatusChange(
        "f2.cool", "c1", "expired", 27.5, "no applied response before expiry")]
    assert gov.sweep(SUMMER + timedelta(seconds=1900)) == []  # reported once
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    at = SUMMER + timedelta(minutes=1)
    gov.observe_response("f2.cool", "c1", "applied", 27.5, at)
    gov.observe_state("f2.cool", 27.25, at)  # within half the 0.5 °C step: rounding, not a person
    assert gov.sweep(at) == []
    gov.observe_state("f2.cool", 26.0, at - timedelta(seconds=1))  # older than the apply
    assert gov.sweep(at) == []
    gov.observe_state("f2.cool", 27.2, at)  # 0.3 °C off: someone turned the dial
    (change,) = gov.sweep(at + timedelta(minutes=1))
    assert change == StatusChange("f2.cool", "c1", "overridden", 27.2,
                                  "controller reports 27.2 °C, we applied 27.5 °C: left alone "
                                  "until 07:02 UTC")
    assert gov.point("f2.cool").override_until == at + timedelta(minutes=1, seconds=3600)
    assert gov.sweep(at + timedelta(minutes=2)) == []


def test_more_response_transitions() -> None:
    s = make_settings(hold=3600)
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True, confirmed=False)
    assert gov.observe_response("f2.cool", "c1", "applied", 27.5, SUMMER).status == "applied"
    gov.record(sharp_decision(s, Governor(s)), "c2", SUMMER, live=True)
    gov.observe_response("f2.cool", "c2", "acked", None, SUMMER)
    assert gov.observe_response("f2.cool", "c2", "rejected", None, SUMMER).status == "rejected"
    assert gov.point("f2.cool").override_until == SUMMER + timedelta(hours=1)


def test_an_override_is_measured_in_the_controllers_own_step() -> None:
    s = make_settings(zones=[{"zone": "z", "controllers": [
        {"point": "c", "mode": "cool", "baseline": 26, "step": 1.0}]}])
    gov = Governor(s, random.Random(1))
    (d,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    gov.record(d, "c1", SUMMER, live=True)
    gov.observe_response("c", "c1", "applied", 27.0, SUMMER)
    gov.observe_state("c", 26.6, SUMMER)  # 0.4 °C off a 1 °C step: the device's rounding
    assert gov.sweep(SUMMER) == []
    gov.observe_state("c", 26.0, SUMMER)
    assert [c.status for c in gov.sweep(SUMMER)] == ["overridden"]


def test_a_dry_run_plan_does_not_hide_the_controllers_own_value() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "p1", SUMMER, live=False)
    assert gov.observe_state("f2.cool", 26.0, SUMMER)
    assert gov.baselines() == {"f2.cool": 26.0}


def test_the_restore_jitter_comes_from_the_settings_seed() -> None:
    def restore_minutes(seed_settings) -> list[int]:
        gov = Governor(seed_settings)  # no rng given: seeded from settings.seed
        out = []
        for minute in range(0, 180, 5):
            now = SUMMER + timedelta(minutes=minute)
            for d in gov.decide(targets(seed_settings, inputs(
                    now, "sharp" if minute < 10 else "flat"), {})[1], now):
                gov.record(d, f"c{minute}", now, live=False)
                out.append(minute)
        return out

    s = make_settings(seed=123, ramp={"jitter": 3000})
    assert restore_minutes(s) == restore_minutes(s)
    assert len({tuple(restore_minutes(make_settings(seed=k, ramp={"jitter": 3000})))
                for k in range(4)}) > 1  # the seed matters


def two_zones(**limits):
    return make_settings(rate_limits=limits, zones=[
        {"zone": f"z{i}", "controllers": [{"point": f"p{i}", "mode": "cool", "baseline": 26.5,
                                            "setback": 29}]} for i in range(2)])


def test_hourly_caps_forget_writes_older_than_exactly_an_hour() -> None:
    for limits in ({"per_site_hour": 1, "min_dwell": 0},
                   {"per_point_hour": 1, "min_dwell": 0}):
        s = make_settings(rate_limits=limits)
        gov = Governor(s, random.Random(1))
        assert len(gov.decide(targets(s, inputs(SUMMER, "peak"), {})[1], SUMMER)) == 1
        later = SUMMER + timedelta(minutes=59)
        assert gov.decide(targets(s, inputs(later, "sharp"), {})[1], later) == []
        hour = SUMMER + timedelta(hours=1)
        assert len(gov.decide(targets(s, inputs(hour, "sharp"), {})[1], hour)) == 1, limits


def test_dwell_gates_load_increases_but_not_sheds_and_ends_on_time() -> None:
    s = make_settings(rate_limits={"min_dwell": 600}, ramp={"jitter": 0, "interval": 60})
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=False)  # 27.5 at level 2
    soon = SUMMER + timedelta(minutes=5)
    (shed,) = gov.decide(targets(s, inputs(soon, "flat", dr_level=3), {})[1], soon)
    assert shed.value == 28.0  # a shed goes at once, dwell or not
    gov.record(shed, "c2", soon, live=False)
    later = soon + timedelta(seconds=599)
    assert gov.decide(targets(s, inputs(later, "flat"), {})[1], later) == []  # a restore waits
    on_time = soon + timedelta(seconds=600)
    (restore,) = gov.decide(targets(s, inputs(on_time, "flat"), {})[1], on_time)
    assert (restore.rule, restore.value) == ("restore", 27.5)


def test_sheds_go_first_and_one_blocked_point_does_not_stop_the_rest() -> None:
    s = two_zones(per_site_hour=1, min_dwell=0)
    gov = Governor(s, random.Random(1))
    for point in ("p0", "p1"):
        gov.observe_state(point, 27.5, SUMMER)
    night = SUMMER.replace(hour=15)  # unoccupied: p0 would go down to nothing, p1 sheds
    gov.observe_state("p0", 30.0, night)  # p0 above its setback: going to 29 adds load
    (first,) = gov.decide(targets(s, inputs(night, "flat"), gov.baselines())[1], night)
    assert first.target.point == "p1" and first.value == 29.0  # the shed, though p0 sorts first
    s = two_zones(per_point_hour=1, min_dwell=0)
    gov = Governor(s, random.Random(1))
    gov.point("p0").writes = [SUMMER]  # p0 used its hour
    (only,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    assert only.target.point == "p1"
