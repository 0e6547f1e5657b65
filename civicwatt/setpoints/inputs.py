"""The setpoint rules' inputs from the world: TOU period, closures, forecast peak, DR level.

Each source is a small callable the job is given, so tests (and the tariff
engine, once wired) can swap one without touching the others.
"""

from __future__ import annotations

import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from civicwatt.config import SiteConfig
from civicwatt.config.calendar import site_calendar
from rules.calendar import CalendarSpec, day_kind
from rules.setpoint_settings import SetpointSettings
from store import Store, StoreError

log = logging.getLogger(__name__)

#: now (aware) → (period in force, ((start, period), ...) ahead)
PeriodSource = Callable[[datetime], tuple[str, tuple[tuple[datetime, str], ...]]]


def schedule_periods(site: SiteConfig, horizon: timedelta = timedelta(hours=6)) -> PeriodSource:
    """The `setpoints.period_schedule` fallback (used until a tariff is configured), run as a
    tariff through the same classifier on the site's calendar."""
    from rules.period_schedule import NAME, schedule_tariff

    settings: SetpointSettings = site.setpoints
    tariff = schedule_tariff(settings.period_schedule, settings.default_period,
                             site_calendar(site))
    return _tou_source(tariff, site.site.timezone, NAME, horizon)


def tariff_periods(site, horizon: timedelta = timedelta(hours=6)) -> PeriodSource | None:
    """TOU periods from the site's tariff (`metering.tariff`), via the metering engine's
    classifier; None without a `metering:` section. Temperature-triggered periods (a hot
    day's extra sharp hours) are not seen here: no daily maximum is known in advance."""
    metering = getattr(site, "metering", None)
    if metering is None:
        return None
    from civicwatt.metering.files import load_site_tariff

    tariff = load_site_tariff(site)
    return _tou_source(tariff, site.site.timezone, f"tariff {tariff.name}", horizon,
                       fix=f"Add a tariff version that covers this date to {metering.tariff}")


def _tou_source(tariff, tz: str, description: str, horizon: timedelta,
                step: timedelta = timedelta(minutes=5), fix: str = "") -> PeriodSource:
    """now → (period in force, period changes within the horizon on the local 5-min grid)."""
    import numpy as np

    from rules.clock import Clock
    from rules.tou import TariffGapError, classify

    step_ns, n = int(step.total_seconds() * 1e9), int(horizon / step)

    def source(now: datetime) -> tuple[str, tuple[tuple[datetime, str], ...]]:
        start = int(now.timestamp() * 1e9)
        bounds = start + step_ns * np.arange(n + 2, dtype=np.int64)
        bounds[1:] -= start % step_ns  # later instants on the local 5-minute grid
        clock = Clock.for_range(tz, int(bounds[0]), int(bounds[-1]))
        first_day = now.astimezone(ZoneInfo(tz)).date()
        try:
            found = classify(tariff, bounds, clock, first_day)
        except TariffGapError as exc:  # no period known: no TOU demand limit, but keep going
            log.warning("Setpoints at %s: %s; no TOU level applies. %s", now.isoformat(), exc,
                        fix)
            return "none", ()
        names = [found.periods[i] for i in found.period]
        upcoming = tuple(
            (datetime.fromtimestamp(int(bounds[k]) / 1e9, UTC), names[k])
            for k in range(1, len(names)) if names[k] != names[k - 1])
        return names[0], upcoming

    source.description = description  # type: ignore[attr-defined]
    return source


def closed_zones(site: SiteConfig, calendar: CalendarSpec, day: date) -> frozenset[str]:
    """The setpoint zones whose building is closed on `day` (`calendar.closures`)."""
    zones = site.zones()
    return frozenset(z.zone for z in (site.setpoints.zones if site.setpoints else ())
                     if day_kind(day, calendar, zones.get(z.zone, (z.zone, None))[0]) == "closed")


def forecast_peak(store: Store, site: str, now: datetime, horizon_s: int) -> float | None:
    """The highest forecast site load (kW) in [now, now + horizon): the sum of the
    building-level `forecast` rows (target=load, no zone tag) at each time."""
    start = int(now.timestamp() * 1e9)
    try:
        rows = store.read_rows("forecast", start, start + horizon_s * 10**9,
                               where={"target": "load"})
    except StoreError as exc:
        log.warning("setpoints: no forecast (%s)", exc)
        return None
    total: dict[int, float] = defaultdict(float)
    for row in rows:
        tags = row.series.tag_dict
        if tags.get("site", site) != site or tags.get("zone"):
            continue
        value = row.fields.get("value")
        if isinstance(value, int | float):
            total[row.time_ns] += float(value)
    return max(total.values()) if total else None


def parse_dr(payload: bytes, now: datetime, max_age_s: int) -> tuple[int, datetime] | None:
    """A DR message → (level 0..3, valid until). Accepts `2` or {"level": 2, "expires_at": ISO}."""
    try:
        data = json.loads(payload.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    until = now + timedelta(seconds=max_age_s)
    if isinstance(data, dict):
        level = data.get("level")
        if "expires_at" in data and not isinstance(data["expires_at"], str):
            return None
        if isinstance(data.get("expires_at"), str):
            try:
                end = datetime.fromisoformat(data["expires_at"])
            except (ValueError, TypeError):
                return None
            until = min(until, end if end.tzinfo else end.replace(tzinfo=UTC))
    else:
        level = data
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 3:
        return None
    return level, until


def parse_state(payload: bytes) -> float | None:
    """A controller state: a bare number (Home Assistant style) or JSON {"value": n}; None for
    anything else, including NaN and ±Infinity (which Python's JSON parser lets through)."""
    try:
        data = json.loads(payload.decode())
    except (UnicodeDecodeError, ValueError):  # not JSON, or an integer too long to parse
        return None
    if isinstance(data, dict):
        data = data.get("value")
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    try:
        value = float(data)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None
