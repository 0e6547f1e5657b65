"""One call for callers: fit on history, forecast the next hours, load and carbon.

Falls back to a model without temperature when the future temperature is
missing (flagged `model.no_future_temperature` in the forecast's issues).
"""

from __future__ import annotations

import numpy as np

from forecaster.carbon import carbon_forecast
from forecaster.data import FutureInput, HourlyHistory
from forecaster.features import interpolate_short_gaps
from forecaster.model import Forecast, LoadForecaster
from forecaster.settings import ForecastSettings

__all__ = ["forecast_load", "forecast_load_and_carbon"]


def forecast_load(history: HourlyHistory, future: FutureInput,
                  settings: ForecastSettings) -> Forecast:
    """Fit and predict; uses temperature only if the whole future has it (short gaps filled)."""
    temp = future.temp_c
    if temp is not None and np.isfinite(temp).any():
        temp = interpolate_short_gaps(temp)
        # leading/trailing gaps: hold the nearest known value for up to 3 hours
        fin = np.nonzero(np.isfinite(temp))[0]
        if fin[0] <= 3:
            temp[: fin[0]] = temp[fin[0]]
        if temp.size - 1 - fin[-1] <= 3:
            temp[fin[-1] + 1:] = temp[fin[-1]]
        future = FutureInput(future.time_ns, temp)
    model = LoadForecaster(settings).fit(history, use_temperature=future.has_temperature)
    return model.predict(future)


def forecast_load_and_carbon(history: HourlyHistory, future: FutureInput,
                             settings: ForecastSettings) -> tuple[Forecast, Forecast]:
    load = forecast_load(history, future, settings)
    return load, carbon_forecast(load, settings.carbon, settings.timezone)
