"""The report model → a self-contained HTML file, a PDF of the same content, and CSV tables.

HTML comes from a jinja2 template (`templates/report.html.j2`) with the
charts inline; the PDF is that HTML through WeasyPrint (A4, the site name
and date in every page's header, "page n of N" in the footer). For e-mail
the same HTML references its charts by Content-ID instead of data URIs.
"""

from __future__ import annotations

import base64
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from civicwatt.reports import charts, formatting
from civicwatt.reports.model import DailyReport, Scope
from civicwatt.reports.text import texts

TEMPLATES = Path(__file__).parent / "templates"
MAX_ROWS = 60  # anomalies / incomplete meters listed in the document; the CSVs have all


@dataclass
class Rendered:
    html: str  # charts as data URIs
    images: dict[str, bytes]  # chart name → PNG, for e-mail (cid:<name>)
    title: str
    email_html: str = ""
    files: list[Path] = field(default_factory=list)


def chart_images(report: DailyReport, language: str, font: str | None) -> dict[str, bytes]:
    t = texts(language)
    return {f"curve-{scope.kind}-{scope.id}": charts.load_curve(
        scope.curve, t, font, height_in=2.3 if scope.kind == "site" else 1.75)
        for scope in report.scopes}


def title_of(report: DailyReport, language: str) -> str:
    t = texts(language)
    return f"{report.site_name} {t['title']} {report.day.isoformat()}"


def render_html(report: DailyReport, language: str, font: str | None,
                images: dict[str, bytes] | None = None) -> Rendered:
    images = chart_images(report, language, font) if images is None else images
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    template = environment.get_template("report.html.j2")
    css = (TEMPLATES / "report.css").read_text(encoding="utf-8")

    def page(src: dict[str, str]) -> str:
        return template.render(**_context(report, language, font, css, src))

    data = {name: "data:image/png;base64," + base64.b64encode(png).decode()
            for name, png in images.items()}
    cid = {name: f"cid:{name}" for name in images}
    return Rendered(page(data), images, title_of(report, language), page(cid))


def _context(report: DailyReport, language: str, font: str | None, css: str,
             images: dict[str, str]) -> dict:
    t = texts(language)
    f = formatting
    currency = report.currency
    below = [c for c in report.completeness if c.share < report.completeness_min]
    return {
        "r": report, "t": t, "lang": language, "css": css, "images": images,
        "font": font or "DejaVu Sans", "title": title_of(report, language),
        "date_long": f.date_long(report.day, language),
        "day_type": t[f"day_types.{report.day_type}"],
        "highlights": highlights(report, language),
        "incomplete": below,
        "completeness_ok": len(report.completeness) - len(below),
        "num": f.number, "pct": f.percent, "clock": f.clock, "stamp": f.stamp,
        "money": lambda v: f.money(v, currency),
        "period_label": lambda k: f.label(k, "periods", language),
        "kind_label": lambda k: f.label(k, "kinds", language),
        "evidence": lambda a: f.evidence(a, language),
        "short_date": lambda d: f.date_short(d, language),
        "css_text": lambda s: s.replace("\\", "\\\\").replace('"', '\\"'),
        "building_name": {b.id: b.name for b in report.buildings},
        "missing": f.missing,
        "unit_label": lambda u: "m³" if u == "m3" else u,
        "page_counter": _page_counter(t["page"]),
        "max_anomalies": MAX_ROWS,
    }


