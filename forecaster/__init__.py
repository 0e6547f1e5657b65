"""Day-ahead load and carbon forecasts for buildings (pure: arrays in, arrays/records out).

Settings -> data -> model:
    LoadForecaster(ForecastSettings(...)).fit(HourlyHistory(...)).predict(FutureInput(...))
or `forecast_load_and_carbon(history, future, settings)`.
"""

__version__ = "0.1.0"

from forecaster.api import forecast_load, forecast_load_and_carbon
from forecaster.carbon import carbon_forecast
from forecaster.data import FutureInput, HourlyHistory, Issue
from forecaster.errors import DataSufficiencyError, ForecasterError
from forecaster.model import Forecast, LoadForecaster
from forecaster.settings import (
    CarbonSettings,
    ForecastConfig,
    ForecastSettings,
    Persistence,
    TemperatureMode,
)

__all__ = [
    "CarbonSettings", "DataSufficiencyError", "Forecast",
    "ForecastConfig", "ForecastSettings", "ForecasterError", "FutureInput", "HourlyHistory",
    "Issue", "LoadForecaster", "Persistence", "TemperatureMode", "carbon_forecast",
    "forecast_load", "forecast_load_and_carbon",
]
