"""The report model → a self-contained HTML file, a PDF of the same content, and CSV tables.

HTML comes from a jinja2 template (`templates/report.html.j2`) with the
charts inline; the PDF is that HTML through WeasyPrint (A4, the site name
and date in every page's header, "page n of N" in the footer). For e-mail
the same HTML references its charts by Content-ID instead of data URIs.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from civicwatt.reports import charts, formatting
from civicwatt.reports.model import Curve, DailyReport
from civicwatt.reports.tables import write_csvs
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
    unit = report.cost_unit
    below = [c for c in report.completeness if c.share < report.completeness_min]
    return {
        "r": report, "t": t, "lang": language, "css": css, "images": images,
        "font": font or "DejaVu Sans", "title": title_of(report, language),
        "date_long": f.date_long(report.day, language),
        "day_type": " · ".join([t[f"day_types.{report.day_type}"]] + (
            [report.term or t["vacation"]] if report.term is not None else [])),
        "highlights": highlights(report, language),
        "incomplete": below,
        "completeness_ok": len(report.completeness) - len(below),
        "num": f.number, "pct": f.percent, "clock": f.clock, "stamp": f.stamp,
        "cost": lambda v: f.cost(v, unit, language),
        # the other classes are priced in money; a combined cost needs electricity in money too
        "class_cost": lambda row: (f.cost(row.cost, unit, language) if row.energy == "electricity"
                                   else f.money(row.cost, unit.currency)),
        "combined_cost": lambda v: f.money(v, unit.currency) if unit.money else f.NONE,
        "unit_price": lambda total, kwh: f.unit_price(total, kwh, unit, language),
        "cost_note": cost_note(report, language),
        "versus": lambda change, ref: f.versus(change, t[ref], language),
        "direction": lambda change: f.direction(change, language),
        "reference": lambda ref: f.reference(ref, language),
        "status": lambda ref, ok: f.status(ref, ok, language),
        "caption": lambda curve: curve_caption(curve, language),
        "period_label": lambda k: f.label(k, "periods", language),
        "kind_label": lambda k: f.label(k, "kinds", language),
        "evidence": lambda a: f.evidence(a, language),
        "short_date": lambda d: f.date_short(d, language),
        "css_text": lambda s: s.replace("\\", "\\\\").replace('"', '\\"'),
        "building_name": {b.id: b.name for b in report.buildings},
        "missing": f.missing,
        "unit_label": lambda u: "m³" if u == "m3" else u,
        "page_counter": page_counter_css(t["page"]),
        "max_anomalies": MAX_ROWS,
    }


def page_counter_css(pattern: str) -> str:
    """'Page {page} of {pages}' → a CSS content value with counter(page)/counter(pages)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    head, rest = pattern.split("{page}", 1)
    middle, tail = rest.split("{pages}", 1)
    return " ".join([quoted(head), "counter(page)", quoted(middle), "counter(pages)",
                     quoted(tail)])


def cost_note(report: DailyReport, language: str) -> str:
    """What the cost figures are: the base price applied to a ratio tariff, or why they are
    relative; empty for a tariff in money."""
    unit, t = report.cost_unit, texts(language)
    if not unit.money:
        return t["cost_relative"].format(tariff=unit.tariff, month=unit.month)
    if unit.base_price is None:
        return ""
    return t["cost_money"].format(month=unit.month, source=unit.source or "metering.base_prices",
                                  price=formatting.money(unit.base_price, unit.currency))


def curve_caption(curve: Curve, language: str) -> str:
    """Names only what the chart draws: bars, and the forecast line and bands if present."""
    t = texts(language)
    parts = ["caption.actual"]
    drawn = [("caption.forecast", curve.forecast_kw), ("caption.band80", curve.lower),
             ("caption.band95", curve.lower95)]
    parts += [key for key, values in drawn
              if values is not None and not np.isnan(values).all()]
    return t["caption.sep"].join(t[key] for key in parts)


def highlights(report: DailyReport, language: str) -> list[str]:
    """Three to seven sentences a director reads first."""
    t = texts(language)
    f = formatting
    s = report.site
    if f.missing(s.totals.kwh):
        return [t["hl.no_data"], t["hl.anomalies"].format(n=len(report.anomalies))]
    out = [t["hl.energy"].format(kwh=f.number(s.totals.kwh),
                                 cost=f.cost(s.totals.cost, report.cost_unit, language),
                                 co2=f.number(s.totals.co2_kg), kgce=f.number(s.totals.kgce))]
    change = s.totals.change(s.last_week)
    if change is not None:
        out[-1] += " " + t["hl.week"].format(
            change=f.versus(change, t["ref.last_week"], language),
            date=f.date_short(report.day - dt.timedelta(days=7), language))
    if s.forecast_check is not None:
        out.append(t["hl.forecast"].format(change=f.versus(
            s.forecast_check.deviation, t["ref.forecast"], language)))
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
    if s.ytd is not None and s.ytd.reference is not None:
        per_m2 = next((r for r in s.ytd.rows if r.metric == "kgce_per_m2"), None)
        if per_m2 is not None:
            ref = s.ytd.reference
            out.append(t["hl.ytd"].format(
                value=f.number(per_m2.value),
                change=f.versus(per_m2.change, f.reference(ref, language), language),
                status=f.status(ref, per_m2.on_track, language)))
    if s.next_day is not None:
        n = s.next_day
        out.append(t["hl.next"].format(date=f.date_short(n.day, language), kwh=f.number(n.kwh),
                                       kw=f.number(n.peak_kw), at=f.clock(n.peak_hour)))
    if not report.has_forecast:
        out.append(t["no_forecast"])
    return out


def write_pdf(html: str, path: Path) -> Path:
    import logging
    # WeasyPrint announces its steps at INFO (some while importing): not the user's concern.
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from weasyprint import HTML
    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
    return path


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
