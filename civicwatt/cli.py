"""The `civicwatt` command line: one sub-command per job, each usable alone.

Command modules live in `civicwatt/commands/` and import heavy libraries
(statsmodels, matplotlib) inside their functions, so `civicwatt --help` and
`check-config` start fast. User errors are one clear message and exit 1.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from civicwatt.commands import (
    apikey,
    backtest,
    buildings,
    check_config,
    collect,
    dashboards,
    deadletter,
    demo,
    forecast,
    helpfmt,
    meter,
    modbus,
    platform,
    report,
    run,
    setpoints,
    statistics,
    tariff,
)

helpfmt.install()

app = typer.Typer(
    name="civicwatt",
    help="Energy telemetry for public-institution buildings.",
    epilog="Start here: civicwatt demo · civicwatt check-config config/example-site.yaml · "
           "civicwatt COMMAND --help for each command's options and examples.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False,
) -> None:
    """civicwatt: MQTT + Modbus → InfluxDB, TOU metering, forecasts, reports, setpoints."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


app.command("run")(run.run)
app.command("demo")(demo.demo)
app.command("check-config")(check_config.check_config)
app.command("collect")(collect.collect)
app.add_typer(deadletter.deadletter_app, name="deadletter")
app.add_typer(modbus.app, name="modbus")
app.command("meter")(meter.meter)
app.add_typer(tariff.app, name="tariff")
app.command("forecast")(forecast.forecast)
app.command("backtest")(backtest.backtest)
app.add_typer(setpoints.app, name="setpoints")
app.add_typer(dashboards.app, name="dashboards")
app.command("report")(report.report)
app.add_typer(platform.app, name="platform")
app.add_typer(apikey.app, name="apikey")
app.command("statistics")(statistics.statistics)
app.add_typer(buildings.app, name="buildings")


def main() -> None:
    app()
