"""`civicwatt report --config FILE [--date YYYY-MM-DD] [--lang zh|en] [--out DIR] [--email]`.

Reads the store (metered intervals, forecasts, counters), writes the day's
report as HTML, PDF and CSV files, prints their paths, and with `--email`
sends it. Exit codes: 0 done, 1 nothing written (bad input, store down, no
font), 2 files written but the e-mail failed.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console

from civicwatt.config import ConfigError, SiteConfig, load_site

err = Console(stderr=True, soft_wrap=True)


def report(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
    date: Annotated[str | None, typer.Option(
        "--date", help="the local day to report, YYYY-MM-DD; default: yesterday")] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="zh or en; default: report.language, else site.language")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="folder for the files; default: report.out_dir")] = None,
    email: Annotated[bool, typer.Option("--email", help="send it to report.email")] = False,
) -> None:
    """Write the daily energy report (HTML, PDF, CSV) and optionally e-mail it."""
    site = _load(config)
    language = _language(lang, site)
    day = _day(date, site.site.timezone)
    if email and site.report.email is None:
        _fail(f"{config}: --email needs a `report.email` section (recipients, sender, smtp); "
              "see config/example-site.yaml")
    folder = out if out is not None else _resolve(site, site.report.out_dir)

    from civicwatt.reports.fonts import FontError, font_for
    try:
        font = font_for(language, site.report.font)
    except FontError as exc:
        _fail(str(exc))

    from civicwatt.reports.job import build_report
    from store import StoreError
    try:
        with err.status(f"reading the store for {day.isoformat()} …"):
            report_model = build_report(site, day, language)
    except StoreError as exc:
        _fail(f"store {site.store.url or 'sqlite (default)'}: {exc}; is it running? "
              "(store.url in the config)")
    if not report_model.site.meters or math.isnan(report_model.site.totals.kwh):
        err.print(f"[yellow]warning:[/] no metered energy for {day.isoformat()} in the store "
                  "(energy_interval): run `civicwatt meter` for that day; the report shows "
                  "what is missing", highlight=False)

    from civicwatt.reports.render import write_all
    try:
        with err.status("rendering HTML, PDF and CSV …"):
            rendered = write_all(report_model, language, font, folder)
    except OSError as exc:
        _fail(f"cannot write the report into {folder}: {exc.strerror or exc}")
    for path in rendered.files:
        print(path)

    if email:
        _email(site, rendered, report_model, language)


def _email(site: SiteConfig, rendered, report_model, language: str) -> None:
    from civicwatt.reports.mail import EmailError, build_message, send
    from civicwatt.reports.render import highlights
    from civicwatt.reports.text import texts

    settings = site.report.email
    assert settings is not None
    subject = settings.subject.format(site=report_model.site_name, title=texts(language)["title"],
                                      date=report_model.day.isoformat())
    text = "\n".join(highlights(report_model, language))
    pdf = next(p for p in rendered.files if p.suffix == ".pdf")
    message = build_message(settings, subject, rendered.email_html, text, rendered.images, pdf)
    try:
        with err.status(f"sending to {len(settings.recipients)} recipient(s) …"):
            delivery = send(settings, message)
    except EmailError as exc:
        err.print(f"[bold red]e-mail not sent:[/] {exc}", highlight=False, markup=True)
        err.print("The report files above were written; re-send with --email once the "
                  "server is reachable.", highlight=False)
        raise typer.Exit(2) from None
    err.print(f"e-mailed to {', '.join(delivery.recipients)} "
              f"(attempt {delivery.attempts} of {settings.attempts})", highlight=False)


def _load(path: Path) -> SiteConfig:
    try:
        return load_site(path)
    except ConfigError as error:
        err.print(f"[bold red]{path}: {len(error.problems)} problem(s)[/]")
        for problem in error.problems:
            err.print(f"  {problem}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    except FileNotFoundError:
        _fail(f"--config {path}: file not found")


def _language(lang: str | None, site: SiteConfig) -> str:
    language = lang or site.report.language or site.site.language
    if language not in ("zh", "en"):
        _fail(f"--lang {lang}: use zh or en")
    return language


def _day(text: str | None, tz: str) -> dt.date:
    if text is None:
        return dt.datetime.now(ZoneInfo(tz)).date() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--date {text}: not a date; use YYYY-MM-DD, e.g. 2026-11-25")
        raise  # unreachable


def _resolve(site: SiteConfig, folder: str) -> Path:
    path = Path(folder)
    return path if path.is_absolute() else site.base_dir / path


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)
