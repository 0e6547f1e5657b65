"""Properties of the interval rule: totals are counter differences, whatever the grid."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.intervals import PointRules, interval_energy

MIN = 60 * 1_000_000_000
DAY = 1440 * MIN


@st.composite
def counters(draw):
    """1–3 points, each 2–40 readings at irregular minutes over ~2 days, non-decreasing."""
    n_points = draw(st.integers(1, 3))
    pis, times, values = [], [], []
    for p in range(n_points):
        minutes = draw(st.lists(st.integers(0, 2 * 1440), min_size=2, max_size=40, unique=True))
        steps = draw(
            st.lists(
                st.floats(0, 50, allow_nan=False), min_size=len(minutes), max_size=len(minutes)
            )
        )
        t = np.sort(np.array(minutes, np.int64)) * MIN
        v = 1000.0 * p + np.cumsum(steps)
        pis.append(np.full(t.size, p, np.int32))
        times.append(t)
        values.append(v)
    return n_points, np.concatenate(pis), np.concatenate(times), np.concatenate(values)


def energy(data, bounds):
    n, pi, t, v = data
    return interval_energy(pi, t, v, bounds, PointRules.uniform(n), max_gap_ns=10 * DAY)


@settings(max_examples=150, deadline=None)
@given(counters(), st.sampled_from([5, 15, 30, 60]))
def test_total_is_the_interpolated_counter_difference(data, step_min):
    """Over any stretch the readings cover, Σ intervals = C(end) − C(start), for any
    interval length."""
    n, pi, t, v = data
    bounds = np.arange(0, 2 * DAY + 1, step_min * MIN, dtype=np.int64)
    result = energy(data, bounds)
    for p in range(n):
        tp, vp = t[pi == p], v[pi == p]
        inside = (bounds >= tp[0]) & (bounds <= tp[-1])
        if inside.sum() < 2:
            continue
        first, last = np.flatnonzero(inside)[[0, -1]]
        expected = np.interp(bounds[last], tp, vp) - np.interp(bounds[first], tp, vp)
        got = result.amount[p, first:last]
        assert not np.isnan(got).any()
        assert np.isclose(got.sum(), expected, rtol=1e-9, atol=1e-7)


@settings(max_examples=150, deadline=None)
@given(counters(), st.sampled_from([5, 15, 60]), st.integers(1, 2 * 1440 // 60 - 1))
def test_splitting_the_range_changes_nothing(data, step_min, split_hour):
    """Metering [a, b) and [b, c) separately gives exactly the intervals of [a, c)."""
    whole = np.arange(0, 2 * DAY + 1, step_min * MIN, dtype=np.int64)
    split = split_hour * 60 * MIN
    left = whole[whole <= split]
    right = whole[whole >= split]
    a, b, c = energy(data, whole), energy(data, left), energy(data, right)
    joined = np.concatenate((b.amount, c.amount), axis=1)
    np.testing.assert_allclose(joined, a.amount, rtol=1e-12, atol=1e-9, equal_nan=True)
    assert (np.concatenate((b.estimated, c.estimated), axis=1) == a.estimated).all()


@settings(max_examples=100, deadline=None)
@given(counters())
def test_coarse_grid_sums_the_fine_grid(data):
    """An hour is the sum of its four quarter hours (where covered)."""
    fine = energy(data, np.arange(0, 2 * DAY + 1, 15 * MIN, dtype=np.int64)).amount
    coarse = energy(data, np.arange(0, 2 * DAY + 1, 60 * MIN, dtype=np.int64)).amount
    summed = fine.reshape(fine.shape[0], -1, 4).sum(axis=2)
    np.testing.assert_allclose(summed, coarse, rtol=1e-9, atol=1e-7, equal_nan=True)


@settings(max_examples=40, deadline=None)
@given(counters(), st.integers(1, 3))
def test_split_date_range_keeps_tou_totals(data, split_day):
    """Through the whole engine (Beijing tariff, Asia/Shanghai): metering [d0, d4) equals
    metering [d0, ds) plus [ds, d4), period by period, in kWh and in cost."""
    import datetime as dt
    from pathlib import Path

    import yaml

    from rules.engine import meter
    from rules.tariffs import Tariff

    root = Path(__file__).resolve().parents[2]
    tariffs = root / "civicwatt/data/tariffs"
    tariff = Tariff.from_dict(yaml.safe_load(
        (tariffs / "beijing-general-ic-single-part-under-1kv.yaml").read_text()))
    n, pi, t, v = data
    t = t * 2 + 1_782_835_200 * 1_000_000_000  # stretch over 4 days from 2026-07-01 00:00 +08
    ids = tuple(str(i) for i in range(n))
    d0 = dt.date(2026, 7, 1)

    def totals(first, end):
        r = meter(pi, t, v, ids, PointRules.uniform(n), tariff, "Asia/Shanghai", first, end,
                  max_gap_ns=10 * DAY)
        out = r.totals(np.zeros(n, np.int64), 1)
        return {p: (out["amount"][0, i], out["cost"][0, i]) for i, p in enumerate(r.periods)}

    whole = totals(d0, d0 + dt.timedelta(days=4))
    left = totals(d0, d0 + dt.timedelta(days=split_day))
    right = totals(d0 + dt.timedelta(days=split_day), d0 + dt.timedelta(days=4))
    for period, (kwh, cost) in whole.items():
        assert np.isclose(left[period][0] + right[period][0], kwh, rtol=1e-9, atol=1e-7)
        assert np.isclose(left[period][1] + right[period][1], cost, rtol=1e-9, atol=1e-7)
