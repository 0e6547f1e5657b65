"""The setpoint rules and governor: levels, bounds, ramps, rate limits, overrides (pure, no I/O)."""

from __future__ import annotations

import math
import os
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from rules.setpoint_checks import check_setpoints
from rules.setpoint_governor import Governor
from rules.setpoint_settings import SetpointSettings, bounds
from rules.setpoints import (
    SiteInputs,
    is_occupied,
    round_into,
    site_level,
    targets,
)

TZ = "Asia/Shanghai"
# 2026-07-15 is a Wednesday; 14:00 local = 06:00 UTC
SUMMER = datetime(2026, 7, 15, 6, 0, tzinfo=UTC)
WINTER = datetime(2026, 1, 14, 6, 0, tzinfo=UTC)


def make_settings(**over) -> SetpointSettings:
    data = {
        "mode": "live",
        "seed": 7,
        "period_schedule": [{"start": "14:00", "end": "16:00", "period": "sharp"},
                            {"start": "10:00", "end": "14:00", "period": "peak"}],
        "levels": {"periods": {"sharp": 2, "peak": 1},
                   "forecast": {"limit_kw": 1000}},
        "zones": [
            {"zone": "f2", "controllers": [
                {"point": "f2.cool", "mode": "cool", "baseline": 26.5, "setback": 29},
                {"point": "f2.heat", "mode": "heat", "baseline": 19, "setback": 16}]},
            {"zone": "dc", "exempt": "data room",
             "controllers": [{"point": "dc.cool", "mode": "cool", "baseline": 22}]},
        ],
    }
    data.update(over)
    return SetpointSettings.model_validate(data)


def inputs(now: datetime, period: str = "flat", **kw) -> SiteInputs:
    return SiteInputs(now=now, timezone=TZ, workday=kw.pop("workday", True), period=period, **kw)


def test_levels_are_the_maximum_of_their_sources_not_a_sum() -> None:
    s = make_settings()
    assert site_level(s, inputs(SUMMER, "flat")).level == 0
    assert site_level(s, inputs(SUMMER, "peak")).level == 1
    assert site_level(s, inputs(SUMMER, "sharp", forecast_peak_kw=1050, dr_level=1)).level == 2
    assert site_level(s, inputs(SUMMER, "peak", forecast_peak_kw=1250)).level == 3
    assert site_level(s, inputs(SUMMER, "peak", dr_level=9)).level == 3


def test_demand_limit_is_baseline_plus_g36_offset_clamped_to_policy() -> None:
    s = make_settings()
    level, ts = targets(s, inputs(SUMMER, "sharp"), {})
    assert level.level == 2
    (cool,) = ts  # heating is out of season; the data room is exempt
    assert (cool.point, cool.value, cool.rule) == ("f2.cool", 27.5, "demand_limit")
    _, ts = targets(s, inputs(SUMMER, "flat", dr_level=3), {})
    assert ts[0].value == 28.0  # 26.5 + 2 = 28.5, clipped to the comfort band's 28


def test_public_institution_rule_clamps_both_seasons() -> None:
    s = make_settings(zones=[{"zone": "z", "controllers": [
        {"point": "c", "mode": "cool", "baseline": "reported", "fallback": 26},
        {"point": "h", "mode": "heat", "baseline": "reported", "fallback": 20}]}])
    _, ts = targets(s, inputs(SUMMER, "peak"), {"c": 23.0})
    assert ts[0].value == 26.0  # 23 + 0.5 would break the ≥ 26 °C rule
    _, ts = targets(s, inputs(WINTER, "flat", workday=False), {"h": 23.0})
    assert not any(t.active for t in ts)  # unoccupied, no setback: nothing to command
    _, ts = targets(s, inputs(WINTER, "flat", dr_level=1), {"h": 23.0})
    assert ts[0].value == 20.0 and ts[0].mode == "heat"


def test_setback_outside_hours_and_on_holidays() -> None:
    s = make_settings()
    night = SUMMER.replace(hour=14)  # 22:00 local
    _, ts = targets(s, inputs(night), {})
    assert (ts[0].rule, ts[0].value) == ("setback", 29.0)  # comfort band: occupied hours only
    _, ts = targets(s, inputs(SUMMER, workday=False), {})
    assert ts[0].rule == "setback"
    _, ts = targets(s, inputs(SUMMER), {})
    assert ts[0].active is False and ts[0].value == 26.5


