"""Write the disclosure site: index.html, buildings/ID.html, site.css and a manifest.

The folder is self-contained (relative links, inline SVG, one stylesheet, no script, nothing
fetched from elsewhere), so any web server can publish it. `MANIFEST` lists every file written
with its SHA-256: `civicwatt run` serves exactly those files and nothing else a folder may hold.
Files are written beside their final name and renamed, so a server never sends half a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import jinja2
from markupsafe import Markup

from civicwatt.config import SiteConfig
from civicwatt.disclose import charts
from civicwatt.disclose.model import TREND_YEARS, BuildingPage, building_page
from civicwatt.disclose.text import WORDS, number, percent, status_word

MANIFEST = "civicwatt-disclosure.json"
TEMPLATES = files("civicwatt.disclose") / "templates"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

#: period → issue 17's statistics document for the published buildings
Statistics = Callable[[str], dict]


@dataclass(frozen=True)
class Request:
    year: int
    through: dt.date  # the last local day covered (31 Dec, or the end of --month, or yesterday)
    month: str | None  # YYYY-MM shown on its own
    language: str

    @classmethod
    def of(cls, year: int, month: str | None, today: dt.date, language: str) -> Request:
        """The pages asked for, covering whole days only; ValueError says what is wrong."""
        last = today - dt.timedelta(days=1)
        if month is not None:
            try:
                first = dt.date.fromisoformat(f"{month}-01")
            except ValueError:
                raise ValueError(f"--month {month}: not a month; use YYYY-MM, e.g. "
                                 f"{year}-10") from None
            if first.year != year:
                raise ValueError(f"--month {month} is not in --year {year}; give a month of "
                                 f"that year, e.g. {year}-10")
            end = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            through = end - dt.timedelta(days=1)
        else:
            first, through = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if first > last:
            raise ValueError(f"{month or year} has no whole day yet (the latest is "
                             f"{last.isoformat()}); disclose a period that has begun")
        return cls(year, min(through, last), month, language)


def periods(request: Request) -> list[str]:
    """Every statistics period the pages need: the year and the trend's years, and the months
    of the year so far with the same months a year before."""
    year = request.year
    months = [f"{y}-{m:02d}" for y in (year, year - 1) for m in range(1, request.through.month
                                                                      + 1)]
    return [str(y) for y in range(year - TREND_YEARS + 1, year + 1)] + months


def write_site(site: SiteConfig, statistics: Statistics, request: Request, out: Path,
               generated: dt.datetime, progress: Callable[[str], None] = lambda _: None,
               ) -> list[Path]:
    """Write the pages of `disclosure.buildings`; returns the files written, manifest last."""
    docs = {}
    for period in periods(request):
        progress(period)
        docs[period] = statistics(period)
    pages = [building_page(site.building(b), _institution(site, b), request.year,
                           request.through, docs, request.month)
             for b in site.disclosure.buildings]
    env = _environment(request.language)
    common = {"site_name": site.site.name, "html_lang": HTML_LANG[request.language],
              "generated": generated.strftime("%Y-%m-%d %H:%M %Z").strip(),
              "month_period": request.month}
    written: dict[str, bytes] = {"site.css": (TEMPLATES / "site.css").read_bytes()}
    institutions: dict[str, list[BuildingPage]] = {}
    for page in pages:
        institutions.setdefault(page.institution, []).append(page)
        written[f"buildings/{page.id}.html"] = env.get_template("building.html.j2").render(
            p=page, root="../", reference=_reference(page, request.language),
            month_chart=Markup(_month_chart(page, request.language)),
            trend_chart=Markup(_trend_chart(page, request.language)), **common).encode()
    written["index.html"] = env.get_template("index.html.j2").render(
        institutions=list(institutions.items()), year=request.year, root="",
        partial=pages[0].partial if pages else False, through=request.through,
        **common).encode()
    return _save(out, written)


def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FunctionLoader(
        lambda name: (TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    words = WORDS[language]

    def summary(page: BuildingPage) -> str:
        if not page.targets:
            return words["no_baseline"]
        return status_word(page.baseline_kind, all(t.met for t in page.targets), language)

    def days(completeness: dict | None) -> str:
        if not completeness:
            return words["no_data"]
        return words["days"].format(days=completeness["days"],
                                    expected=completeness["expected_days"],
                                    share=f"{completeness['share']:.0%}")

    env.globals.update(
        w=words, num=number, pct=percent, summary_status=summary, days=days,
        share=lambda c: f"{c['share']:.0%}" if c else words["no_data"],
        status=lambda met: status_word(None, met, language))
    return env


def _institution(site: SiteConfig, building_id: str) -> str:
    """The owning unit (issue 17's `institution`), else the site's name."""
    return getattr(site.building(building_id), "institution", None) or site.site.name


def _reference(page: BuildingPage, language: str) -> str:
    words = WORDS[language]
    if page.baseline_name:
        return page.baseline_name
    return words[f"ref.{page.baseline_kind}"].format(year=page.baseline_year)


def _month_chart(page: BuildingPage, language: str) -> str:
    words = WORDS[language]
    labels = [m.month[5:] for m in page.months]
    return charts.bars(
        "months", words["chart_month"].format(year=page.year, last=page.year - 1), labels,
        [(str(page.year), [m.figures.get("kgce") for m in page.months]),
         (str(page.year - 1), [m.last_year for m in page.months])])


def _trend_chart(page: BuildingPage, language: str) -> str:
    words = WORDS[language]
    years = [y for y, _ in page.trend]
    per_m2 = next((t for t in page.targets if t.metric == "kgce_per_m2"), None)
    lines = [] if per_m2 is None or page.partial else [
        (words["reference"], per_m2.reference), (words["target"], per_m2.target)]
    return charts.bars(
        "trend", words["chart_trend"].format(first=years[0], last=years[-1]),
        [page.year_label(y) for y in years],
        [(words["kgce_per_m2"], [r["kgce_per_m2"] if r else None for _, r in page.trend])],
        digits=2, lines=lines)


def _save(out: Path, written: dict[str, bytes]) -> list[Path]:
    manifest = {"generator": "civicwatt disclose",
                "files": {name: hashlib.sha256(body).hexdigest()
                          for name, body in sorted(written.items())}}
    written[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    paths = []
    for name, body in written.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.part")
        partial.write_bytes(body)
        os.replace(partial, path)
        paths.append(path)
    return paths
