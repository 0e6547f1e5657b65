"""Tariff validation: every problem is named the way a tariff table is read."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from rules.calendar import HOLIDAY, WEEKEND, WORKDAY, CalendarSpec, day_type
from rules.tariffs import Tariff, describe_errors
from tests.rules.helpers import simple_tariff, w

ROOT = Path(__file__).resolve().parents[2]


def problems(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as info:
        Tariff.from_dict(data)
    return describe_errors(info.value)


def test_overlap_and_gap_are_named():
    data = simple_tariff(
        [
            w("valley", "23:00", "07:00"),
            w("flat", "07:00", "18:00"),
            w("peak", "17:00", "22:00", ["workday"]),
            w("peak", "18:00", "22:00", ["weekend", "holiday"]),
        ],
        {"valley": 0.3, "flat": 1, "peak": 1.6},
    )
    found = problems(data)
    assert "versions.0: season 'all': flat overlaps peak on workdays 17:00–18:00" in found
    assert "versions.0: season 'all': no period covers workdays 22:00–23:00" in found
    assert "versions.0: season 'all': no period covers holidays 22:00–23:00" in found
    assert len(found) == 4  # + weekends 22:00–23:00; nothing about an empty list


def test_missing_price_months_and_bad_times():
    data = simple_tariff([w("flat", "00:00", "24:00")], {"peak": 1.0})
    data["versions"][0]["seasons"][0]["months"] = [1, 2, 3]
    found = problems(data)
    assert "versions.0: season 'all': no price for period 'flat'" in found
    assert "versions.0: months [4, 5, 6, 7, 8, 9, 10, 11, 12] belong to no season" in found
    bad_time = simple_tariff([{"period": "flat", "start": 0, "end": "24:00"}], {"flat": 1})
    assert any('must be a quoted "HH:MM" string' in p for p in problems(bad_time))
    late = simple_tariff([w("flat", "00:00", "24:30")], {"flat": 1})
    assert any("outside 00:00–24:00" in p for p in problems(late))


def test_unknown_keys_are_rejected():
    data = simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1})
    data["versions"][0]["seasons"][0]["price"] = 3
    assert any("price: Extra inputs are not permitted" in p for p in problems(data))


def test_trigger_price_must_exist_in_its_seasons():
    data = simple_tariff(
        [w("flat", "00:00", "24:00")],
        {"flat": 1},
        triggers=[
            {
                "name": "hot",
                "daily_max_temperature_gte": 35,
                "windows": [w("sharp", "11:00", "12:00")],
            }
        ],
    )
    assert "versions.0: season 'all': no price for period 'sharp'" in problems(data)


def test_versions_in_order():
    data = simple_tariff([w("flat", "00:00", "24:00")], {"flat": 1})
    later = dict(data["versions"][0], effective_from="2019-01-01")
    data["versions"].append(later)
    assert any("distinct effective_from dates in order" in p for p in problems(data))


SHIPPED_TARIFFS = ROOT / "civicwatt" / "data" / "tariffs"


def test_the_shipped_tariffs_are_where_the_package_finds_them():
    from civicwatt.paths import SHIPPED_CONFIG

    assert SHIPPED_CONFIG / "tariffs" == SHIPPED_TARIFFS
    assert len(list(SHIPPED_TARIFFS.glob("*.yaml"))) >= 2  # never an empty parameter set


@pytest.mark.parametrize("name", sorted(p.name for p in SHIPPED_TARIFFS.glob("*.yaml")))
def test_shipped_tariffs_load_and_cite_a_source(name):
    tariff = Tariff.from_dict(yaml.safe_load((SHIPPED_TARIFFS / name).read_text()))
    assert "〔" in tariff.source  # a notice number such as 京发改规〔2023〕11号
    assert set(tariff.periods) == {"sharp", "peak", "flat", "valley"}


def test_calendar_day_types():
    cn = CalendarSpec(country="CN")
    assert day_type(dt.date(2026, 10, 10), cn) == (WORKDAY, True)  # Saturday 调休
    assert day_type(dt.date(2026, 10, 3), cn) == (HOLIDAY, False)  # National Day break
    assert day_type(dt.date(2026, 10, 11), cn) == (WEEKEND, False)
    us = CalendarSpec(country="US")
    assert day_type(dt.date(2026, 7, 3), us) == (HOLIDAY, False)  # Independence Day observed
    assert day_type(dt.date(2026, 7, 6), us) == (WORKDAY, False)
    none = CalendarSpec(
        country=None, extra_holidays=(dt.date(2026, 7, 6),), extra_workdays=(dt.date(2026, 7, 4),)
    )
    assert day_type(dt.date(2026, 7, 6), none) == (HOLIDAY, False)
    assert day_type(dt.date(2026, 7, 4), none) == (WORKDAY, True)
    assert day_type(dt.date(2026, 7, 3), none) == (WORKDAY, False)
    # beyond chinesecalendar's data, the holidays package still knows New Year's Day
    assert day_type(dt.date(2030, 1, 1), cn)[0] == HOLIDAY
