"""Soak: `civicwatt run` for half an hour on real Mosquitto, InfluxDB 1.x and Modbus meters.

    python -m bench.soak [--minutes 30] [--rate 5000] [--points 1000] [--devices 20]
                         [--outages store:0.2:120,broker:0.4:20,store:0.6:180]

Starts its own Mosquitto, influxd and pymodbus simulator (20 Eastron SDM630s, 10 points
each = 200 Modbus points polled every 10 s) on free ports, then `civicwatt run` on a site
config for them. Publishers in two processes send `--rate` readings/s over MQTT (QoS 1, one
reading a message, `--points` meters at rate/points Hz each, with their timestamps; the
schedule is wall-clock: a publisher behind it sends late, and stops when the time is up). On the
way the store is stopped twice (at 20 % and 60 % of the run, for 2 and 3 minutes) and the
broker once (at 40 %, for 20 s); `--outages` changes that plan (shorter runs for diagnosis).
Every minute: the service's RSS and open file descriptors, spool depth, store state and the
machine's load average. After each outage: how long until the spool is back to 0. At the end:
published (PUBACKed) = stored for MQTT, the Modbus readings the poller took = stored, no dead
letters, and RSS/fds flat within 10 % after the warm-up (the first 20 % of the run, and never
past the first outage). Not a test: it prints its figures (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from tests.services import InfluxDB1, Mosquitto, free_port

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUTAGES = "store:0.2:120,broker:0.4:20,store:0.6:180"
FIELDS = ("power_l1", "power_l2", "power_l3", "power", "power_demand", "power_demand_max",
          "energy_import", "energy_export", "energy_total", "reactive_energy_total")


def site_yaml(folder: Path, broker: Mosquitto, influx: InfluxDB1, modbus_port: int,
              http_port: int, devices: int) -> Path:
    quantity = {f: "energy" if "energy" in f else "power" for f in FIELDS}
    data = {
        "version": 1,
        "site": {"id": "soak", "name": "Soak", "timezone": "Asia/Shanghai", "country": "CN"},
        "buildings": [{"id": "b1", "floor_area_m2": 1000, "occupants": 10}],
        "mqtt": {"url": broker.url, "client_id": "soak-collector",
                 "subscriptions": [{"filter": "soak/+/+/+",
                                    "template": "soak/{building}/{point}/{quantity}"}]},
        "modbus": {"gateways": [{"id": "gw", "transport": "tcp", "host": "127.0.0.1",
                                 "port": modbus_port, "timeout": 2}],
                   "devices": [{"id": f"d{u:02d}", "gateway": "gw", "unit": u,
                                "profile": "eastron-sdm630", "interval": 10}
                               for u in range(1, devices + 1)]},
        "points": [{"id": f"mb.d{u:02d}.{f}", "building": "b1", "purpose": "01000",
                    "quantity": quantity[f], "unit": "kWh" if quantity[f] == "energy" else "kW",
                    "modbus": {"device": f"d{u:02d}", "field": f}}
                   for u in range(1, devices + 1) for f in FIELDS],
        "store": {"url": influx.url("soak")},
        "service": {"http": f"127.0.0.1:{http_port}", "spool": str(folder / "spool.db"),
                    "metering_every_s": 3600, "forecast_every_s": 86400},
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# -- load --------------------------------------------------------------------------------
class _Publisher:
    """Pre-encoded MQTT 3.1.1 QoS 1 PUBLISH on a raw socket (paho's ~7,000 msg/s per process
    is too close to the goal on two shared cores), paced by the clock. What the broker has
    not PUBACKed is kept and sent again after a reconnect, so a broker restart loses nothing
    the publisher counts as published."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self.address = (host, port)
        self.client_id = client_id
        self.pending: dict[int, bytes] = {}  # packet id → packet, not PUBACKed yet
        self.lock = threading.Lock()
        self.acked = 0
        self.sock: socket.socket | None = None
        self._mid = 0

    def connect(self) -> None:
        from bench.mqttload import connect_packet

        while self.sock is None:
            try:
                sock = socket.create_connection(self.address, timeout=5)
                sock.sendall(connect_packet(self.client_id))
                if sock.recv(4)[:1] != b"\x20":
                    raise OSError("no CONNACK")
                sock.settimeout(None)
            except OSError:
                time.sleep(0.5)
                continue
            self.sock = sock
            threading.Thread(target=self._read, args=(sock,), daemon=True).start()
            with self.lock:
                again = list(self.pending.values())
            self._send(b"".join(again))

    def _read(self, sock: socket.socket) -> None:
        buffer = b""
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                if self.sock is sock:
                    self.sock = None
                return
            buffer += chunk
            n = len(buffer) // 4 * 4
            with self.lock:
                for k in range(0, n, 4):
                    if buffer[k] == 0x40 and self.pending.pop(
                            int.from_bytes(buffer[k + 2:k + 4], "big"), None) is not None:
                        self.acked += 1
            buffer = buffer[n:]

    def _send(self, data: bytes) -> None:
        sock = self.sock
        if sock is None or not data:
            return
        try:
            sock.sendall(data)
        except OSError:
            if self.sock is sock:
                self.sock = None

    def publish(self, messages: list[tuple[bytes, bytes]]) -> None:
        from bench.mqttload import publish_packet

        while len(self.pending) > 30_000:  # never reuse a packet id in flight
            self.connect()
            time.sleep(0.01)
        packets = []
        with self.lock:
            for topic, payload in messages:
                self._mid = self._mid % 65535 + 1
                while self._mid in self.pending:
                    self._mid = self._mid % 65535 + 1
                packet = publish_packet(topic, payload, self._mid)
                self.pending[self._mid] = packet
                packets.append(packet)
        self.connect()
        self._send(b"".join(packets))


