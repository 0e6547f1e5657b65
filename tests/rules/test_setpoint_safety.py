"""Nothing unsafe leaves: non-finite states, the last check before publish, re-clamped recovery,
unconfirmed publishes and the public-institution policy (pure, no I/O)."""

from __future__ import annotations

import math
import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pydantic import ValidationError

from rules.setpoint_governor import IN_FLIGHT, STATUSES, Governor
from rules.setpoint_guard import clamp, refusal, safe_range
from rules.setpoints import finite, targets
from tests.rules.test_setpoints import SUMMER, WINTER, examples, inputs, make_settings

NAN, INF = float("nan"), float("inf")


def reported_zone(**policy):
    return make_settings(policy=policy, zones=[{"zone": "z", "controllers": [
        {"point": "c", "mode": "cool", "baseline": "reported", "fallback": 26.5, "max": 30},
        {"point": "h", "mode": "heat", "baseline": "reported", "fallback": 19, "min": 10}]}])


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_a_non_finite_report_is_never_a_baseline(bad) -> None:
    s = reported_zone()
    _, ts = targets(s, inputs(SUMMER, "sharp"), {"c": bad, "h": bad})
    (cool,) = ts
    assert cool.value == 27.5 and cool.baseline == 26.5  # the fallback 26.5 + level 2
    assert finite(bad) is None and finite(26.0) == 26.0 and finite(0.0) == 0.0


@pytest.mark.parametrize("bad", [NAN, INF, -INF])
def test_the_governor_ignores_a_non_finite_state(bad) -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    assert gov.observe_state("f2.cool", 26.0, SUMMER) is True
    assert gov.observe_state("f2.cool", bad, SUMMER + timedelta(minutes=1)) is False
    mem = gov.point("f2.cool")
    assert (mem.reported, mem.own, mem.reported_at) == (26.0, 26.0, SUMMER)
    (d,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), gov.baselines())[1], SUMMER)
    assert d.previous == 26.0


