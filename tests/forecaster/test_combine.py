"""Stage 3: the persistence forecasts it mixes in and the per-building weights."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster import ForecastSettings, HourlyHistory, LoadForecaster
from forecaster.backtest import backtest
from forecaster.combine import fit_weights, persistence_forecasts
from forecaster.data import HOUR_NS

LONDON = ForecastSettings(timezone="Europe/London", country="GB", subdivision="ENG")


def test_persistence_forecasts_use_the_same_local_hour_and_nothing_after_the_origin():
    y = np.arange(24 * 10, dtype=float)  # 10 days, value = index
    off = np.zeros(y.size, np.int64)
    off[24 * 5 - 1:] = 1  # clocks go forward an hour before day 5 (local = UTC + 1)
    work = np.ones(y.size, bool)
    idx = np.array([24 * 9 + 3])  # day 9, 03:00 UTC = 04:00 local
    naive, mean7 = persistence_forecasts(y, off, work, idx, off[idx], work[idx], lead=4)
    # 7 days before at the same local hour: day 2 was on UTC + 0, so one hour later in UTC
    assert naive[0] == 24 * 2 + 3 + 1
    # days 8..2 back at 04:00 local: days 5..8 on UTC + 1, days 2..4 one index later
    expected = np.mean([24 * d + 3 for d in (5, 6, 7, 8)] + [24 * d + 4 for d in (2, 3, 4)])
    assert mean7[0] == expected
    # lead 28 from an origin on day 8 at 00:00: the day-8 value is after the origin
    _, later = persistence_forecasts(y, off, work, idx, off[idx], work[idx], lead=28)
    assert later[0] == np.mean([24 * d + 3 for d in (5, 6, 7)] + [24 * d + 4 for d in
                                                                   (1, 2, 3, 4)])
    # the day the clocks went forward: 24 h before 10:00 local is 11:00 local, after the
    # origin, so yesterday is left out (not its 11:00, which was not known at 10:00)
    at = np.array([24 * 5 + 10])
    _, mean7 = persistence_forecasts(y, off, work, at, off[at], work[at], lead=24)
    assert mean7[0] == np.mean([24 * 5 + 10 - 24 * k + 1 for k in (2, 3, 4, 5)])
    # a holiday is no forecast for a workday: day 2 (last week) left out, day 3 too
    work[24 * 2:24 * 4] = False
    naive, mean7 = persistence_forecasts(y, off, work, idx, off[idx], work[idx], lead=4)
    assert np.isnan(naive[0])
    assert mean7[0] == np.mean([24 * d + 3 for d in (5, 6, 7, 8)] + [24 * 4 + 4])
    # nothing at all before the series: NaN, not an error
    none, none7 = persistence_forecasts(y, off, work, np.array([5]), off[:1], work[:1], lead=1)
    assert np.isnan(none[0]) and np.isnan(none7[0])


def test_weights_follow_whichever_forecast_was_right():
    rng = np.random.default_rng(1)
    n = 600
    naive, mean7 = rng.normal(size=n), rng.normal(size=n)
    # the truth was last week: the model's error is (naive - model) exactly
    x = [np.column_stack([naive, mean7])]
    w = fit_weights([naive.copy()], x, shrink=0.0)
    assert np.allclose(w, [[1.0, 0.0]], atol=1e-9)
    # the model was right: no weight on either
    w = fit_weights([np.zeros(n)], x, shrink=0.0)
    assert np.allclose(w, 0.0)
    # shrinkage pulls towards the model alone; weights never exceed a convex combination
    half = fit_weights([naive.copy()], x, shrink=1.0)
    assert 0.4 < half[0, 0] < 0.6
    w = fit_weights([3 * naive], x, shrink=0.0)
    assert w.sum() <= 1.0 + 1e-12 and w.min() >= 0.0
    # hours without a persistence value are not learnt from
    gaps = np.column_stack([np.where(np.arange(n) < 300, np.nan, naive), mean7])
    w = fit_weights([np.where(np.arange(n) < 300, 100.0, naive)], [gaps], shrink=0.0)
    assert np.allclose(w, [[1.0, 0.0]], atol=1e-9)


def _drifting_timetable(weeks: int) -> tuple[np.ndarray, np.ndarray]:
    """A building whose weekly timetable changes a little every week: last week is the
    best forecast, an hour-of-week average of past weeks is not."""
    rng = np.random.default_rng(7)
    week = 50 + 20 * rng.random(168)
    load = []
    for _ in range(weeks):
        week = np.clip(week + rng.normal(0, 6, 168), 5, None)
        load.append(week + rng.normal(0, 1, 168))
    t0 = pd.Timestamp("2018-01-01", tz="UTC").value
    kwh = np.concatenate(load)
    return t0 + HOUR_NS * np.arange(kwh.size, dtype=np.int64), kwh


def test_a_building_that_repeats_last_week_is_forecast_with_last_week():
    t, kwh = _drifting_timetable(30)
    history = HourlyHistory(t, kwh)
    cv, weight = {}, {}
    for days in (0, 28):
        settings = LONDON.model_copy(update={"combine_days": days, "temperature": "off",
                                             "combine_shrink": 1.0})  # default 4: 0.16
        cv[days] = backtest(history, settings, horizon=24, test_days=14).summary()["cv_rmse"]
        weight[days] = LoadForecaster(settings).fit(history)._w[:, 0].mean()
    assert weight[0] == 0.0 and weight[28] > 0.25  # learnt: last week is worth much here
    assert cv[28] < 0.96 * cv[0]
