"""The one calendar: public holidays with 调休, site holidays and workdays, closures, terms."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from rules.calendar import (
    HOLIDAY,
    WORKDAY,
    CalendarSpec,
    closure_on,
    day_kind,
    day_type,
    is_working,
    term_on,
)

D = dt.date


def test_public_holidays_and_adjusted_workdays() -> None:
    cn = CalendarSpec(country="CN")
    assert day_kind(D(2026, 10, 1), cn) == "holiday"  # National Day
    assert day_kind(D(2026, 10, 10), cn) == "adjusted_workday"  # a Saturday worked (调休)
    assert day_kind(D(2026, 10, 11), cn) == "weekend"
    assert day_kind(D(2026, 10, 12), cn) == "workday"
    assert not is_working(D(2026, 10, 1), cn) and is_working(D(2026, 10, 10), cn)


def test_site_holidays_and_workdays_override_the_country() -> None:
    spec = CalendarSpec(country="CN", holidays=(D(2026, 11, 25),), workdays=(D(2026, 11, 28),))
    assert day_type(D(2026, 11, 25), spec) == (HOLIDAY, False)
    assert day_type(D(2026, 11, 28), spec) == (WORKDAY, True)  # a Saturday the site works
    # tariff files written before the calendar section still say extra_holidays
    legacy = CalendarSpec.model_validate({"country": None, "extra_holidays": ["2026-07-06"]})
    assert legacy.holidays == (D(2026, 7, 6),)


def test_closures_close_days_without_changing_the_tariffs_day_type() -> None:
    spec = CalendarSpec.model_validate({"country": "CN", "closures": [
        {"from": "2026-08-03", "to": "2026-08-05", "reason": "works"},
        {"from": "12-28", "to": "01-02", "buildings": ["school"], "reason": "winter"}]})
    assert day_kind(D(2026, 8, 4), spec) == "closed"
    assert day_type(D(2026, 8, 4), spec) == (WORKDAY, False)  # billed as the calendar says
    assert closure_on(D(2026, 8, 6), spec) is None
    # a month-day closure repeats every year and wraps the new year, for its building only
    for day in (D(2026, 12, 28), D(2027, 1, 2), D(2030, 12, 31)):
        assert day_kind(day, spec, "school") == "closed"
        assert day_kind(day, spec) != "closed"  # the site as a whole stays open
        assert day_kind(day, spec, "office") != "closed"
    assert day_kind(D(2027, 1, 4), spec, "school") == "workday"
    mine = spec.for_building("school")
    assert day_kind(D(2026, 12, 29), mine) == "closed"  # the building's own view of the site
    assert day_kind(D(2026, 12, 29), spec.for_building("office")) == "workday"


def test_terms_name_the_term_and_leave_vacations_unnamed() -> None:
    spec = CalendarSpec.model_validate({"terms": [
        {"name": "autumn 2026", "from": "2026-09-01", "to": "2027-01-15"}]})
    assert term_on(D(2026, 11, 25), spec).name == "autumn 2026"
    assert term_on(D(2027, 2, 1), spec) is None


def test_a_calendar_survives_a_json_round_trip() -> None:
    spec = CalendarSpec.model_validate({"closures": [
        {"from": "2026-08-03", "to": "2026-08-05"}, {"from": "12-24", "to": "12-26"}]})
    again = CalendarSpec.model_validate(spec.model_dump(mode="json"))
    assert again == spec


@pytest.mark.parametrize(("closure", "message"), [
    ({"from": "24/12", "to": "12-26"}, "neither a date"),
    ({"from": "2026-08-05", "to": "2026-08-03"}, "before"),
    ({"from": "2026-08-05", "to": "12-26"}, "both dates or both month-days"),
    ({"from": "12-24"}, "to"),
])
def test_bad_closures_say_what_is_wrong(closure, message) -> None:
    with pytest.raises(ValidationError, match=message):
        CalendarSpec.model_validate({"closures": [closure]})
