"""The setpoint rules' inputs from the world: TOU period, workday, forecast peak, DR level.

Each source is a small callable the job is given, so tests (and the tariff
engine, once wired) can swap one without touching the others.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from rules.setpoint_settings import SetpointSettings
from rules.setpoints import period_at, upcoming_periods
from store import Store, StoreError

log = logging.getLogger(__name__)

#: now (aware) → (period in force, ((start, period), ...) ahead)
PeriodSource = Callable[[datetime], tuple[str, tuple[tuple[datetime, str], ...]]]


def schedule_periods(settings: SetpointSettings, timezone: str,
                     horizon: timedelta = timedelta(hours=6)) -> PeriodSource:
    """The `setpoints.period_schedule` fallback (used until a tariff is configured)."""
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(timezone)

    def source(now: datetime) -> tuple[str, tuple[tuple[datetime, str], ...]]:
        return (period_at(settings, now.astimezone(tz)),
                upcoming_periods(settings, now, timezone, horizon))

    return source


@lru_cache(maxsize=4096)
def is_workday(day: date, country: str) -> bool:
    """Working day: China with 调休 (chinesecalendar), elsewhere the `holidays` package."""
    if country == "CN":
        try:
            import chinese_calendar
            return bool(chinese_calendar.is_workday(day))
        except (ImportError, NotImplementedError):
            pass  # outside chinesecalendar's years: fall through to `holidays`
    import holidays

    if day.weekday() >= 5:
        return False
    try:
        return day not in holidays.country_holidays(country, years=day.year)
    except NotImplementedError:
        return True


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
    """A controller state: a bare number (Home Assistant style) or JSON {"value": n}."""
    try:
        data = json.loads(payload.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(data, dict):
        data = data.get("value")
    if isinstance(data, bool) or not isinstance(data, int | float):
        return None
    return float(data)
