"""Manual acknowledgement, receipt stamps and an unreachable broker, against a real Mosquitto.

These tests fail for a consumer that acknowledges on receipt, for one that
stamps a redelivered message anew, and for one that retries a broker every
second with a warning each time.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pytest

from collector.mqtt import session as session_module
from collector.mqtt.consumer import Consumer
from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.runner import Collector
from collector.spool import Spool
from store import open_store
from tests.integration.mqtt_helpers import (
    FILTER,
    ROOT,
    TEMPLATE,
    CollectorProcess,
    count,
    publish_all,
    publisher,
    readings,
    stored,
)
from tests.services import free_port, wait_until

pytestmark = pytest.mark.integration


def collect(folder, port: int) -> tuple[subprocess.Popen, os.PathLike]:
    """`civicwatt collect` from flags against 127.0.0.1:`port`, its output in a log file."""
    log = folder / "collect.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "civicwatt", "collect", "--mqtt", f"mqtt://127.0.0.1:{port}",
             "--topic", FILTER, "--template", TEMPLATE, "--store",
             f"sqlite:///{folder}/store.db", "--spool", str(folder / "s.db")],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out,
            stderr=subprocess.STDOUT)
    return process, log


def stops_promptly(process: subprocess.Popen) -> None:
    """SIGTERM ends it cleanly well before a retry or handshake timeout (10 s) would."""
    process.send_signal(signal.SIGTERM)
    asked = time.monotonic()
    assert process.wait(30) == 0
    assert time.monotonic() - asked < 8, "SIGTERM waited for the broker"


class SysCounter:
    """Follows Mosquitto's $SYS counters (published every second with `sys_interval 1`)."""

    def __init__(self, broker) -> None:
        self.values: dict[str, float] = {}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="sys-watch")
        self.client.on_message = lambda c, u, m: self.values.__setitem__(
            m.topic, float(m.payload))
        self.client.connect(broker.host, broker.port)
        self.client.subscribe([("$SYS/broker/store/messages/count", 0),
                               ("$SYS/broker/publish/messages/sent", 0)])
        self.client.loop_start()
        wait_until(lambda: len(self.values) == 2, 10, "Mosquitto's $SYS counters")

    def __getitem__(self, name: str) -> float:
        return self.values[f"$SYS/broker/{name}"]

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_nothing_is_acknowledged_before_the_spool_commit(tmp_path, mosquitto_factory, influxdb):
    """The spool's commit is blocked from outside (an SQLite write lock held by the test) while
    the collector has the messages; the broker must still hold every one of them, and after
    kill -9 it must deliver them again. A consumer that acks on receipt loses them here."""
    broker = mosquitto_factory("sys_interval 1\n")
    db = "manual_ack"
    spool = tmp_path / "spool.db"
    collector = CollectorProcess(tmp_path, "--mqtt", broker.url, "--topic", FILTER,
                                 "--template", TEMPLATE, "--store", influxdb.url(db),
                                 "--spool", str(spool), "--client-id", "ack-proof")
    data = readings(20, 10, int(time.time()) - 3600)
    watch = SysCounter(broker)
    lock = None
    try:
        collector.start()
        sent_before = watch["publish/messages/sent"]
        lock = sqlite3.connect(spool, timeout=30, isolation_level=None)
        lock.execute("BEGIN IMMEDIATE")  # the spool cannot commit from now on
        pub = publisher(broker.host, broker.port, "ack-pub")
        publish_all(pub, [(t, p) for t, p, *_ in data])
        pub.loop_stop()
        wait_until(lambda: watch["publish/messages/sent"] >= sent_before + len(data), 20,
                   "the broker to send every message to the collector")
        time.sleep(2.0)  # time enough for a PUBACK to come back if one were sent
        assert watch["store/messages/count"] >= len(data), "acknowledged before the commit"
        collector.kill()
        lock.execute("ROLLBACK")
        lock.close()
        lock = None
        assert count(influxdb, db) == 0
        collector.start()
        wait_until(lambda: count(influxdb, db) >= len(data), 30, "every message again")
        time.sleep(1.0)
        assert stored(influxdb, db) == {(p, t): v for *_, p, t, v in data}
        assert collector.terminate() == 0
    finally:
        if lock is not None:
            lock.close()
        watch.close()
        collector.close()