def _page_counter(pattern: str) -> str:
    """'Page {page} of {pages}' → a CSS content value with counter(page)/counter(pages)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    head, rest = pattern.split("{page}", 1)
    middle, tail = rest.split("{pages}", 1)
    return " ".join([quoted(head), "counter(page)", quoted(middle), "counter(pages)",
                     quoted(tail)])


def highlights(report: DailyReport, language: str) -> list[str]:
    """Three to six sentences a director reads first."""
    t = texts(language)
    f = formatting
    s = report.site
    if f.missing(s.totals.kwh):
        return [t["hl.no_data"], t["hl.anomalies"].format(n=len(report.anomalies))]
    out = [t["hl.energy"].format(kwh=f.number(s.totals.kwh), cost=f.money(s.totals.cost,
                                 report.currency), co2=f.number(s.totals.co2_kg),
                                 kgce=f.number(s.totals.kgce))]
    change = s.totals.change(s.last_week)
    if change is not None:
        import datetime as dt
        out[-1] += " " + t["hl.week"].format(
            change=f.percent(change, signed=True),
            date=f.date_short(report.day - dt.timedelta(days=7), language))
    if s.forecast_check is not None:
        error = s.forecast_check.error
        out.append(t["hl.forecast"].format(error=f.percent(abs(error)),
                                           sign=t["higher"] if error > 0 else t["lower"]))
    if s.peak is not None:
        out.append(t["hl.peak"].format(m=report.interval_minutes, kw=f.number(s.peak.kw),
                                       at=f.clock(s.peak.at)))
    if len(s.classes) > 1 and s.combined is not None and not f.missing(s.combined.kgce):
        parts = [f"{row.label} {f.percent(row.share)}" for row in s.classes
                 if not f.missing(row.share) and row.share]
        out.append(t["hl.classes"].format(kgce=f.number(s.combined.kgce),
                                          parts=", ".join(parts)))
    out.append(t["hl.anomalies"].format(n=len(report.anomalies)) if report.anomalies
               else t["hl.no_anomalies"])
    if s.ytd is not None:
        per_m2 = next((r for r in s.ytd.rows if r.metric == "kgce_per_m2"), None)
        if per_m2 is not None:
            out.append(t["hl.ytd"].format(value=f.number(per_m2.value), change=f.percent(
                per_m2.change, signed=True), status=t["on_track" if per_m2.on_track
                                                      else "off_track"]))
    if s.next_day is not None:
        n = s.next_day
        out.append(t["hl.next"].format(date=f.date_short(n.day, language), kwh=f.number(n.kwh),
                                       kw=f.number(n.peak_kw), at=f.clock(n.peak_hour)))
    return out


def write_pdf(html: str, path: Path) -> Path:
    import logging
    # WeasyPrint announces its steps at INFO (some while importing): not the user's concern.
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from weasyprint import HTML
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
    return path


def write_csvs(report: DailyReport, language: str, folder: Path, stem: str) -> list[Path]:
    """The report's tables as UTF-8 CSV (with BOM, so spreadsheet programs detect it)."""
    f = formatting
    tables: dict[str, tuple[list[str], list[list]]] = {}
    scopes = report.scopes

    def scope_cols(s: Scope) -> list:
        return [s.kind, s.id, s.name]

    head = ["scope", "id", "name"]
    tables["summary"] = (head + [
        "kwh", "cost", "co2_kg", "kgce", "last_week_kwh", "change_vs_last_week",
        "forecast_kwh", "forecast_error", "peak_kw", "peak_at", "floor_area_m2", "occupants",
        "kwh_per_m2", "kgce_per_m2", "co2_per_m2", "kwh_per_person", "kgce_per_person",
        "co2_per_person", "water_m3_per_person"], [scope_cols(s) + [
            _r(s.totals.kwh, 3), _r(s.totals.cost, 2), _r(s.totals.co2_kg, 3),
            _r(s.totals.kgce, 3), _r(s.last_week.kwh if s.last_week else None, 3),
            _r(s.totals.change(s.last_week), 4),
            _r(s.forecast_check.forecast_kwh if s.forecast_check else None, 3),
            _r(s.forecast_check.error if s.forecast_check else None, 4),
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
    tables["tou"] = (head + ["period", "period_label", *split_head], [
        scope_cols(s) + [r.key, f.label(r.key, "periods", language), _r(r.kwh, 3),
                         _r(r.cost, 2), _r(r.co2_kg, 3), _r(r.share, 4)]
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
    tables["targets"] = (head + ["metric", "ytd_days", "value", "baseline_pro_rata",
                                 "target_pro_rata", "target_reduction", "change_vs_baseline",
                                 "on_track"], [
        scope_cols(s) + [r.metric, _r(s.ytd.days, 2), _r(r.value, 5), _r(r.baseline, 5),
                         _r(r.target, 5), _r(r.reduction, 4), _r(r.change, 4), int(r.on_track)]
        for s in scopes if s.ytd is not None for r in s.ytd.rows])
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
        path = folder / f"{stem}-{name}.csv"
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


def write_all(report: DailyReport, language: str, font: str | None, folder: Path) -> Rendered:
    """Write HTML, PDF and CSVs into `folder`; return the rendering with `files` filled."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{report.site_id}-{report.day.isoformat()}"
    rendered = render_html(report, language, font)
    html_path = folder / f"{stem}-report.{language}.html"
    html_path.write_text(rendered.html, encoding="utf-8")
    pdf_path = write_pdf(rendered.html, folder / f"{stem}-report.{language}.pdf")
    rendered.files = [html_path, pdf_path, *write_csvs(report, language, folder, stem)]
    return rendered
