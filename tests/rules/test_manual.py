"""Spreading a known amount over intervals: linear in time, or along a reference profile."""

from __future__ import annotations

import numpy as np
import pytest

from rules.manual import counter_between, profile_axis, spread

H = 3600 * 10**9
BOUNDS = np.arange(0, 5 * H, H, dtype=np.int64)  # four hourly intervals


def test_linear_spread_shares_by_overlap_and_leaves_uncovered_intervals_nan():
    amount, covered = spread(np.array([H // 2]), np.array([3 * H]), np.array([10.0]), BOUNDS)
    assert covered.tolist() == [True, True, True, False]
    assert amount[:3] == pytest.approx([2.0, 4.0, 4.0])  # half an hour, then two full hours
    assert np.isnan(amount[3])


def test_profile_spread_follows_the_reference_and_falls_back_to_time_where_it_is_flat():
    # the reference counts 1, 3, 0, 0 per hour
    axis = profile_axis(BOUNDS, np.array([0.0, 1.0, 4.0, 4.0, 4.0]))
    amount, _ = spread(np.array([0]), np.array([2 * H]), np.array([8.0]), BOUNDS, axis)
    assert amount[:2] == pytest.approx([2.0, 6.0])
    flat, _ = spread(np.array([2 * H]), np.array([4 * H]), np.array([8.0]), BOUNDS, axis)
    assert flat[2:] == pytest.approx([4.0, 4.0])


def test_a_backward_step_of_the_reference_counts_zero():
    axis = profile_axis(BOUNDS[:3], np.array([10.0, 0.0, 5.0]))  # reset, then 5
    assert axis(np.array([0, H, 2 * H])).tolist() == [0.0, 0.0, 5.0]


def test_several_periods_add_and_totals_are_kept():
    amount, _ = spread(np.array([0, 2 * H]), np.array([2 * H, 4 * H]), np.array([3.0, 5.0]),
                       BOUNDS)
    assert amount.tolist() == [1.5, 1.5, 2.5, 2.5] and amount.sum() == 8.0


def test_counter_between_rises_linearly_or_along_the_profile():
    assert counter_between(np.array([H, 2 * H]), 0, 100.0, 4 * H, 140.0).tolist() == [
        110.0, 120.0]
    axis = profile_axis(BOUNDS, np.array([0.0, 3.0, 4.0, 4.0, 8.0]))
    assert counter_between(np.array([H, 3 * H]), 0, 0.0, 4 * H, 80.0, axis) == pytest.approx(
        [30.0, 40.0])
