"""`civicwatt disclose --config SITE --year 2026 [--month 2026-10] --out DIR [--lang zh|en]`.

Writes the public disclosure pages (公示) of the buildings `disclosure.buildings` lists. Exit
codes: 0 written, 1 nothing written (bad input, nothing to publish, store down).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from civicwatt.commands.common import load_site_or_exit

err = Console(stderr=True, highlight=False, soft_wrap=True)


def disclose(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
    year: Annotated[int, typer.Option("--year", min=2000, max=2100,
                                      help="the year disclosed, e.g. 2026")],
    month: Annotated[str | None, typer.Option(
        "--month", help="YYYY-MM: also show this month, and the year only through it")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="folder of the site; default: disclosure.dir beside the config (what "
                      "`civicwatt run` serves under /public/)")] = None,
    lang: Annotated[str | None, typer.Option(
        "--lang", help="zh or en; default: site.language")] = None,
) -> None:
    """Write the public energy-disclosure pages (公示): static HTML, no script.

    Only the buildings listed in `disclosure.buildings`, only monthly and annual totals.

    Examples:

        civicwatt disclose --config site.yaml --year 2026 --out /var/www/energy

        civicwatt disclose --config site.yaml --year 2026 --month 2026-10 --lang en
    """
    if lang is not None and lang not in ("zh", "en"):
        _fail(f"--lang {lang}: use zh or en")
    site = load_site_or_exit(config)
    if not site.disclosure.buildings:
        _fail(f"{config}: disclosure.buildings lists no building; the site publishes only the "
              "buildings it lists, e.g.\n  disclosure:\n    buildings: ["
              f"{site.buildings[0].id}]")
    from civicwatt.disclose.write import Request, write_site
    from civicwatt.statistics import compute
    from store import StoreError, open_store

    tz = ZoneInfo(site.site.timezone)
    try:
        request = Request.of(year, month, dt.datetime.now(tz).date(), lang or site.site.language)
    except ValueError as exc:
        _fail(str(exc))
    folder = out if out is not None else site.base_dir / site.disclosure.dir
    if folder.exists() and not folder.is_dir():
        _fail(f"--out {folder}: a file, not a folder")
    try:
        with err.status("reading the store …") as status:
            store = open_store(site.store.url, site.base_dir)
            try:
                def statistics(period, compare: bool, targets: bool) -> dict:
                    return compute(site, store, period, compare=compare,
                                   targets=targets).to_json()

                total = len(request.asks())
                done = iter(range(1, total + 1))
                files = write_site(site, statistics, request, folder, dt.datetime.now(tz),
                                   lambda period: status.update(
                                       f"statistics {period} ({next(done)}/{total}) …"))
            finally:
                store.close()
    except StoreError as exc:
        _fail(f"the store did not answer: {exc}; nothing was written")
    except OSError as exc:
        _fail(f"--out {folder}: {exc.strerror or exc}; nothing usable was written")
    for path in files:
        print(path)
    err.print(f"{len(site.disclosure.buildings)} building(s), {request.year} through "
              f"{request.through.isoformat()}: {folder / 'index.html'}")


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)