def test_precool_before_sharp_within_comfort() -> None:
    s = make_settings()
    at = SUMMER - timedelta(minutes=30)  # 13:30 local, sharp at 14:00
    ahead = ((SUMMER, "sharp"),)  # the schedule's sharp window starts at 14:00
    _, ts = targets(s, inputs(at, "peak", upcoming=ahead), {})
    assert ts[0].rule == "demand_limit"  # peak is already level 1: no pre-cooling
    s2 = make_settings(levels={"periods": {"sharp": 2}})
    _, ts = targets(s2, inputs(at, "flat", upcoming=ahead), {})
    assert (ts[0].rule, ts[0].value) == ("precool", 26.0)  # 26.5 − 1 = 25.5 → policy 26


def test_deadband_between_heating_and_cooling() -> None:
    s = make_settings(cooling_months=list(range(1, 13)), heating_months=list(range(1, 13)),
                      policy={"public_institution": False},
                      zones=[{"zone": "z", "controllers": [
                          {"point": "c", "mode": "cool", "baseline": 24},
                          {"point": "h", "mode": "heat", "baseline": 23.8, "step": 0.1}]}])
    _, ts = targets(s, inputs(SUMMER, "flat", dr_level=1), {})
    by = {t.mode: t.value for t in ts}
    assert by["heat"] <= by["cool"] - 0.5


def test_round_into_never_leaves_bounds() -> None:
    assert round_into(26.26, 26.2, 27.0, 0.5) == 26.5
    assert round_into(26.26, 26.2, 26.4, 0.5) is None


def test_bounds_per_mode() -> None:
    s = make_settings()
    zone = s.zones[0]
    assert bounds(s, zone, zone.controllers[0]) == (26.0, 28.0)
    assert bounds(s, zone, zone.controllers[1]) == (18.0, 20.0)


# ----------------------------------------------------------------- governor


def run(gov: Governor, s: SetpointSettings, now: datetime, period: str, reported=None):
    _, ts = targets(s, inputs(now, period), reported or {})
    gov.sweep(now)
    out = gov.decide(ts, now)
    for i, d in enumerate(out):
        gov.record(d, f"{now.timestamp():.0f}-{i}", now, live=False)
    return out


def test_shed_at_once_restore_ramped_with_random_start() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    t = SUMMER
    first = run(gov, s, t, "sharp")
    assert [d.value for d in first] == [27.5]
    assert run(gov, s, t + timedelta(minutes=5), "sharp") == []  # write on change only
    sent = []
    for minute in range(10, 240, 5):
        sent += [(minute, d.value, d.rule) for d in run(gov, s, t + timedelta(minutes=minute),
                                                         "flat")]
    values = [v for _, v, _ in sent]
    assert values[-1] == 26.5
    steps = [a - b for a, b in zip([27.5, *values], values, strict=False)]
    assert all(0 <= step <= 0.5 for step in steps)  # never more than one ramp step
    assert sent[0][0] > 10 or sent[0][2] == "refresh"


def test_dwell_and_hourly_caps() -> None:
    s = make_settings(rate_limits={"min_dwell": 600, "per_point_hour": 2, "per_site_hour": 100})
    gov = Governor(s, random.Random(1))
    t = SUMMER
    writes = []
    periods = ["sharp", "flat", "peak", "sharp", "flat", "sharp", "peak", "sharp"]
    for i, period in enumerate(periods):
        writes += [(5 * i, d) for d in run(gov, s, t + timedelta(minutes=5 * i), period)]
    # the level changes every 5 min, but the point is written twice: at once, then no sooner
    # than the 10-min dwell, and never again within the hour (cap 2)
    assert len(writes) == 2
    assert writes[0][0] == 0 and writes[1][0] - writes[0][0] >= 10


def test_override_is_left_alone_for_the_hold_time() -> None:
    s = make_settings(hold=3600)
    gov = Governor(s, random.Random(1))
    t = SUMMER
    _, ts = targets(s, inputs(t, "sharp"), {})
    (d,) = gov.decide(ts, t)
    gov.record(d, "c1", t, live=True)
    gov.observe_response("f2.cool", "c1", "acked", None, t)
    gov.observe_response("f2.cool", "c1", "applied", 27.5, t)
    gov.observe_state("f2.cool", 27.5, t)
    assert gov.sweep(t + timedelta(minutes=1)) == []
    gov.observe_state("f2.cool", 25.0, t + timedelta(minutes=2))  # a person turns it down
    (change,) = gov.sweep(t + timedelta(minutes=3))
    assert change.status == "overridden"
    for minute in range(5, 60, 5):
        now = t + timedelta(minutes=minute)
        _, ts = targets(s, inputs(now, "sharp"), {})
        assert gov.decide(ts, now) == []
    now = t + timedelta(minutes=65)
    _, ts = targets(s, inputs(now, "sharp"), {})
    assert len(gov.decide(ts, now)) == 1  # after the hold, back to the demand limit


