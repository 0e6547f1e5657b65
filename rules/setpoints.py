"""What each zone's setpoint should be now: demand-limit level, pre-cooling, setback, bounds.

Pure: every input (the TOU period, the forecast peak, the external DR level,
the controllers' reported setpoints, `now`) is passed in. Levels are 0..3
(OpenADR SIMPLE ↔ ASHRAE Guideline 36 demand-limit levels) and are the
*maximum* of their sources, never a sum. A setpoint is the zone's baseline plus
the offset of its level, computed afresh every call — never an increment on
the last command — then clamped (deadband, public-institution rule, comfort
band, device min/max) and rounded to the device step. °C throughout.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rules.setpoint_settings import (
    Controller,
    Occupancy,
    SetpointSettings,
    ZoneSetpoints,
    bounds,
)


@dataclass(frozen=True)
class SiteInputs:
    """Everything the rules look at for one evaluation."""

    now: datetime  # aware, any zone (UTC inside)
    timezone: str  # the site's IANA zone: occupancy, seasons and periods are local
    workday: bool  # a working day (holidays, weekends and 调休 resolved by the caller)
    period: str  # the TOU period in force now, e.g. "sharp"
    upcoming: tuple[tuple[datetime, str], ...] = ()  # (start, period) changes ahead
    forecast_peak_kw: float | None = None  # the site's forecast peak over the horizon
    dr_level: int | None = None  # an external (OpenADR-style) level 0..3, if fresh
    closed_zones: frozenset[str] = frozenset()  # zones in a building closed today: unoccupied


@dataclass(frozen=True)
class Level:
    level: int
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """The value one controller should hold, and whether civicwatt should command it.

    `active` False means "no reason to command": the controller keeps (or
    returns to) its own schedule; `value` is then where a restore ends.
    """

    zone: str
    point: str
    mode: str  # cool | heat
    value: float
    baseline: float
    level: int
    rule: str  # demand_limit | precool | setback | baseline
    reason: str
    low: float
    high: float
    step: float
    active: bool = True
    extra: dict = field(default_factory=dict, compare=False)


def site_level(settings: SetpointSettings, inputs: SiteInputs) -> Level:
    """The site's demand-limit level: the highest of period, forecast and DR (never a sum)."""
    levels = settings.levels
    found: list[tuple[int, str]] = []
    by_period = levels.periods.get(inputs.period, 0)
    if by_period:
        found.append((by_period, f"period {inputs.period} → level {by_period}"))
    limit = levels.forecast
    peak = inputs.forecast_peak_kw
    if limit is not None and peak is not None and math.isfinite(peak):
        by_forecast = sum(1 for ratio in limit.ratios if peak >= ratio * limit.limit_kw)
        if by_forecast:
            found.append((by_forecast, f"forecast peak {peak:.0f} kW vs limit "
                                       f"{limit.limit_kw:.0f} kW → level {by_forecast}"))
    if inputs.dr_level is not None and inputs.dr_level > 0:
        dr = max(0, min(3, int(inputs.dr_level)))
        found.append((dr, f"demand response → level {dr}"))
    if not found:
        return Level(0)
    top = max(level for level, _ in found)
    return Level(min(3, top), tuple(reason for _, reason in found))


def is_occupied(occupancy: Occupancy, local: datetime, workday: bool) -> bool:
    windows = occupancy.workdays if workday else occupancy.non_workdays
    minute = local.hour * 60 + local.minute
    return any(w.contains(local.month, minute) for w in windows)


def in_season(settings: SetpointSettings, controller: Controller, month: int) -> bool:
    months = settings.cooling_months if controller.mode == "cool" else settings.heating_months
    return month in months


def round_into(value: float, low: float, high: float, step: float,
               ties_up: bool = True) -> float | None:
    """Round to the device step (a tie goes up, or down if not `ties_up`), moving inward to stay
    within [low, high]; None if no step fits. Cooling ties go up and heating ties down, so a
    half-step offset is not rounded away."""
    value = min(max(value, low), high)
    scaled = value / step
    rounded = (math.floor(scaled + 0.5 + 1e-9) if ties_up else math.ceil(scaled - 0.5 - 1e-9)) \
        * step
    if rounded < low - 1e-9:
        rounded = math.ceil(low / step - 1e-9) * step
    if rounded > high + 1e-9:
        rounded = math.floor(high / step + 1e-9) * step
    if not low - 1e-9 <= rounded <= high + 1e-9:
        return None
    return round(rounded, 4)


def targets(settings: SetpointSettings, inputs: SiteInputs,
            reported: Mapping[str, float | None]) -> tuple[Level, list[Target]]:
    """The target of every controller civicwatt owns and may command this month."""
    level = site_level(settings, inputs)
    out: list[Target] = []
    for zone in settings.zones:
        out += zone_targets(settings, inputs, level, zone, reported)
    return level, out


