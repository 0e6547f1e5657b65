"""`civicwatt run --config FILE`: every collector and job of a site in one process."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

logger = logging.getLogger("civicwatt.run")


def run(
    config: Annotated[Path, typer.Option("--config", help="the site YAML")],
) -> None:
    """Run the whole pipeline on a schedule until SIGTERM/SIGINT (运行全部服务).

    Collectors, spool writer, metering, forecasts, the daily report and setpoints
    in one process; /healthz and /metrics on service.http.

    Examples:

        civicwatt check-config /etc/civicwatt/site.yaml

        civicwatt run --config /etc/civicwatt/site.yaml
    """
    from civicwatt.commands.common import load_site_or_exit
    from civicwatt.service.run import Service
    from collector.mqtt.consumer import MqttStartError
    from collector.spool import SpoolError
    from store import StoreError

    err = Console(stderr=True, soft_wrap=True, highlight=False)
    site = load_site_or_exit(config)
    try:
        service = Service(site)
    except (StoreError, SpoolError, MqttStartError, OSError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(1) from None
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        service.start()
    except MqttStartError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        service.stop()
        raise typer.Exit(1) from None
    stop.wait()
    service.stop()
