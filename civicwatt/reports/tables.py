"""The report's tables as CSV files, one per table, named with the report's language.

Numbers are plain (no thousands separators, no units in cells); `cost_unit` says
whether costs are money (the currency code) or multiples of the flat price
(`x_flat_price`, a ratio tariff without the month's base price).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from civicwatt.reports import formatting
from civicwatt.reports.model import DailyReport, Scope


def write_csvs(report: DailyReport, language: str, folder: Path, stem: str) -> list[Path]:
    """The report's tables as UTF-8 CSV (with BOM, so spreadsheet programs detect it), named
    `<stem>-<table>.<language>.csv` so a report in another language never overwrites them."""
    f = formatting
    unit = _cost_unit(report)
    tables: dict[str, tuple[list[str], list[list]]] = {}
    scopes = report.scopes

    def scope_cols(s: Scope) -> list:
        return [s.kind, s.id, s.name]

    head = ["scope", "id", "name"]
    tables["summary"] = (head + [
        "kwh", "cost", "cost_unit", "co2_kg", "kgce", "last_week_kwh", "change_vs_last_week",
        "forecast_kwh", "actual_vs_forecast", "peak_kw", "peak_at", "floor_area_m2", "occupants",
        "kwh_per_m2", "kgce_per_m2", "co2_per_m2", "kwh_per_person", "kgce_per_person",
        "co2_per_person", "water_m3_per_person"], [scope_cols(s) + [
            _r(s.totals.kwh, 3), _r(s.totals.cost, 2), unit, _r(s.totals.co2_kg, 3),
            _r(s.totals.kgce, 3), _r(s.last_week.kwh if s.last_week else None, 3),
            _r(s.totals.change(s.last_week), 4),
            _r(s.forecast_check.forecast_kwh if s.forecast_check else None, 3),
            _r(s.forecast_check.deviation if s.forecast_check else None, 4),
            _r(s.peak.kw if s.peak else None, 3), s.peak.at.isoformat() if s.peak else "",
            s.floor_area_m2, s.occupants, *(_r(v, 5) for v in (
                s.intensity.kwh_per_m2, s.intensity.kgce_per_m2, s.intensity.co2_per_m2,
                s.intensity.kwh_per_person, s.intensity.kgce_per_person,
                s.intensity.co2_per_person, s.intensity.water_per_person))] for s in scopes])
    tables["classes"] = (head + ["energy", "label", "amount", "unit", "kgce", "share_of_kgce",
                                 "cost", "co2_kg"], [
        scope_cols(s) + [r.energy, r.label, _r(r.amount, 4), r.unit, _r(r.kgce, 4),
                         _r(r.share, 4), _r(r.cost, 2), _r(r.co2_kg, 3)]
        for s in scopes for r in s.classes])
    split_head = ["kwh", "cost", "co2_kg", "share"]
    tables["tou"] = (head + ["period", "period_label", *split_head, "cost_unit"], [
        scope_cols(s) + [r.key, f.label(r.key, "periods", language), _r(r.kwh, 3),
                         _r(r.cost, 2), _r(r.co2_kg, 3), _r(r.share, 4), unit]
        for s in scopes for r in s.tou])
    for name, attr in (("purposes", "purposes"), ("zones", "zones")):
        tables[name] = (head + ["key", "label", "level", "residual", *split_head], [
            scope_cols(s) + [r.key, r.label, r.level, int(r.residual), _r(r.kwh, 3),
                             _r(r.cost, 2), _r(r.co2_kg, 3), _r(r.share, 4)]
            for s in scopes for r in getattr(s, attr)])
    tables["hourly"] = (head + ["hour_start", "actual_kw", "forecast_kw", "lower80", "upper80",
                                "lower95", "upper95"], [
        scope_cols(s) + [hour.isoformat(), _r(s.curve.actual_kw[i], 3), *(
            _r(band[i] if band is not None else None, 3) for band in (
                s.curve.forecast_kw, s.curve.lower, s.curve.upper, s.curve.lower95,
                s.curve.upper95))]
        for s in scopes for i, hour in enumerate(s.curve.hours)])
    tables["next_day"] = (head + ["day", "kwh", "lower80_kwh", "upper80_kwh", "peak_kw",
                                  "peak_hour", "co2_kg", "hours", "model"], [
        scope_cols(s) + [n.day.isoformat(), _r(n.kwh, 3), _r(n.lower_kwh, 3),
                         _r(n.upper_kwh, 3), _r(n.peak_kw, 3), n.peak_hour.isoformat(),
                         _r(n.co2_kg, 3), n.hours, n.model]
        for s in scopes if (n := s.next_day) is not None])
    tables["targets"] = (head + ["metric", "baseline_kind", "baseline_label", "ytd_days", "value",
                                 "baseline_pro_rata", "target_pro_rata", "target_reduction",
                                 "change_vs_baseline", "on_track"], [
        scope_cols(s) + [r.metric, s.ytd.reference.kind, f.reference(s.ytd.reference, language),
                         _r(s.ytd.days, 2), _r(r.value, 5), _r(r.baseline, 5),
                         _r(r.target, 5), _r(r.reduction, 4), _r(r.change, 4), int(r.on_track)]
        for s in scopes if s.ytd is not None and s.ytd.reference for r in s.ytd.rows])
    tables["anomalies"] = (["kind", "kind_label", "building", "point", "evidence", "facts"], [
        [a.kind, f.label(a.kind, "kinds", language), a.building, a.point,
         f.evidence(a, language), json.dumps(a.facts, default=str, ensure_ascii=False)]
        for a in report.anomalies])
    tables["completeness"] = (["point", "building", "expected", "measured", "estimated",
                               "share", "last_seen"], [
        [c.point, c.building, c.expected, c.measured, c.estimated, _r(c.share, 4),
         c.last_seen.isoformat() if c.last_seen else ""] for c in report.completeness])
    written = []
    for name, (header, rows) in tables.items():
        path = folder / f"{stem}-{name}.{language}.csv"
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    return written


def _r(value: float | None, digits: int) -> str | float:
    if formatting.missing(value):
        return ""
    return round(float(value), digits)


def _cost_unit(report: DailyReport) -> str:
    unit = report.cost_unit
    return unit.currency if unit.money else "x_flat_price"
