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
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True, soft_wrap=True)


def _fail(msg: str) -> None:
    err.print(f"[red]backtest:[/red] {escape(msg)}", highlight=False)
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
    """Backtest day-ahead forecasts vs seasonal naive (same hour one week earlier).

    The CSV needs --test-days days to score plus a week of history before them.

    Examples:

        civicwatt backtest --csv building.csv --tz Asia/Shanghai --country CN

        civicwatt backtest --csv building.csv --tz Europe/London --test-days 14 \\
            --predictions predictions.csv --json
    """
    from pydantic import ValidationError

    from civicwatt.hourly_csv import CsvError, read_hourly_csv, write_predictions_csv
    from forecaster.backtest import backtest as run
    from forecaster.data import HourlyHistory
    from forecaster.settings import ForecastSettings

    if predictions is not None and (predictions.is_dir() or not predictions.parent.is_dir()):
        _fail(f"--predictions {predictions}: give a file path in an existing folder")
    try:
        settings = ForecastSettings(timezone=tz, country=country, horizon_hours=horizon)
    except ValidationError as exc:
        _fail("; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors()))
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
    _enough_days(csv, history, settings, horizon, test_days)
    warnings = _warnings(csv, history)
    for warning in warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(warning)}", highlight=False)
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
        try:
            write_predictions_csv(predictions, result.time_ns, result.actual, result.forecast)
        except OSError as exc:
            _fail(f"--predictions {predictions}: cannot write ({exc.strerror or exc}); give a "
                  "file path in an existing folder")
    if as_json:
        sys.stdout.write(json.dumps(_clean({**summary, "warnings": warnings})) + "\n")
    else:
        b = summary["baseline"]
        cov = result.coverage()
        typer.echo(
            f"n={summary['n']} CV(RMSE)={summary['cv_rmse']:.3f} NMBE={summary['nmbe']:+.3f} "
            f"MAPE={summary['mape']:.3f} | seasonal naive CV(RMSE)={b['cv_rmse']:.3f} "
            f"NMBE={b['nmbe']:+.3f} MAPE={b['mape']:.3f} | coverage 80%={cov['80']:.2f} "
            f"95%={cov['95']:.2f}"
        )


def _enough_days(csv: Path, history, settings, horizon: int, test_days: int) -> None:
    """Exit 1 unless the file holds `test_days` scoreable days after the model's minimum."""
    from forecaster.backtest import origins

    day_ns = 86_400 * 10**9
    t = history.time_ns
    need_before = settings.min_history_days * day_ns
    every = origins(history, settings.timezone, len(t), horizon)
    usable = int((every - t[0] >= need_before).sum())
    if usable >= test_days:
        return
    days = (int(t[-1]) - int(t[0])) // day_ns + 1
    _fail(f"{csv}: {days} days of data; --test-days {test_days} needs {test_days} days to score "
          f"after {settings.min_history_days} days of history (and a full --horizon {horizon} h "
          f"after each midnight), {test_days + settings.min_history_days} days in all. "
          + (f"Lower --test-days to {usable} or give a longer file" if usable else
             "Give a longer file"))


def _warnings(csv: Path, history) -> list[str]:
    """The data problems the score silently includes, as sentences."""
    said = {
        "data.negative": lambda d: f"{d['hours']} hour(s) with negative kWh (an export or a "
                                   "counter read backwards?); they are scored as given",
        "data.gaps": lambda d: f"{d['missing_hours']} hour(s) missing "
                               f"({d['fraction']:.1%}); those hours are not scored",
        "data.outliers": lambda d: f"{d['hours']} hour(s) above {d['above_kwh']:.4g} kWh "
                                   "(far above the median); check the meter",
    }
    return [f"{csv}: {said[w.code](w.detail)}" for w in history.warnings if w.code in said]
