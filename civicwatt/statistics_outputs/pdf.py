"""The statistics report (monthly, quarterly, annual) → HTML and PDF, on the daily report's stack:
charts from `civicwatt.reports.charts`' pyplot, its stylesheet, the CJK font of
`civicwatt.reports.fonts`, WeasyPrint through `civicwatt.reports.render.write_pdf`, and its
`Rendered` (data-URI HTML for the file, Content-ID HTML for e-mail).
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import jinja2

from civicwatt.reports import formatting
from civicwatt.reports.render import TEMPLATES as REPORT_TEMPLATES
from civicwatt.reports.render import Rendered, page_counter_css, write_pdf
from civicwatt.statistics_outputs import charts
from civicwatt.statistics_outputs.columns import BY_KEY
from civicwatt.statistics_outputs.report import (
    StatisticsReport,
    quota,
    quota_status,
    rankings,
    targets,
)
from civicwatt.statistics_outputs.text import texts

TEMPLATES = Path(__file__).parent / "templates"


def title_of(report: StatisticsReport, lang: str) -> str:
    return f"{report.site_name} {texts(lang)['title.' + report.kind]} {report.period}"


def chart_images(report: StatisticsReport, lang: str, font: str | None) -> dict[str, bytes]:
    t = texts(lang)
    images: dict[str, bytes] = {}
    if report.trend is not None:
        months = [f"{m.month}月" if lang == "zh" else m.strftime("%b") for m in report.trend.months]
        images["trend"] = charts.trend(months, report.trend.current, report.trend.previous, t,
                                       font)
    for ranking in rankings(report, lang):
        bars = [charts.Bar(str(b.get("name") or b.get("id")), b["kgce_per_m2"],
                           quota(b).get("constraint"), quota(b).get("guide"))
                for b in ranking.rows[:ranking.shown]]
        images[f"rank-{ranking.type or 'untyped'}"] = charts.ranking(bars, t, font)
    return images


def summary_headline(report: StatisticsReport, lang: str) -> str:
    """One line for the e-mail's text part: total energy, cost, CO₂ and their 同比."""
    t, total = texts(lang), report.total
    yoy = (total.get("yoy_pct") or {}).get("kgce")
    change = "" if yoy is None else f" ({t['yoy']} {yoy:+.1f}%)"
    return (f"{title_of(report, lang)}: {formatting.number(total.get('kgce'))} kgce{change}, "
            f"{formatting.number(total.get('cost'))} {report.currency}, "
            f"{formatting.number(total.get('co2_kg'))} kg CO₂")


def render_html(report: StatisticsReport, lang: str, font: str | None) -> Rendered:
    images = chart_images(report, lang, font)
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                                     autoescape=True, trim_blocks=True, lstrip_blocks=True,
                                     undefined=jinja2.StrictUndefined)
    template = environment.get_template("statistics.html.j2")
    css = (REPORT_TEMPLATES / "report.css").read_text(encoding="utf-8")
    t = texts(lang)
    groups, over = quota_status(report, lang)
    context = {
        "r": report, "t": t, "lang": lang, "css": css, "font": font or "DejaVu Sans",
        "title": title_of(report, lang), "indicators": report.indicators(),
        "label": lambda i: i.label(lang, report.currency),
        "num": formatting.number, "quota": quota, "quota_groups": groups, "over": over,
        "has_quota": any(g.none < g.n for g in groups),
        "rankings": rankings(report, lang), "targets": targets(report),
        "plan": report.doc.get("targets") or {},
        "cuts": ", ".join(f"{BY_KEY[m].zh if lang == 'zh' else BY_KEY[m].en} −{r * 100:g}%"
                          for m, r in ((report.doc.get("targets") or {}).get("reductions")
                                       or {}).items() if m in BY_KEY),
        "metric": lambda key: BY_KEY[key].label(lang, report.currency) if key in BY_KEY else key,
        "pct": lambda v: "—" if v is None else f"{v:+.1f}%",
        "share": lambda v: formatting.percent(v),
        "generated": (report.generated or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M"),
        "css_text": lambda s: s.replace("\\", "\\\\").replace('"', '\\"'),
        "page_counter": page_counter_css(t["page"]),
    }

    def page(src: dict[str, str]) -> str:
        return template.render(images=src, **context)

    data = {name: "data:image/png;base64," + base64.b64encode(png).decode()
            for name, png in images.items()}
    return Rendered(page(data), images, title_of(report, lang),
                    page({name: f"cid:{name}" for name in images}))


def write(report: StatisticsReport, lang: str, font: str | None, pdf: Path,
          html: Path | None = None) -> Rendered:
    """Write the PDF (and the HTML when asked); `files` lists what was written."""
    rendered = render_html(report, lang, font)
    pdf.parent.mkdir(parents=True, exist_ok=True)
    if html is not None:
        html.write_text(rendered.html, encoding="utf-8")
        rendered.files.append(html)
    rendered.files.append(write_pdf(rendered.html, pdf))
    return rendered
