"""Numbers, dates and evidence sentences as an energy officer reads them (zh or en)."""

from __future__ import annotations

import datetime as dt
import math

from civicwatt.reports.model import Anomaly, CostUnit, Reference
from civicwatt.reports.text import MONTHS, texts

SYMBOLS = {"CNY": "¥", "USD": "$", "GBP": "£", "EUR": "€", "JPY": "¥", "HKD": "HK$"}
NONE = "—"


def missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def number(value: float | None, digits: int | None = None) -> str:
    """Thousands separators; decimals by size unless given (1234 → 1,234; 12.34 → 12.3)."""
    if missing(value):
        return NONE
    if value == 0:
        return "0"
    if digits is None:
        size = abs(value)
        digits = 0 if size >= 1000 else 1 if size >= 10 else 2 if size >= 0.1 else 3
    text = f"{value:,.{digits}f}"
    return "0" if text.strip("-0.,") == "" and digits == 0 else text


def money(value: float | None, currency: str) -> str:
    if missing(value):
        return NONE
    symbol = SYMBOLS.get(currency)
    text = f"{abs(value):,.2f}"
    sign = "−" if value < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency}"


def cost(value: float | None, unit: CostUnit, language: str) -> str:
    """Money with its currency, or a relative cost as "1,234.56 × flat price" (no currency)."""
    if unit.money:
        return money(value, unit.currency)
    return NONE if missing(value) else f"{number(value, 2)} {texts(language)['x_flat']}"


def unit_price(total: float | None, kwh: float | None, unit: CostUnit, language: str) -> str:
    """Mean price: "¥0.81/kWh", or "1.21 × flat price" for relative costs."""
    if missing(total) or not kwh or missing(kwh):
        return NONE
    value = total / kwh
    return f"{money(value, unit.currency)}/kWh" if unit.money else \
        f"{number(value, 2)} {texts(language)['x_flat']}"


def _word(change: float | None, language: str, prefix: str, **more: str) -> str:
    if missing(change):
        return NONE
    t = texts(language)
    if round(change * 100, 1) == 0:
        return t[f"{prefix}.level"].format(**more)
    key = f"{prefix}.above" if change > 0 else f"{prefix}.below"
    return t[key].format(pct=percent(abs(change)), **more)


def versus(change: float | None, ref: str, language: str) -> str:
    """One sign convention, in words: +0.12 → "12.0% above the same day last week"."""
    return _word(change, language, "cmp", ref=ref)


def direction(change: float | None, language: str) -> str:
    """The same convention where a header names the reference: "12.0% above" / "高 12.0%"."""
    return _word(change, language, "dir")


def reference(ref: Reference | None, language: str) -> str:
    """What a baseline is, as the report names it: "national public-institution average 2020"."""
    if ref is None:
        return ""
    return ref.name or texts(language)[f"ref.{ref.kind}"].format(year=ref.year)


def status(ref: Reference, on_track: bool, language: str) -> str:
    """Own baseline: on track / above target; quota: within / above; average: below / above."""
    group = ref.kind if ref.kind in ("own", "quota") else "average"
    return texts(language)[f"status.{group}.{'ok' if on_track else 'bad'}"]


def percent(value: float | None, signed: bool = False, digits: int = 1) -> str:
    if missing(value):
        return NONE
    text = f"{abs(value) * 100:.{digits}f}%"
    if round(value * 100, digits) == 0:
        return ("±" if signed else "") + text
    if not signed:
        return ("−" if value < 0 else "") + text
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def date_long(day: dt.date, language: str) -> str:
    t = texts(language)
    weekday = t["weekdays"].split(",")[day.weekday()]
    if language == "zh":
        return f"{day.year}年{day.month}月{day.day}日 {weekday}"
    return f"{weekday} {day.day} {MONTHS[day.month - 1]} {day.year}"


def date_short(day: dt.date, language: str) -> str:
    if language == "zh":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {MONTHS[day.month - 1][:3]}"


def clock(when: dt.datetime | None) -> str:
    return NONE if when is None else when.strftime("%H:%M")


def stamp(when: dt.datetime | None) -> str:
    return NONE if when is None else when.strftime("%Y-%m-%d %H:%M")


def evidence(anomaly: Anomaly, language: str) -> str:
    """The evidence sentence of a finding, from its numbers."""
    t = texts(language)
    f = dict(anomaly.facts)
    if anomaly.kind == "silent" and f.get("last_seen") is None:
        return t["ev.silent_never"]
    shown = {}
    for key, value in f.items():
        if key == "share" and anomaly.kind == "imbalance":
            shown[key] = direction(-value, language)  # (parent − Σ sub-meters) / parent
        elif key in ("change", "share", "threshold"):
            shown[key] = percent(value)
        elif key == "day_type":
            shown[key] = t[f"day_types.{value}"]
        elif key in ("last_seen", "at"):
            shown[key] = stamp(value)
        elif isinstance(value, float):
            shown[key] = number(value)
        else:
            shown[key] = value
    return t[f"ev.{anomaly.kind}"].format(**shown)


def label(key: str, group: str, language: str) -> str:
    """A translated name for a known key (periods, kinds, day types), else the key itself."""
    return texts(language).get(f"{group}.{key.lower()}", key)
