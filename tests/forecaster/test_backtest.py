"""The rolling-origin backtest: no look-ahead, local-midnight origins, metric formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecaster import ForecastSettings, HourlyHistory
from forecaster.backtest import backtest, metrics, origins, seasonal_naive
from forecaster.data import HOUR_NS

PHX = ForecastSettings(timezone="America/Phoenix", country="US")


def test_corrupting_the_last_test_day_does_not_change_its_forecast(abigail):
    t, kwh, temp = abigail
    clean = backtest(HourlyHistory(t, kwh, temp), PHX, horizon=24, test_days=3)
    last_origin = clean.origin_ns[-1]
    k = int((last_origin - t[0]) // HOUR_NS)
    bad = kwh.copy()
    bad[k:] = bad[k:] * 7 + 1000  # the last test day's actuals (and anything after)
    dirty = backtest(HourlyHistory(t, bad, temp), PHX, horizon=24, test_days=3)
    day = clean.origin_ns == last_origin
    assert np.array_equal(clean.forecast[day], dirty.forecast[day])
    assert np.array_equal(clean.forecast, dirty.forecast)  # earlier days never saw it either
    assert not np.array_equal(clean.actual[day], dirty.actual[day])


def test_origins_are_local_midnights_across_dst(b21_spring):
    t, kwh, temp = b21_spring
    orig = origins(HourlyHistory(t, kwh, temp), "Europe/London", 20, 24)
    local = pd.DatetimeIndex(orig.astype("datetime64[ns]"), tz="UTC").tz_convert("Europe/London")
    assert (local.hour == 0).all() and (local.minute == 0).all()
    assert len(set(local.date)) == 20
    utc_hours = set(pd.DatetimeIndex(orig.astype("datetime64[ns]"), tz="UTC").hour)
    assert utc_hours == {0, 23}  # GMT before 31 March, BST after


def test_seasonal_naive_is_the_same_local_hour_a_week_before(b21_spring):
    t, kwh, temp = b21_spring
    hist = HourlyHistory(t, kwh, temp)
    after = pd.Timestamp("2019-04-02T09:00", tz="Europe/London").tz_convert("UTC").value
    before = pd.Timestamp("2019-03-26T09:00", tz="Europe/London").tz_convert("UTC").value
    base = seasonal_naive(hist, np.array([after], dtype=np.int64), "Europe/London")
    assert base[0] == kwh[int((before - t[0]) // HOUR_NS)]
    assert np.isnan(seasonal_naive(hist, t[:1], "Europe/London")[0])  # nothing a week before


def test_metric_formulas():
    a = np.array([10.0, 20.0, 30.0, 40.0])
    f = np.array([12.0, 18.0, 33.0, 37.0])
    m = metrics(a, f)
    assert m["cv_rmse"] == pytest.approx(np.sqrt((4 + 4 + 9 + 9) / 4) / 25)
    assert m["nmbe"] == pytest.approx((-2 + 2 - 3 + 3) / (4 * 25))
    assert m["mape"] == pytest.approx(np.mean([0.2, 0.1, 0.1, 0.075]))
    assert np.isnan(metrics(np.zeros(0), np.zeros(0))["cv_rmse"])


def test_backtest_summary_has_the_issue_fields(abigail):
    t, kwh, temp = abigail
    s = backtest(HourlyHistory(t, kwh, temp), PHX, horizon=24, test_days=2).summary()
    assert set(s) == {"cv_rmse", "nmbe", "mape", "n", "baseline"}
    assert set(s["baseline"]) == {"cv_rmse", "nmbe", "mape"}
    assert s["n"] == 48
