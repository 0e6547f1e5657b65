"""The collection pipeline of one site: MQTT and Modbus collectors → durable spool → store.

`civicwatt collect --config` and `civicwatt run` both build it here, so the
two never drift apart. Without an `mqtt:` section the spool writer runs on
its own; without Modbus points no poller is started.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from pathlib import Path

from civicwatt.config import SiteConfig
from collector.mqtt.decode import Decoder, PointInfo
from collector.mqtt.settings import MqttSettings
from collector.runner import Collector
from collector.spool import DEFAULT_CAPACITY, DEFAULT_DEAD_CAPACITY, Spool, SpoolSink
from collector.writer import Writer
from store.base import Store
from store.errors import StoreError

logger = logging.getLogger(__name__)


def mqtt_from_site(site: SiteConfig, **overrides: object) -> tuple[MqttSettings, Decoder]:
    """The site's MQTT settings (`overrides` applied, TLS paths resolved) and its decoder.

    Raises pydantic's ValidationError for a bad override and ValueError naming
    a TLS file that does not exist.
    """
    base = site.mqtt.model_dump() if site.mqtt is not None else {}
    settings = MqttSettings.model_validate(
        {**base, **{k: v for k, v in overrides.items() if v is not None}})
    if settings.tls is not None:
        settings = settings.model_copy(update={"tls": settings.tls.resolved(site.base_dir)})
    points = [PointInfo(p.id, p.quantity, p.tags, p.min, p.max, p.mqtt) for p in site.points]
    return settings, Decoder(settings, points, site=site.site.id)


class Pipeline:
    """Everything that moves readings for a site; `start()` then `stop()` (which flushes)."""

    def __init__(self, site: SiteConfig, store: Store, spool_path: Path,
                 capacity: int = DEFAULT_CAPACITY, shard: tuple[int, int] = (0, 1),
                 dead_capacity: int = DEFAULT_DEAD_CAPACITY,
                 instance: str | None = None,
                 mqtt: tuple[MqttSettings, Decoder] | None = None,
                 monitor_every: float = 10.0) -> None:
        """`mqtt` overrides the site's own MQTT settings (the `collect` flags);
        self-monitoring goes into the store every `monitor_every` seconds."""
        from civicwatt.service.modbus import build_poller

        self.collector: Collector | None = None
        if mqtt is None and site.mqtt is not None:
            mqtt = mqtt_from_site(site)
        if mqtt is not None:
            self.collector = Collector(*mqtt, spool_path, store, instance=instance,
                                       capacity=capacity, monitor_every=monitor_every,
                                       dead_capacity=dead_capacity)
        #: the one writer draining the spool: the MQTT collector's, or one of our own
        self.writer: Writer = (self.collector.writer if self.collector
                               else Writer(Spool(spool_path, capacity, dead_capacity), store))
        self.poller = None
        if any(p.modbus is not None for p in site.points):
            self._sink = SpoolSink(spool_path, capacity, dead_capacity)
            self.poller = build_poller(site, self._sink, shard, room=self._sink.has_room)
        self.instance = instance or f"{socket.gethostname()}:modbus-{shard[0]}/{shard[1]}"
        self.monitor_every = monitor_every
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Writer first (it drains what a previous run left), then the collectors."""
        if self.collector is not None:
            self.collector.start()
        else:
            self._spawn(self.writer.run, "spool-writer")
        if self.poller is not None:
            self.poller.start_background()
            self._spawn(self._monitor_modbus, "modbus-monitor")

    def _spawn(self, target, name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def _monitor_modbus(self) -> None:
        """Device states (online, polls, errors) into the store, as `civicwatt` rows."""
        while not self._stop.wait(self.monitor_every):
            self._report_modbus()

    def _report_modbus(self) -> None:
        try:
            self._sink(self.poller.state_rows(time.time_ns(), self.instance))
        except Exception:  # monitoring must never take collection down
            logger.exception("Modbus self-monitoring could not be spooled")

    def stop(self) -> None:
        """Stop taking readings, then flush the spool to the store."""
        self._stop.set()
        if self.poller is not None:
            self.poller.stop()
            self._report_modbus()
        if self.collector is not None:
            self.collector.stop()
        else:
            self.writer.stop()
        for thread in self._threads:
            thread.join(30)

    def check(self) -> tuple[bool, dict]:
        """For /healthz: spool depth, dead letters, broker connection (the store: `store_check`).

        Unhealthy, with `problems` naming each, while the dead-letter table is full, the
        spool itself fails, or the broker is disconnected."""
        spool, stats = self.writer.spool, self.writer.stats
        details: dict = {"spool_depth": spool.depth, "spool_capacity": spool.capacity,
                         "dead_letters": spool.dead, "dead_letter_capacity": spool.dead_capacity,
                         "store": stats.status()}
        problems = []
        if spool.dead_full:
            details["held"] = spool.held
            problems.append(f"dead-letter full ({spool.dead} of {spool.dead_capacity}; "
                            f"{spool.held} bad messages held): civicwatt deadletter export "
                            f"--spool {spool.path} --out FILE, then deadletter purge "
                            "--before DATE --yes")
        if stats.outage is not None and stats.outage.cause in ("spool", "internal"):
            problems.append(f"writer failing ({stats.outage.cause}): {stats.outage.error}")
        if self.collector is not None:
            connected = self.collector.consumer.client.is_connected()
            details["broker_connected"] = connected
            if not connected:
                problems.append("MQTT broker disconnected")
        details["problems"] = problems
        return not problems, details

    def store_check(self, ping: bool = True) -> tuple[bool, dict]:
        """For /healthz: the store as the writer last saw it (which catches credentials a
        ping never checks), and a ping. Unhealthy while the writer is in an outage."""
        store, stats = self.writer.store, self.writer.stats
        details: dict = {"url": store.description}
        outage = stats.outage
        if outage is not None and outage.cause not in ("spool", "internal"):
            details.update(cause=outage.cause, error=outage.error, attempts=outage.attempts,
                           since=_iso(outage.since), what_to_do=outage.hint,
                           problems=[f"store unavailable ({outage.cause}): {outage.error}"])
            return False, details
        if ping:
            try:
                store.ping()
            except StoreError as exc:
                details.update(error=str(exc), problems=[f"store does not answer: {exc}"])
                return False, details
        return True, details


def _iso(epoch_s: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")
