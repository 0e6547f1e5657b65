"""`civicwatt backtest`: rolling-origin day-ahead backtest of the forecaster on an hourly CSV.

    civicwatt backtest --csv FILE [--tz TZ] [--horizon 24] [--test-days 28]
                       [--predictions OUT.csv] [--country CC] --json

Past temperatures in the CSV stand in for forecast temperatures.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True, soft_wrap=True)


def _fail(msg: str) -> None:
    err.print(f"[red]backtest:[/red] {msg}", highlight=False)
    raise typer.Exit(1)


def _clean(obj: object) -> object:
    """NaN/inf -> null, so the JSON is valid."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def backtest(
    csv: Annotated[Path, typer.Option("--csv", help="hourly CSV: timestamp,kwh[,temp_c]")],
    tz: Annotated[str, typer.Option("--tz", help="building's IANA timezone")] = "UTC",
    horizon: Annotated[int, typer.Option("--horizon", min=1, max=168,
                                         help="hours per forecast")] = 24,
    test_days: Annotated[int, typer.Option("--test-days", min=1,
                                           help="number of daily origins")] = 28,
    predictions: Annotated[Path | None, typer.Option(
        "--predictions", help="write timestamp,actual,forecast (UTC) here")] = None,
    country: Annotated[str | None, typer.Option(
        "--country", help="ISO code for public holidays (CN: chinesecalendar)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the metrics as JSON")] = False,
) -> None:
    """Backtest day-ahead forecasts vs seasonal naive (same hour one week earlier)."""
    from pydantic import ValidationError

    from civicwatt.hourly_csv import CsvError, read_hourly_csv, write_predictions_csv
    from forecaster.backtest import backtest as run
    from forecaster.data import HourlyHistory
    from forecaster.settings import ForecastSettings

    try:
        settings = ForecastSettings(timezone=tz, country=country, horizon_hours=horizon)
    except ValidationError as exc:
        _fail("; ".join(e["msg"] for e in exc.errors()))
    try:
        time_ns, kwh, temp = read_hourly_csv(csv)
        history = HourlyHistory(time_ns, kwh, temp)
    except (CsvError, ValueError, TypeError) as exc:
        _fail(str(exc))
    if history.disqualifications:
        detail = history.disqualifications[0].detail
        _fail(f"{csv}: {detail.get('valid_hours', 0)} hours with a kwh value; a backtest needs "
              f"at least {detail.get('needed_hours', '?')} before its first origin plus "
              f"--test-days ({test_days}) days to score: give a longer file")
    with Progress(TextColumn("backtest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("origins", total=test_days)
        result = run(history, settings, horizon, test_days,
                     progress=lambda done, total: bar.update(task, completed=done, total=total))
    summary = result.summary()
    if summary["n"] == 0:
        _fail(f"{csv}: no hour could be scored; it needs at least {settings.min_history_days} "
              f"days before the first of the last {test_days} days, and a week for the baseline")
    if predictions is not None:
        write_predictions_csv(predictions, result.time_ns, result.actual, result.forecast)
    if as_json:
        sys.stdout.write(json.dumps(_clean(summary)) + "\n")
    else:
        b = summary["baseline"]
        cov = result.coverage()
        typer.echo(
            f"n={summary['n']} CV(RMSE)={summary['cv_rmse']:.3f} NMBE={summary['nmbe']:+.3f} "
            f"MAPE={summary['mape']:.3f} | seasonal naive CV(RMSE)={b['cv_rmse']:.3f} "
            f"NMBE={b['nmbe']:+.3f} MAPE={b['mape']:.3f} | coverage 80%={cov['80']:.2f} "
            f"95%={cov['95']:.2f}"
        )
