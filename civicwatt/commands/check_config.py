"""`civicwatt check-config FILE`: every problem at once, or a one-screen summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from civicwatt.commands.common import load_site_or_exit
from civicwatt.config import PurposeTree, SiteConfig


def check_config(
    file: Annotated[Path, typer.Argument(metavar="FILE",
                                         help="the site YAML, e.g. config/example-site.yaml")],
) -> None:
    """Validate a site config: cross-references, ranges, URLs, environment variables.

    Lists every problem (file:line: field = value — what is allowed) and exits 1,
    or prints a summary and exits 0.

    Examples:

        civicwatt check-config config/example-site.yaml

        CIVICWATT_STORE_URL=influxdb1://127.0.0.1:8086/civicwatt \\
            civicwatt check-config config/example-site.yaml
    """
    Console().print(summary(load_site_or_exit(file), file))


def summary(config: SiteConfig, file: Path) -> Table:
    zones = config.zones()
    tree = PurposeTree(tuple(config.purposes))
    table = Table(title=f"{file}: OK — {config.site.name} ({config.site.timezone})",
                  show_header=True, title_justify="left")
    for column in ("building", "area m²", "occupants", "zones", "points", "mqtt", "modbus"):
        table.add_column(column, justify="left" if column == "building" else "right")
    for building in config.buildings:
        points = [p for p in config.points if p.building == building.id]
        sources = Counter(p.source for p in points)
        table.add_row(f"{building.id} {building.name}", f"{building.floor_area_m2:,.0f}",
                      str(building.occupants),
                      str(sum(1 for b, _ in zones.values() if b == building.id)),
                      str(len(points)), str(sources["mqtt"]), str(sources["modbus"]))
    purposes = Counter(tree.top_level(p.purpose) for p in config.points if p.purpose)
    table.caption = "points by purpose: " + ", ".join(
        f"{code} {tree.by_code[code].name(config.site.language)} {n}"
        for code, n in sorted(purposes.items()))
    return table
