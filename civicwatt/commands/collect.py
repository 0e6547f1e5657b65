"""`civicwatt collect` (MQTT → spool → store); `civicwatt deadletter` is in deadletter.py.

Two ways to say what to collect: `--config FILE` (the site YAML: its `mqtt:`
section, point bindings and `store.url`), or flags alone for quick starts:

    civicwatt collect --mqtt mqtt://127.0.0.1:1883 --topic 'site/+/meter/+/energy' \\
        --template 'site/{building}/meter/{point}/{quantity}' \\
        --store influxdb1://127.0.0.1:8086/civicwatt --spool ./spool.db

With flags, a user name goes in the URL (`mqtt://meter@host:1883`) and the
password in `$CIVICWATT_MQTT_PASSWORD`. SIGTERM/SIGINT: stop taking messages,
spool and acknowledge what was taken, flush the spool to the store, exit 0 — also
while the broker is unreachable and retried with backoff.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

log = logging.getLogger("civicwatt.collect")
err = Console(stderr=True, soft_wrap=True, highlight=False)

MqttOpt = Annotated[str | None, typer.Option("--mqtt", help="broker URL, mqtt://host:1883 or "
                                             "mqtts://host:8883")]
TopicOpt = Annotated[list[str] | None, typer.Option("--topic", help="topic filter (repeatable, "
                                                    "paired with --template)")]
TemplateOpt = Annotated[list[str] | None, typer.Option(
    "--template", help="topic template, e.g. site/{building}/meter/{point}/{quantity}")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="the site YAML")]


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True)
    return typer.Exit(1)


def _settings(config: Path | None, mqtt: str | None, topics: list[str], templates: list[str],
              client_id: str | None, group: str | None, protocol: str | None = None):
    """(MqttSettings, Decoder, store URL, site) from --config or the flags.

    With a config whose site has no `mqtt:` (and no --mqtt), the first two are
    None: the Modbus devices are all there is to collect.
    """
    from collector.mqtt.decode import Decoder
    from collector.mqtt.settings import MqttSettings

    if len(topics) != len(templates):
        raise _fail(f"--topic and --template come in pairs: got {len(topics)} --topic and "
                    f"{len(templates)} --template")
    subs = [{"filter": t, "template": tpl} for t, tpl in zip(topics, templates, strict=True)]
    overrides = {k: v for k, v in (("client_id", client_id), ("group", group),
                                   ("protocol", protocol)) if v}
    if config is not None:
        from civicwatt.commands.common import load_site_or_exit
        from civicwatt.service.pipeline import mqtt_from_site
        from collector.mqtt.settings import Subscription

        site = load_site_or_exit(config)
        if site.mqtt is None and not mqtt:
            return None, None, site.store.url, site  # Modbus only
        if subs:
            existing = site.mqtt.subscriptions if site.mqtt else []
            overrides["subscriptions"] = [*existing, *(Subscription(**s) for s in subs)]
        try:
            settings, decoder = mqtt_from_site(site, url=mqtt, **overrides)
        except ValidationError as exc:
            raise _fail(f"{config}: MQTT settings are not valid: {_errors(exc)}") from None
        except ValueError as exc:
            raise _fail(f"{config}: {exc}") from None
        return settings, decoder, site.store.url, site
    if not mqtt:
        raise _fail("say what to collect: --config FILE, or --mqtt URL with --topic/--template")
    if not subs:
        raise _fail("with --mqtt, give at least one --topic FILTER --template TEMPLATE pair")
    fields = {"url": mqtt, "subscriptions": subs, **overrides}
    fields.setdefault("client_id", f"civicwatt-collector-{os.uname().nodename}"[:64])
    if os.environ.get("CIVICWATT_MQTT_PASSWORD"):
        fields["password"] = os.environ["CIVICWATT_MQTT_PASSWORD"]
    from urllib.parse import urlsplit

    parts = urlsplit(mqtt)
    if parts.password:
        raise _fail("--mqtt: don't put a password in the URL; export CIVICWATT_MQTT_PASSWORD")
    settings = _validate(MqttSettings, fields, "flags")
    return settings, Decoder(settings), None, None


_FLAGS = {"url": "--mqtt", "subscriptions": "--topic/--template", "protocol": "--protocol",
          "client_id": "--client-id", "group": "--group"}


def _errors(exc: ValidationError, flags: bool = False) -> str:
    def where(loc: tuple) -> str:
        if flags and loc and loc[0] in _FLAGS:
            pair = f" (pair {int(loc[1]) + 1})" if loc[0] == "subscriptions" and len(loc) > 1 \
                else ""
            return _FLAGS[str(loc[0])] + pair
        return ".".join(str(x) for x in loc) or "(mqtt)"

    return "".join(f"\n  {where(tuple(e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                   for e in exc.errors())


def _validate(model, fields: dict, where: str):
    try:
        return model(**fields)
    except ValidationError as exc:
        raise _fail(f"MQTT settings from the {where} are not valid:{_errors(exc, flags=True)}"
                    ) from None


def collect(
    mqtt: MqttOpt = None,
    topic: TopicOpt = None,
    template: TemplateOpt = None,
    store: Annotated[str | None, typer.Option(
        "--store", help="store URL (influxdb1://host:8086/db, sqlite:///path); default: "
                        "the config's store.url, else civicwatt.db")] = None,
    spool: Annotated[Path | None, typer.Option(
        "--spool", help="the durable spool (SQLite); default: the config's service.spool, "
                        "else ./spool.db")] = None,
    client_id: Annotated[str | None, typer.Option(
        "--client-id", help="stable MQTT client id: the broker keeps this session")] = None,
    group: Annotated[str | None, typer.Option(
        "--group", help="shared-subscription group: replicas split the stream")] = None,
    config: ConfigOpt = None,
    instance: Annotated[str | None, typer.Option(
        "--instance", help="self-monitoring instance tag (default host:client-id)")] = None,
    protocol: Annotated[str | None, typer.Option(
        "--protocol", help="MQTT protocol, 5 (default) or 3.1.1 (for 3.1.1, raise Mosquitto's "
                           "max_inflight_messages: acks follow each spool commit)")] = None,
    shard: Annotated[str, typer.Option(
        "--shard", help="with --config: poll only this replica's share of the Modbus devices, "
                        "i/N with i from 0")] = "0/1",
    dead_letter_capacity: Annotated[int | None, typer.Option(
        "--dead-letter-capacity", min=1, help="dead-letter rows kept before bad messages are "
        "held (default: service.dead_letter_capacity, else 1,000,000)")] = None,
) -> None:
    """Collect MQTT and Modbus readings into the store, exactly once (采集读数).

    Examples:

        civicwatt collect --config config/example-site.yaml

        civicwatt collect --mqtt mqtt://127.0.0.1:1883 --topic 'site/+/meter/+/energy' \\
            --template 'site/{building}/meter/{point}/{quantity}' --spool ./spool.db
    """
    from civicwatt.config.urls import store_url_problem
    from collector.modbus.plan import parse_shard
    from collector.mqtt.consumer import MqttStartError
    from collector.runner import Collector
    from collector.spool import DEFAULT_DEAD_CAPACITY, SpoolError
    from store import StoreError, open_store

    if store and (problem := store_url_problem(store)):
        raise _fail(f"--store {store.split('@')[-1]!r}: {problem}")
    settings, decoder, config_store, site = _settings(config, mqtt, topic or [], template or [],
                                                      client_id, group, protocol)
    try:
        target = open_store(store or config_store, site.base_dir if site else None)
    except StoreError as exc:
        raise _fail(f"{'--store' if store or not config else f'{config}: store.url'}: {exc}"
                    ) from None
    try:
        if site is not None:
            from civicwatt.service.pipeline import Pipeline

            spool = spool or site.base_dir / site.service.spool  # the same spool as `run`
            runner = Pipeline(site, target, spool, site.service.spool_capacity,
                              instance=instance, shard=parse_shard(shard),
                              mqtt=(settings, decoder) if settings else None,
                              dead_capacity=dead_letter_capacity
                              or site.service.dead_letter_capacity)
        else:
            spool = spool or Path("spool.db")
            runner = Collector(settings, decoder, spool, target, instance=instance,
                               dead_capacity=dead_letter_capacity or DEFAULT_DEAD_CAPACITY)
    except (SpoolError, MqttStartError, ValueError) as exc:
        raise _fail(str(exc)) from None
    stop = threading.Event()
    starting = [True]

    def on_signal(*_) -> None:
        stop.set()
        if starting[0]:  # still connecting (e.g. a broker that does not answer): stop now
            raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    try:
        runner.start()
        starting[0] = False
        log.info("collecting into %s via spool %s (Ctrl-C or SIGTERM to stop)",
                 target.description, spool)
    except MqttStartError as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt:
        starting[0] = False
        log.info("asked to stop while starting")
    stop.wait()
    log.info("stopping: spooling and acknowledging what was received, flushing the spool")
    runner.stop()
    log.info("stopped; spool depth %d", runner.writer.spool.depth)
