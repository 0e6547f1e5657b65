"""Forecaster settings: one frozen pydantic model, wired into the site config as `forecast:`.

All times are hours; temperatures °C; emission factors kgCO2e per kWh.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from rules.calendar import CalendarSpec

__all__ = [
    "CarbonSettings", "ForecastConfig", "ForecastSettings", "Persistence", "TemperatureMode",
]


class TemperatureMode(StrEnum):
    """Use outdoor temperature when it is there (`auto`) or never (`off`)."""

    auto = "auto"
    off = "off"


class Persistence(StrEnum):
    """Correct the calendar/temperature model with its recent errors (`ar`) or not (`none`)."""

    ar = "ar"
    none = "none"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CarbonSettings(_Frozen):
    """Grid emission factor: one annual figure, or 24 values by local hour of day."""

    factor_kg_per_kwh: float = Field(0.5306, ge=0, le=5, description="default: China national "
                                     "average grid factor, data year 2023 (MEE/NBS)")
    hourly_profile: tuple[float, ...] | None = None

    @field_validator("hourly_profile")
    @classmethod
    def _24_values(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is not None and (len(v) != 24 or min(v) < 0):
            raise ValueError(
                f"carbon.hourly_profile needs 24 non-negative values (local hours 0-23), "
                f"got {len(v)}"
            )
        return v


class ForecastSettings(_Frozen):
    """How load is forecast; defaults are the ones the backtest in README.md chose."""

    timezone: str = "UTC"
    country: str | None = Field(None, description="ISO code for public holidays; CN uses "
                                "chinesecalendar (adjusted workdays included)")
    subdivision: str | None = None
    horizon_hours: int = Field(48, ge=1, le=168)
    history_days: int = Field(365, ge=7, le=3 * 366)
    temperature: TemperatureMode = TemperatureMode.auto
    half_life_days: float = Field(56.0, gt=0, description="time-decay of the regression weights")
    residual_days: int = Field(90, ge=7, description="history the AR-error stage learns from")
    min_history_days: int = Field(7, ge=2)
    full_model_days: int = Field(28, ge=7, description="below this, a simpler, flagged model")
    persistence: Persistence = Persistence.ar
    detect_closures: bool = Field(True, description="learn closed workdays and worked public "
                                  "holidays from the load (closures.py)")
    ar_features: int = Field(7, ge=0, le=7, description="how many of the persistence features "
                             "(persistence.py) stage 2 uses; 4 = those of version 0.1")
    ar_clip_sigmas: float = Field(12.0, gt=0, description="AR inputs clipped at this many "
                                  "robust sigmas of the stage-1 error")
    interval_scales: tuple[float, float] = Field(
        (1.15, 1.24), description="widen the in-sample error quantiles of the 80 % and 95 % "
        "intervals to out-of-sample coverage (calibrated by backtest)")
    interval_adapt: float = Field(0.5, ge=0, le=1, description="how far each meter's scales "
                                  "follow its own recent out-of-sample errors (the stage-3 "
                                  "refits'); 0 = the fixed scales")
    combine_days: int = Field(28, ge=0, description="days of the building's own day-ahead "
                              "errors that learn how far to move towards last week and the "
                              "mean of the last 7 days (combine.py); 0 = the model alone")
    combine_folds: int = Field(2, ge=1, description="refits those days are split into (each "
                               "learns from the history before its part)")
    combine_shrink: float = Field(4.0, ge=0, description="ridge shrinkage of those weights "
                                  "towards the model alone")
    outlier_z: float = Field(5.0, gt=2, description="robust z beyond which an hour is ignored")
    calendar: CalendarSpec | None = Field(None, description="the site's day types (holidays, "
                                          "调休, closures); default: `country`'s public holidays")
    carbon: CarbonSettings = CarbonSettings()

    @field_validator("timezone")
    @classmethod
    def _known_tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA timezone {v!r} (e.g. 'Asia/Shanghai')") from exc
        return v

    @field_validator("country")
    @classmethod
    def _known_country(cls, v: str | None) -> str | None:
        if v is None or v.upper() == "CN":
            return v
        import holidays

        if v.upper() not in holidays.list_supported_countries():
            raise ValueError(f"country {v!r} has no holiday calendar (ISO code like 'GB')")
        return v

    @model_validator(mode="after")
    def _days_order(self) -> ForecastSettings:
        if self.full_model_days < self.min_history_days:
            raise ValueError(
                f"full_model_days ({self.full_model_days}) must be >= min_history_days "
                f"({self.min_history_days})"
            )
        return self


class ForecastConfig(ForecastSettings):
    """The site config's `forecast:` section: the model settings plus what the job reads.

    `timezone` and `country` default to the site's when not given here.
    """

    zones: bool = Field(True, description="forecast every zone with a meter, not only buildings")
    temperature_point: str | None = Field(None, description="outdoor-air temperature point id; "
                                          "default: a building's temperature point without zone")
    temperature_forecast_csv: str | None = Field(
        None, description="CSV timestamp,temp_c that a weather service fills (relative to the "
        "config file); without it, or if it does not cover the horizon, no temperature is used")
    temperature_forecast_topic: str | None = Field(
        None, description="MQTT topic whose retained JSON message holds the forecast "
        "[{ts, temp_c}, ...]; tried before the CSV")
    workers: int | None = Field(None, ge=1, description="processes; default: one per core")
    targets: tuple[Literal["electricity", "water", "gas", "heat", "cooling"], ...] = Field(
        ("electricity",), min_length=1, description="energy classes to forecast per building "
        "(electricity also per zone, with carbon); e.g. [electricity, gas, heat]")
