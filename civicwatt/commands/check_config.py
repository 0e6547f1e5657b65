"""`civicwatt check-config FILE`: every problem at once, or a one-screen summary."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from civicwatt.commands.common import load_site_or_exit
from civicwatt.config import PurposeTree, SiteConfig


def check_config(
    file: Annotated[Path, typer.Argument(metavar="FILE",
                                         help="the site YAML, e.g. config/example-site.yaml")],
) -> None:
    """Validate a site config: cross-references, ranges, URLs, environment variables.

    Lists every problem (file:line: field = value — what is allowed) and exits 1,
    or prints a summary (and any warnings) and exits 0.

    Examples:

        civicwatt check-config config/example-site.yaml

        CIVICWATT_STORE_URL=influxdb1://127.0.0.1:8086/civicwatt \\
            civicwatt check-config config/example-site.yaml
    """
    config = load_site_or_exit(file)
    Console().print(summary(config, file))
    warn(config, file)


def warn(config: SiteConfig, file: Path) -> None:
    """Figures that would mislead a reader (exit code stays 0): file:line: warning: …"""
    from civicwatt.config.advice import advice
    from civicwatt.config.errors import Problem, render_path
    from civicwatt.config.yamlfile import YamlDocument

    found = advice(config)
    if not found:
        return
    doc = YamlDocument(file)
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    for path, value, message in found:
        problem = Problem(str(file), doc.line(path), render_path(path), value, message)
        err.print(f"[yellow]warning:[/] {escape(str(problem))}")


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
    if config.platform is not None:
        table.caption += "\n" + _platform_line(config)
    return table


def _platform_line(config: SiteConfig) -> str:
    from civicwatt.platform.plan import plan_buildings, sent_codes
    from civicwatt.platform.profiles import get

    p = config.platform
    plans = plan_buildings(config, p, get(p.profile))
    mode = "AES" if p.encrypt else "plain XML"
    return (f"platform {p.profile} {p.host}:{p.port} ({mode}, md5 {p.md5_order}, gateway "
            f"{p.gateway_id}): " + "; ".join(
                f"{plan.building} → {plan.platform_id} sends {', '.join(sent_codes(plan))}"
                for plan in plans))
