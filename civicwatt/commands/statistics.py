"""`civicwatt statistics --config SITE --period P [--by …] [--json | --xlsx OUT | --pdf OUT]
[--lang zh|en]`: a period's portfolio statistics (issue 17) as a table for people, the JSON
contract, the XLSX statistics table or the PDF report."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from civicwatt.commands.common import load_site_or_exit

err = Console(stderr=True, soft_wrap=True, highlight=False)


class By(StrEnum):
    building = "building"
    institution = "institution"
    type = "type"


class Language(StrEnum):
    zh = "zh"
    en = "en"


def statistics(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
    period: Annotated[str, typer.Option(
        "--period", help="a local day 2026-10-15, a month 2026-10, a quarter 2026-Q3 or a "
                         "year 2026")],
    by: Annotated[By, typer.Option("--by", help="the table's rows (the JSON has every "
                                                "level)")] = By.building,
    as_json: Annotated[bool, typer.Option("--json", help="print the JSON document (the same "
                                                         "as GET /api/v1/statistics)")] = False,
    building: Annotated[list[str] | None, typer.Option(
        "--building", help="only this building (repeat for several); totals are theirs")] = None,
    lang: Annotated[Language | None, typer.Option(
        "--lang", help="language of the table, XLSX and PDF; default site.language")] = None,
    xlsx: Annotated[Path | None, typer.Option(
        "--xlsx", help="write the XLSX statistics table (a sheet per level) to this file")] = None,
    pdf: Annotated[Path | None, typer.Option(
        "--pdf", help="write the PDF report (12-month trend, rankings, quotas, targets) to this "
                      "file")] = None,
) -> None:
    """Portfolio statistics of a period (能耗统计): every class, 综合能耗, cost, CO₂,
    intensities, 同比 and 环比, quota distance, rank within the building type.

    Examples:

        civicwatt statistics --config site.yaml --period 2026-10

        civicwatt statistics --config site.yaml --period 2026-Q3 --by institution --lang en

        civicwatt statistics --config site.yaml --period 2026 --json > 2026.json

        civicwatt statistics --config site.yaml --period 2026-10 --xlsx oct.xlsx --pdf oct.pdf
    """
    from rules.statistics_period import Period

    try:
        wanted = Period.parse(period)
    except ValueError as exc:
        _fail(f"--period: {exc}")
    site = load_site_or_exit(config)
    known = [b.id for b in site.buildings]
    unknown = [b for b in building or () if b not in known]
    if unknown:
        _fail(f"--building {', '.join(unknown)}: not in {config}; its buildings are "
              f"{', '.join(known)}")
    today = dt.datetime.now(ZoneInfo(site.site.timezone)).date()
    if wanted.start > today:
        _fail(f"--period {wanted.label} has not started (today is {today} in "
              f"{site.site.timezone}): there is nothing to count yet")
    doc = _compute(site, wanted, building)
    if not any(r["completeness"]["days_with_data"] for r in doc["buildings"]):
        _fail(f"no metered energy in {wanted.label} ({doc['from']} to {doc['to']}, exclusive) "
              f"for {'these buildings' if building else site.site.id} in the store: meter it "
              f"with `civicwatt meter --config {config} --from {doc['from']} --to {doc['to']}`, "
              "or ask for a period with data")
    if wanted.end > today:
        err.print(f"[yellow]warning:[/] {wanted.label} is not over (today is {today}): the "
                  "figures cover it so far, and compare with whole periods")
    if xlsx is not None or pdf is not None:
        _files(site, doc, (lang or site.site.language), xlsx, pdf, building)
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=1))
        return
    if xlsx is not None or pdf is not None:
        return
    from civicwatt.statistics.table import statistics_table

    wide = None if sys.stdout.isatty() else 200  # a pipe or a file gets whole columns
    Console(width=wide).print(statistics_table(doc, by.value, (lang or site.site.language)))


def _compute(site, period, buildings: list[str] | None) -> dict:
    from civicwatt.statistics import compute
    from store import StoreError, open_store

    try:
        store = open_store(site.store.url, site.base_dir)
        try:
            with err.status(f"statistics {period.label}: summing in the store …"):
                stats = compute(site, store, period)
        finally:
            store.close()
    except StoreError as exc:
        _fail(f"the store cannot answer: {exc}")
    return (stats.only(buildings) if buildings else stats).to_json()


def _files(site, doc: dict, lang: str, xlsx: Path | None, pdf: Path | None,
           buildings: list[str] | None) -> None:
    from civicwatt.statistics_outputs.files import OutputError, write_files
    from store import StoreError, open_store

    try:
        store = open_store(site.store.url, site.base_dir)
        try:
            with err.status(f"statistics {doc['period']}: writing files …"):
                written, _ = write_files(site, doc, store, lang, xlsx=xlsx, pdf=pdf,
                                         buildings=buildings)
        finally:
            store.close()
    except (OutputError, StoreError) as exc:
        _fail(str(exc))
    for path in written:
        err.print(f"written: {path}")


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(1)