def test_unanswered_live_command_expires() -> None:
    s = make_settings(expiry=600, refresh_before=60)
    gov = Governor(s)
    _, ts = targets(s, inputs(SUMMER, "sharp"), {})
    (d,) = gov.decide(ts, SUMMER)
    gov.record(d, "c1", SUMMER, live=True)
    assert gov.sweep(SUMMER + timedelta(seconds=599)) == []
    (change,) = gov.sweep(SUMMER + timedelta(seconds=600))
    assert change.status == "expired"
    assert gov.observe_response("f2.cool", "c1", "applied", 27.5, SUMMER) is None


# ----------------------------------------------------------------- config checks


def test_checks_name_unknown_zones_two_owners_and_clipped_offsets() -> None:
    s = make_settings(zones=[
        {"zone": "nowhere", "controllers": [{"point": "p", "mode": "cool", "baseline": 27.5}]},
        {"zone": "f2", "controllers": [{"point": "p", "mode": "cool", "owner": "bms",
                                        "baseline": 24}]}])
    found = check_setpoints(s, {"f2": "b1"}, {})
    text = "\n".join(f"{path} {value} {allowed}" for path, value, allowed in found)
    assert "nowhere" in text and "a zone id of the site: f2" in text
    assert "one writer per point" in text and "owner is bms" in text
    assert "level 2 takes p from 27.5 to 28.5" in text  # offsets the comfort band clips
    assert "baseline" in text and "24" in text  # below the 26 °C rule: always clipped


def test_checks_pass_a_sane_config() -> None:
    s = make_settings(policy={"comfort_cooling": {"low": 24, "high": 28.5}},
                      offsets={"heating": [0.5, 1.0, 1.0]})
    assert check_setpoints(s, {"f2": "b1", "dc": "b1"}, {}, every_s=300) == []
    ((path, _, allowed),) = check_setpoints(s, {"f2": "b1", "dc": "b1"}, {}, every_s=900)
    assert path == ("setpoints", "refresh_before") and "setpoints_every_s" in allowed


def test_setting_models_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="refresh_before"):
        make_settings(expiry=60, refresh_before=60)
    with pytest.raises(ValueError, match="fallback"):
        make_settings(zones=[{"zone": "z", "controllers": [
            {"point": "p", "mode": "cool", "baseline": "reported"}]}])
    with pytest.raises(ValueError, match="levels are 0..3"):
        make_settings(levels={"periods": {"sharp": 4}})
    with pytest.raises(ValueError, match="unknown fields"):
        make_settings(topics={"command": "x/{floor}/set"})
    with pytest.raises(ValueError, match="wildcards"):
        make_settings(topics={"state": "x/+/state"})


# ----------------------------------------------------------------- properties


