"""Roll-ups, virtual meters and balance checks."""

from __future__ import annotations

import re

import numpy as np
import pytest

from rules.aggregate import (
    FormulaError,
    balance,
    parse_formula,
    period_totals,
    rollup,
    virtual_meter,
)


def test_zone_and_purpose_rollup():
    zones = {"f1": "b1", "f2": "b1", "f1-server": "f1", "b1": None}
    totals = rollup({"f1": 10.0, "f1-server": 5.0, "f2": 7.0}, zones)
    assert totals == {"f1": 15.0, "f1-server": 5.0, "f2": 7.0, "b1": 22.0}
    purposes = {
        "01A10": "01A00",
        "01A20": "01A00",
        "01A00": "01000",
        "01B10": "01B00",
        "01B00": "01000",
    }
    got = rollup({"01A10": 3.0, "01A20": 2.0, "01B10": 4.0}, purposes)
    assert got["01A00"] == 5.0 and got["01000"] == 9.0
    with pytest.raises(ValueError, match="cycle in tree: a → b → a"):
        rollup({"a": 1.0}, {"a": "b", "b": "a"})


def test_virtual_meter_main_minus_children_and_balance():
    """main 10/10/10, lighting 3/3/3, hvac 5/6/NaN: unmetered = 2, 1, NaN."""
    index = {"main": 0, "lighting": 1, "hvac": 2}
    kwh = np.array([[10.0, 10, 10], [3, 3, 3], [5, 6, np.nan]])
    est = np.array([[False, False, False], [False, True, False], [False, False, False]])
    kids = {"main": ["lighting", "hvac"]}
    coef = parse_formula("main - sum(children)", index, kids)
    assert coef == {"main": 1.0, "lighting": -1.0, "hvac": -1.0}
    assert parse_formula("main - children(main)", index, kids) == coef
    assert parse_formula("0.5 * main + hvac", index) == {"main": 0.5, "hvac": 1.0}
    values, flags = virtual_meter(coef, index, kwh, est)
    np.testing.assert_array_equal(values, [2.0, 1.0, np.nan])
    assert list(flags) == [False, True, False]
    b = balance("main", 30.0, [9.0, 11.0], tolerance_pct=5)
    assert (b.imbalance_kwh, round(b.imbalance_pct, 6), b.ok) == (10.0, 33.333333, False)
    assert balance("main", 100.0, [60.0, 38.0]).ok


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("main - nope", "unknown point 'nope'"),
        ("main -", "ends without a term"),
        ("main hvac", "expected + or -"),
        ("lighting - sum(children)", "'lighting' has no sub-meters"),
        ("2 main", "expected '*' after 2"),
    ],
)
def test_bad_formulas(formula, message):
    with pytest.raises(FormulaError, match=re.escape(message)):
        parse_formula(formula, ["main", "lighting", "hvac"], {"main": ["lighting", "hvac"]})


def test_period_totals_weights_and_missing_price():
    """Two points, four intervals, periods [0, 1, 1, 0]; price 1, 2, 2, NaN."""
    kwh = np.array([[1.0, 2, 3, 4], [1, 1, np.nan, 0]])
    period = np.array([0, 1, 1, 0])
    out = period_totals(kwh, period, 2, {"kwh": np.ones(4), "cost": np.array([1, 2, 2, np.nan])})
    np.testing.assert_array_equal(out["kwh"], [[5, 5], [1, 1]])
    assert np.isnan(out["cost"][0, 0])  # energy in an unpriced interval
    np.testing.assert_array_equal(out["cost"][:, 1], [10, 2])
    assert out["cost"][1, 0] == 1  # point 2 had 0 kWh in the unpriced interval
