"""The demo building: real load, exact energy between readings, a known unmetered share."""

import numpy as np
import pytest

from civicwatt.demo.building import HOUR_NS, MAIN, SUB_METERS, DemoBuilding, midnight_days_ago_ns

NOW = 1_795_000_000 * 10**9  # 2026-11-18, a Wednesday afternoon in Shanghai


@pytest.fixture(scope="module")
def building():
    return DemoBuilding("Asia/Shanghai", 8000, midnight_days_ago_ns("Asia/Shanghai", 7, NOW))


def test_counters_rise_and_the_energy_between_readings_is_the_hourly_energy(building):
    start = building.origin_ns
    times = np.arange(start, start + 48 * HOUR_NS + 1, 15 * 60 * 10**9)
    counters = building.counters(times)
    for point, values in counters.items():
        assert np.all(np.diff(values) >= 0), point
        hours = [building.hour_energy(start + h * HOUR_NS)[point] for h in range(48)]
        assert values[-1] - values[0] == pytest.approx(sum(hours), rel=1e-12)
        # linear within the hour: each quarter is a quarter of its hour
        assert values[1] - values[0] == pytest.approx(hours[0] / 4, rel=1e-9, abs=1e-9)


def test_sub_meters_leave_three_percent_unmetered(building):
    for hour in range(0, 24 * 7, 5):
        energy = building.hour_energy(building.origin_ns + hour * HOUR_NS)
        subs = sum(energy[m.point] for m in SUB_METERS)
        assert subs == pytest.approx(0.97 * energy[MAIN.point], rel=1e-9)


def test_load_follows_the_working_week(building):
    # the source is a university building: weekday afternoons draw more than Sunday nights
    monday = midnight_days_ago_ns("Asia/Shanghai", 9, NOW)  # 2026-11-09 is a Monday
    weekday_15h = building.hour_energy(monday + 15 * HOUR_NS)[MAIN.point]
    sunday_3h = building.hour_energy(monday - 21 * HOUR_NS)[MAIN.point]
    assert weekday_15h > 1.15 * sunday_3h


def test_same_seed_same_building_and_readings_at_any_time_agree(building):
    again = DemoBuilding("Asia/Shanghai", 8000, building.origin_ns)
    t = np.array([building.origin_ns + 37 * HOUR_NS + 123_456_789])
    assert again.counters(t) == building.counters(t)
    assert np.isfinite(building.temperature(t)).all()


def test_other_classes_water_leak_gas_from_the_real_building_heat_in_winter():
    """Water: 320 × 40 L over 10 working hours = 1.28 m³/h (± noise), a trickle at night, and
    0.35 m³/h more once the leak starts; gas: the source building's measured heating gas at
    10 kWh/m³ (none in July); heat only in the heating season (15 Nov – 15 Mar)."""
    from civicwatt.demo.building import GAS, HEAT, LEAK_M3_PER_H, WATER

    monday = midnight_days_ago_ns("Asia/Shanghai", 9, NOW)  # 2026-11-09
    building = DemoBuilding("Asia/Shanghai", 8000, monday, leak_from_ns=monday + 24 * HOUR_NS)
    day = building.hour_energy(monday + 10 * HOUR_NS)[WATER.point]
    night = building.hour_energy(monday + 3 * HOUR_NS)[WATER.point]
    leaking = building.hour_energy(monday + 27 * HOUR_NS)[WATER.point]
    assert day == pytest.approx(1.28, rel=0.4) and night < 0.05
    assert leaking - LEAK_M3_PER_H < 0.05 < leaking
    november = [building.hour_energy(monday + h * HOUR_NS) for h in range(24 * 7)]
    assert sum(e[GAS.point] for e in november) > 10  # m³ of heating gas in a November week
    assert sum(e[HEAT.point] for e in november) > 0  # 9–15 Nov: the season starts on the 15th
    july = midnight_days_ago_ns("Asia/Shanghai", 140, NOW)
    summer = [building.hour_energy(july + h * HOUR_NS) for h in range(24 * 7)]
    assert sum(e[GAS.point] for e in summer) == 0 and sum(e[HEAT.point] for e in summer) == 0