def examples(n: int) -> int:
    """How many examples a property test draws; a mutation run (`CIVICWATT_MUTATION=1`, see
    tests/mutation.py) takes a tenth, so each of its hundreds of test runs stays short."""
    return max(10, n // 10) if os.environ.get("CIVICWATT_MUTATION") else n


temps = st.floats(min_value=-20, max_value=60)  # config values: the settings refuse NaN
#: what a controller may report: anything, NaN and ±inf included (JSON lets them through)
reports = st.one_of(st.none(), temps, st.sampled_from([float("nan"), float("inf"),
                                                       float("-inf")]))


@st.composite
def scenario(draw):
    mode = draw(st.sampled_from(["cool", "heat"]))
    public = draw(st.booleans())
    lo = draw(st.floats(min_value=5, max_value=30))
    device = {"min": lo, "max": lo + draw(st.floats(min_value=1, max_value=20))}
    controller = {"point": "p", "mode": mode, "step": draw(st.sampled_from([0.1, 0.5, 1.0])),
                  "baseline": draw(st.one_of(temps, st.just("reported"))),
                  "fallback": draw(temps), "setback": draw(st.one_of(st.none(), temps)),
                  **device}
    settings = make_settings(
        cooling_months=list(range(1, 13)), heating_months=list(range(1, 13)),
        policy={"public_institution": public},
        offsets={"cooling": sorted(draw(st.lists(st.floats(0, 5), min_size=3, max_size=3))),
                 "heating": sorted(draw(st.lists(st.floats(0, 5), min_size=3, max_size=3)))},
        zones=[{"zone": "z", "controllers": [controller],
                "max_level": draw(st.integers(0, 3))}])
    now = SUMMER + timedelta(minutes=draw(st.integers(0, 60 * 24 * 7)))
    site = inputs(now, draw(st.sampled_from(["flat", "peak", "sharp", "valley"])),
                  workday=draw(st.booleans()),
                  forecast_peak_kw=draw(st.one_of(st.none(), st.floats(0, 5000))),
                  dr_level=draw(st.one_of(st.none(), st.integers(-5, 9))))
    return settings, site, {"p": draw(reports)}


@hsettings(max_examples=examples(300), deadline=None)
@given(scenario())
def test_no_planned_value_leaves_the_bounds(case) -> None:
    s, site, reported = case
    zone = s.zones[0]
    _, ts = targets(s, site, reported)
    local = site.now.astimezone(ZoneInfo(TZ))
    occupied = is_occupied(zone.occupancy, local, site.workday)
    low, high = bounds(s, zone, zone.controllers[0],
                       occupied or zone.controllers[0].setback is None)
    for t in ts:
        assert low - 1e-9 <= t.value <= high + 1e-9
        assert t.mode != "cool" or not s.policy.public_institution or t.value >= 26.0
        assert t.mode != "heat" or not s.policy.public_institution or t.value <= 20.0
    gov = Governor(s, random.Random(0))
    for d in gov.decide(ts, site.now):
        assert low - 1e-9 <= d.value <= high + 1e-9


@hsettings(max_examples=examples(200), deadline=None)
@given(scenario(), st.integers(2, 8))
def test_levels_never_add_up_across_calls(case, calls) -> None:
    """The controller echoes every command back; targets and commands must not creep."""
    s, site, reported = case
    gov = Governor(s, random.Random(0))
    if reported["p"] is not None:
        gov.observe_state("p", reported["p"], site.now - timedelta(minutes=1))
        assert gov.baselines().get("p") is None or math.isfinite(gov.baselines()["p"])
    first = targets(s, site, gov.baselines())
    for i in range(calls):
        now = site.now + timedelta(minutes=5 * i)
        gov.sweep(now)
        assert targets(s, site, gov.baselines()) == first
        for d in gov.decide(first[1], now):
            gov.record(d, f"c{i}", now, live=True)
            gov.observe_response("p", f"c{i}", "applied", d.value, now)
            gov.observe_state("p", d.value, now)  # the echo a naive loop would stack on
            t = d.target
            lo, hi = sorted((t.value, d.previous if d.previous is not None else t.value))
            assert lo <= d.value <= hi  # between where it was and the target, never past it


def test_site_cap_sheds_first() -> None:
    zones = [{"zone": f"z{i}", "controllers": [{"point": f"p{i}", "mode": "cool",
                                               "baseline": 26.5, "setback": 29}]}
             for i in range(5)]
    s = make_settings(zones=zones, rate_limits={"per_site_hour": 3})
    gov = Governor(s, random.Random(1))
    _, ts = targets(s, inputs(SUMMER, "sharp"), {})
    assert len(gov.decide(ts, SUMMER)) == 3
    later = SUMMER + timedelta(minutes=30)
    _, ts = targets(s, inputs(later, "sharp"), {})
    assert gov.decide(ts, later) == []  # the site's hour is used up


@hsettings(max_examples=examples(60), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["flat", "peak", "sharp", "valley"]),
                          st.one_of(st.none(), st.integers(0, 3)), st.booleans(),
                          st.one_of(st.none(), st.floats(20, 32), st.just(float("nan")))),
                min_size=5, max_size=40),
       st.integers(0, 2**16))
def test_any_sequence_stays_bounded_and_within_rate_limits(steps, seed) -> None:
    """Random periods, DR levels, day types and reported values, tick after tick."""
    s = make_settings(rate_limits={"min_dwell": 600, "per_point_hour": 4, "per_site_hour": 6})
    gov = Governor(s, random.Random(seed))
    zone = s.zones[0]
    sent: dict[str, list[datetime]] = {}
    for i, (period, dr, workday, reported) in enumerate(steps):
        now = SUMMER + timedelta(minutes=5 * i)
        if reported is not None:
            gov.observe_state("f2.cool", reported, now)
        gov.sweep(now)
        _, ts = targets(s, inputs(now, period, dr_level=dr, workday=workday), gov.baselines())
        for d in gov.decide(ts, now):
            controller = next(c for c in zone.controllers if c.point == d.target.point)
            low, high = bounds(s, zone, controller, occupied=False)
            assert low <= d.value <= high
            assert d.previous is None or math.isfinite(d.previous)
            assert d.value == round(d.value / controller.step) * controller.step
            sent.setdefault(d.target.point, []).append(now)
            gov.record(d, f"c{i}", now, live=False)
    for times in sent.values():
        for t in times:
            assert sum(1 for u in times if t <= u < t + timedelta(hours=1)) <= 4
