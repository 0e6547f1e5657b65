"""`rules.intervals` at its edges: sorting, cleaning, events as records, bad input, and the
thresholds of the counter rule (jitter, max rate, gaps) exactly at their limits. Written to
kill the mutants `python -m tests.mutation.run_mutmut rules/intervals.py …` left alive (see
tests/MUTATION.md)."""

from __future__ import annotations

import numpy as np
import pytest

from rules.intervals import (
    ENERGY,
    POWER,
    PointRules,
    interval_energy,
    sort_readings,
)

NS = 1_000_000_000
MIN = 60 * NS
BOUNDS = np.arange(0, 4 * 15 * MIN + 1, 15 * MIN, dtype=np.int64)  # four 15-min intervals


def rules(n=1, quantity=ENERGY, rollover=np.nan, max_rate=np.nan) -> PointRules:
    return PointRules(np.full(n, quantity, np.int8), np.full(n, rollover),
                      np.full(n, max_rate))


def run(times_min, values, point=None, gap_min=30, **kw):
    point = np.zeros(len(times_min), np.int64) if point is None else np.asarray(point)
    n = int(point.max()) + 1 if point.size else 1
    r = kw.pop("rules", None) or rules(n)
    return interval_energy(point, np.asarray(times_min, np.int64) * MIN,
                           np.asarray(values, float), BOUNDS, r, gap_min * MIN, **kw)


def test_sort_readings_orders_by_point_then_time():
    pi, t, v = sort_readings(np.array([1, 0, 1, 0]), np.array([5, 9, 2, 3]),
                             np.array([10.0, 20.0, 30.0, 40.0]))
    assert (pi.tolist(), t.tolist(), v.tolist()) == ([0, 0, 1, 1], [3, 9, 2, 5],
                                                    [40.0, 20.0, 30.0, 10.0])


SORTED = r"^readings must be sorted by \(point, time\); use sort_readings\(\)$"


def test_unsorted_readings_and_out_of_range_points_are_refused():
    with pytest.raises(ValueError, match=SORTED):
        run([15, 0], [1.0, 0.0])
    with pytest.raises(ValueError, match=SORTED):
        run([0, 0], [0.0, 1.0], point=[1, 0], rules=rules(2))
    with pytest.raises(ValueError, match=SORTED):  # the third reading's point goes back
        run([0, 0, 0], [0.0, 1.0, 2.0], point=[0, 2, 1], rules=rules(3))
    with pytest.raises(ValueError, match=SORTED):  # the third reading's time goes back
        run([0, 30, 15], [0.0, 1.0, 2.0], point=[0, 1, 1], rules=rules(2))
    with pytest.raises(ValueError, match=r"point_index must lie in 0\.\.0 "):
        run([0, 15], [0.0, 1.0], point=[0, 1], rules=rules(1))
    with pytest.raises(ValueError, match=r"point_index must lie in 0\.\.1 "):
        run([0], [0.0], point=[-1], rules=rules(2))


def test_repeated_timestamps_keep_the_last_reading_and_nan_values_are_dropped():
    """Two readings at 20 min (5, then 6): the later one wins, so C(15) = 6 × 15/20 = 4.5
    and C(30) = 6 + 2 × 10/20 = 7 (readings 0, 6 at 20, 8 at 40); a NaN reading at 30
    is ignored."""
    out = run([0, 20, 20, 30, 40], [0.0, 5.0, 6.0, np.nan, 8.0])
    assert out.amount[0, :2].tolist() == [4.5, 2.5]
    assert np.isnan(out.amount[0, 2:]).all()  # no reading at or after 45


def test_repeated_timestamps_of_a_later_point_are_dropped_too():
    """The same repeat as above on the second point of two."""
    out = run([0, 60, 0, 20, 20, 40], [0.0, 4.0, 0.0, 5.0, 6.0, 8.0], point=[0, 0, 1, 1, 1, 1],
              rules=rules(2))
    assert out.amount[1, :2].tolist() == [4.5, 2.5]


