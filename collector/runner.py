"""One running collector: MQTT consumer → spool → writer → store, plus self-monitoring.

Every 10 s the counters go into the store (through the spool, so they survive
an outage too) as measurement `civicwatt`, tags component=collector and
instance, fields received, accepted, rejected_<reason>, written, spool_depth,
write_latency_ms; and one concise log line.

Other collectors (the Modbus poller) feed the same spool through `sink`
(`Spool.append_rows`): open a `Spool` on the same file and append rows.
"""

from __future__ import annotations

import logging
import socket
import threading
import time

from collector.mqtt.consumer import Consumer
from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.spool import DEFAULT_CAPACITY, DEFAULT_DEAD_CAPACITY, Spool
from collector.writer import Writer
from store.base import Store
from store.types import Row, Series

log = logging.getLogger("civicwatt.collector")


class Collector:
    def __init__(self, settings: MqttSettings, decoder: Decoder, spool_path, store: Store,
                 instance: str | None = None, capacity: int = DEFAULT_CAPACITY,
                 monitor_every: float = 10.0, batch_lines: int = 10_000,
                 dead_capacity: int = DEFAULT_DEAD_CAPACITY) -> None:
        """`batch_lines`: readings per store write. 10,000 (≈ 0.8 MB) keeps one POST well
        inside the store's timeout on a loaded machine; at 50,000 a starved InfluxDB 1.x
        timed out on every retry of the same batch (bench.ingest, load average 17)."""
        self.settings = settings
        self.store = store
        self.instance = instance or f"{socket.gethostname()}:{settings.client_id}"
        self.monitor_every = monitor_every
        self.spool_path = spool_path
        self.writer = Writer(Spool(spool_path, capacity, dead_capacity), store,
                             batch_lines=batch_lines)
        self.consumer = Consumer(settings, decoder, Spool(spool_path, capacity, dead_capacity),
                                 on_spooled=self.writer.notify)
        self._monitor_spool = Spool(spool_path, capacity, dead_capacity)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._last = (time.monotonic(), 0, 0, 0, 0.0, 0)

    def start(self) -> None:
        """Start the writer (drains what a previous run left), then the consumer."""
        writer = threading.Thread(target=self.writer.run, name="spool-writer", daemon=True)
        writer.start()
        self._threads.append(writer)
        try:
            self.consumer.start()
        except BaseException:
            self.writer.stop()
            writer.join(5)
            raise
        monitor = threading.Thread(target=self._monitor, name="monitor", daemon=True)
        monitor.start()
        self._threads.append(monitor)

    def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop taking messages, spool and ack what was taken, flush the spool to the store."""
        self.consumer.stop()
        self._stop.set()
        self.report()
        self.writer.stop()
        for thread in self._threads:
            thread.join(drain_timeout + 5)

    def _monitor(self) -> None:
        while not self._stop.wait(self.monitor_every):
            try:
                self.report()
            except Exception:  # monitoring must never take the collector down
                log.exception("self-monitoring failed")

    def report(self) -> None:
        """Log one line and spool one `civicwatt` point with the counters."""
        c, w = self.consumer.stats, self.writer.stats
        now = time.monotonic()
        t0, received0, accepted0, written0, latency0, batches0 = self._last
        elapsed = max(now - t0, 1e-9)
        batches = w.batches - batches0
        latency = (w.latency_ms_total - latency0) / batches if batches else 0.0
        depth = self._monitor_spool.depth
        rejected = sum(c.rejected.values())
        log.info("collector %s: %.0f msg/s in, %.0f readings/s spooled, %.0f/s written, "
                 "%d rejected (%s), spool %d, write %.0f ms, store %s", self.instance,
                 (c.received - received0) / elapsed, (c.accepted - accepted0) / elapsed,
                 (w.written - written0) / elapsed, rejected,
                 ", ".join(f"{k} {v}" for k, v in sorted(c.rejected.items())) or "none",
                 depth, latency, w.status())
        self._last = (now, c.received, c.accepted, w.written, w.latency_ms_total, w.batches)
        fields: dict = {"received": c.received, "accepted": c.accepted, "written": w.written,
                        "spool_depth": depth, "write_latency_ms": float(latency),
                        "dead_letters_store": w.dead}
        fields.update({f"rejected_{k}": v for k, v in c.rejected.items()})
        series = Series.of("civicwatt", component="collector", instance=self.instance)
        self._monitor_spool.append_rows([Row(series, time.time_ns(), fields)])
        self.writer.notify()
