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
from civicwatt.disclose.model import TREND_YEARS, BuildingPage, building_page, known
from civicwatt.disclose.text import WORDS, number, percent
from rules.statistics_period import Period

MANIFEST = "civicwatt-disclosure.json"
TEMPLATES = files("civicwatt.disclose") / "templates"
HTML_LANG = {"zh": "zh-CN", "en": "en"}

#: (period, compare, targets) → `civicwatt.statistics.compute(...).to_json()`
Statistics = Callable[[Period, bool, bool], dict]


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
            through = Period.month(year, first.month).end - dt.timedelta(days=1)
        else:
            first, through = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if first > last:
            raise ValueError(f"{month or year} has no whole day yet (the latest is "
                             f"{last.isoformat()}); disclose a period that has begun")
        return cls(year, min(through, last), month, language)

    @property
    def end(self) -> dt.date:
        return self.through + dt.timedelta(days=1)

    def year_to_date(self) -> Period:
        """The disclosed year, or its whole days so far (同比 then compares the same days)."""
        return Period(dt.date(self.year, 1, 1), self.end, "year")

    def months(self, year: int) -> list[Period]:
        """The months of `year` up to the month of `through` (the last one cut at it)."""
        end = _years_later(self.end, year - self.year)
        return [Period(p.start, min(p.end, end), "month")
                for p in Period.month(year, 1, self.through.month).months()]

    def asks(self) -> list[tuple[Period, bool, bool]]:
        """Every statistics run the pages need: (period, compare, targets)."""
        focus = [(m, True, False) for m in self.months(self.year) if m.label == self.month]
        return [(self.year_to_date(), True, True), *focus,
                *((m, False, False) for y in (self.year, self.year - 1) for m in self.months(y)),
                *((Period.parse(str(y)), False, False)
                  for y in range(self.year - TREND_YEARS + 1, self.year))]


def _years_later(day: dt.date, years: int) -> dt.date:
    """The same date `years` later; 29 February becomes 1 March (an exclusive end: the month
    through its last day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def write_site(site: SiteConfig, statistics: Statistics, request: Request, out: Path,
               generated: dt.datetime, progress: Callable[[str], None] = lambda _: None,
               ) -> list[Path]:
    """Write the pages of `disclosure.buildings`; returns the files written, manifest last."""
    docs = {}
    for period, compare, targets in request.asks():
        progress(period.label)
        docs[period, compare] = statistics(period, compare, targets)
    months = [(docs[m, False], docs[last, False]) for m, last in
              zip(request.months(request.year), request.months(request.year - 1), strict=True)]
    focus = next((docs[m, True] for m in request.months(request.year)
                  if m.label == request.month), None)
    trend = [(y, docs[Period.parse(str(y)), False])
             for y in range(request.year - TREND_YEARS + 1, request.year)]
    pages = [building_page(b, request.year, request.through, docs[request.year_to_date(), True],
                           months, focus, trend) for b in site.disclosure.buildings]
    env = _environment(request.language)
    plan = docs[request.year_to_date(), True]["targets"]
    common = {"targets_note": WORDS[request.language]["targets_note"].format(
                  base=plan["base_year"], target=plan["target_year"], source=plan["source"]),
              "site_name": site.site.name, "html_lang": HTML_LANG[request.language],
              "generated": generated.strftime("%Y-%m-%d %H:%M %Z").strip(),
              "month_period": request.month}
    written: dict[str, bytes] = {"site.css": (TEMPLATES / "site.css").read_bytes()}
    institutions: dict[str, list[BuildingPage]] = {}
    for page in pages:
        institutions.setdefault(page.institution or site.site.name, []).append(page)
        written[f"buildings/{page.id}.html"] = env.get_template("building.html.j2").render(
            p=page, root="../", month_chart=Markup(_month_chart(page, request.language)),
            trend_chart=Markup(_trend_chart(page, request.language)), **common).encode()
    written["index.html"] = env.get_template("index.html.j2").render(
        institutions=list(institutions.items()), year=request.year, root="",
        partial=request.through != dt.date(request.year, 12, 31), through=request.through,
        **common).encode()
    return _save(out, written)


def _environment(language: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FunctionLoader(
        lambda name: (TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    words = WORDS[language]

    def summary(page: BuildingPage) -> str:
        verdict = page.on_track
        return words["no_baseline"] if verdict is None else words[
            "status.ok" if verdict else "status.bad"]

    def days(completeness: dict) -> str:
        return words["days"].format(days=completeness["days_with_data"],
                                    expected=completeness["days"],
                                    share=f"{share(completeness)}")

    def share(completeness: dict) -> str:
        return f"{completeness['days_with_data'] / completeness['days']:.0%}"

    env.globals.update(w=words, num=number, known=known, summary_status=summary, days=days,
                       share=share, change=lambda row, key: percent(yoy(row, key)))
    return env


def yoy(row: dict, key: str) -> float | None:
    """同比 in %, from the absolute change (the document's percentages may be rounded)."""
    change, now = (row.get("yoy") or {}).get(key), row.get(key)
    if change is None or now is None or now == change:
        return None
    return change / (now - change) * 100


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
    per_m2 = dict(page.targets).get("kgce_per_m2")
    lines = [] if per_m2 is None or page.partial else [
        (words["base"], per_m2["base"]), (words["target"], per_m2["target"])]
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