def test_readings_of_two_points_at_the_same_time_are_both_kept():
    """Point 0 read at 0 and 30, point 1 at 30 and 60: point 0's last reading shares its time
    with point 1's first, and neither is a repeat."""
    out = run([0, 30, 30, 60], [0.0, 2.0, 0.0, 4.0], point=[0, 0, 1, 1], rules=rules(2))
    assert out.amount[0, :2].tolist() == [1.0, 1.0] and out.amount[1, 2:].tolist() == [2.0, 2.0]


def test_one_interval_is_metered():
    one = interval_energy(np.zeros(2, np.int64), np.array([0, 15 * MIN]),
                          np.array([0.0, 2.0]), BOUNDS[:2], rules(), 30 * MIN)
    assert one.amount.tolist() == [[2.0]]


def test_each_point_counts_from_its_own_first_reading():
    """Point 0 counts to 10¹² kWh; point 1 adds 0.001 kWh a quarter-hour. Counted on one
    running total, point 1's steps would lose their digits (10¹² × 2⁻⁵² ≈ 2·10⁻⁴)."""
    out = run([0, 60, 0, 15, 30, 45, 60], [0.0, 1e12, 0.0, 0.001, 0.002, 0.003, 0.004],
              point=[0, 0, 1, 1, 1, 1, 1], rules=rules(2))
    np.testing.assert_allclose(out.amount[1], 0.001, rtol=1e-9)


def test_integer_readings_are_metered_as_floats():
    """kW 0 → 3 as Python ints: the trapezoid gives 0.375 kWh, not a truncated 0."""
    out = interval_energy(np.zeros(2, np.int64), [0, 15 * MIN], [0, 3], BOUNDS,
                          rules(quantity=POWER), 30 * MIN)
    assert out.amount[0, 0] == 0.375


def test_no_readings_or_no_intervals_give_empty_results():
    out = run([], [], rules=rules(2))
    assert out.amount.shape == (2, 4) and np.isnan(out.amount).all()
    assert out.estimated.dtype == bool and not out.estimated.any()
    assert len(out.events) == 0 and out.events.records([]) == []
    one = interval_energy(np.zeros(2, np.int64), np.array([0, MIN]), np.array([0.0, 1.0]),
                          BOUNDS[:1], rules(), 30 * MIN)
    assert one.amount.shape == (1, 0) and one.estimated.shape == (1, 0)


def test_events_as_records_name_point_time_kind_and_values():
    """Meter 'a' (no rollover) drops 2 → 1 at 45 min: a reset. Meter 'b' wraps at 100:
    95 → 3 at 30 min is 8 kWh. Records come sorted by point, then time."""
    out = run([0, 30, 45, 0, 15, 30], [0.0, 2.0, 1.0, 90.0, 95.0, 3.0],
              point=[0, 0, 0, 1, 1, 1],
              rules=PointRules(np.zeros(2, np.int8), np.array([np.nan, 100.0]),
                               np.full(2, np.nan)))
    assert len(out.events) == 2
    assert out.events.records(["a", "b"]) == [
        {"point": "a", "time_ns": 45 * MIN, "kind": "reset", "before": 2.0, "after": 1.0},
        {"point": "b", "time_ns": 30 * MIN, "kind": "rollover", "before": 95.0, "after": 3.0},
    ]
    assert out.amount[1, :2].tolist() == [5.0, 8.0]
    assert out.amount[0, 2] == 0.0 and out.estimated[0, 2] and not out.estimated[1].any()


