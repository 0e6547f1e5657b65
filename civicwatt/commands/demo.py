"""`civicwatt demo`: a simulated building through the real pipeline, with nothing to install."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


class Language(StrEnum):
    zh = "zh"
    en = "en"


def demo(
    days: Annotated[int, typer.Option("--days", min=1, max=120,
                                      help="days of history to back-fill")] = 14,
    out: Annotated[Path, typer.Option("--out", help="where the outputs go")] = Path(
        "civicwatt-demo"),
    store: Annotated[str | None, typer.Option(
        "--store", help="fill this store instead of the embedded SQLite, e.g. "
                        "influxdb1://127.0.0.1:8086/civicwatt or influxdb2://...")] = None,
    live: Annotated[float, typer.Option("--live", min=0,
                                        help="seconds of live collection")] = 8.0,
    lang: Annotated[Language, typer.Option("--lang", help="report language")] = Language.zh,
) -> None:
    """Run a simulated building through the real pipeline (演示: 模拟楼宇, 真实流程)."""
    from civicwatt.config import ConfigError
    from civicwatt.demo.session import run_demo
    from civicwatt.reports.job import ReportError
    from store import StoreError

    console = Console(stderr=True, highlight=False)
    with console.status("starting") as status:
        def step(text: str) -> None:
            console.log(text)
            status.update(text)

        try:
            result = run_demo(out, days=days, live_s=live, store_url=store, language=lang.value,
                              step=step)
        except (StoreError, ReportError, ConfigError, OSError) as exc:
            console.print(f"[bold red]demo failed:[/] {exc}")
            raise typer.Exit(1) from None
    show = Console(highlight=False)
    show.print(f"\n[bold]civicwatt demo: {days} days of a real building's load, "
               f"{result.readings:,} readings through the pipeline[/]")
    show.print(f"  site config  {result.config}")
    show.print(f"  store        {result.store_url}")
    for file in result.report_files:
        show.print(f"  report       {file}")
    show.print(
        "\n[bold]Next[/]\n"
        f"  civicwatt check-config {result.config}\n"
        f"  civicwatt report --config {result.config} --lang en\n"
        f"  civicwatt backtest --csv civicwatt/demo/data/ucam_b52_2019.csv --tz Europe/London\n"
        "\n[bold]See it in Grafana[/] (docker compose; see README, \"Deploying\"):\n"
        "  cd deploy && docker compose up -d   (secrets and certificates first: README)\n"
        "  civicwatt demo --store 'influxdb2://127.0.0.1:8086?org=civicwatt&bucket=civicwatt'\n"
        "  open http://localhost:3000 (admin / your GRAFANA_ADMIN_PASSWORD): folder civicwatt\n"
        f"  or: civicwatt dashboards build --config {result.config} --out grafana"
        " (provisioning for your own Grafana)")
