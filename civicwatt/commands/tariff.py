"""`civicwatt tariff`: import OpenEI URDB tariffs, check native tariff files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console
from rich.markup import escape

from civicwatt.metering.files import InputError, load_tariff

app = typer.Typer(help="Tariffs: import from OpenEI URDB, check files.", no_args_is_help=True)


def _fail(message: str) -> None:
    err = Console(stderr=True)
    err.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(metavar="FILE",
                                           help="URDB JSON: one rate, or an API response.")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the YAML here (default: stdout).")
    ] = None,
) -> None:
    """Convert an OpenEI URDB tariff into a native tariff YAML.

    Example:

        civicwatt tariff import urdb-rate.json --out config/tariffs/my-utility.yaml
    """
    from civicwatt.config import ConfigError
    from civicwatt.config.yamlfile import read_text
    from rules.urdb import UrdbError, looks_like_urdb, urdb_to_dict

    try:
        data = json.loads(read_text(source, "URDB JSON"))
    except ConfigError as exc:
        _fail(f"{source}: {exc.problems[0].allowed}")
    except ValueError as exc:
        _fail(f"{source}: not a JSON file ({exc}); export the rate from OpenEI as JSON")
    if not looks_like_urdb(data):
        _fail(f"{source}: not an OpenEI URDB tariff (no URDB keys such as label, utility or "
              "energyratestructure); a native tariff YAML needs no import — check it with "
              "`civicwatt tariff check`")
    try:
        native = urdb_to_dict(data)
        from rules.tariffs import Tariff

        Tariff.from_dict(native)
    except UrdbError as exc:
        _fail(f"{source}: {exc}")
    except ValueError as exc:
        _fail(f"{source}: the converted tariff is not valid: {exc}")
    text = "## Imported from OpenEI URDB by `civicwatt tariff import`.\n" + yaml.safe_dump(
        native, allow_unicode=True, sort_keys=False, width=100
    )
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        Console(stderr=True).print(f"wrote {out}")


@app.command("check")
def check(
    path: Annotated[Path, typer.Argument(metavar="FILE",
                                         help="Native tariff YAML or URDB JSON.")],
) -> None:
    """Validate a tariff file; name every overlap, gap or missing price.

    Examples:

        civicwatt tariff check civicwatt/data/tariffs/guangdong-general-ic.yaml

        civicwatt tariff check urdb-rate.json
    """
    try:
        tariff = load_tariff(path)
    except InputError as exc:
        _fail(str(exc))
    typer.echo(
        f"ok: {tariff.name} — {len(tariff.versions)} version(s), periods "
        f"{', '.join(tariff.periods)}"
    )
