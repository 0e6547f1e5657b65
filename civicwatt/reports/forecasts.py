"""Forecast rows → per-building hourly arrays for the report day and the next day.

A building's load forecast is the `forecast` series with `target=load` and a
zone tag that is empty or the building id (zone forecasts are ignored here).
Values are hourly kWh, i.e. the hour's mean kW. When several models wrote
forecasts, the one covering most of the day wins (ties: alphabetical), so the
report is the same whichever order the rows came in.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from civicwatt.config import SiteConfig
from civicwatt.reports.data import ReportInputs
from civicwatt.reports.model import Curve, ForecastCheck, NextDay, Scope, earliest_peak
from rules.clock import HOUR_NS, NS, day_bounds, to_local
from store import Row

BANDS = ("value", "lower", "upper", "lower95", "upper95")


@dataclass
class HourlyForecast:
    """Hour h of the report day is index h; the next day follows (n_day + n_next hours)."""

    model: str
    n_day: int
    bands: dict[str, np.ndarray]  # BANDS → hourly arrays, NaN where absent
    carbon: np.ndarray  # kgCO₂e per hour, NaN where absent
    issued_at: dt.datetime | None


def by_building(rows: list[Row], config: SiteConfig,
                inputs: ReportInputs) -> dict[str, HourlyForecast]:
    n_day = int((inputs.end_ns - inputs.start_ns) // HOUR_NS)
    n_all = n_day + _hours_after(inputs)
    found: dict[str, HourlyForecast] = {}
    for b in config.buildings:
        mine = [r for r in rows if r.series.tag("building") == b.id
                and r.series.tag("zone") in ("", b.id)]
        load = [r for r in mine if r.series.tag("target") == "load"]
        if not load:
            continue
        model = _choose_model(load, inputs)
        bands = {k: np.full(n_all, np.nan) for k in BANDS}
        carbon = np.full(n_all, np.nan)
        issued: list[dt.datetime] = []
        for row in mine:
            if row.series.tag("model") != model:
                continue
            h = (row.time_ns - inputs.start_ns) // HOUR_NS
            if not 0 <= h < n_all:
                continue
            if row.series.tag("target") == "load":
                for k in BANDS:
                    if isinstance(row.fields.get(k), int | float):
                        bands[k][h] = float(row.fields[k])
                if h < n_day and (when := _when(row.fields.get("issued_at"), inputs.tz)):
                    issued.append(when)
            elif row.series.tag("target") == "carbon" and isinstance(row.fields.get("value"),
                                                                     int | float):
                carbon[h] = float(row.fields["value"])
        found[b.id] = HourlyForecast(model, n_day, bands, carbon, max(issued, default=None))
    return found


def _hours_after(inputs: ReportInputs) -> int:
    start, end = day_bounds(inputs.day + dt.timedelta(days=1), inputs.tz)
    return int((end - start) // HOUR_NS)


def _choose_model(rows: list[Row], inputs: ReportInputs) -> str:
    counts: dict[str, int] = {}
    for r in rows:
        inside = inputs.start_ns <= r.time_ns < inputs.end_ns
        counts[r.series.tag("model")] = counts.get(r.series.tag("model"), 0) + inside
    return min(counts, key=lambda m: (-counts[m], m))


def _when(value: object, tz: str) -> dt.datetime | None:
    """issued_at as epoch ns/s or ISO 8601 text → local datetime."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / NS if abs(value) > 1e14 else value
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC).astimezone(to_local(0, tz).tzinfo)
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(to_local(0, tz).tzinfo) if parsed.tzinfo else None


def site_sum(parts: list[HourlyForecast | None]) -> HourlyForecast | None:
    """The site forecast as the sum of its buildings' (bands summed: buildings move together)."""
    if not parts or any(p is None for p in parts):
        return None
    first = parts[0]
    bands = {k: np.sum([p.bands[k] for p in parts], axis=0) for k in BANDS}
    carbon = np.sum([p.carbon for p in parts], axis=0)
    models = sorted({p.model for p in parts})
    issued = [p.issued_at for p in parts if p.issued_at]
    return HourlyForecast("+".join(models), first.n_day, bands, carbon, max(issued, default=None))


def attach(scope: Scope, fc: HourlyForecast | None, inputs: ReportInputs) -> None:
    """Fill the scope's forecast band, the day's forecast check and the next day's outlook."""
    if fc is None:
        return
    n = fc.n_day
    b = fc.bands
    c = scope.curve
    scope.curve = Curve(c.hours, c.actual_kw, b["value"][:n], b["lower"][:n], b["upper"][:n],
                        b["lower95"][:n], b["upper95"][:n])
    both = ~np.isnan(c.actual_kw) & ~np.isnan(b["value"][:n])
    if both.any():
        scope.forecast_check = ForecastCheck(float(b["value"][:n][both].sum()),
                                             float(c.actual_kw[both].sum()), int(both.sum()),
                                             fc.issued_at, fc.model)
    nxt = b["value"][n:]
    ok = ~np.isnan(nxt)
    if ok.any():
        peak = earliest_peak(nxt)
        carbon = fc.carbon[n:]
        lower, upper = b["lower"][n:], b["upper"][n:]
        scope.next_day = NextDay(
            inputs.day + dt.timedelta(days=1), float(nxt[ok].sum()), float(nxt[peak]),
            to_local(inputs.end_ns + peak * HOUR_NS, inputs.tz),
            float(np.nansum(carbon)) if (~np.isnan(carbon)).any() else None, int(ok.sum()),
            fc.model,
            float(lower[ok].sum()) if not np.isnan(lower[ok]).any() else None,
            float(upper[ok].sum()) if not np.isnan(upper[ok]).any() else None)
