"""Day-ahead load and carbon forecasts for buildings (pure: arrays in, arrays/records out).

Settings -> data -> model:
    LoadForecaster(ForecastSettings(...)).fit(HourlyHistory(...)).predict(FutureInput(...))
or `forecast_load_and_carbon(history, future, settings)`.

Names load lazily, so importing `forecaster.settings` (the site config does) does not pull
in statsmodels.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "forecast_load": "api", "forecast_load_and_carbon": "api", "carbon_forecast": "carbon",
    "FutureInput": "data", "HourlyHistory": "data", "Issue": "data",
    "DataSufficiencyError": "errors", "ForecasterError": "errors",
    "Forecast": "model", "LoadForecaster": "model",
    "CarbonSettings": "settings", "ForecastConfig": "settings", "ForecastSettings": "settings",
    "Persistence": "settings", "TemperatureMode": "settings",
}
__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'forecaster' has no attribute {name!r}")
    return getattr(importlib.import_module(f"forecaster.{_WHERE[name]}"), name)


def __dir__() -> list[str]:
    return sorted([*__all__, "__version__"])