def test_events_come_in_point_then_time_order_and_name_their_own_point():
    """Meter 'a' is reset twice (5 → 1 at 15 min: its very first step; 2 → 0.5 at 45);
    meter 'b' at its first step too (5 → 1 at 5 min, earlier than a's, but b sorts after
    a) and again at 50 min."""
    out = run([0, 15, 30, 45, 0, 5, 50], [5.0, 1.0, 2.0, 0.5, 5.0, 1.0, 0.5],
              point=[0, 0, 0, 0, 1, 1, 1], rules=rules(2))
    assert [(e["point"], e["time_ns"] // MIN) for e in out.events.records(["a", "b"])] == [
        ("a", 15), ("a", 45), ("b", 5), ("b", 50)]


def test_jitter_is_the_limit_of_a_drop_that_is_not_a_reset():
    """A counter that reads 0.001 less (the default jitter) is noise: no reset, no event;
    0.0011 less is a reset. A larger jitter absorbs it."""
    small = run([0, 15, 30], [10.0, 9.999, 11.0])
    assert len(small.events) == 0 and not small.estimated[0, :2].any()
    assert np.nansum(small.amount[0]) == pytest.approx(1.0)
    drop = run([0, 15, 30], [10.0, 9.9989, 11.0])
    assert [e["kind"] for e in drop.events.records(["m"])] == ["reset"]
    assert drop.estimated[0, 0] and not drop.estimated[0, 2]
    assert len(run([0, 15, 30], [10.0, 9.9989, 11.0], jitter=0.01).events) == 0
    assert len(run([0, 15, 30], [10.0, 9.5, 11.0], jitter=0.5).events) == 0  # exactly jitter


def test_max_rate_is_inclusive_and_per_hour():
    """max_rate 4 per hour: 1.0 in 15 min is exactly 4/h (kept), 1.01 is above (flagged)."""
    at = run([0, 15], [0.0, 1.0], rules=rules(max_rate=4.0))
    assert at.amount[0, 0] == pytest.approx(1.0) and len(at.events) == 0
    limit = 4.0 * 0.25 * (1 + 1e-9)  # the engine's own rounding allowance
    exact = run([0, 15], [0.0, limit], rules=rules(max_rate=4.0))
    assert exact.amount[0, 0] == limit and len(exact.events) == 0
    above = run([0, 15], [0.0, 1.01], rules=rules(max_rate=4.0))
    assert above.amount[0, 0] == 0.0 and above.estimated[0, 0]
    assert above.events.records(["m"])[0]["kind"] == "above_max"


def test_a_gap_is_estimated_only_when_longer_than_max_gap():
    """Readings 30 min apart with max_gap 30 min are measured; 45 min apart are a gap."""
    exact = run([0, 30, 60], [0.0, 2.0, 4.0], gap_min=30)
    assert not exact.estimated[0].any()
    gap = run([0, 45, 60], [0.0, 3.0, 4.0], gap_min=30)
    assert gap.estimated[0, :3].tolist() == [True, True, True] and not gap.estimated[0, 3]


def test_gaps_at_the_range_edges_mark_only_their_own_point():
    """Point 0's gap runs from before the range into its first interval; point 1's from its
    last interval past the range's end. Neither marks the other point's intervals."""
    out = interval_energy(np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
                          np.array([-60, 15, 30, 45, 60, 0, 15, 30, 45, 120]) * MIN,
                          np.array([0.0, 5, 6, 7, 8, 0, 1, 2, 3, 8]), BOUNDS, rules(2),
                          30 * MIN)
    assert out.estimated.tolist() == [[True, False, False, False], [False, False, False, True]]


def test_power_points_integrate_by_the_trapezoid_rule():
    """kW 0 → 4 → 4 at 0, 15, 30: (0 + 4)/2 × ¼ h = 0.5 kWh, then 4 × ¼ = 1 kWh."""
    out = run([0, 15, 30], [0.0, 4.0, 4.0], rules=rules(quantity=POWER))
    assert out.amount[0, :2].tolist() == [0.5, 1.0]


def test_points_do_not_leak_into_each_other():
    """Point 0 ends at 100, point 1 starts at 0: no step between them counts."""
    out = run([0, 30, 0, 30], [0.0, 100.0, 0.0, 2.0], point=[0, 0, 1, 1], rules=rules(2))
    assert out.amount[:, :2].tolist() == [[50.0, 50.0], [1.0, 1.0]]
    assert len(out.events) == 0


def test_uniform_rules_fill_every_point():
    r = PointRules.uniform(3, POWER)
    assert r.quantity.tolist() == [POWER] * 3
    assert np.isnan(r.rollover).all() and np.isnan(r.max_rate).all()
    assert PointRules.uniform(2).quantity.tolist() == [ENERGY, ENERGY]
