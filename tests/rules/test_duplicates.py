"""Duplicate readings: identical copies collapse, conflicts are found with their input rows."""

from __future__ import annotations

import numpy as np
import pytest

from rules.duplicates import collapse_duplicates

# input order: point 1 at t=10 twice (5 then 9), point 0 at t=20 twice identical, a clean one
PI = np.array([1, 0, 1, 0, 0])
T = np.array([10, 20, 10, 20, 30])
V = np.array([5.0, 7.0, 9.0, 7.0, 8.0])


@pytest.mark.parametrize(("keep", "value"), [("first", 5.0), ("last", 9.0), ("mean", 7.0)])
def test_a_rule_resolves_each_conflict_in_input_order(keep, value):
    pi, t, v, dup = collapse_duplicates(PI, T, V, keep)
    assert list(zip(pi.tolist(), t.tolist(), v.tolist(), strict=True)) == [
        (0, 20, 7.0), (0, 30, 8.0), (1, 10, value)]
    assert dup.exact == 1 and dup.conflicts == 1
    assert dup.conflict_point.tolist() == [1] and dup.conflict_time.tolist() == [10]
    assert dup.conflict_values == ((5.0, 9.0),) and dup.conflict_rows == ((0, 2),)


def test_without_a_rule_conflicts_stay_for_the_caller_and_copies_go():
    pi, t, v, dup = collapse_duplicates(PI, T, V, None)
    assert list(zip(pi.tolist(), t.tolist(), v.tolist(), strict=True)) == [
        (0, 20, 7.0), (0, 30, 8.0), (1, 10, 5.0), (1, 10, 9.0)]
    assert dup.conflicts == 1 and dup.exact == 1


def test_clean_readings_come_back_sorted_and_untouched():
    pi, t, v, dup = collapse_duplicates(np.array([1, 0]), np.array([5, 9]), np.array([1.0, 2.0]))
    assert pi.tolist() == [0, 1] and t.tolist() == [9, 5] and v.tolist() == [2.0, 1.0]
    assert dup.exact == 0 and dup.conflicts == 0
