"""`civicwatt dashboards build|push`: Grafana dashboards generated from the site config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from civicwatt.commands.common import load_site_or_exit
from civicwatt.config import SiteConfig

app = typer.Typer(help="Grafana dashboards as code: build provisioning files, or push to Grafana.",
                  no_args_is_help=True)

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="the site YAML",
                                            show_default=False)]
StoreOption = Annotated[str | None, typer.Option(
    "--store-url", help="InfluxDB URL as Grafana reaches it (default: the config's store.url), "
                        "e.g. influxdb1://influxdb:8086/civicwatt inside docker compose")]


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}",
                                              markup=True, highlight=False)
    return typer.Exit(1)


def _boards(config: SiteConfig) -> dict:
    from civicwatt.dashboards import DATASOURCE_UID, build_dashboards
    from civicwatt.dashboards.lint import lint

    boards = build_dashboards(config)
    problems = lint(boards, DATASOURCE_UID, config.site.timezone)
    if problems:  # a generator bug, never the user's: refuse to ship a broken dashboard
        raise _fail("generated dashboards fail lint:\n  " + "\n  ".join(problems))
    return boards


@app.command("build")
def build(
    config: ConfigOption,
    out: Annotated[Path, typer.Option("--out", "-o", help="output folder")] = Path(
        "deploy/grafana"),
    store_url: StoreOption = None,
    dashboards_path: Annotated[str, typer.Option(
        metavar="DIR", help="where Grafana sees the dashboards folder (an absolute path inside "
                            "the Grafana container)")] = "/var/lib/grafana/dashboards",
) -> None:
    """Write dashboard JSON and Grafana file-provisioning YAML (datasource + provider).

    Examples:

        civicwatt dashboards build --config site.yaml \\
            --store-url influxdb1://influxdb:8086/civicwatt --out deploy/grafana
    """
    from civicwatt.dashboards.provisioning import DashboardsError, datasource_for, write_all

    if not dashboards_path.startswith("/"):
        raise _fail(f"--dashboards-path {dashboards_path!r}: an absolute path as Grafana sees "
                    "it, e.g. /var/lib/grafana/dashboards")
    site = load_site_or_exit(config)
    boards = _boards(site)
    try:
        spec = datasource_for(store_url if store_url is not None else site.store.url)
    except DashboardsError as exc:
        raise _fail(str(exc)) from None
    try:
        files = write_all(out, boards, spec, dashboards_path)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from None
    table = Table(title=f"{len(files)} files under {out} — datasource {spec.url} "
                        f"db {spec.database}", title_justify="left")
    for column in ("dashboard", "uid", "panels"):
        table.add_column(column)
    for board in boards.values():
        panels = sum(1 for p in board["panels"] if p["type"] != "row")
        table.add_row(board["title"], board["uid"], str(panels))
    Console().print(table)
    Console().print(f"mount {out / 'provisioning'} at /etc/grafana/provisioning and "
                    f"{out / 'dashboards'} at {dashboards_path}")


@app.command("push")
def push(
    config: ConfigOption,
    grafana: Annotated[str, typer.Option("--grafana", help="Grafana base URL, e.g. "
                                         "http://localhost:3000", show_default=False)],
    store_url: StoreOption = None,
    timeout: Annotated[float, typer.Option(min=0.1, max=600, help="seconds per API call")] = 10.0,
) -> None:
    """Upsert datasource, folder and dashboards through Grafana's HTTP API (idempotent).

    Credentials from the environment: GRAFANA_TOKEN, or GRAFANA_USER and GRAFANA_PASSWORD.

    Example:

        GRAFANA_TOKEN=glsa_... civicwatt dashboards push --config site.yaml \\
            --grafana http://localhost:3000 --store-url influxdb1://influxdb:8086/civicwatt
    """
    from civicwatt.config.urls import http_url_problem
    from civicwatt.dashboards.provisioning import (
        DashboardsError,
        datasource_for,
        with_password_from_url,
    )
    from civicwatt.dashboards.push import connect
    from civicwatt.dashboards.push import push as do_push

    if problem := http_url_problem(grafana):
        raise _fail(f"--grafana {grafana.split('@')[-1]!r}: {problem}")
    site = load_site_or_exit(config)
    boards = _boards(site)
    url = store_url if store_url is not None else site.store.url
    try:
        spec = datasource_for(url)
        extra_env = with_password_from_url(spec, url or "")
        os.environ.update({k: v for k, v in extra_env.items() if k not in os.environ})
        datasource = spec.body(resolve_secrets=True)
        api = connect(grafana, timeout)
        result = do_push(api, grafana.split("@")[-1], boards, datasource)
    except DashboardsError as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"Grafana {result.grafana_version} at {grafana.split('@')[-1]}: "
                        f"datasource {result.datasource}, folder {result.folder}",
                  title_justify="left")
    table.add_column("dashboard")
    table.add_column("uid")
    table.add_column("result")
    for board in boards.values():
        table.add_row(board["title"], board["uid"], result.dashboards[board["uid"]])
    Console().print(table)