def zone_targets(settings: SetpointSettings, inputs: SiteInputs, level: Level,
                 zone: ZoneSetpoints, reported: Mapping[str, float | None]) -> list[Target]:
    """The targets of one zone (none if it is exempt). A reported value that is not a finite
    number counts as not reported: it can never become a baseline."""
    if zone.exempt is not None:
        return []
    local = inputs.now.astimezone(ZoneInfo(inputs.timezone))
    zone_targets = [t for c in zone.controllers
                    if c.owner == settings.writer and in_season(settings, c, local.month)
                    if (t := _target(settings, inputs, zone, c, level, local,
                                     finite(reported.get(c.point)))) is not None]
    return _deadband(settings, zone, zone_targets, reported)


def finite(value: float | None) -> float | None:
    """`value` if it is a finite number, else None (NaN and ±inf are never a temperature)."""
    return value if value is not None and math.isfinite(value) else None


def _target(settings: SetpointSettings, inputs: SiteInputs, zone: ZoneSetpoints,
            controller: Controller, site: Level, local: datetime,
            reported: float | None) -> Target | None:
    occupied = zone.zone not in inputs.closed_zones and \
        is_occupied(zone.occupancy, local, inputs.workday)
    low, high = bounds(settings, zone, controller, occupied or controller.setback is None)
    if low > high:
        return None  # config check reports it; never guess a value
    baseline = controller.baseline_value(reported)
    level = min(site.level, zone.max_level)
    sign = 1.0 if controller.mode == "cool" else -1.0
    steps = settings.offsets.cooling if controller.mode == "cool" else settings.offsets.heating
    rule, active, base = "baseline", False, baseline
    reason = "occupied, no demand limit" if occupied else "unoccupied, no setback configured"
    if not occupied and controller.setback is not None:
        base = controller.setback
        rule, reason, active = "setback", "unoccupied (setback)", True
    wanted = base
    if level > 0:
        wanted = base + sign * steps[level - 1]
        rule, active = "demand_limit", True
        reason = f"level {level}: " + "; ".join(site.reasons) + (
            f" (zone max {zone.max_level})" if zone.max_level < site.level else "") + (
            ", on the setback" if base != baseline else "")
    elif occupied and controller.mode == "cool" and _precool_due(settings, inputs):
        wanted = base - settings.precool.offset  # type: ignore[union-attr]
        rule, reason, active = "precool", "pre-cooling before a demand-limit period", True
    up = controller.mode == "cool"
    value = round_into(wanted, low, high, controller.step, up)
    base_value = round_into(baseline, low, high, controller.step, up)
    if value is None or base_value is None:
        return None  # no device step fits inside the bounds
    return Target(zone=zone.zone, point=controller.point, mode=controller.mode, value=value,
                  baseline=base_value, level=level,
                  rule=rule, reason=reason, low=low, high=high, step=controller.step,
                  active=active)


def _precool_due(settings: SetpointSettings, inputs: SiteInputs) -> bool:
    precool = settings.precool
    if precool is None:
        return False
    lead = timedelta(seconds=precool.lead)
    return any(inputs.now < start <= inputs.now + lead
               and settings.levels.periods.get(name, 0) >= precool.before_level
               for start, name in inputs.upcoming)


def _deadband(settings: SetpointSettings, zone: ZoneSetpoints, zone_targets: Sequence[Target],
              reported: Mapping[str, float | None]) -> list[Target]:
    """Heating ≤ cooling − deadband, against the other controller's target or reported value."""
    deadband = settings.policy.deadband
    by_mode = {t.mode: t for t in zone_targets}
    others = {c.mode: c for c in zone.controllers}
    out: list[Target] = []
    for target in zone_targets:
        other_mode = "heat" if target.mode == "cool" else "cool"
        other = by_mode.get(other_mode)
        other_value = other.value if other is not None else (
            finite(reported.get(others[other_mode].point)) if other_mode in others else None)
        if other_value is None:
            out.append(target)
            continue
        low, high = target.low, target.high
        if target.mode == "cool":
            low = max(low, other_value + deadband)
        else:
            high = min(high, other_value - deadband)
        if low > high:
            continue  # no value keeps the deadband: command nothing rather than guess
        up = target.mode == "cool"
        value = round_into(target.value, low, high, target.step, up)
        base = round_into(target.baseline, low, high, target.step, up)
        if value is None or base is None:
            continue
        out.append(Target(**{**target.__dict__, "value": value, "baseline": base, "low": low,
                             "high": high}))
    return out