def publisher(host: str, port: int, index: int, workers: int, points: int, rate: float,
              seconds: float, t0_ms: int, results) -> None:
    """One process: its share of the points, each at rate/points Hz until `seconds` have
    passed on the clock (ticks it is late for are sent late, never skipped); then it waits
    for every PUBACK and reports (published, acknowledged)."""
    client = _Publisher(host, port, f"soak-pub-{index}")
    mine = [p for p in range(points) if p % workers == index]
    topics = [f"soak/b1/p{p:04d}/energy".encode() for p in mine]
    period = points / rate  # seconds between two readings of one point
    sent = tick = 0
    start = time.monotonic()
    while tick * period < seconds and time.monotonic() - start < seconds:
        pause = start + tick * period - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        ts = t0_ms + round(tick * period * 1000)
        client.publish([(topic, f'{{"value": {1000 + tick * 0.01 + p:.2f}, "ts": {ts}}}'
                         .encode()) for p, topic in zip(mine, topics, strict=True)])
        sent += len(mine)
        tick += 1
    deadline = time.monotonic() + 900
    while client.pending and time.monotonic() < deadline:
        client.connect()
        time.sleep(0.5)
    results.put((sent, client.acked, tick * period, time.monotonic() - start))


# -- observing the service ---------------------------------------------------------------
def get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())


