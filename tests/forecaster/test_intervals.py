"""Prediction intervals follow the error spread of the hour *and* the day class."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster import ForecastSettings, FutureInput, HourlyHistory, LoadForecaster
from forecaster import intervals as I
from forecaster.data import HOUR_NS


def test_a_quiet_weekend_gets_a_narrow_band_and_a_noisy_workday_a_wide_one():
    # Monday 2018-01-01; workdays 100 kWh ± 10, weekends 50 kWh ± 1, at every hour
    days = 16 * 7
    t = pd.Timestamp("2018-01-01", tz="UTC").value + HOUR_NS * np.arange(days * 24)
    weekend = (np.arange(days * 24) // 24) % 7 >= 5
    rng = np.random.default_rng(7)
    kwh = np.where(weekend, 50 + rng.normal(0, 1, t.size), 100 + rng.normal(0, 10, t.size))
    cut = t.size - 3 * 24  # the history ends on a Thursday: forecast Friday and Saturday
    settings = ForecastSettings(timezone="UTC", temperature="off", combine_days=0)
    model = LoadForecaster(settings).fit(HourlyHistory(t[:cut], kwh[:cut]))
    fc = model.predict(FutureInput.hours_after(int(t[cut - 1]), 48))
    half80 = (fc.upper80 - fc.lower80) / 2
    friday, saturday = np.median(half80[:24]), np.median(half80[24:])
    # a normal 80 % band is ± 1.28 sigma, widened by the out-of-sample scale (1.15)
    assert 8 < friday < 25, friday
    assert 0.8 < saturday < 2.5, saturday
    assert np.all(fc.lower95[24:] <= fc.lower80[24:])
    assert np.all(fc.upper80[24:] <= fc.upper95[24:])


def test_a_slot_with_few_errors_borrows_its_hours_spread():
    hour = np.tile(np.arange(24), 30)
    work = np.ones(hour.size, bool)
    work[:3 * 24] = False  # 3 days off: too few errors for their own slot
    r = np.where(work, 2.0, 6.0) * np.where(np.arange(hour.size) % 2, 1.0, -1.0)
    spread = I.slot_spread(r, hour, work)
    assert spread.shape == (48,)
    np.testing.assert_allclose(spread[:24], 2.0)
    both = np.sqrt((27 * 4.0 + 3 * 36.0) / 30)
    np.testing.assert_allclose(spread[24:], both)
    work[:9 * 24] = False  # 9 days off: enough
    np.testing.assert_allclose(I.slot_spread(r * 0 + np.where(work, 2.0, 6.0), hour, work)[24:],
                               6.0)


def test_scales_follow_a_buildings_own_out_of_sample_errors_as_far_as_asked():
    rng = np.random.default_rng(3)
    spread = np.ones(48)
    slots = [np.zeros(600, int)]
    fit = [rng.normal(0, 1, 600)]
    calm = [0.5 * fit[0]]  # recent days it was not fitted on: half as wide
    full = I.adapted_scales((1.15, 1.24), 1.0, fit, slots, calm, slots, spread)
    np.testing.assert_allclose(full[0], 0.5, rtol=1e-9)  # exactly the ratio seen
    np.testing.assert_allclose(full[1], 0.5 * 1.24 / 1.15, rtol=1e-9)
    half = I.adapted_scales((1.15, 1.24), 0.5, fit, slots, calm, slots, spread)
    np.testing.assert_allclose(half[0], 1.15 * np.sqrt(0.5 / 1.15), rtol=1e-9)
    # too few out-of-sample errors to tell: the fixed scales
    few = I.adapted_scales((1.15, 1.24), 1.0, fit, slots, [calm[0][:50]], [slots[0][:50]],
                           spread)
    assert few == (1.15, 1.24)


def test_a_building_that_has_calmed_down_gets_narrower_bands_when_adapting():
    days = 140
    t = pd.Timestamp("2018-01-01", tz="UTC").value + HOUR_NS * np.arange(days * 24)
    weekend = (np.arange(days * 24) // 24) % 7 >= 5
    rng = np.random.default_rng(11)
    sigma = np.where(np.arange(t.size) < (days - 30) * 24, 10.0, 3.0)  # calm for 30 days
    kwh = np.where(weekend, 50.0, 100.0) + rng.normal(0, 1, t.size) * sigma
    history = HourlyHistory(t, kwh)
    width = {}
    for adapt in (0.0, 0.5):
        settings = ForecastSettings(timezone="UTC", temperature="off", interval_adapt=adapt)
        model = LoadForecaster(settings).fit(history)
        fc = model.predict(FutureInput.hours_after(int(t[-1]), 24))
        width[adapt] = float(np.median(fc.upper80 - fc.lower80))
        same = LoadForecaster.from_dict(model.to_dict()).predict(
            FutureInput.hours_after(int(t[-1]), 24))
        np.testing.assert_array_equal(same.upper80, fc.upper80)
    assert width[0.5] < 0.85 * width[0.0], width
