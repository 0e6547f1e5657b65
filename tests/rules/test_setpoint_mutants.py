"""Exact behaviour of the setpoint rules and governor at their edges: boundaries, reasons,
heating signs, period schedules. Written to kill the mutants mutmut found alive
(tests/MUTATION.md); each asserts what a user or controller would see."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from rules.setpoint_governor import Governor, PointMemory, StatusChange, _adds_load, _sheds
from rules.setpoint_settings import Occupancy
from rules.setpoints import (
    Level,
    is_occupied,
    round_into,
    site_level,
    targets,
)
from tests.rules.test_setpoints import SUMMER, WINTER, inputs, make_settings

LOCAL = datetime(2026, 7, 15, 8, 30)  # a naive local clock reading for is_occupied


def test_occupancy_minutes_and_months() -> None:
    occupancy = Occupancy(workdays=({"start": "08:15", "end": "18:00", "months": [7]},))
    assert is_occupied(occupancy, LOCAL, True)  # 08:30 ≥ 08:15
    assert not is_occupied(occupancy, LOCAL.replace(minute=10), True)
    assert not is_occupied(occupancy, LOCAL.replace(month=8), True)  # not in its months
    assert not is_occupied(occupancy, LOCAL, False)  # no non-workday windows


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


def test_restore_of_an_override_holds_the_point_and_an_echo_keeps_its_value() -> None:
    s = make_settings(hold=3600)
    gov = Governor(s, random.Random(1))
    end = SUMMER + timedelta(minutes=20)
    assert gov.restore("f2.cool", "a", 27.5, "overridden", SUMMER, end, SUMMER) is False
    assert gov.point("f2.cool").override_until == SUMMER + timedelta(hours=1)
    assert gov.point("f2.cool").value is None
    assert gov.restore("f2.heat", "b", 19.0, "applied", SUMMER, end, SUMMER, applied=18.5)
    assert (gov.point("f2.heat").value, gov.point("f2.heat").applied_value) == (19.0, 18.5)
    assert gov.point("f2.heat").applied_at == SUMMER and gov.point("f2.heat").writes == [SUMMER]
    assert gov.restore("f2.cool", "c", 27.0, "sent", SUMMER, end, SUMMER, applied=None)
    assert (gov.point("f2.cool").applied_value, gov.point("f2.cool").applied_at) == (None, None)


def sequence(s, start, periods, seed=1) -> list[tuple]:
    """(minute, value, previous, rule, reason) of every write, one evaluation per 5 minutes."""
    gov = Governor(s, random.Random(seed))
    out = []
    for i, period in enumerate(periods):
        now = start + timedelta(minutes=5 * i)
        gov.sweep(now)
        for d in gov.decide(targets(s, inputs(now, period), gov.baselines())[1], now):
            gov.record(d, f"c{i}", now, live=False)
            out.append((5 * i, d.value, d.previous, d.rule, d.reason))
    return out


LEVEL_2 = "level 2: period sharp → level 2"
BACK = "restore towards 26.5 °C (occupied, no demand limit)"


def test_a_restore_ramps_one_step_per_interval_and_refreshes_while_it_waits() -> None:
    ramp = {"jitter": 0, "interval": 900, "step": 0.5}
    s = make_settings(rate_limits={"min_dwell": 0}, ramp=ramp)
    assert sequence(s, SUMMER, ["sharp"] + ["flat"] * 12) == [
        (0, 27.5, 26.5, "demand_limit", LEVEL_2), (15, 27.0, 27.5, "restore", BACK),
        (30, 26.5, 27.0, "restore", BACK)]
    assert sequence(s, SUMMER, ["sharp"] * 8) == [
        (0, 27.5, 26.5, "demand_limit", LEVEL_2), (20, 27.5, 27.5, "refresh", LEVEL_2)]
    late = make_settings(rate_limits={"min_dwell": 0}, ramp={**ramp, "jitter": 3000})
    hold = "hold before a randomised restore to 26.5 °C"
    assert sequence(late, SUMMER, ["sharp"] + ["flat"] * 20, seed=0) == [  # 42 min delay
        (0, 27.5, 26.5, "demand_limit", LEVEL_2), (20, 27.5, 27.5, "refresh", hold),
        (40, 27.5, 27.5, "refresh", hold), (55, 27.0, 27.5, "restore", BACK),
        (70, 26.5, 27.0, "restore", BACK)]
    assert sequence(late, SUMMER, ["sharp"] + ["flat"] * 20, seed=3)[1][0] == 20  # 12 min


def test_a_heating_restore_ramps_upwards() -> None:
    s = make_settings(rate_limits={"min_dwell": 0}, offsets={"heating": [1.0, 1.5, 2.0]},
                      ramp={"jitter": 0, "interval": 600, "step": 1.0},
                      zones=[{"zone": "z", "controllers": [
                          {"point": "h", "mode": "heat", "baseline": 20, "step": 0.5}]}])
    back = "restore towards 20 °C (occupied, no demand limit)"
    assert sequence(s, WINTER, ["sharp"] + ["flat"] * 10) == [
        (0, 18.5, 20.0, "demand_limit", LEVEL_2), (10, 19.5, 18.5, "restore", back),
        (20, 20.0, 19.5, "restore", back)]


@pytest.mark.parametrize(("args", "expected"), [
    ((26.25, 20, 30, 0.5), 26.5), ((26.25, 20, 30, 0.5, False), 26.0),  # ties by direction
    ((26.2, 20, 30, 0.5), 26.0), ((26.3, 20, 30, 0.5, False), 26.5),  # no tie: nearest
    ((10, 20, 30, 0.5), 20.0), ((40, 20, 30, 0.5), 30.0),  # clamped first
    ((26.2, 26.2, 27, 0.5), 26.5), ((26.8, 20, 26.8, 0.5), 26.5),  # bounds off the grid
    ((26.3, 26.2, 26.4, 0.5), None), ((26, 26, 26, 0.5), 26.0),
    ((0.3, 0, 1, 0.1), 0.3), ((19.95, 0, 30, 0.1, False), 19.9),  # no float dust
])
def test_round_into(args, expected) -> None:
    assert round_into(*args) == expected


def test_site_level_reasons_and_dr_limits() -> None:
    s = make_settings(levels={"periods": {"sharp": 2}, "forecast": {"limit_kw": 1000}})
    level = site_level(s, inputs(SUMMER, "sharp", forecast_peak_kw=1050, dr_level=9))
    assert level == Level(3, ("period sharp → level 2",
                              "forecast peak 1050 kW vs limit 1000 kW → level 1",
                              "demand response → level 3"))
    for quiet in ({"dr_level": 0}, {"dr_level": -5}, {"forecast_peak_kw": float("nan")}):
        assert site_level(s, inputs(SUMMER, "sharp", **quiet)) == Level(
            2, ("period sharp → level 2",))
    assert site_level(s, inputs(SUMMER, "flat")) == Level(0)


def pair(**over):
    settings = {"cooling_months": list(range(1, 13)), "heating_months": list(range(1, 13)),
                "policy": {"public_institution": False,
                           "comfort_heating": {"low": 18, "high": 26}}}
    return make_settings(**{**settings, **over})


def zone(*controllers):
    return [{"zone": "z", "controllers": list(controllers)}]


COOL = {"point": "c", "mode": "cool", "baseline": 24}
HEAT = {"point": "h", "mode": "heat", "baseline": 25, "step": 0.1}


def values(ts) -> list[tuple]:
    return [(t.point, t.value, t.baseline, t.low, t.high) for t in ts]


def test_deadband_between_two_targets() -> None:
    _, ts = targets(pair(zones=zone(COOL, HEAT)), inputs(SUMMER, "flat", dr_level=1), {})
    assert values(ts) == [("c", 25.0, 25.0, 25.0, 28.0), ("h", 24.0, 24.0, 18.0, 24.0)]


def test_deadband_against_the_other_controllers_report() -> None:
    cool_only = pair(heating_months=[], zones=zone(COOL, HEAT))
    site = inputs(SUMMER, "flat", dr_level=1)
    assert values(targets(cool_only, site, {"h": 25.0})[1]) == [("c", 25.5, 25.5, 25.5, 28.0)]
    assert values(targets(cool_only, site, {"h": float("nan")})[1]) == [
        ("c", 24.5, 24.0, 24.0, 28.0)]  # a NaN report is no report
    assert targets(cool_only, site, {"h": 28.0})[1] == []  # no value keeps the deadband
    coarse = pair(heating_months=[], zones=zone({**COOL, "step": 1.0}, HEAT),
                  policy={"public_institution": False,
                          "comfort_cooling": {"low": 24, "high": 27.5}})
    assert targets(coarse, site, {"h": 26.6})[1] == []  # 27.1..27.5 holds no 1 °C step
    heat_only = pair(cooling_months=[], zones=zone(COOL, HEAT))
    assert values(targets(heat_only, site, {"c": 21.0})[1]) == [("h", 20.5, 20.5, 18.0, 20.5)]


def test_each_mode_uses_its_own_offsets_and_tie_direction() -> None:
    s = make_settings(offsets={"cooling": [0.5, 1.0, 2.0], "heating": [1.0, 1.5, 2.5]},
                      cooling_months=list(range(1, 13)), heating_months=list(range(1, 13)),
                      policy={"public_institution": False, "deadband": 0},
                      zones=[{"zone": "z", "controllers": [
                          {"point": "c", "mode": "cool", "baseline": 26.25},
                          {"point": "h", "mode": "heat", "baseline": 19.25}]}])
    _, ts = targets(s, inputs(SUMMER, "peak"), {})  # level 1
    by = {t.point: t for t in ts}
    assert (by["c"].zone, by["c"].value, by["c"].baseline) == ("z", 27.0, 26.5)  # ties up
    assert (by["h"].zone, by["h"].value, by["h"].baseline) == ("z", 18.0, 19.0)  # ties down


def test_precool_target_says_so() -> None:
    s = make_settings(levels={"periods": {"sharp": 2}})
    at = SUMMER - timedelta(minutes=30)
    _, (t,) = targets(s, inputs(at, "flat", upcoming=((SUMMER, "sharp"),)), {})
    assert (t.rule, t.active, t.reason, t.value) == (
        "precool", True, "pre-cooling before a demand-limit period", 26.0)


def test_sweep_states_and_points_without_commands() -> None:
    s = make_settings(expiry=600, refresh_before=60, hold=3600)
    gov = Governor(s, random.Random(1))
    gov.observe_state("f2.heat", 19.0, SUMMER)  # a point with memory but no command, first
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    assert [c.status for c in gov.sweep(SUMMER + timedelta(seconds=600))] == ["expired"]
    assert gov.point("f2.cool").status == "expired"
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    assert gov.observe_response("f2.cool", "c1", "rejected", None, SUMMER).status == "rejected"
    gov = Governor(s, random.Random(1))
    gov.record(sharp_decision(s, gov), "c1", SUMMER, live=True)
    gov.observe_response("f2.cool", "c1", "applied", 27.5, SUMMER)
    gov.observe_state("f2.cool", 25.0, SUMMER)
    gov.sweep(SUMMER)
    assert gov.point("f2.cool").status == "overridden"
    gov.observe_state("f2.cool", 25.5, SUMMER + timedelta(minutes=1))
    assert gov.baselines()["f2.cool"] == 25.5  # overridden: the person's value is its own


def test_the_override_hold_ends_exactly_on_time_and_twice_is_fine() -> None:
    s = make_settings(hold=3600, rate_limits={"min_dwell": 0})
    gov = Governor(s, random.Random(1))
    gov.point("f2.cool").override_until = SUMMER
    assert gov.decide(targets(s, inputs(SUMMER - timedelta(seconds=1), "sharp"), {})[1],
                      SUMMER - timedelta(seconds=1)) == []
    assert len(gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)) == 1
    later = SUMMER + timedelta(minutes=30)
    gov.decide(targets(s, inputs(later, "sharp"), {})[1], later)  # no leftovers trip it


def test_rules_after_a_level_drop_and_before_a_precool() -> None:
    s = make_settings(rate_limits={"min_dwell": 0}, ramp={"jitter": 0, "interval": 60},
                      levels={"periods": {"sharp": 2, "peak": 1}})
    rules = [(minute, rule) for minute, _, _, rule, _ in sequence(s, SUMMER, ["sharp", "peak"])]
    assert rules == [(0, "demand_limit"), (5, "restore")]  # 27.5 → 27.0 adds load
    gov = Governor(s, random.Random(1))
    at = SUMMER - timedelta(minutes=40)  # 13:20 local, flat: nothing to command
    assert gov.decide(targets(s, inputs(at, "flat"), {})[1], at) == []
    soon = SUMMER - timedelta(minutes=30)
    (d,) = gov.decide(targets(s, inputs(soon, "flat", upcoming=((SUMMER, "sharp"),)), {})[1],
                      soon)
    assert (d.rule, d.value) == ("precool", 26.0)
    assert sequence(s, SUMMER, ["sharp"] + ["flat"] * 3)[1][0] == 5  # jitter 0: restore at once


def test_nothing_is_written_when_the_controller_already_holds_the_target() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    gov.observe_state("f2.cool", 27.5, SUMMER)
    assert gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER) == []


def test_dwell_skips_one_point_and_not_the_next() -> None:
    s = two_zones(min_dwell=600)
    gov = Governor(s, random.Random(1))
    at = SUMMER - timedelta(minutes=30)  # pre-cooling adds load: dwell applies
    gov.point("p0").sent_at = at - timedelta(minutes=1)
    ds = gov.decide(targets(s, inputs(at, "flat", upcoming=((SUMMER, "sharp"),)), {})[1], at)
    assert [(d.target.point, d.rule) for d in ds] == [("p1", "precool")]


def test_deadband_edges_keep_the_other_controller() -> None:
    site = inputs(SUMMER, "flat", dr_level=1)
    cool_only = pair(heating_months=[], zones=zone(COOL, HEAT))
    assert values(targets(cool_only, site, {"h": 27.5})[1]) == [
        ("c", 28.0, 28.0, 28.0, 28.0)]  # exactly one value left: still commanded
    squeezed = pair(zones=zone(COOL, {**HEAT, "baseline": 24.5}),
                    policy={"public_institution": False, "comfort_heating": {"low": 18,
                                                                             "high": 26},
                            "comfort_cooling": {"low": 22, "high": 24}})
    assert [t.point for t in targets(squeezed, site, {})[1]] == ["h"]  # cool skipped, not heat
    coarse = pair(zones=zone({**COOL, "step": 1.0}, {**HEAT, "baseline": 27.1}),
                  policy={"public_institution": False,
                          "comfort_heating": {"low": 18, "high": 27},
                          "comfort_cooling": {"low": 24, "high": 27.5}})
    assert [t.point for t in targets(coarse, site, {})[1]] == ["h"]


def test_a_ramp_finer_than_the_device_step_still_arrives() -> None:
    s = make_settings(rate_limits={"min_dwell": 0}, ramp={"jitter": 0, "interval": 600,
                                                          "step": 0.25})
    steps = [(m, v) for m, v, *_ in sequence(s, SUMMER, ["sharp"] + ["flat"] * 10)]
    assert steps == [(0, 27.5), (10, 27.0), (20, 26.5)]  # ties go towards the goal
    h = make_settings(rate_limits={"min_dwell": 0}, offsets={"heating": [1.0, 1.5, 2.0]},
                      ramp={"jitter": 0, "interval": 600, "step": 0.25},
                      zones=[{"zone": "z", "controllers": [
                          {"point": "h", "mode": "heat", "baseline": 20, "step": 0.5}]}])
    assert [(m, v) for m, v, *_ in sequence(h, WINTER, ["sharp"] + ["flat"] * 10)] == [
        (0, 18.5), (10, 19.0), (20, 19.5), (30, 20.0)]