def process_state(pid: int) -> tuple[float, int]:
    """(RSS MB, open file descriptors) of a process."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines()
                  if line.startswith("VmRSS"))
    return rss_kb / 1024, len(os.listdir(f"/proc/{pid}/fd"))


def count(influx: InfluxDB1, query: str) -> int:
    series = influx.query(query, "soak")["results"][0].get("series") or []
    return int(sum(s["values"][0][1] for s in series))


class Soak:
    def __init__(self, args, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.influx = InfluxDB1(folder / "influx")
        self.broker = Mosquitto(folder / "mqtt")
        self.http_port = free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.samples: list[tuple] = []
        self.recoveries: list[tuple[str, float]] = []

    def health(self) -> dict:
        return get_json(f"{self.base}/healthz")

    def depth(self) -> int:
        return int(self.health()["components"]["collection"]["spool_depth"])

    def run(self) -> int:
        a = self.args
        for d in ("influx", "mqtt"):
            (self.folder / d).mkdir()
        self.influx.start()
        self.broker.start()
        modbus_port = free_port()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        sim = subprocess.Popen([sys.executable, "-m", "collector.modbus.simulator", "--port",
                                str(modbus_port), "--units", f"1-{a.devices}"], env=env,
                               stdout=subprocess.DEVNULL)
        config = site_yaml(self.folder, self.broker, self.influx, modbus_port, self.http_port,
                           a.devices)
        log = (self.folder / "run.log").open("wb")
        service = subprocess.Popen([sys.executable, "-m", "civicwatt", "run", "--config",
                                    str(config)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            return self._soak(service)
        finally:
            if service.poll() is None:
                service.send_signal(signal.SIGTERM)
                service.wait(120)
            sim.terminate()
            sim.wait(10)
            self.broker.stop()
            self.influx.stop()
            log.close()

    def _soak(self, service: subprocess.Popen) -> int:
        a = self.args
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.health()["components"]["collection"].get("broker_connected"):
                    break
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.5)
        seconds = a.minutes * 60
        ctx = mp.get_context("fork")
        results = ctx.Queue()
        t0_ms = (int(time.time()) - 3600) * 1000
        publishers = [ctx.Process(target=publisher, args=(
            self.broker.host, self.broker.port, i, 2, a.points, a.rate, seconds, t0_ms,
            results)) for i in range(2)]
        started = time.monotonic()
        for proc in publishers:
            proc.start()
        plan = a.outages
        outages = threading.Thread(target=self._outages, args=(plan, started, seconds),
                                   daemon=True)
        outages.start()
        minute = 0
        while time.monotonic() - started < seconds:
            if time.monotonic() - started >= minute * 60:
                self._sample(service.pid, minute)
                minute += 1
            time.sleep(1)
        outages.join(1800)
        sent = acked = 0
        for _ in publishers:
            s, k, covered, took = results.get(timeout=1200)
            sent, acked = sent + s, acked + k
            print(f"  publisher: {s:,} readings for {covered:.0f} s of data in {took:.0f} s "
                  f"({s / took:,.0f}/s), {k:,} PUBACKed", flush=True)
        for proc in publishers:
            proc.join(30)
        self._sample(service.pid, minute)
        mqtt_stored = self._wait_stored(acked)
        caught_up = time.monotonic() - started
        drained = self._wait_depth_zero(900)
        dead = get_json(f"{self.base}/healthz")["components"]["collection"]["dead_letters"]
        service.send_signal(signal.SIGTERM)
        code = service.wait(180)
        # what the poller took: its last self-monitoring rows, written as it stopped
        taken = count(self.influx, "SELECT last(readings) FROM civicwatt WHERE component = "
                      "'modbus' GROUP BY device")
        modbus_stored = count(self.influx, "SELECT count(value) FROM energy, power WHERE "
                              "point =~ /^mb/")
        print(f"  the collector caught up with the broker {caught_up / 60:.1f} min after the "
              f"start: {mqtt_stored / caught_up:,.0f} MQTT readings/s end to end", flush=True)
        return self._print(sent, acked, mqtt_stored, taken, modbus_stored, dead, drained, code)

    def _outages(self, plan: list[tuple[float, str, float]], started: float,
                 seconds: float) -> None:
        """Stop and restart the store or the broker on schedule; time each recovery."""
        for share, what, down in plan:
            time.sleep(max(0.0, started + share * seconds - time.monotonic()))
            server = self.influx if what == "store" else self.broker
            at = time.monotonic() - started
            print(f"  -- {what} stopped at {at / 60:.1f} min for {down:.0f} s", flush=True)
            server.stop()
            time.sleep(down)
            server.start()
            back = time.monotonic()
            drained = self._wait_depth_zero(1200)
            self.recoveries.append((f"{what} at {at / 60:.1f} min, down {down:.0f} s",
                                    time.monotonic() - back if drained else float("nan")))

    def _wait_stored(self, acked: int) -> int:
        """Wait while the service works off the broker's backlog: until every acknowledged
        reading is stored, or the count has not moved for 5 minutes."""
        query = "SELECT count(value) FROM energy WHERE point =~ /^p/"
        stored, moved = count(self.influx, query), time.monotonic()
        while stored < acked and time.monotonic() - moved < 300:
            time.sleep(30)  # counting millions of points costs InfluxDB: not too often
            now = count(self.influx, query)
            if now > stored:
                stored, moved = now, time.monotonic()
            print(f"  .. {stored:,} of {acked:,} stored", flush=True)
        return stored

    def _wait_depth_zero(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.depth() == 0:
                    return True
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(2)
        return False

    def _sample(self, pid: int, minute: int) -> None:
        rss, fds = process_state(pid)
        body = self.health()
        collection = body["components"]["collection"]
        self.samples.append((minute, rss, fds, collection["spool_depth"],
                             collection["store"], os.getloadavg()[0]))
        print(f"  min {minute:3d}  RSS {rss:7.1f} MB  fds {fds:4d}  spool "
              f"{collection['spool_depth']:9,d}  store {collection['store']:28s} load "
              f"{os.getloadavg()[0]:5.1f}", flush=True)

    def _print(self, sent, acked, mqtt_stored, taken, modbus_stored, dead, drained,
               code) -> int:
        a = self.args
        warm = [s for s in self.samples if s[0] >= a.minutes * warm_up_share(a.outages)]
        rss = [s[1] for s in warm]
        fds = [s[2] for s in warm]
        loads = [s[5] for s in self.samples]
        print(f"\nsoak: {a.minutes} min, {a.rate:,.0f} readings/s over MQTT ({a.points} meters) "
              f"+ {a.devices * len(FIELDS)} Modbus points every 10 s; load average "
              f"{min(loads):.1f}–{max(loads):.1f} (median {sorted(loads)[len(loads) // 2]:.1f})")
        for label, seconds in self.recoveries:
            print(f"  outage {label}: spool back to 0 {seconds:.0f} s after it came back")
        print(f"  RSS after warm-up {min(rss):.1f}–{max(rss):.1f} MB "
              f"({(max(rss) / min(rss) - 1):.1%} spread); fds {min(fds)}–{max(fds)}")
        print(f"  MQTT: published {sent:,}, PUBACKed {acked:,}, stored {mqtt_stored:,} "
              f"({'equal' if mqtt_stored == acked else 'DIFFERENT'})")
        print(f"  Modbus: taken {taken:,}, stored {modbus_stored:,} "
              f"({'equal' if modbus_stored == taken else 'DIFFERENT'}); dead letters {dead}; "
              f"spool drained at the end: {drained}; exit code {code}")
        ok = (mqtt_stored == acked == sent and modbus_stored == taken and dead == 0 and drained
              and code == 0 and max(rss) <= 1.1 * min(rss))
        print("  result:", "OK" if ok else "NOT OK")
        return 0 if ok else 1


def outage_plan(text: str) -> list[tuple[float, str, float]]:
    """`store:0.2:120,broker:0.4:20` → [(0.2, "store", 120.0), (0.4, "broker", 20.0)]: what
    to stop, at which share of the run, for how many seconds."""
    plan = []
    for item in filter(None, text.split(",")):
        what, share, seconds = item.split(":")
        if what not in ("store", "broker"):
            raise argparse.ArgumentTypeError(f"outage {item!r}: stop 'store' or 'broker'")
        plan.append((float(share), what, float(seconds)))
    return sorted(plan)


def warm_up_share(plan: list[tuple[float, str, float]]) -> float:
    """The warm-up is the first 20 % of the run, and never reaches past the first outage."""
    return min([0.2, *(share for share, _, _ in plan)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=5000, help="MQTT readings per second")
    parser.add_argument("--points", type=int, default=1000, help="MQTT meters")
    parser.add_argument("--devices", type=int, default=20, help="simulated Modbus meters")
    parser.add_argument("--outages", type=outage_plan, default=DEFAULT_OUTAGES,
                        help="what:share-of-run:seconds,... (default %(default)s)")
    parser.add_argument("--keep", type=Path, help="keep the folder (logs, spool, data)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        return Soak(args, args.keep).run()
    with tempfile.TemporaryDirectory() as folder:
        return Soak(args, Path(folder)).run()


if __name__ == "__main__":
    sys.exit(main())
