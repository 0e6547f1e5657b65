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
from rich.markup import escape

from civicwatt.commands.common import load_site_or_exit

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
    """Write the daily energy report (HTML, PDF, CSV) and optionally e-mail it.

    Examples:

        civicwatt report --config config/example-site.yaml

        civicwatt report --config site.yaml --date 2026-11-25 --lang en --out /tmp/reports
    """
    if lang is not None and lang not in ("zh", "en"):
        _fail(f"--lang {lang}: use zh or en")
    day = _day(date)
    site = load_site_or_exit(config)
    if email and site.report.email is None:
        _fail(f"{config}: --email needs a `report.email` section (recipients, sender, smtp); "
              "see config/example-site.yaml")

    from civicwatt.reports.job import ReportError, default_day, run
    day = day or default_day(site)
    today = dt.datetime.now(ZoneInfo(site.site.timezone)).date()
    if day > today:
        _fail(f"--date {day.isoformat()} is in the future (today is {today.isoformat()} in "
              f"{site.site.timezone}): there is nothing to report yet; the latest full day is "
              f"{(today - dt.timedelta(days=1)).isoformat()}")
    if day == today:
        err.print(f"[yellow]warning:[/] --date {day.isoformat()} is today: the day is not over, "
                  "so the report covers it only so far", highlight=False)
    try:
        with err.status(f"report for {day.isoformat()}: reading, rendering"
                        + (", sending" if email else "") + " …"):
            result = run(site, day, lang, out, email)
    except ReportError as exc:
        _fail(str(exc))
    for path in result.files:
        print(path)
    totals = result.report.site.totals
    if not result.report.site.meters or math.isnan(totals.kwh):
        err.print(f"[yellow]warning:[/] no metered energy for {day.isoformat()} in the store "
                  "(energy_interval): run `civicwatt meter` for that day; the report shows "
                  "what is missing", highlight=False)
    if result.email_error:
        err.print(f"[bold red]e-mail not sent:[/] {escape(str(result.email_error))}",
                  highlight=False)
        err.print("The report files above were written; re-send with --email once the "
                  "server is reachable.", highlight=False)
        raise typer.Exit(2)
    if email:
        err.print(f"e-mailed to {', '.join(result.emailed_to)} (attempt "
                  f"{result.email_attempts})", highlight=False)


def _day(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        _fail(f"--date {text}: not a date; use YYYY-MM-DD, e.g. 2026-11-25")
        raise  # unreachable


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)
