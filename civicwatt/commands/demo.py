"""`civicwatt demo`: a simulated building through the real pipeline, with nothing to install."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape


class Language(StrEnum):
    zh = "zh"
    en = "en"


def demo(
    days: Annotated[int, typer.Option("--days", min=1, max=120,
                                      help="days of history to back-fill (at least 7: the "
                                           "forecast and last week's comparison need them)")] = 14,
    out: Annotated[Path, typer.Option("--out", help="where the outputs go")] = Path(
        "civicwatt-demo"),
    store: Annotated[str | None, typer.Option(
        "--store", help="fill this store instead of the embedded SQLite, e.g. "
                        "influxdb1://127.0.0.1:8086/civicwatt or influxdb2://...")] = None,
    live: Annotated[float, typer.Option("--live", min=0,
                                        help="seconds of live collection")] = 8.0,
    lang: Annotated[Language, typer.Option("--lang", help="report language")] = Language.zh,
) -> None:
    """Run a simulated building through the real pipeline (演示: 模拟楼宇, 真实流程).

    Examples:

        civicwatt demo

        civicwatt demo --days 7 --lang en --out /tmp/civicwatt-demo
    """
    from civicwatt.config import ConfigError
    from civicwatt.config.urls import store_url_problem
    from civicwatt.demo.session import next_commands, run_demo
    from civicwatt.reports.job import ReportError
    from store import StoreError

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    problem = (f"--out {out}: a file, not a folder" if out.exists() and not out.is_dir() else
               f"--store {store.split('@')[-1]!r}: {store_url_problem(store)}"
               if store and store_url_problem(store) else None)
    if problem:
        console.print(f"[bold red]demo failed:[/] {escape(problem)}")
        raise typer.Exit(1)
    with console.status("starting") as status:
        def step(text: str) -> None:
            console.log(text)
            status.update(text)

        try:
            result = run_demo(out, days=days, live_s=live, store_url=store, language=lang.value,
                              step=step)
        except (StoreError, ReportError, ConfigError, OSError) as exc:
            console.print(f"[bold red]demo failed:[/] {escape(str(exc))}")
            raise typer.Exit(1) from None
    # soft_wrap: a pipe gets whole lines, never a command broken in two
    show = Console(highlight=False, soft_wrap=True)
    show.print(f"\n[bold]civicwatt demo: {result.days} days of a real building's load, "
               f"{result.readings:,} readings through the pipeline[/]", markup=True)
    show.print(f"  site config  {result.config}", markup=False)
    show.print(f"  store        {result.store_url}", markup=False)
    for file in result.report_files:
        show.print(f"  report       {file}", markup=False)
    show.print("\n[bold]Next[/] (each runs as printed, from any directory)", markup=True)
    for command in next_commands(result):
        show.print(f"  {command}", markup=False)
    show.print("\n[bold]See it in Grafana[/] (docker compose; see README, \"Deploying\"):",
               markup=True)
    show.print("  cd deploy && docker compose up -d   (secrets and certificates first: README)\n"
               "  civicwatt demo --store 'influxdb2://127.0.0.1:8086?org=civicwatt&bucket="
               "civicwatt'\n  open http://localhost:3000 (admin / your GRAFANA_ADMIN_PASSWORD): "
               "folder civicwatt\n"
               "  (the dashboards build above writes the same provisioning for your own "
               "Grafana)", markup=False)
