"""The setpoints' fallback period schedule runs through the tariff engine on the site's calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np

from rules.calendar import CalendarSpec
from rules.clock import Clock, grid
from rules.period_schedule import schedule_tariff
from rules.setpoint_settings import SetpointSettings
from rules.tou import classify

TZ = "Asia/Shanghai"


def periods_by_hour(windows: list[dict], day: dt.date, calendar: CalendarSpec,
                    default: str = "flat") -> list[str]:
    settings = SetpointSettings.model_validate({"period_schedule": windows,
                                                "default_period": default})
    tariff = schedule_tariff(settings.period_schedule, settings.default_period, calendar)
    bounds = grid(day, day + dt.timedelta(days=1), Clock.for_range(TZ, 0, 4_000_000_000 * 10**9),
                  3600 * 10**9)
    found = classify(tariff, bounds, Clock.for_range(TZ, int(bounds[0]), int(bounds[-1])), day)
    return [found.periods[i] for i in np.asarray(found.period)]


def test_first_matching_window_wins_and_the_default_fills_the_rest() -> None:
    hours = periods_by_hour([{"start": "14:00", "end": "16:00", "period": "sharp"},
                             {"start": "10:00", "end": "18:00", "period": "peak"}],
                            dt.date(2026, 7, 15), CalendarSpec(country="CN"))
    assert hours[9:19] == ["flat", "peak", "peak", "peak", "peak", "sharp", "sharp", "peak",
                           "peak", "flat"]


def test_windows_follow_the_sites_day_types_and_months() -> None:
    windows = [{"start": "12:00", "end": "13:00", "period": "sharp", "months": [7, 8]},
               {"start": "08:00", "end": "20:00", "period": "peak", "days": ["workday"]}]
    holiday = CalendarSpec(country="CN", holidays=(dt.date(2026, 7, 15),))
    assert set(periods_by_hour(windows, dt.date(2026, 7, 15), holiday)) == {"flat", "sharp"}
    workday = periods_by_hour(windows, dt.date(2026, 7, 16), holiday)
    assert workday[8] == "peak" and workday[12] == "sharp"
    assert "sharp" not in periods_by_hour(windows, dt.date(2026, 9, 16), holiday)
    # China's 调休: Saturday 2026-10-10 is worked, so the workday window applies
    assert periods_by_hour(windows, dt.date(2026, 10, 10), CalendarSpec(country="CN"))[9] == \
        "peak"
