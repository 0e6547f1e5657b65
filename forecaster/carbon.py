"""Carbon forecast: load forecast (kWh) × grid emission factor (kgCO2e/kWh).

The factor is one annual figure or 24 values by local hour; the factor is
taken as exact, so the intervals scale with the load's intervals.
"""

from __future__ import annotations

import numpy as np

from forecaster.calendar import LocalCalendar
from forecaster.model import Forecast
from forecaster.settings import CarbonSettings

__all__ = ["carbon_forecast", "emission_factors"]


def emission_factors(time_ns: np.ndarray, carbon: CarbonSettings, timezone: str) -> np.ndarray:
    """kgCO2e per kWh for each hour (UTC hour starts)."""
    if carbon.hourly_profile is None:
        return np.full(time_ns.size, carbon.factor_kg_per_kwh)
    hour = LocalCalendar(timezone).local(time_ns).hour.to_numpy()
    return np.asarray(carbon.hourly_profile, dtype=float)[hour]


def carbon_forecast(load: Forecast, carbon: CarbonSettings, timezone: str) -> Forecast:
    """kgCO2e per hour with the load forecast's 80% / 95% intervals."""
    out = load.scaled(emission_factors(load.time_ns, carbon, timezone))
    return Forecast(out.time_ns, out.value, out.lower80, out.upper80, out.lower95, out.upper95,
                    load.model, out.issues)
