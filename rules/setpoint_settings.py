"""The `setpoints:` section of the site config: who may write which setpoint, within what bounds.

Temperatures are °C, durations seconds, clock times local (the site's timezone).
Every model forbids unknown keys: a misspelt safety limit must be an error,
never a silently ignored default. Cross-checks (unknown zones, two owners for
one point, offsets the bounds always clip) are in `rules.setpoint_checks`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Mode = Literal["dry-run", "live"]
HvacMode = Literal["cool", "heat"]

#: The public-institution rule (国办发〔2007〕42号, 建科〔2008〕115号): cooling setpoints
#: never below 26 °C, heating setpoints never above 20 °C. A policy may be stricter, never looser.
PUBLIC_COOLING_FLOOR = 26.0
PUBLIC_HEATING_CEILING = 20.0

#: Home Assistant's MQTT climate convention: the cooling setpoint is the upper
#: one (`temperature_high_*`), the heating setpoint the lower (`temperature_low_*`).
HA_KEY = {"cool": "temperature_high", "heat": "temperature_low"}


class _Model(BaseModel):
    """Unknown keys are errors, and so are NaN and ±inf (YAML `.nan`): never a safety limit."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _hhmm(text: object) -> int:
    """'08:30' → 510 minutes after local midnight; '24:00' allowed as an end."""
    if not isinstance(text, str) or len(text.split(":")) != 2:
        raise ValueError("a local clock time HH:MM, e.g. 08:30")
    hours, minutes = (int(x) for x in text.split(":"))
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or hours * 60 + minutes > 1440:
        raise ValueError("a local clock time between 00:00 and 24:00")
    return hours * 60 + minutes


class Window(_Model):
    """A daily local-time window [start, end); `months` empty = every month."""

    start: str
    end: str
    months: tuple[int, ...] = ()

    @field_validator("start", "end")
    @classmethod
    def _time(cls, value: str) -> str:
        _hhmm(value)
        return value

    @field_validator("months")
    @classmethod
    def _months(cls, months: tuple[int, ...]) -> tuple[int, ...]:
        if any(not 1 <= m <= 12 for m in months):
            raise ValueError("months are 1..12")
        return months

    @model_validator(mode="after")
    def _order(self) -> Window:
        if _hhmm(self.start) >= _hhmm(self.end):
            raise ValueError(f"start {self.start} must be before end {self.end} "
                             "(split a window that crosses midnight in two)")
        return self

    def contains(self, month: int, minute: int) -> bool:
        return (not self.months or month in self.months) and \
            _hhmm(self.start) <= minute < _hhmm(self.end)


class PeriodWindow(Window):
    period: str = Field(min_length=1, description="TOU period name, e.g. sharp, peak")
    days: tuple[Literal["workday", "weekend", "holiday"], ...] = Field(
        default=("workday", "weekend", "holiday"), min_length=1,
        description="day types (the site's calendar) the window applies on")


class Occupancy(_Model):
    """Occupied hours on workdays (holidays and weekends are unoccupied unless listed)."""

    workdays: tuple[Window, ...] = (Window(start="08:00", end="18:00"),)
    non_workdays: tuple[Window, ...] = ()


class Band(_Model):
    low: float
    high: float

    @model_validator(mode="after")
    def _order(self) -> Band:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not be above high ({self.high})")
        return self


class Policy(_Model):
    """Bounds every command is clamped to (highest rule first: deadband, policy, comfort)."""

    public_institution: bool = Field(
        default=True,
        description="State Council 2007 notice / 建科〔2008〕115号: cooling ≥ 26, heating ≤ 20 °C")
    cooling_min: float = 26.0
    heating_max: float = 20.0
    comfort_cooling: Band = Band(low=24.0, high=28.0)
    comfort_heating: Band = Band(low=18.0, high=22.0)
    deadband: float = Field(default=0.5, ge=0, description="heating ≤ cooling − deadband")

    @model_validator(mode="after")
    def _public_rule(self) -> Policy:
        if self.public_institution and self.cooling_min < PUBLIC_COOLING_FLOOR:
            raise ValueError(f"cooling_min {self.cooling_min:g} °C is below the public-institution "
                             f"floor of {PUBLIC_COOLING_FLOOR:g} °C; raise it to at least "
                             f"{PUBLIC_COOLING_FLOOR:g}, or set public_institution: false for a "
                             "building the rule does not cover")
        if self.public_institution and self.heating_max > PUBLIC_HEATING_CEILING:
            raise ValueError(f"heating_max {self.heating_max:g} °C is above the public-institution "
                             f"ceiling of {PUBLIC_HEATING_CEILING:g} °C; lower it to at most "
                             f"{PUBLIC_HEATING_CEILING:g}, or set public_institution: false for a "
                             "building the rule does not cover")
        return self


