"""Golden cases for the metering engine; every expected number is worked out by hand
in the test's docstring or comments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml

from rules.engine import meter
from rules.intervals import ENERGY, POWER, PointRules
from rules.tariffs import Tariff
from tests.rules.helpers import NS, counter_from_load, ns, simple_tariff, w

ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600 * NS
D = dt.date


def load_tariff(name: str) -> Tariff:
    path = ROOT / "civicwatt" / "data" / "tariffs" / name
    return Tariff.from_dict(yaml.safe_load(path.read_text()))


BEIJING = "beijing-general-ic-single-part-under-1kv.yaml"
GUANGDONG = "guangdong-general-ic.yaml"


def by_period(result, what: str = "amount") -> dict[str, float]:
    totals = result.totals(np.zeros(len(result.points), np.int64), 1)[what][0]
    return {p: round(float(totals[i]), 9) for i, p in enumerate(result.periods) if totals[i] != 0}


def run_one(times, values, tariff, first, end, tz="Asia/Shanghai", rules=None, **kw):
    pi = np.zeros(len(times), np.int32)
    rules = rules or PointRules.uniform(1)
    return meter(
        pi,
        np.asarray(times),
        np.asarray(values, float),
        ("m",),
        rules,
        tariff,
        tz,
        first,
        end,
        **kw,
    )


def test_beijing_summer_sharp_four_periods():
    """Beijing, Wed 2026-07-15: 2 kW until noon, 4 kW after.

    valley 00–07 (7 h × 2) + 23–24 (1 h × 4) = 18; flat 07–10 (6) + 13–16 (12) + 22–23 (4) = 22;
    peak 10–11 (2) + 17–22 (20) = 22; sharp 11–12 (2) + 12–13 (4) + 16–17 (4) = 10.
    Cost at ratios sharp 2.052 / peak 1.71 / flat 1 / valley 0.36:
    6.48 + 22 + 37.62 + 20.52.
    """
    t, v = counter_from_load(
        "2026-07-15T00:00", "2026-07-16T00:00", lambda x: 2.0 if x.hour < 12 else 4.0
    )
    r = run_one(t, v, load_tariff(BEIJING), D(2026, 7, 15), D(2026, 7, 16))
    assert by_period(r) == {"valley": 18, "flat": 22, "peak": 22, "sharp": 10}
    cost = by_period(r, "cost")
    assert cost == pytest.approx({"valley": 6.48, "flat": 22, "peak": 37.62, "sharp": 20.52})
    assert not r.energy.estimated.any()


def test_beijing_june_has_no_sharp():
    """Same load on 2026-06-17 (season 'other'): hours 11–13 and 16–17 fall back to
    peak (11–13: 2 + 4) and flat (16–17: 4). peak = 2·3 + 20 = 28 … worked out:
    peak 10–13 = 2+2+4 = 8, 17–22 = 20 → 28; flat 07–10 = 6, 13–17 = 16, 22–23 = 4 → 26."""
    t, v = counter_from_load(
        "2026-06-17T00:00", "2026-06-18T00:00", lambda x: 2.0 if x.hour < 12 else 4.0
    )
    r = run_one(t, v, load_tariff(BEIJING), D(2026, 6, 17), D(2026, 6, 18))
    assert by_period(r) == {"valley": 18, "flat": 26, "peak": 28}


DAY_TYPE_TARIFF = simple_tariff(
    [
        w("valley", "20:00", "08:00", ["workday"]),
        w("peak", "08:00", "20:00", ["workday"]),
        w("flat", "00:00", "24:00", ["weekend"]),
        w("deep_valley", "00:00", "24:00", ["holiday"]),
    ],
    {"valley": 0.3, "peak": 1.5, "flat": 1.0, "deep_valley": 0.1},
)


def test_public_holiday_and_adjusted_workday():
    """1 kW constant, 2026-10-08 .. 2026-10-11 (Thu..Sun), China calendar:
    Thu 10-08 and Fri 10-09 are workdays, Sat 10-10 is an adjusted workday (调休, worked
    for National Day), Sun 10-11 a weekend. Workdays: 12 kWh peak + 12 valley each → 3
    workdays = 36 + 36; Sunday 24 flat. A site holiday list turns Fri 10-09 into a holiday
    (24 deep_valley) in the second run."""
    tariff = Tariff.from_dict(DAY_TYPE_TARIFF)
    t, v = counter_from_load("2026-10-08T00:00", "2026-10-12T00:00", lambda x: 1.0)
    r = run_one(t, v, tariff, D(2026, 10, 8), D(2026, 10, 12))
    assert by_period(r) == {"peak": 36, "valley": 36, "flat": 24}
    assert r.classification.day_type_names() == ["workday", "workday", "workday", "weekend"]
    assert list(r.classification.adjusted) == [False, False, True, False]

    data = dict(DAY_TYPE_TARIFF, calendar={"country": "CN", "extra_holidays": ["2026-10-09"]})
    r2 = run_one(t, v, Tariff.from_dict(data), D(2026, 10, 8), D(2026, 10, 12))
    assert by_period(r2) == {"peak": 24, "valley": 24, "flat": 24, "deep_valley": 24}


def test_national_day_is_a_holiday_including_its_weekend():
    """2026-10-01 (Thu) .. 10-04 (Sun) are all National Day holidays (Sat/Sun included in
    the break): 4 × 24 kWh deep_valley at 0.1 → cost 9.6."""
    tariff = Tariff.from_dict(DAY_TYPE_TARIFF)
    t, v = counter_from_load("2026-10-01T00:00", "2026-10-05T00:00", lambda x: 1.0)
    r = run_one(t, v, tariff, D(2026, 10, 1), D(2026, 10, 5))
    assert by_period(r) == {"deep_valley": 96}
    assert by_period(r, "cost") == pytest.approx({"deep_valley": 9.6})


def test_mid_month_tariff_change():
    """Flat tariff at 1.0 until 2026-06-15, 2.0 from 2026-06-16; 1 kW all June:
    15 days × 24 kWh × 1.0 + 15 × 24 × 2.0 = 360 + 720 = 1080."""
    base = simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0})
    second = dict(
        base["versions"][0],
        effective_from="2026-06-16",
        seasons=[dict(base["versions"][0]["seasons"][0], prices={"flat": 2.0})],
    )
    tariff = Tariff.from_dict(dict(base, versions=[base["versions"][0], second]))
    t, v = counter_from_load("2026-06-01T00:00", "2026-07-01T00:00", lambda x: 1.0)
    r = run_one(t, v, tariff, D(2026, 6, 1), D(2026, 7, 1))
    assert by_period(r) == {"flat": 720}
    assert by_period(r, "cost") == pytest.approx({"flat": 1080})
    assert list(r.classification.version[:16]) == [0] * 15 + [1]


def test_half_hour_boundaries_with_hourly_readings():
    """Heilongjiang-style 07:30/11:30/23:30 boundaries; readings only on the hour, hour h
    consuming h kWh (0..23, total 276). Interpolation splits each hour evenly into
    quarters, so: peak 07:30–11:30 = ½·7 + 8 + 9 + 10 + ½·11 = 36;
    valley 23:30–07:30 = ½·23 + (0+…+6) + ½·7 = 11.5 + 21 + 3.5 = 36; flat = 276 − 72 = 204.
    With readings an hour apart and max_gap 2 h nothing is estimated."""
    tariff = Tariff.from_dict(
        simple_tariff(
            [
                w("valley", "23:30", "07:30"),
                w("peak", "07:30", "11:30"),
                w("flat", "11:30", "23:30"),
            ],
            {"valley": 0.4, "peak": 1.6, "flat": 1.0},
        )
    )
    t, v = counter_from_load(
        "2026-03-02T00:00", "2026-03-03T00:00", lambda x: float(x.hour), step_min=60
    )
    r = run_one(t, v, tariff, D(2026, 3, 2), D(2026, 3, 3), max_gap_ns=2 * HOUR)
    assert by_period(r) == {"valley": 36, "peak": 36, "flat": 204}
    assert not r.energy.estimated.any()
    r_default = run_one(t, v, tariff, D(2026, 3, 2), D(2026, 3, 3))  # gap = 2 × 15 min
    assert r_default.energy.estimated.all()


def test_temperature_triggered_sharp_day_guangdong():
    """Guangdong, 1 kW constant, 2026-06-10 (max 36 °C) and 2026-06-11 (max 30 °C).
    Normal day: valley 8, flat 08–10, 12–14, 19–24 = 9, peak 10–12, 14–19 = 7.
    Hot day: sharp 11–12 and 15–17 = 3 taken from peak → peak 4.
    Totals valley 16, flat 18, peak 11, sharp 3; cost 6.08 + 18 + 18.7 + 6.375.
    Trap: a 38 °C reading at 2026-06-11T17:00Z is 06-12 01:00 local, outside 06-11."""
    t, v = counter_from_load("2026-06-10T00:00", "2026-06-12T00:00", lambda x: 1.0)
    temp_t = np.array(
        [
            ns("2026-06-10T14:00"),
            ns("2026-06-10T15:00"),
            ns("2026-06-11T14:00"),
            dt.datetime(2026, 6, 11, 17, tzinfo=dt.UTC).timestamp() * NS,
        ],
        np.int64,
    )
    temp_v = np.array([33.0, 36.0, 30.0, 38.0])
    r = run_one(
        t, v, load_tariff(GUANGDONG), D(2026, 6, 10), D(2026, 6, 12), temperature=(temp_t, temp_v)
    )
    assert by_period(r) == {"valley": 16, "flat": 18, "peak": 11, "sharp": 3}
    assert by_period(r, "cost") == pytest.approx(
        {"valley": 6.08, "flat": 18, "peak": 18.7, "sharp": 6.375}
    )
    assert list(r.classification.triggered) == [True, False]


def test_guangdong_july_is_sharp_whatever_the_weather():
    t, v = counter_from_load("2026-07-01T00:00", "2026-07-02T00:00", lambda x: 1.0)
    r = run_one(t, v, load_tariff(GUANGDONG), D(2026, 7, 1), D(2026, 7, 2))
    assert by_period(r) == {"valley": 8, "flat": 9, "peak": 4, "sharp": 3}


def test_counter_rollover():
    """Counter wraps at 10 000 kWh: 9990 → 9998 → 6 → 14, hourly: 8, 8 (6 + 10000 − 9998),
    8 kWh; one rollover event."""
    tariff = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0}))
    t = [ns("2026-01-05T00:00") + i * HOUR for i in range(4)]
    rules = PointRules(np.array([ENERGY], np.int8), np.array([10000.0]), np.array([np.nan]))
    r = run_one(
        t,
        [9990, 9998, 6, 14],
        tariff,
        D(2026, 1, 5),
        D(2026, 1, 6),
        rules=rules,
        interval_ns=HOUR,
        max_gap_ns=HOUR,
    )
    assert list(r.energy.amount[0, :3]) == [8, 8, 8]
    assert np.isnan(r.energy.amount[0, 3:]).all()  # no readings after 03:00
    assert [e["kind"] for e in r.energy.events.records(["m"])] == ["rollover"]


def test_meter_reset_continues_from_new_value():
    """500 → 510 → 3 (meter replaced) → 13, hourly: 10, 0 (reset step; estimated), 10.
    The reset is reported with the values around it."""
    tariff = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0}))
    t = [ns("2026-01-05T00:00") + i * HOUR for i in range(4)]
    r = run_one(
        t,
        [500, 510, 3, 13],
        tariff,
        D(2026, 1, 5),
        D(2026, 1, 6),
        interval_ns=HOUR,
        max_gap_ns=HOUR,
    )
    assert list(r.energy.amount[0, :3]) == [10, 0, 10]
    assert list(r.energy.estimated[0, :3]) == [False, True, False]
    [event] = r.energy.events.records(["m"])
    assert (event["kind"], event["before"], event["after"]) == ("reset", 510, 3)
    assert event["time_ns"] == t[2]


def test_step_above_physical_max_is_flagged_not_billed():
    """max 50 kW; 0 → 10 → 9010 (9000 kWh in an hour: a corrupt reading) → 9020:
    10, 0 (flagged), 10."""
    tariff = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0}))
    t = [ns("2026-01-05T00:00") + i * HOUR for i in range(4)]
    rules = PointRules(np.array([ENERGY], np.int8), np.array([np.nan]), np.array([50.0]))
    r = run_one(
        t,
        [0, 10, 9010, 9020],
        tariff,
        D(2026, 1, 5),
        D(2026, 1, 6),
        rules=rules,
        interval_ns=HOUR,
        max_gap_ns=HOUR,
    )
    assert list(r.energy.amount[0, :3]) == [10, 0, 10]
    assert r.energy.estimated[0, 1]
    assert [e["kind"] for e in r.energy.events.records(["m"])] == ["above_max"]


def test_gap_across_a_period_boundary():
    """Beijing, 2026-06-17 (flat 13–17, peak 17–22). Readings every 15 min at 10 kWh/h
    from 15:00 to 16:00 (90 → 100), none until 18:00 (140), then every 15 min to 19:00 (150).
    The 40 kWh of the gap spread evenly: 20 to 16–17 (flat), 20 to 17–18 (peak).
    flat = 10 + 20 = 30, peak = 20 + 10 = 30; exactly the 8 gap quarters are estimated."""
    before_t, before_v = counter_from_load(
        "2026-06-17T15:00", "2026-06-17T16:00", lambda x: 10.0, initial=90
    )
    after_t, after_v = counter_from_load(
        "2026-06-17T18:00", "2026-06-17T19:00", lambda x: 10.0, initial=140
    )
    t = np.concatenate((before_t, after_t))
    v = np.concatenate((before_v, after_v))
    r = run_one(t, v, load_tariff(BEIJING), D(2026, 6, 17), D(2026, 6, 18))
    assert by_period(r) == {"flat": 30, "peak": 30}
    est = np.flatnonzero(r.energy.estimated[0])
    assert list(est) == list(range(16 * 4, 18 * 4))


def test_power_point_integrates_trapezoidally():
    """kW samples 0, 4, 4 at 00:00, 01:00, 02:00 → 2 + 4 = 6 kWh."""
    tariff = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0}))
    t = [ns("2026-01-05T00:00") + i * HOUR for i in range(3)]
    rules = PointRules.uniform(1, POWER)
    r = run_one(
        t,
        [0, 4, 4],
        tariff,
        D(2026, 1, 5),
        D(2026, 1, 6),
        rules=rules,
        interval_ns=HOUR,
        max_gap_ns=HOUR,
    )
    assert list(r.energy.amount[0, :2]) == [2, 4]


def test_monthly_demand_charge():
    """Demand charge 40 per kW of the month's highest 15-min mean: two points, 1 kW all day,
    plus 5 kWh in 12:00–12:15 on 2026-01-20 at point 1 (20 kW mean) → peak 1 + 20 + 1 = 22
    kW → 880; February has only the base 2 kW → 80."""
    from rules.engine import demand_charges

    data = simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0},
                         demand_charge={"price_per_kw": 40})
    tariff = Tariff.from_dict(data)
    t, v = counter_from_load("2026-01-01T00:00", "2026-03-01T00:00", lambda x: 1.0)
    spike = t > ns("2026-01-20T12:00")
    v2 = v + np.where(spike, 5.0, 0.0)
    pi = np.repeat(np.arange(2, dtype=np.int32), t.size)
    r = meter(pi, np.concatenate((t, t)), np.concatenate((v, v2)), ("a", "b"),
              PointRules.uniform(2), tariff, "Asia/Shanghai", D(2026, 1, 1), D(2026, 3, 1))
    charges = demand_charges(r, tariff)
    assert [(c.month, round(c.max_kw, 9), round(c.charge, 6)) for c in charges] == [
        ("2026-01", 22.0, 880.0), ("2026-02", 2.0, 80.0)]


def test_demand_window_that_intervals_cannot_tile_is_refused():
    """45-min intervals cannot make a 15-min demand window: refuse rather than understate."""
    from rules.engine import demand_charges

    tariff = Tariff.from_dict(simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1.0},
                                            demand_charge={"price_per_kw": 40}))
    t, v = counter_from_load("2026-01-01T00:00", "2026-01-02T00:00", lambda x: 1.0)
    r = meter(np.zeros(t.size, np.int32), t, v, ("a",), PointRules.uniform(1), tariff,
              "Asia/Shanghai", D(2026, 1, 1), D(2026, 1, 2), interval_ns=45 * 60 * 10**9)
    with pytest.raises(ValueError, match=r"demand window \(15 min\).*--interval 15m"):
        demand_charges(r, tariff)
