"""A full spool stops acknowledgements and reading (the broker holds the rest, not our memory);
stale filters go away."""

from __future__ import annotations

import json
import logging
import time

import pytest

from collector.mqtt.consumer import Consumer
from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.runner import Collector
from collector.spool import Spool
from store import open_store
from tests.integration.mqtt_helpers import FILTER, TEMPLATE, count, publish_all, publisher, stored
from tests.integration.mqtt_helpers import readings as make_readings
from tests.services import wait_until

pytestmark = pytest.mark.integration
HOLD = 300
SENT = 3000
PAD = "x" * 1000  # ~1 KB messages: one 256 KB socket read holds at most ~250 of them


def test_full_spool_stops_acking_and_nothing_is_dropped(tmp_path, mosquitto_factory,
                                                       influxdb_factory, caplog):
    broker, influx = mosquitto_factory(), influxdb_factory()
    settings = MqttSettings(url=broker.url, client_id="bp", receive_maximum=300,
                            subscriptions=[{"filter": FILTER, "template": TEMPLATE}])
    collector = Collector(settings, Decoder(settings), tmp_path / "s.db",
                          open_store(influx.url("bp")), capacity=500, monitor_every=3600)
    data = make_readings(50, 40, int(time.time()) - 3600)  # 2,000 readings, 4x the capacity
    collector.start()
    try:
        influx.stop()
        pub = publisher(broker.host, broker.port)
        publish_all(pub, [(t, p) for t, p, *_ in data])
        pub.loop_stop()
        wait_until(lambda: collector.consumer.stats.full_waits > 0, 30, "the spool to fill")
        depth = Spool(tmp_path / "s.db").depth
        assert 0 < depth <= 500, depth  # full: the next batch would not fit; never over
        assert collector.consumer.stats.accepted <= 500
        assert "spool" in caplog.text and "full" in caplog.text
        influx.start()
        wait_until(lambda: count(influx, "bp") >= 2000, 90, "the backlog to drain")
        assert stored(influx, "bp") == {(p, t): v for *_, p, t, v in data}
    finally:
        collector.stop()


def test_filters_dropped_from_the_config_are_unsubscribed(tmp_path, mosquitto, caplog):
    caplog.set_level(logging.INFO)
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    spool_path = tmp_path / "s.db"

    def start(filters: list[str]) -> Collector:
        settings = MqttSettings(url=mosquitto.url, client_id="stale-test", subscriptions=[
            {"filter": f, "template": "x/{building}/{point}/{quantity}"} for f in filters])
        collector = Collector(settings, Decoder(settings), spool_path, store,
                              monitor_every=3600)
        collector.start()
        return collector

    start(["x/+/+/energy", "x/+/+/power"]).stop()
    collector = start(["x/+/+/energy"])
    try:
        wait_until(lambda: "unsubscribed filters no longer in the config" in caplog.text, 10,
                   "the stale filter to be unsubscribed")
        now = int(time.time())
        pub = publisher(mosquitto.host, mosquitto.port, "stale-pub")
        publish_all(pub, [("x/b/m1/power", json.dumps({"value": 1, "ts": now})),
                          ("x/b/m1/energy", json.dumps({"value": 2, "ts": now}))])
        pub.loop_stop()
        wait_until(lambda: len(store.read_raw("energy", 0, (now + 1) * 10**9)) == 1, 20,
                   "the energy reading")
        time.sleep(0.5)
        assert len(store.read_raw("power", 0, (now + 1) * 10**9)) == 0
        assert collector.consumer.stats.received == 1
    finally:
        collector.stop()


def test_a_full_spool_holds_the_backlog_on_the_broker_not_in_memory(tmp_path, mosquitto):
    """For an MQTT 3.1.1 client with `max_inflight_messages 0` Mosquitto sends every queued
    message at once (as Mosquitto 2.0 also does to an MQTT 5 client after its own restart,
    whatever the receive maximum). The consumer stops reading at `receive_maximum` held
    messages, keeps the connection alive while it waits, and loses nothing once the spool
    has room again."""
    settings = MqttSettings(url=mosquitto.url, protocol="3.1.1", client_id="hold-test",
                            keepalive=5, receive_maximum=HOLD,
                            subscriptions=[{"filter": FILTER, "template": TEMPLATE}])
    spool = Spool(tmp_path / "s.db", capacity=1)
    spool.append_lines(["energy,point=x value=1 1"])  # full: the store is "down"
    consumer = Consumer(settings, Decoder(settings), spool)
    consumer.start()
    pub = publisher(mosquitto.host, mosquitto.port, "hold-pub")
    try:
        t0 = int(time.time()) - 3600
        publish_all(pub, [("site/b1/meter/m1/energy",
                           json.dumps({"value": k, "ts": t0 + k, "note": PAD}))
                          for k in range(SENT)])
        wait_until(lambda: consumer._held[0] >= HOLD, 20, "the consumer to reach its bound")
        most = 0
        until = time.monotonic() + 9  # longer than 1.5 × keepalive: the broker would cut us
        while time.monotonic() < until:
            most = max(most, consumer._held[0])
            time.sleep(0.05)
        assert HOLD <= most < HOLD + 260, f"held {most} messages, bound {HOLD} + one read"
        assert consumer.client.gen == 1 and consumer.client.is_connected()
        spool.delete(spool.peek(10))  # the store is back: the writer made room
        spool.capacity = SENT + 1
        wait_until(lambda: consumer.stats.accepted == SENT, 60, "every message spooled")
    finally:
        pub.loop_stop()
        consumer.stop()
    values = sorted(int(float(line.split(" value=")[1].split()[0]))
                    for b in spool.peek(10**6) for line in b.lines.decode().split("\n"))
    assert values == list(range(SENT))  # nothing accepted is lost, nothing twice
    assert consumer._held == [0, 0]
