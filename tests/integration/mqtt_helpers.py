"""Helpers for the MQTT collector's integration tests: a collector process, a publisher, counts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import paho.mqtt.client as mqtt

from tests.services import InfluxDB1, wait_until

ROOT = Path(__file__).resolve().parents[2]
FILTER = "site/+/meter/+/energy"
TEMPLATE = "site/{building}/meter/{point}/{quantity}"


class CollectorProcess:
    """`python -m civicwatt collect ...` as a child process with its own log file."""

    def __init__(self, folder: Path, *args: str, env: dict | None = None) -> None:
        self.folder = folder
        self.args = list(args)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.log = folder / f"collector-{id(self)}.log"
        self.starts = 0

    def start(self, wait: bool = True) -> CollectorProcess:
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "civicwatt", "collect", *self.args], cwd=ROOT,
                env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        if wait:
            wait_until(lambda: self._started(offset), 30, f"the collector to subscribe; log:\n"
                       f"{self.text()[-1500:]}")
        return self

    def _started(self, offset: int) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"collector exited {self.proc.returncode}:\n{self.text()[-3000:]}")
        return "consuming from" in self.log.read_bytes()[offset:].decode(errors="replace")

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def publisher(host: str, port: int, client_id: str = "test-publisher") -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    return client


def publish_all(client: mqtt.Client, messages, qos: int = 1) -> None:
    """Publish and wait for every PUBACK: the broker then holds each message."""
    infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
    for info in infos:
        info.wait_for_publish(30)
        assert info.is_published()


def readings(points: int, per_point: int, t0_s: int, start: int = 0):
    """(topic, payload, point, time_ns, value): distinct values, one time per (point, k)."""
    out = []
    for k in range(start, start + per_point):
        for p in range(points):
            value = p * 100_000 + k + 0.25
            ts = t0_s + k
            out.append((f"site/b{p % 4}/meter/m{p:03d}/energy",
                        json.dumps({"value": value, "ts": ts}), f"m{p:03d}", ts * 10**9, value))
    return out


def stored(server: InfluxDB1, database: str, measurement: str = "energy") -> dict:
    """{(point, time_ns): value} as InfluxDB holds it (one entry per distinct series+time).

    InfluxDB keeps one point per series and time, so a reading written twice at the same
    time cannot show up here; one stored twice at another time (a redelivery stamped anew)
    does, as an extra key: compare with the expected dict, or count points per point as
    test_mqtt_acks.py does for readings without a time of their own.
    """
    result = server.query(f"SELECT value, point FROM {measurement}", database)
    series = result["results"][0].get("series", [])
    found: dict = {}
    for s in series:
        columns = s["columns"]
        t_i, v_i, p_i = columns.index("time"), columns.index("value"), columns.index("point")
        for row in s["values"]:
            found[(row[p_i], row[t_i])] = row[v_i]
    return found


def count(server: InfluxDB1, database: str, measurement: str = "energy") -> int:
    result = server.query(f"SELECT count(value) FROM {measurement}", database)
    series = result["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0
