"""Import an OpenEI Utility Rate Database (URDB) tariff into the native model.

URDB describes energy prices as `energyratestructure` (a list of periods,
each a list of tiers with `rate` and `adj`, $/kWh) and two 12 × 24 matrices,
`energyweekdayschedule` and `energyweekendschedule`, whose cells are 0-based
period indices per month and hour. We take the first tier of each period
(rate + adj) and name periods by their index as a string ("0", "1", …), so
output rows match the URDB page. Months with identical weekday and weekend
rows become one season. URDB has no holiday calendar: holidays (only those in
a site's own list, since the imported calendar has no country) are priced
like weekends. Tiers beyond the first and `fueladjustmentsmonthly` are not
modelled; the tariff's `notes` say so when they are present.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rules.tariffs import Tariff, hhmm


class UrdbError(ValueError):
    """A URDB document that cannot become a tariff; the message names the field."""


def _rate(data: dict[str, Any]) -> dict[str, Any]:
    if "items" in data:
        items = data["items"]
        if not isinstance(items, list) or len(items) != 1:
            count = len(items) if isinstance(items, list) else "no"
            raise UrdbError(f"'items' holds {count} tariffs; export exactly one (getpage=<label>)")
        data = items[0]
    if not isinstance(data, dict):
        raise UrdbError("a URDB tariff is a JSON object")
    return data


def _matrix(rate: dict[str, Any], field: str, n_periods: int) -> list[list[int]]:
    m = rate.get(field)
    if not (
        isinstance(m, list)
        and len(m) == 12
        and all(isinstance(r, list) and len(r) == 24 for r in m)
    ):
        raise UrdbError(f"'{field}' must be a 12 × 24 matrix (months × hours)")
    for month, row in enumerate(m, start=1):
        for hour, cell in enumerate(row):
            if not isinstance(cell, int) or not 0 <= cell < n_periods:
                raise UrdbError(
                    f"'{field}' month {month} hour {hour}: period {cell!r} is not an index "
                    f"into energyratestructure (0..{n_periods - 1})"
                )
    return m


def _windows(row: list[int], days: list[str]) -> list[dict[str, Any]]:
    out = []
    start = 0
    for hour in range(1, 25):
        if hour == 24 or row[hour] != row[start]:
            out.append(
                {
                    "period": str(row[start]),
                    "start": hhmm(start * 60),
                    "end": hhmm(hour * 60),
                    "days": days,
                }
            )
            start = hour
    return out


def urdb_to_dict(data: dict[str, Any]) -> dict[str, Any]:
    """URDB JSON (one rate, or an API response with one item) → native tariff dict."""
    rate = _rate(data)
    structure = rate.get("energyratestructure")
    if not isinstance(structure, list) or not structure:
        raise UrdbError(
            "an incomplete URDB tariff: 'energyratestructure' (the price of each energy period) "
            f"is {'empty' if 'energyratestructure' in rate else 'missing'} — a demand-only or "
            "fixed-charge rate, or a summary export; download the full rate from the OpenEI "
            "API with detail=full")
    prices: dict[str, float] = {}
    notes: list[str] = []
    for i, tiers in enumerate(structure):
        if not isinstance(tiers, list) or not tiers or not isinstance(tiers[0], dict):
            raise UrdbError(f"'energyratestructure' period {i}: expected a list of tiers")
        tier = tiers[0]
        if "rate" not in tier:
            raise UrdbError(f"'energyratestructure' period {i} tier 0 has no 'rate'")
        prices[str(i)] = _number(tier["rate"], i, "rate") + _number(tier.get("adj") or 0.0, i,
                                                                      "adj")
        if len(tiers) > 1:
            notes.append(f"period {i}: {len(tiers)} tiers, only the first is billed")
    if rate.get("fueladjustmentsmonthly"):
        notes.append("fueladjustmentsmonthly is not applied")
    n = len(structure)
    weekday = _matrix(rate, "energyweekdayschedule", n)
    weekend = _matrix(rate, "energyweekendschedule", n)

    groups: dict[tuple[tuple[int, ...], tuple[int, ...]], list[int]] = {}
    for m in range(12):
        groups.setdefault((tuple(weekday[m]), tuple(weekend[m])), []).append(m + 1)
    seasons = []
    for (wd, we), months in groups.items():
        used = {str(p) for p in wd + we}
        seasons.append(
            {
                "name": "months " + ",".join(str(m) for m in months),
                "months": months,
                "windows": _windows(list(wd), ["workday"])
                + _windows(list(we), ["weekend", "holiday"]),
                "prices": {p: v for p, v in prices.items() if p in used},
            }
        )
    start = rate.get("startdate")
    try:
        effective = (
            dt.datetime.fromtimestamp(int(start), dt.UTC).date() if start else dt.date(1900, 1, 1)
        )
    except (TypeError, ValueError, OverflowError, OSError):
        raise UrdbError(f"'startdate' {start!r} is not a Unix time in seconds") from None
    title = " — ".join(str(rate[k]) for k in ("utility", "name") if rate.get(k)) or "URDB tariff"
    source = rate.get("uri") or (
        f"OpenEI URDB {rate['label']}" if rate.get("label") else "OpenEI URDB"
    )
    return {
        "name": title,
        "currency": "USD",
        "source": str(source),
        "notes": "; ".join(["imported from OpenEI URDB", *notes]),
        "calendar": {"country": None},
        "versions": [{"effective_from": effective.isoformat(), "seasons": seasons}],
    }


def from_urdb(data: dict[str, Any]) -> Tariff:
    return Tariff.from_dict(urdb_to_dict(data))


def _number(value: Any, period: int, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UrdbError(f"'energyratestructure' period {period} tier 0 '{key}' = {value!r} is "
                        "not a number")
    try:
        return float(value)
    except ValueError:
        raise UrdbError(f"'energyratestructure' period {period} tier 0 '{key}' = {value!r} is "
                        "not a number") from None


#: Keys only a URDB rate has; a native tariff has `versions` instead.
_URDB_KEYS = {"label", "utility", "eiaid", "sector", "uri", "startdate", "enddate",
              "energyratestructure", "energyweekdayschedule", "energyweekendschedule",
              "demandratestructure", "flatdemandstructure", "fixedchargefirstmeter"}


def looks_like_urdb(data: Any) -> bool:
    """A URDB rate (or an API response holding rates), complete or not."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return True
    return isinstance(data, dict) and "versions" not in data and bool(_URDB_KEYS & set(data))