def test_a_redelivery_after_the_commit_is_the_same_point_not_a_second_one(
        tmp_path, mosquitto, influxdb):
    """Messages without a time are stamped at receipt. The first consumer commits and then
    "dies" before its PUBACKs leave; the broker redelivers to the next one. InfluxDB would
    collapse an exact duplicate, so the check counts points per series: a redelivery stamped
    anew would be a second point at another time, and the count would be twice the sent."""
    settings = MqttSettings(url=mosquitto.url, client_id="stamp-test", subscriptions=[
        {"filter": FILTER, "template": TEMPLATE}])
    spool_path = tmp_path / "s.db"
    messages = [(f"site/b1/meter/m{p:03d}/energy", json.dumps({"value": p + k / 10}))
                for k in range(5) for p in range(20)]
    first = Consumer(settings, Decoder(settings), Spool(spool_path))
    first.client.ack = lambda gen, data: True  # commits, then no PUBACK ever leaves
    first.start()
    try:
        pub = publisher(mosquitto.host, mosquitto.port, "stamp-pub")
        publish_all(pub, messages)
        pub.loop_stop()
        wait_until(lambda: first.stats.accepted == len(messages), 20, "the first commit")
    finally:
        first.stop()
    collector = Collector(settings, Decoder(settings), spool_path,
                         open_store(influxdb.url("stamps")), monitor_every=3600)
    collector.start()
    try:
        wait_until(lambda: collector.consumer.stats.received == len(messages), 20,
                   "the broker to redeliver what was never acknowledged")
        wait_until(lambda: Spool(spool_path).depth == 0, 20, "the spool to drain")
    finally:
        collector.stop()
    assert count(influxdb, "stamps") == len(messages)  # 200 if stamped anew
    per_point = influxdb.query("SELECT count(value) FROM energy GROUP BY point", "stamps")
    assert {s["tags"]["point"]: s["values"][0][1]
            for s in per_point["results"][0]["series"]} == {f"m{p:03d}": 5 for p in range(20)}


def test_unreachable_broker_backs_off_logs_state_changes_and_says_so_in_health(
        tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(session_module, "MAX_BACKOFF", 0.4)
    monkeypatch.setattr(session_module, "REMIND_EVERY", 1.5)
    caplog.set_level(logging.INFO)
    port = free_port()
    settings = MqttSettings(url=f"mqtt://127.0.0.1:{port}", client_id="away",
                            subscriptions=[{"filter": FILTER, "template": TEMPLATE}])
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    delays: list[float] = []
    stopping = consumer.client._stopping
    real_wait = stopping.wait
    monkeypatch.setattr(stopping, "wait", lambda t=None: (delays.append(t), real_wait(t))[1])
    started = time.monotonic()
    consumer.start(timeout=10)  # an unreachable broker is not a start error
    assert time.monotonic() - started < 5
    try:
        wait_until(lambda: len(delays) >= 8, 20, "several attempts")
        ok, status = consumer.check()
        assert not ok
        assert status["state"] == "unreachable" and status["attempts"] >= 3
        assert f"127.0.0.1:{port}" in status["broker"] and "cannot connect" in status["last_error"]
        time.sleep(1.6)
    finally:
        consumer.stop()
    assert delays[0] == 1.0 and set(delays[1:]) == {0.4}  # doubling, capped at the ceiling
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len([w for w in warnings if "retrying with backoff" in w]) == 1  # the change, once
    assert 1 <= len([w for w in warnings if w.startswith("still no connection")]) <= 3


def test_the_backoff_doubles_to_the_ceiling(tmp_path, monkeypatch):
    settings = MqttSettings(url=f"mqtt://127.0.0.1:{free_port()}", client_id="doubling")
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    delays: list[float] = []
    stopping = consumer.client._stopping

    def record(timeout=None):
        delays.append(timeout)
        if len(delays) >= 9:
            stopping.set()
        return stopping.is_set()

    monkeypatch.setattr(stopping, "wait", record)
    consumer.client._run()
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0]


