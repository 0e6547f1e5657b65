"""`civicwatt setpoints plan`: what would be commanded at a time, and why (sends nothing)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicwatt.commands.common import load_site_or_exit

app = typer.Typer(help="Setpoint commands to zone controllers (demand limiting, pre-cooling, "
                       "setback).", no_args_is_help=True)


@app.command("plan")
def plan(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
    at: Annotated[str | None, typer.Option("--at", help="ISO time; no offset = site local time "
                                                        "(default: now)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the setpoint commands the rules would issue at a time, and why (sends nothing).

    Examples:

        civicwatt setpoints plan --config config/example-site.yaml

        civicwatt setpoints plan --config site.yaml --at 2026-07-15T11:30 --json
    """
    from civicwatt.jobs.setpoints import SetpointJob, utc

    err = Console(stderr=True, soft_wrap=True)
    site = load_site_or_exit(config)
    if site.setpoints is None:
        err.print(f"{config}: no `setpoints:` section — add one (see config/example-site.yaml)",
                  markup=False)
        raise typer.Exit(1)
    try:
        now = utc(at, site.site.timezone) if at else datetime.now(UTC)
    except ValueError:
        err.print(f"--at {at!r}: not an ISO 8601 time; use e.g. 2026-07-15T14:30 (site local) "
                  "or 2026-07-15T06:30Z", markup=False)
        raise typer.Exit(1) from None
    logging.getLogger("civicwatt.setpoints").setLevel(logging.ERROR)
    job = SetpointJob(site, store=_forecast_store(site))
    report = job.plan(now)
    if as_json:
        typer.echo(json.dumps({"commands": [c.plan_entry() for c in report.commands]},
                              ensure_ascii=False))
        return
    local = now.astimezone(__import__("zoneinfo").ZoneInfo(site.site.timezone))
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)
    reasons = "; ".join(report.level.reasons) or "no demand limit 无需限负荷"
    source = getattr(job.periods, "description", "custom")
    console.print(f"{local:%Y-%m-%d %H:%M %Z} · 时段 period {report.period} ({source}) · "
                  f"级别 level {report.level.level} ({reasons}) · mode {site.setpoints.mode}")
    table = Table(show_header=True)
    for column in ("点位 point", "区域 zone", "模式 mode", "设定 °C", "原 from", "级别 level",
                   "原因 reason", "到期 expires"):
        table.add_column(column)
    for c in report.commands:
        table.add_row(c.point, c.zone, c.mode, f"{c.value:g}",
                      "" if c.previous is None else f"{c.previous:g}", str(c.level),
                      c.reason, f"{c.expires_at.astimezone(local.tzinfo):%H:%M}")
    console.print(table if report.commands else "无指令 no commands")


def _forecast_store(site):
    """The store for the forecast peak, only if one is configured or already exists."""
    from store import StoreError, open_store
    from store.sqlite import SQLiteStore  # noqa: F401  (keeps the default path in one place)

    if site.setpoints.levels.forecast is None:
        return None
    url = site.store.url
    if not url and not (site.base_dir / "civicwatt.db").exists():
        return None
    try:
        return open_store(url, site.base_dir)
    except StoreError:
        return None