def test_a_non_finite_applied_echo_counts_as_what_was_sent() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    (d,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    gov.record(d, "c1", SUMMER, live=True)
    change = gov.observe_response("f2.cool", "c1", "applied", NAN, SUMMER)
    assert change is not None and change.value is None
    assert gov.point("f2.cool").applied_value == 27.5


def test_settings_refuse_nan_and_infinite_limits() -> None:
    with pytest.raises(ValidationError, match="finite"):
        make_settings(zones=[{"zone": "z", "controllers": [
            {"point": "c", "mode": "cool", "baseline": NAN}]}])
    with pytest.raises(ValidationError, match="finite"):
        make_settings(policy={"cooling_min": INF})


# ----------------------------------------------------------------- the public-institution rule


@pytest.mark.parametrize(("policy", "message"), [
    ({"cooling_min": 25.5}, "cooling_min 25.5 °C is below the public-institution floor of 26"),
    ({"heating_max": 20.5}, "heating_max 20.5 °C is above the public-institution ceiling of 20"),
])
def test_a_public_institution_policy_cannot_loosen_26_and_20(policy, message) -> None:
    with pytest.raises(ValidationError, match=message):
        make_settings(policy=policy)
    looser = make_settings(policy={**policy, "public_institution": False})
    assert looser.policy.cooling_min == policy.get("cooling_min", 26.0)
    stricter = make_settings(policy={"cooling_min": 26.5, "heating_max": 19.5})
    assert (stricter.policy.cooling_min, stricter.policy.heating_max) == (26.5, 19.5)


# ----------------------------------------------------------------- the last check


def payload(value, mode="cool", previous=26.5):
    return {"value": value, "mode": mode, "previous": previous}


def test_refusal_lets_a_safe_command_through_at_the_limits() -> None:
    s = make_settings()
    zone = s.zones[0]
    cool, heat = zone.controllers
    assert refusal(s, zone, cool, payload(26.0)) is None
    assert refusal(s, zone, cool, payload(29.0, previous=None)) is None  # a setback
    assert refusal(s, zone, heat, payload(20.0, "heat")) is None
    assert refusal(s, zone, heat, payload(16.0, "heat", previous=19)) is None
    assert safe_range(s, zone, cool) == (26.0, 35.0)
    assert safe_range(s, zone, heat) == (5.0, 20.0)


@pytest.mark.parametrize(("point", "body", "why"), [
    (0, payload(25.5), "below the public-institution cooling floor of 26"),
    (1, payload(20.5, "heat"), "above the public-institution heating ceiling of 20"),
    (0, payload(35.5), "outside 26..35 °C"),
    (1, payload(4.5, "heat"), "outside 5..20 °C"),
    (0, payload(NAN), "not a finite number"),
    (0, payload(INF), "not a finite number"),
    (0, payload("27"), "not a finite number"),
    (0, payload(True), "not a finite number"),
    (0, payload(27.0, previous=NAN), "previous nan is not a finite number"),
    (0, payload(27.0, previous="x"), "previous 'x' is not a finite number"),
    (0, payload(27.0, "heat"), "mode 'heat' is not the controller's mode 'cool'"),
])
def test_refusal_names_what_is_unsafe(point, body, why) -> None:
    s = make_settings()
    zone = s.zones[0]
    assert why in refusal(s, zone, zone.controllers[point], body)


def test_refusal_of_exempt_zones_and_other_writers() -> None:
    s = make_settings(zones=[
        {"zone": "dc", "exempt": "data room",
         "controllers": [{"point": "dc.cool", "mode": "cool", "baseline": 27}]},
        {"zone": "z", "controllers": [{"point": "c", "mode": "cool", "baseline": 27,
                                       "owner": "bms"}]}])
    dc, z = s.zones
    assert "exempt (data room)" in refusal(s, dc, dc.controllers[0], payload(27.0))
    assert "written by bms" in refusal(s, z, z.controllers[0], payload(27.0))


def test_without_the_public_rule_only_device_limits_hold() -> None:
    s = make_settings(policy={"public_institution": False})
    zone = s.zones[0]
    assert refusal(s, zone, zone.controllers[0], payload(22.0)) is None
    assert "outside 5..35" in refusal(s, zone, zone.controllers[0], payload(36.0))
    assert clamp(s, zone, zone.controllers[0], 40.0) == 35.0
    assert clamp(s, zone, zone.controllers[0], NAN) is None


# ----------------------------------------------------------------- recovery


def test_recovered_values_are_re_clamped() -> None:
    s = make_settings(expiry=1800)
    gov = Governor(s)
    end = SUMMER + timedelta(minutes=20)
    assert gov.restore("f2.cool", "a", 22.0, "sent", SUMMER, end, SUMMER) is True
    assert gov.point("f2.cool").value == 26.0  # never below the floor, whatever was stored
    assert gov.restore("f2.heat", "b", 24.0, "applied", SUMMER, end, SUMMER, applied=23.0)
    mem = gov.point("f2.heat")
    assert (mem.value, mem.applied_value, mem.status) == (20.0, 20.0, "applied")
    assert gov.restore("f2.heat", "b2", 19.0, "applied", SUMMER, end, SUMMER) is True
    assert gov.point("f2.heat").applied_value == 19.0  # no echo stored: what was sent


@pytest.mark.parametrize(("point", "value", "status", "expires"), [
    ("f2.cool", NAN, "sent", 20),
    ("f2.cool", 27.0, "planned", 20),
    ("f2.cool", 27.0, "refused", 20),
    ("f2.cool", 27.0, "failed", 20),
    ("f2.cool", 27.0, "sent", 0),  # already expired
    ("gone.cool", 27.0, "sent", 20),  # no longer in the config
])
def test_what_recovery_does_not_take_back(point, value, status, expires) -> None:
    gov = Governor(make_settings())
    end = SUMMER + timedelta(minutes=expires)
    assert gov.restore(point, "a", value, status, SUMMER, end, SUMMER) is False
    assert gov.point(point).value is None and not gov.point(point).active(SUMMER)


def test_an_unconfirmed_command_is_recovered_as_in_force() -> None:
    gov = Governor(make_settings())
    end = SUMMER + timedelta(minutes=20)
    assert gov.restore("f2.cool", "a", 27.5, "unconfirmed", SUMMER, end, SUMMER) is True
    mem = gov.point("f2.cool")
    assert mem.active(SUMMER) and mem.status == "unconfirmed" and mem.applied_value is None
    gov.observe_state("f2.cool", 27.5, SUMMER)
    assert gov.baselines()["f2.cool"] is None  # its echo is ours, not the controller's own


# ----------------------------------------------------------------- unconfirmed publishes


def test_an_unconfirmed_command_counts_as_in_force_until_it_expires() -> None:
    s = make_settings(expiry=1800, refresh_before=600)
    gov = Governor(s, random.Random(1))
    (d,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    gov.record(d, "c1", SUMMER, live=True, confirmed=False)
    mem = gov.point("f2.cool")
    assert mem.status == "unconfirmed" and mem.active(SUMMER)
    later = SUMMER + timedelta(minutes=5)
    gov.observe_state("f2.cool", 26.5, later)  # not applied yet: still ours, maybe on its way
    assert gov.baselines()["f2.cool"] is None
    assert gov.decide(targets(s, inputs(later, "sharp"), {})[1], later) == []  # no second send
    assert gov.sweep(SUMMER + timedelta(seconds=1799)) == []
    (change,) = gov.sweep(SUMMER + timedelta(seconds=1800))
    assert (change.status, change.command_id) == ("expired", "c1")


def test_a_late_puback_then_the_controllers_answer_still_count() -> None:
    s = make_settings()
    gov = Governor(s, random.Random(1))
    (d,) = gov.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    gov.record(d, "c1", SUMMER, live=True, confirmed=False)
    assert gov.observe_response("f2.cool", "c1", "acked", None, SUMMER).status == "acked"
    gov2 = Governor(s, random.Random(1))
    (d,) = gov2.decide(targets(s, inputs(SUMMER, "sharp"), {})[1], SUMMER)
    gov2.record(d, "c1", SUMMER, live=True, confirmed=False)
    assert gov2.observe_response("f2.cool", "c1", "rejected", None, SUMMER).status == "rejected"
    assert gov2.point("f2.cool").override_until == SUMMER + timedelta(seconds=s.hold)


def test_status_names_are_one_list() -> None:
    assert set(IN_FLIGHT) <= set(STATUSES)
    assert {"refused", "failed", "unconfirmed", "planned"} <= set(STATUSES)


# ----------------------------------------------------------------- properties with NaN


states = st.one_of(st.none(), st.floats(-20, 60), st.sampled_from([NAN, INF, -INF]))


@hsettings(max_examples=examples(150), deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["flat", "peak", "sharp"]), states, states),
                min_size=3, max_size=25), st.booleans())
def test_any_reported_states_including_nan_give_safe_finite_commands(steps, summer) -> None:
    """Controllers may report anything, NaN and ±inf included: every decision stays finite,
    inside the safe range, and passes the last check."""
    s = reported_zone()
    zone = s.zones[0]
    by_point = {c.point: c for c in zone.controllers}
    gov = Governor(s, random.Random(0))
    start = SUMMER if summer else WINTER
    for i, (period, cool, heat) in enumerate(steps):
        now = start + timedelta(minutes=5 * i)
        for point, value in (("c", cool), ("h", heat)):
            if value is not None:
                gov.observe_state(point, value, now)
        gov.sweep(now)
        _, ts = targets(s, inputs(now, period), gov.baselines())
        for d in gov.decide(ts, now):
            controller = by_point[d.target.point]
            assert math.isfinite(d.value)
            assert d.previous is None or math.isfinite(d.previous)
            body = {"value": d.value, "mode": controller.mode, "previous": d.previous}
            assert refusal(s, zone, controller, body) is None
            gov.record(d, f"c{i}", now, live=True)
