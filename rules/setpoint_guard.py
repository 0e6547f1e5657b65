"""The last check before a setpoint command leaves: re-validate it against the policy.

The rules and the governor already clamp every value; this check does not trust
them. It looks only at what is about to be published (the decoded payload) and
the site's policy, so a bug upstream, a bad value recovered from the audit
trail or a config edit between evaluation and publish cannot put an unsafe
setpoint on the wire. Pure: returns the reason to refuse, or None.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from rules.setpoint_settings import (
    PUBLIC_COOLING_FLOOR,
    PUBLIC_HEATING_CEILING,
    Controller,
    SetpointSettings,
    ZoneSetpoints,
    bounds,
)


def safe_range(settings: SetpointSettings, zone: ZoneSetpoints,
               controller: Controller) -> tuple[float, float]:
    """The widest range any command to this controller may ever carry: the device's own
    limits and the policy (the comfort band aside, which a setback may leave), never looser
    than the public-institution rule when it applies."""
    low, high = bounds(settings, zone, controller, occupied=False)
    if settings.policy.public_institution:
        if controller.mode == "cool":
            low = max(low, PUBLIC_COOLING_FLOOR)
        else:
            high = min(high, PUBLIC_HEATING_CEILING)
    return low, high


def refusal(settings: SetpointSettings, zone: ZoneSetpoints, controller: Controller,
            payload: Mapping[str, object]) -> str | None:
    """Why this command payload must not be published, or None if it may."""
    if zone.exempt is not None:
        return f"zone {zone.zone} is exempt ({zone.exempt})"
    if controller.owner != settings.writer:
        return f"{controller.point} is written by {controller.owner}, not {settings.writer}"
    if payload.get("mode") != controller.mode:
        return f"mode {payload.get('mode')!r} is not the controller's mode {controller.mode!r}"
    value = payload.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return f"value {value!r} is not a finite number"
    previous = payload.get("previous")
    if previous is not None and (isinstance(previous, bool) or not isinstance(
            previous, int | float) or not math.isfinite(previous)):
        return f"previous {previous!r} is not a finite number"
    if settings.policy.public_institution:
        if controller.mode == "cool" and value < PUBLIC_COOLING_FLOOR:
            return (f"{value:g} °C is below the public-institution cooling floor of "
                    f"{PUBLIC_COOLING_FLOOR:g} °C")
        if controller.mode == "heat" and value > PUBLIC_HEATING_CEILING:
            return (f"{value:g} °C is above the public-institution heating ceiling of "
                    f"{PUBLIC_HEATING_CEILING:g} °C")
    low, high = safe_range(settings, zone, controller)
    if not low - 1e-9 <= value <= high + 1e-9:
        return (f"{value:g} °C is outside {low:g}..{high:g} °C (policy and device limits of "
                f"{controller.point})")
    return None


def clamp(settings: SetpointSettings, zone: ZoneSetpoints, controller: Controller,
          value: float) -> float | None:
    """`value` brought into `safe_range`; None if it is not a finite number."""
    if not math.isfinite(value):
        return None
    low, high = safe_range(settings, zone, controller)
    return min(max(value, low), high)
