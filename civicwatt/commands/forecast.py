"""`civicwatt forecast --config FILE`: fit and forecast every building and zone, write `forecast`.

    civicwatt forecast --config site.yaml [--now 2024-07-01T08:00:00Z] [--workers 2]
                       [--shard 0/1] [--json]
"""

from __future__ import annotations

import json
import math
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

err = Console(stderr=True, soft_wrap=True)


def _fail(msg: str) -> None:
    err.print(f"[red]forecast:[/red] {escape(msg)}", highlight=False)
    raise typer.Exit(1)


def _parse_now(text: str | None) -> int:
    if text is None:
        return int(datetime.now(UTC).timestamp()) * 1_000_000_000
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        _fail(f"--now {text!r}: not ISO 8601; write e.g. 2024-07-01T08:00:00Z")
    if when.tzinfo is None:
        _fail(f"--now {text!r}: give a UTC offset or Z, e.g. 2024-07-01T08:00:00+08:00")
    return int(when.timestamp()) * 1_000_000_000


def _parse_shard(text: str) -> tuple[int, int]:
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        i, n = -1, 0
    if not (n >= 1 and 0 <= i < n):
        _fail(f"--shard {text!r}: write i/N with 0 <= i < N, e.g. 0/2")
    return i, n


def forecast(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
    now: Annotated[str | None, typer.Option(
        "--now", help="issue time (ISO 8601 with offset); default: the clock")] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="processes")] = None,
    shard: Annotated[str, typer.Option("--shard", help="i/N: this replica's share")] = "0/1",
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Forecast load and carbon for every building and zone; write `forecast` rows.

    Examples:

        civicwatt forecast --config config/example-site.yaml

        civicwatt forecast --config site.yaml --now 2026-07-01T00:00:00+08:00 --json
    """
    from civicwatt.commands.common import load_site_or_exit
    from civicwatt.jobs.forecast import run_forecast
    from store import StoreError, open_store

    now_ns, part = _parse_now(now), _parse_shard(shard)
    site = load_site_or_exit(config)
    try:
        store = open_store(site.store.url, site.base_dir)
    except StoreError as exc:
        _fail(str(exc))
    try:
        run = run_forecast(site, store, now_ns, workers, part)
    except StoreError as exc:
        _fail(f"store {store.description}: {exc}")
    except ValueError as exc:
        _fail(f"{config}: {exc}")
    finally:
        store.close()
    if as_json:
        out = {"issued_at": run.issued_at_ns, "rows_written": run.rows_written,
               "temperature": run.temperature, "carbon": run.carbon,
               "targets": [{k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                            for k, v in r.__dict__.items()} for r in run.results]}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        _none_made(run, config)
        return
    table = Table(title=f"forecast 预测: {run.rows_written} rows written", title_justify="left")
    for col in ("building 楼", "zone 区域", "target 对象", "model 模型", "hours",
                "mean per hour", "notes 说明"):
        table.add_column(col)
    for r in run.results:
        table.add_row(r.building, r.zone, r.target, r.model or "-", str(r.hours),
                      "-" if not math.isfinite(r.mean_kwh) else f"{r.mean_kwh:.1f}",
                      r.error or ", ".join(r.issues))
    table.caption = (f"future temperature 未来气温: {run.temperature}\n"
                     f"emission factor 排放因子: {run.carbon}")
    Console().print(table)
    _none_made(run, config)


def _none_made(run, config: Path) -> None:
    """Exit 1 when not one target could be forecast: the data cannot answer, say so."""
    if run.rows_written:
        return
    reasons = sorted({r.error for r in run.results if r.error})
    _fail(f"{config}: no forecast could be made"
          + (f" — {'; '.join(reasons)}" if reasons else
             " — no building or zone has an energy meter to forecast")
          + " (is --now after the data, and has `civicwatt collect` filled the store?)")