class Offsets(_Model):
    """Guideline 36 demand-limit offsets for levels 1, 2, 3 (°C, not cumulative)."""

    cooling: tuple[float, float, float] = (0.5, 1.0, 2.0)
    heating: tuple[float, float, float] = (0.5, 1.0, 2.0)

    @field_validator("cooling", "heating")
    @classmethod
    def _monotonic(cls, steps: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(s < 0 for s in steps) or list(steps) != sorted(steps):
            raise ValueError("three offsets ≥ 0 for levels 1, 2, 3, not decreasing")
        return steps


class ForecastLimit(_Model):
    """Raise the level when the forecast site peak exceeds the limit (ratios for levels 1..3)."""

    limit_kw: float = Field(gt=0)
    ratios: tuple[float, float, float] = (1.0, 1.1, 1.2)
    horizon: int = Field(default=3 * 3600, gt=0, description="look-ahead, seconds")


class Levels(_Model):
    periods: dict[str, int] = Field(default_factory=lambda: {"sharp": 2, "peak": 1},
                                    description="TOU period → demand-limit level")
    forecast: ForecastLimit | None = None
    dr_topic: str | None = Field(default=None, description="external DR level 0..3 (OpenADR "
                                                           "SIMPLE); {site} is replaced")
    dr_max_age: int = Field(default=3600, gt=0, description="seconds a DR level stays valid")

    @field_validator("periods")
    @classmethod
    def _levels(cls, periods: dict[str, int]) -> dict[str, int]:
        bad = {k: v for k, v in periods.items() if not 0 <= v <= 3}
        if bad:
            raise ValueError(f"levels are 0..3, got {bad}")
        return periods


class Precool(_Model):
    """Lower the cooling setpoint ahead of a high-level period, never below comfort."""

    lead: int = Field(default=3600, gt=0, description="seconds before the period starts")
    offset: float = Field(default=1.0, gt=0, description="°C below the baseline")
    before_level: int = Field(default=2, ge=1, le=3, description="periods at this level or more")


class Ramp(_Model):
    """Moves that add load (restores, pre-cooling) go in steps; sheds go at once."""

    step: float = Field(default=0.5, gt=0, description="°C per interval")
    interval: int = Field(default=900, gt=0, description="seconds between steps")
    jitter: int = Field(default=600, ge=0, description="random restore delay 0..jitter, seconds")


class RateLimits(_Model):
    min_dwell: int = Field(default=600, ge=0, description="seconds between writes to a point")
    per_point_hour: int = Field(default=6, ge=1)
    per_site_hour: int = Field(default=120, ge=1)


class Topics(_Model):
    """Topic templates; fields {site} {building} {zone} {point} {mode} {ha}."""

    command: str = "civicwatt/{site}/{building}/{zone}/hvac/{ha}/set"
    state: str = "civicwatt/{site}/{building}/{zone}/hvac/{ha}/state"
    current_temperature: str = "civicwatt/{site}/{building}/{zone}/hvac/current_temperature"
    response: str = "civicwatt/{site}/setpoints/response"

    @field_validator("command", "state", "current_temperature", "response")
    @classmethod
    def _fields(cls, template: str) -> str:
        import string

        try:
            names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
        except ValueError as exc:
            raise ValueError(f"not a topic template: {exc}") from exc
        unknown = names - {"site", "building", "zone", "point", "mode", "ha"}
        if unknown:
            raise ValueError(f"unknown fields {sorted(unknown)}; use {{site}} {{building}} "
                             "{zone} {point} {mode} {ha}")
        if "+" in template or "#" in template:
            raise ValueError("a command or state topic has no + or # wildcards")
        return template


class Controller(_Model):
    """One writable setpoint (a cooling or a heating controller of a zone)."""

    point: str = Field(min_length=1, description="the setpoint's point id")
    mode: HvacMode
    owner: str = "civicwatt"
    baseline: float | Literal["reported"] = Field(
        description="occupied setpoint, °C, or `reported` (the controller's own value)")
    fallback: float | None = Field(default=None, description="baseline until one is reported")
    setback: float | None = Field(default=None, description="unoccupied setpoint, °C")
    min: float = 5.0
    max: float = 35.0
    step: float = Field(default=0.5, gt=0)
    topic: str | None = Field(default=None, description="command topic (overrides the template)")
    state_topic: str | None = None

    @model_validator(mode="after")
    def _check(self) -> Controller:
        if self.min >= self.max:
            raise ValueError(f"device min ({self.min}) must be below max ({self.max})")
        if self.baseline == "reported" and self.fallback is None:
            raise ValueError("baseline `reported` needs a `fallback` value for a cold start")
        return self

    def baseline_value(self, reported: float | None) -> float:
        if isinstance(self.baseline, float | int):
            return float(self.baseline)
        return reported if reported is not None else float(self.fallback or 0.0)


class ZoneSetpoints(_Model):
    zone: str = Field(min_length=1)
    mode: Mode | None = Field(default=None, description="overrides the site mode")
    exempt: str | None = Field(default=None, description="reason, e.g. data room: never commanded")
    max_level: int = Field(default=3, ge=0, le=3)
    comfort_cooling: Band | None = None
    comfort_heating: Band | None = None
    occupancy: Occupancy = Occupancy()
    controllers: list[Controller] = Field(min_length=1)


class SetpointSettings(_Model):
    mode: Mode = "dry-run"
    writer: str = Field(default="civicwatt", description="our owner name")
    expiry: int = Field(default=1800, ge=1, description="command lifetime, seconds")
    refresh_before: int = Field(default=600, ge=0,
                                description="re-send a still-wanted command this long before "
                                            "it expires; 0 = never (commands just run out)")
    hold: int = Field(default=4 * 3600, ge=0, description="leave an overridden point this long")
    seed: int | None = Field(default=None, description="restore jitter seed (tests)")
    cooling_months: tuple[int, ...] = (5, 6, 7, 8, 9, 10)
    heating_months: tuple[int, ...] = (11, 12, 1, 2, 3)
    default_period: str = "flat"
    period_schedule: tuple[PeriodWindow, ...] = Field(
        default=(), description="used until a tariff is configured")
    policy: Policy = Policy()
    levels: Levels = Levels()
    offsets: Offsets = Offsets()
    precool: Precool | None = Precool()
    ramp: Ramp = Ramp()
    rate_limits: RateLimits = RateLimits()
    topics: Topics = Topics()
    zones: list[ZoneSetpoints] = Field(default_factory=list)

    @model_validator(mode="after")
    def _lifetimes(self) -> SetpointSettings:
        if self.refresh_before >= self.expiry:
            raise ValueError(f"refresh_before ({self.refresh_before}) must be below expiry "
                             f"({self.expiry})")
        return self

    def zone_mode(self, zone: ZoneSetpoints) -> Mode:
        return zone.mode or self.mode


# --------------------------------------------------------------------------- bounds


def bounds(settings: SetpointSettings, zone: ZoneSetpoints, controller: Controller,
           occupied: bool = True) -> tuple[float, float]:
    """(lowest, highest) value a command to this controller may carry, before the deadband.

    The comfort band holds in occupied hours; a setback may leave it, never the
    public-institution rule or the device's own range.
    """
    policy = settings.policy
    if not occupied:
        low, high = controller.min, controller.max
        if policy.public_institution and controller.mode == "cool":
            low = max(low, policy.cooling_min)
        if policy.public_institution and controller.mode == "heat":
            high = min(high, policy.heating_max)
        return low, high
    if controller.mode == "cool":
        band = zone.comfort_cooling or policy.comfort_cooling
        low = max(band.low, controller.min)
        if policy.public_institution:
            low = max(low, policy.cooling_min)
        return low, min(band.high, controller.max)
    band = zone.comfort_heating or policy.comfort_heating
    high = min(band.high, controller.max)
    if policy.public_institution:
        high = min(high, policy.heating_max)
    return max(band.low, controller.min), high