def test_collect_stops_promptly_while_it_retries_an_unreachable_broker(tmp_path):
    process, log = collect(tmp_path, free_port())
    try:
        wait_until(lambda: "cannot connect" in log.read_text(), 30, "the first failed attempt")
        time.sleep(3.5)  # a few attempts into the backoff
        stops_promptly(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    text = log.read_text()
    assert text.count("retrying with backoff") == 1 and "Traceback" not in text


def test_the_collector_connects_once_the_broker_comes_up(tmp_path, mosquitto_factory,
                                                         influxdb):
    """Started before its broker (docker-compose order), it waits instead of exiting."""
    port = free_port()
    collector = CollectorProcess(tmp_path, "--mqtt", f"mqtt://127.0.0.1:{port}", "--topic",
                                 FILTER, "--template", TEMPLATE, "--store",
                                 influxdb.url("late_broker"), "--spool", str(tmp_path / "s.db"),
                                 "--client-id", "early")
    collector.start(wait=False)
    try:
        wait_until(lambda: "cannot connect" in collector.text(), 30, "a failed attempt")
        broker = mosquitto_factory("", port)
        wait_until(lambda: "consuming from" in collector.text(), 30, "the late subscription")
        data = readings(5, 4, int(time.time()) - 60)
        pub = publisher(broker.host, broker.port, "late-pub")
        publish_all(pub, [(t, p) for t, p, *_ in data])
        pub.loop_stop()
        wait_until(lambda: count(influxdb, "late_broker") == len(data), 30, "the readings")
        assert "reachable again" in collector.text()
        assert collector.terminate() == 0
    finally:
        collector.close()


def test_stop_acknowledges_what_was_taken_before_it_disconnects(tmp_path, mosquitto):
    """A clean stop leaves nothing unacknowledged: a later session gets nothing again."""
    settings = MqttSettings(url=mosquitto.url, client_id="clean-stop", subscriptions=[
        {"filter": FILTER, "template": TEMPLATE}])
    data = readings(10, 3, int(time.time()) - 60)
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    consumer.start()
    pub = publisher(mosquitto.host, mosquitto.port, "stop-pub")
    publish_all(pub, [(t, p) for t, p, *_ in data])
    pub.loop_stop()
    wait_until(lambda: len(consumer._pending) + consumer.stats.received >= len(data), 20,
               "the messages")
    consumer.stop()
    again = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    got = threading.Event()
    again.client.deliver = lambda gen, pubs, dup: got.set()
    again.start()
    try:
        assert not got.wait(2.0), "the broker redelivered what a clean stop acknowledged"
    finally:
        again.stop()


def test_collect_stops_promptly_while_a_silent_broker_keeps_it_waiting(tmp_path):
    """A broker that accepts TCP but never answers CONNECT: SIGTERM still stops at once."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    process, log = collect(tmp_path, server.getsockname()[1])
    try:
        wait_until(lambda: accepted, 30, "the collector's connection")
        time.sleep(0.5)
        stops_promptly(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        server.close()
        for conn in accepted:
            conn.close()
    assert "Traceback" not in log.read_text()


def test_healthz_says_the_broker_is_unreachable(tmp_path):
    """What `civicwatt run` registers: the consumer's check as the `mqtt` component."""
    import urllib.error
    import urllib.request

    from civicwatt.service.health import Health, HealthServer

    port = free_port()
    settings = MqttSettings(url=f"mqtt://127.0.0.1:{port}", client_id="health",
                            subscriptions=[{"filter": FILTER, "template": TEMPLATE}])
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    health = Health()
    health.add_check("mqtt", consumer.check)
    server = HealthServer(health, "127.0.0.1", 0).start()
    consumer.start(timeout=10)
    try:
        wait_until(lambda: consumer.client.attempts >= 1, 20, "a failed attempt")
        with pytest.raises(urllib.error.HTTPError) as answer:
            urllib.request.urlopen(f"{server.url}/healthz", timeout=10)
        assert answer.value.code == 503
        body = json.loads(answer.value.read())
        mqtt_state = body["components"]["mqtt"]
        assert mqtt_state["ok"] is False and mqtt_state["state"] == "unreachable"
        assert "cannot connect" in mqtt_state["last_error"]
        assert mqtt_state["broker"] == f"MQTT broker 127.0.0.1:{port}"
    finally:
        consumer.stop()
        server.stop()
