"""The `civicwatt` command line: one sub-command per job, each usable alone.

User errors (config, store, input) are printed as one clear message and exit
1; they never become tracebacks.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="civicwatt",
    help="Energy telemetry for public-institution buildings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def main() -> None:
    app()


from civicwatt.commands import meter as _meter  # noqa: E402
from civicwatt.commands import tariff as _tariff  # noqa: E402

app.command("meter")(_meter.meter)
app.add_typer(_tariff.app, name="tariff")
