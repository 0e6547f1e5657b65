"""The site's `calendar:` section: the one calendar billing, reports, forecasts and setpoints use.

`calendar.country` defaults to `site.country`. The keys that used to set day
types elsewhere (`metering.holidays`, `metering.workdays`,
`forecast.extra_closures`, `forecast.country`, `forecast.subdivision`) are
errors that say where they moved, so an old config never silently loses its
site holidays.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from rules.calendar import CalendarSpec

Found = tuple[tuple, object, str]

#: (section, old key) → what to write instead
MOVED: dict[tuple[str, str], str] = {
    ("metering", "holidays"): "calendar.holidays",
    ("metering", "workdays"): "calendar.workdays",
    ("forecast", "extra_closures"): "calendar.closures, e.g. "
                                    "closures: [{from: '12-27', to: '12-31', reason: winter}]",
    ("forecast", "country"): "calendar.country (default: site.country)",
    ("forecast", "subdivision"): "calendar.subdivision",
    ("forecast", "calendar"): "the top-level calendar: section",
}


def moved_keys(data: dict[str, Any]) -> tuple[list[Found], dict[str, Any]]:
    """Problems for keys that moved into `calendar:`, and the data without them."""
    found: list[Found] = []
    cleaned = dict(data)
    for (section, key), where in MOVED.items():
        part = data.get(section)
        if isinstance(part, dict) and key in part:
            found.append(((section, key), part[key],
                          f"moved to {where}: one calendar now serves billing, reports, "
                          "forecasts and setpoints"))
            cleaned[section] = {k: v for k, v in cleaned[section].items() if k != key}
    return found, cleaned


def resolve(calendar: CalendarSpec | None, country: str) -> CalendarSpec:
    """The section with `country` from `site.country` when the section does not name one."""
    if calendar is None:
        return CalendarSpec(country=country)
    if "country" in calendar.model_fields_set:
        return calendar
    return CalendarSpec.model_validate({**calendar.model_dump(), "country": country})


def site_calendar(config) -> CalendarSpec:
    """The site's calendar (a validated `SiteConfig`)."""
    return resolve(config.calendar, config.site.country)


def check_calendar(calendar: CalendarSpec | None, site, building_ids: set[str]) -> list[Found]:
    """`site.country` must be a calendar when it is the default; closures name real buildings;
    `calendar.country` and `site.country` agree."""
    found: list[Found] = []
    if site is not None:
        try:
            resolve(calendar, site.country)
        except ValidationError as exc:
            message = exc.errors()[0]["msg"].removeprefix("Value error, ")
            found.append((("site", "country"), site.country,
                          message.replace("calendar.country", "site.country")
                          + " (or set calendar.country)"))
        if calendar is not None and "country" in calendar.model_fields_set and \
                calendar.country is not None and calendar.country != site.country:
            found.append((("calendar", "country"), calendar.country,
                          f"the same country as site.country ({site.country}), or change "
                          "site.country: one country's holidays apply to the site"))
    for i, closure in enumerate(calendar.closures if calendar else ()):
        for j, building in enumerate(closure.buildings):
            if building not in building_ids:
                found.append((("calendar", "closures", i, "buildings", j), building,
                              f"one of the building ids {sorted(building_ids)}"))
    return found
