"""End-to-end MQTT ingest: readings/s from publish to "in InfluxDB", next to its limits.

    python -m bench.ingest [--repeat 3] [--readings 200000] [--only collector,shared,array]

Starts its own Mosquitto and InfluxDB 1.x on free ports. Each collector run
uses `civicwatt collect` (QoS 1, manual ack after the durable spool commit)
with a fresh database, spool and client id; the clock runs from the first
PUBLISH to the moment `SELECT count(value)` returns every reading. Load comes
from pre-encoded PUBLISH packets on raw sockets in several processes
(bench/mqttload.py), so the load generator is not the bottleneck.

Printed in the same run:
  broker limit   the same load → a paho QoS 1 subscriber that only counts
  store limit    the same readings, pre-serialised, POST /write in 10,000-line batches
  naive peer     paho on_message → one HTTP POST per message
Medians of --repeat runs. The machine's 2 cores are shared with other work:
the figures are noisy; compare within one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import urllib3

from bench.mqttload import publish
from tests.services import InfluxDB1, Mosquitto

ROOT = Path(__file__).resolve().parents[1]
POINTS = 200
FILTER = "site/+/meter/+/energy"
TEMPLATE = "site/{building}/meter/{point}/{quantity}"


def influx_count(server: InfluxDB1, db: str) -> int:
    result = server.query("SELECT count(value) FROM energy", db)
    series = result["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


def wait_count(server: InfluxDB1, db: str, n: int, timeout: float = 600) -> float:
    """When all `n` readings are in. Counting everything costs InfluxDB real CPU, so poll
    one series cheaply first (the last point published) and count all only near the end."""
    deadline = time.monotonic() + timeout
    per_point = n // POINTS
    last = f"m{POINTS - 1:04d}"
    while time.monotonic() < deadline:
        try:
            result = server.query(f"SELECT count(value) FROM energy WHERE point = '{last}'", db)
            series = result["results"][0].get("series")
            if series and series[0]["values"][0][1] >= per_point * 0.98:
                break
        except OSError:
            pass
        time.sleep(0.2)
    while time.monotonic() < deadline:
        try:
            if influx_count(server, db) >= n:
                return time.monotonic()
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"only {influx_count(server, db)} of {n} readings arrived")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CPU: dict[str, list[float]] = {}


def run_collectors(broker: Mosquitto, influx: InfluxDB1, folder: Path, run: str, kind: str,
                   messages_n: int, readings_n: int, replicas: int, name: str = "",
                   extra: tuple[str, ...] = ()) -> float:
    """readings/s end to end with `replicas` collector processes (CPU µs/reading into CPU)."""
    db = f"bench_{run}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs, logs = [], []
    for r in range(replicas):
        log = folder / f"{run}-{r}.log"
        logs.append(log)
        args = [sys.executable, "-m", "civicwatt", "collect", "--mqtt", broker.url,
                "--topic", FILTER, "--template", TEMPLATE, "--store", influx.url(db),
                "--spool", str(folder / f"{run}-{r}.db"), "--client-id", f"{run}-{r}"]
        if replicas > 1:
            args += ["--group", f"g{run}"]
        args += list(extra)
        with log.open("wb") as out:
            procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=out,
                                          stderr=subprocess.STDOUT))
    try:
        for log, proc in zip(logs, procs, strict=True):
            deadline = time.monotonic() + 30
            while "consuming from" not in log.read_text(errors="replace"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"collector did not start:\n{log.read_text()[-2000:]}")
                time.sleep(0.1)
        t0 = int(time.time()) - 86400 * 3
        cpu0 = sum(cpu_seconds(p.pid) for p in procs)
        started, _ = publish(broker.host, broker.port, kind, messages_n, POINTS, t0,
                             tag=f"pub-{run}")
        done = wait_count(influx, db, readings_n)
        cpu = sum(cpu_seconds(p.pid) for p in procs) - cpu0
        CPU.setdefault(name, []).append(cpu / readings_n * 1e6)
        return readings_n / (done - started)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(60)


def run_broker_limit(broker: Mosquitto, run: str, kind: str, n: int) -> float:
    """messages/s: the same raw publishers → a paho QoS 1 subscriber that only counts."""
    got = [0]
    finished = threading.Event()

    def on_message(client, userdata, msg) -> None:
        got[0] += 1
        if got[0] >= n:
            finished.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"count-{run}",
                         protocol=mqtt.MQTTv5)
    client.on_message = on_message
    subscribed = threading.Event()
    client.on_subscribe = lambda *a: subscribed.set()
    client.connect(broker.host, broker.port)
    client.subscribe(FILTER, qos=1)
    client.loop_start()
    subscribed.wait(10)
    try:
        started, _ = publish(broker.host, broker.port, kind, n, POINTS,
                             int(time.time()) - 86400, tag=f"pubc-{run}")
        if not finished.wait(600):
            raise TimeoutError(f"counting subscriber got {got[0]} of {n}")
        return n / (time.monotonic() - started)
    finally:
        client.disconnect()
        client.loop_stop()


def run_store_limit(influx: InfluxDB1, run: str, n: int, batch: int = 10_000) -> float:
    """points/s: pre-serialised line protocol, POST /write in batches, one connection."""
    db = f"raw_{run}"
    http = urllib3.PoolManager()
    http.request("POST", f"{influx.http}/query", fields={"q": f"CREATE DATABASE {db}"})
    t0 = int(time.time()) - 86400
    lines = [f"energy,building=b{i % 4},point=m{i % POINTS:04d},site=bench value={i}.25 "
             f"{(t0 + i // POINTS) * 10**9}" for i in range(n)]
    bodies = ["\n".join(lines[i:i + batch]).encode() for i in range(0, n, batch)]
    started = time.monotonic()
    for body in bodies:
        response = http.request("POST", f"{influx.http}/write?db={db}&precision=ns", body=body)
        assert response.status == 204, response.data
    return n / (time.monotonic() - started)


def run_naive(broker: Mosquitto, influx: InfluxDB1, run: str, n: int) -> float:
    """readings/s: paho on_message → one HTTP POST /write per message (the common script)."""
    db = f"naive_{run}"
    http = urllib3.PoolManager()
    http.request("POST", f"{influx.http}/query", fields={"q": f"CREATE DATABASE {db}"})
    url = f"{influx.http}/write?db={db}&precision=s"
    import json

    def on_message(client, userdata, msg) -> None:
        doc = json.loads(msg.payload)
        point = msg.topic.split("/")[3]
        http.request("POST", url, body=f"energy,point={point} value={doc['value']} {doc['ts']}")

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"naive-{run}",
                         protocol=mqtt.MQTTv5)
    client.on_message = on_message
    client.connect(broker.host, broker.port)
    client.subscribe(FILTER, qos=1)
    client.loop_start()
    time.sleep(0.5)
    try:
        started, _ = publish(broker.host, broker.port, "object", n, POINTS,
                             int(time.time()) - 86400, tag=f"pubn-{run}")
        wait_count(influx, db, n, 300)
        return n / (time.monotonic() - started)
    finally:
        client.disconnect()
        client.loop_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--readings", type=int, default=200_000,
                        help="readings per single-collector run (object payloads)")
    parser.add_argument("--only", default="broker,store,naive,collector,collector311,shared,"
                                          "shared311,array")
    args = parser.parse_args()
    only = set(args.only.split(","))
    n = args.readings
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "mqtt").mkdir()
        (folder / "influx").mkdir()
        broker, influx = Mosquitto(folder / "mqtt"), InfluxDB1(folder / "influx")
        broker.start()
        influx.start()
        try:
            for r in range(args.repeat):
                plan = [
                    ("broker", f"broker limit: raw publishers → paho counting subscriber "
                               f"({n:,} msgs)", lambda r=r: run_broker_limit(broker, f"b{r}",
                                                                           "object", n)),
                    ("store", f"store limit: pre-serialised POST /write ({n * 5:,} points)",
                     lambda r=r: run_store_limit(influx, f"s{r}", n * 5)),
                    ("naive", "naive peer: paho on_message → 1 POST per message (5,000)",
                     lambda r=r: run_naive(broker, influx, f"n{r}", 5_000)),
                    ("collector", f"civicwatt collect ×1, QoS 1, durable spool ({n:,})",
                     lambda r=r: run_collectors(broker, influx, folder, f"c{r}", "object", n,
                                                n, 1, "×1")),
                    ("collector311", f"  same, --protocol 3.1.1 ({n:,})",
                     lambda r=r: run_collectors(broker, influx, folder, f"d{r}", "object", n,
                                                n, 1, "×1 3.1.1", ("--protocol", "3.1.1"))),
                    ("shared", f"civicwatt collect ×2, $share group ({int(n * 1.5):,})",
                     lambda r=r: run_collectors(broker, influx, folder, f"g{r}", "object",
                                                int(n * 1.5), int(n * 1.5), 2, "×2")),
                    ("shared311", f"  same, --protocol 3.1.1 ({int(n * 1.5):,})",
                     lambda r=r: run_collectors(broker, influx, folder, f"h{r}", "object",
                                                int(n * 1.5), int(n * 1.5), 2, "×2 3.1.1",
                                                ("--protocol", "3.1.1"))),
                    ("array", f"civicwatt collect ×1, 100-reading arrays ({n * 10:,})",
                     lambda r=r: run_collectors(broker, influx, folder, f"a{r}", "array",
                                                n // 10, n * 10, 1, "arrays")),
                ]
                for key, name, action in plan:
                    if key in only:
                        rate = action()
                        results.setdefault(name, []).append(rate)
                        print(f"  run {r + 1}: {name:70s} {rate:10,.0f}/s", flush=True)
        finally:
            broker.stop()
            influx.stop()
    print(f"\nmedians of {args.repeat} run(s), readings (or messages) per second:")
    for name, rates in results.items():
        print(f"  {name:70s} {statistics.median(rates):10,.0f}/s")
    for name, values in CPU.items():
        cost = statistics.median(values)
        print(f"  collector CPU, {name:9s} {cost:6.1f} µs/reading (all replicas) → "
              f"{1e6 / cost:10,.0f} readings/s per fully used core")
    print("goals: collector ×1 ≥ 20,000/s; ×2 in a $share group ≥ 30,000/s; "
          "100-reading arrays ≥ 200,000/s")


if __name__ == "__main__":
    main()
