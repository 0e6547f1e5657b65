"""End-to-end MQTT ingest: `civicwatt collect` next to its peers and its limits, in one run.

    python -m bench.ingest --peers DIR [--repeat 3] [--readings 200000] [--only KEYS]

Starts its own Mosquitto (max_queued_messages 0, max_inflight_messages 0) and
InfluxDB 1.x on free ports; every contender runs against the same two, in
alternating rounds (each round runs every contender once), and the same load:
QoS 1 PUBLISH packets pre-encoded on raw sockets in two processes
(bench/mqttload.py), 200 points, each reading a distinct (point, time). The
clock runs from the first PUBLISH to the moment `SELECT count(value)` returns
every reading; a run then checks the count is exactly the number published
(InfluxDB collapses a point written twice, so a reading stored twice shows
up only as a point at another time, i.e. as a count above the number sent).

Contenders (keys for --only):
  broker    limit: a paho QoS 1 subscriber that only counts
  store     limit: pre-serialised line protocol, POST /write, 5,000 lines per POST
  py        peer B: paho on_message → requests POST /write, 5,000 lines per POST (lossy:
            acks on receipt, nothing durable) — bench-peers' py_pipeline.py, unchanged
  nodered   peer A: Node-RED mqtt in → function → join 5,000 → influxdb batch (lossy)
  collect   `civicwatt collect` with default options (MQTT 5, QoS 1, durable spool)
  collect311  the same with --protocol 3.1.1
  sqlite    the same with the store on the embedded SQLite file
  share2    two `civicwatt collect` processes in a $share group (one spool each)
  array     default options, JSON arrays of 100 readings per message (vs the store limit)
Medians of --repeat rounds. The machine's 2 cores are shared: compare within one run.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
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
from bench.peers import Peers
from tests.services import InfluxDB1, Mosquitto

ROOT = Path(__file__).resolve().parents[1]
POINTS = 200
FILTER = "site/+/meter/+/energy"
TEMPLATE = "site/{building}/meter/{point}/{quantity}"
ALL = "broker,store,py,nodered,collect,collect311,sqlite,share2,array"


def influx_count(server: InfluxDB1, db: str, where: str = "") -> int:
    result = server.query(f"SELECT count(value) FROM energy{where}", db)
    series = result["results"][0].get("series")
    return series[0]["values"][0][1] if series else 0


def influx_counter(server: InfluxDB1, db: str, n: int):
    """count() for wait_count that stays cheap: counting every point costs InfluxDB real CPU
    (taken from the run it measures), so it counts only the last point published (tag
    `point`, or `meter` for the peers) until that one is complete — every writer here
    writes in the order received — and only then everything."""
    last = f"m{POINTS - 1:04d}"
    where = f" WHERE point = '{last}' OR meter = '{last}'"
    state = {"last_done": False}

    def count() -> int:
        if not state["last_done"]:
            state["last_done"] = influx_count(server, db, where) >= n // POINTS
            if not state["last_done"]:
                return 0
        return influx_count(server, db)

    return count


def sqlite_count(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        try:
            return db.execute("SELECT count(*) FROM samples JOIN series ON series.id = "
                              "samples.series_id WHERE measurement = 'energy'").fetchone()[0]
        except sqlite3.OperationalError:
            return 0


def wait_count(count, n: int, timeout: float = 300) -> tuple[float, int]:
    """(when all `n` readings were countable, the count a second later)."""
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        try:
            got = count()
        except OSError:
            got = 0
        if got >= n:
            done = time.monotonic()
            time.sleep(1.0)  # a reading stored twice (another time) would show up now
            return done, count()
        time.sleep(0.05 if got else 0.2)
    raise TimeoutError(f"{n} readings did not all arrive within {timeout:.0f} s")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[int, int]:
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return sum(values), values[3] + values[4]


class Bench:
    def __init__(self, folder: Path, broker: Mosquitto, influx: InfluxDB1, peers: Peers | None,
                 n: int) -> None:
        self.folder, self.broker, self.influx, self.peers, self.n = folder, broker, influx, peers, n
        self.cpu: dict[str, list[float]] = {}
        self.exact: dict[str, list[str]] = {}

    def _timed(self, name: str, kind: str, messages: int, readings: int, pids: list[int],
               count) -> float:
        t0 = int(time.time()) - 86400 * 3
        cpu0 = sum(cpu_seconds(pid) for pid in pids)
        started, _ = publish(self.broker.host, self.broker.port, kind, messages, POINTS, t0,
                             tag=f"pub-{name}-{time.monotonic_ns()}")
        done, final = wait_count(count, readings)
        cpu = sum(cpu_seconds(pid) for pid in pids) - cpu0
        self.cpu.setdefault(name, []).append(cpu / readings * 1e6)
        self.exact.setdefault(name, []).append(
            "exact" if final == readings else f"{final - readings:+d} extra")
        return readings / (done - started)

    def collect(self, name: str, run: str, kind: str = "object", extra: tuple = (),
                sqlite: bool = False, replicas: int = 1) -> float:
        """`civicwatt collect` with default options (plus `extra`), fresh db, spool, client id;
        `replicas` > 1: that many processes in a `$share` group, one spool each."""
        messages = self.n // 20 if kind == "array" else self.n  # arrays: as many as the store
        readings = messages * (100 if kind == "array" else 1)
        db = f"bench_{run}"
        store_file = self.folder / f"{run}-store.db"
        store = f"sqlite:///{store_file}" if sqlite else self.influx.url(db)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs, logs = [], []
        for r in range(replicas):
            log = self.folder / f"{run}-{r}.log"
            args = [sys.executable, "-m", "civicwatt", "collect", "--mqtt", self.broker.url,
                    "--topic", FILTER, "--template", TEMPLATE, "--store", store,
                    "--spool", str(self.folder / f"{run}-{r}-spool.db"),
                    "--client-id", f"{run}-{r}", *extra]
            if replicas > 1:
                args += ["--group", run]
            with log.open("wb") as out:
                procs.append(subprocess.Popen(args, cwd=ROOT, env=env, stdout=out,
                                              stderr=subprocess.STDOUT))
            logs.append(log)
        try:
            for proc, log in zip(procs, logs, strict=True):
                deadline = time.monotonic() + 60
                while "consuming from" not in log.read_text(errors="replace"):
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"collector did not start:\n"
                                           f"{log.read_text()[-2000:]}")
                    time.sleep(0.1)
            count = ((lambda: sqlite_count(store_file)) if sqlite
                     else influx_counter(self.influx, db, readings))
            return self._timed(name, kind, messages, readings, [p.pid for p in procs], count)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)

    def python_peer(self, name: str) -> float:
        with self.peers.python_batch() as pid:
            return self._timed(name, "object", self.n, self.n, [pid],
                               influx_counter(self.influx, "bench", self.n))

    def node_red(self, name: str) -> float:
        with self.peers.node_red(self.folder) as pid:
            return self._timed(name, "object", self.n, self.n, [pid],
                               influx_counter(self.influx, "bench", self.n))

    def broker_limit(self, run: str) -> float:
        """messages/s: the same raw publishers → a paho QoS 1 subscriber that only counts."""
        got = [0]
        finished = threading.Event()

        def on_message(client, userdata, msg) -> None:
            got[0] += 1
            if got[0] >= self.n:
                finished.set()

        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"count-{run}",
                             protocol=mqtt.MQTTv5)
        client.on_message = on_message
        subscribed = threading.Event()
        client.on_subscribe = lambda *a: subscribed.set()
        client.connect(self.broker.host, self.broker.port)
        client.subscribe(FILTER, qos=1)
        client.loop_start()
        subscribed.wait(10)
        try:
            started, _ = publish(self.broker.host, self.broker.port, "object", self.n, POINTS,
                                 int(time.time()) - 86400, tag=f"pubc-{run}")
            if not finished.wait(600):
                raise TimeoutError(f"counting subscriber got {got[0]} of {self.n}")
            return self.n / (time.monotonic() - started)
        finally:
            client.disconnect()
            client.loop_stop()

    def store_limit(self, run: str, batch: int = 5_000) -> float:
        """points/s: pre-serialised line protocol, POST /write in batches, one connection."""
        n = self.n * 5
        db = f"raw_{run}"
        http = urllib3.PoolManager()
        http.request("POST", f"{self.influx.http}/query", fields={"q": f"CREATE DATABASE {db}"})
        t0 = int(time.time()) - 86400
        lines = [f"energy,building=b{i % 4},point=m{i % POINTS:04d},site=bench value={i}.25 "
                 f"{(t0 + i // POINTS) * 10**9}" for i in range(n)]
        bodies = ["\n".join(lines[i:i + batch]).encode() for i in range(0, n, batch)]
        started = time.monotonic()
        for body in bodies:
            response = http.request("POST", f"{self.influx.http}/write?db={db}&precision=ns",
                                    body=body)
            assert response.status == 204, response.data
        return n / (time.monotonic() - started)


def plan(bench: Bench, r: int, n: int) -> list[tuple[str, str, object]]:
    return [
        ("broker", f"broker limit: raw publishers → paho QoS 1 counting subscriber ({n:,} msgs)",
         lambda: bench.broker_limit(f"b{r}")),
        ("store", f"store limit: pre-serialised POST /write, 5,000 lines ({n * 5:,} points)",
         lambda: bench.store_limit(f"s{r}")),
        ("py", f"peer B: paho → batched POST, lossy (bench-peers py_pipeline) ({n:,})",
         lambda: bench.python_peer("py")),
        ("nodered", f"peer A: Node-RED mqtt in → join 5,000 → influxdb batch ({n:,})",
         lambda: bench.node_red("nodered")),
        ("collect", f"civicwatt collect, default options (MQTT 5, durable spool) ({n:,})",
         lambda: bench.collect("collect", f"c{r}")),
        ("collect311", f"civicwatt collect --protocol 3.1.1 ({n:,})",
         lambda: bench.collect("collect311", f"d{r}", extra=("--protocol", "3.1.1"))),
        ("sqlite", f"civicwatt collect, store on embedded SQLite ({n:,})",
         lambda: bench.collect("sqlite", f"q{r}", sqlite=True)),
        ("share2", f"two civicwatt collect processes in a $share group ({n:,})",
         lambda: bench.collect("share2", f"g{r}", replicas=2)),
        ("array", f"civicwatt collect, JSON arrays of 100 readings ({n * 5:,})",
         lambda: bench.collect("array", f"a{r}", kind="array")),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peers", type=Path, default=os.environ.get("CIVICWATT_BENCH_PEERS"),
                        help="a writable, set-up copy of ../shared/bench-peers")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--readings", type=int, default=200_000,
                        help="readings per run (object payloads; arrays and the store limit "
                             "5x)")
    parser.add_argument("--only", default=ALL, help=f"comma-separated, from {ALL}")
    args = parser.parse_args()
    only = args.only.split(",")
    if ({"py", "nodered"} & set(only)) and args.peers is None:
        parser.error("--peers DIR (or $CIVICWATT_BENCH_PEERS) is needed for the peers")
    n = args.readings
    results: dict[str, list[float]] = {}
    keys: dict[str, str] = {}
    load0, busy0 = os.getloadavg(), machine_busy()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "mqtt").mkdir()
        (folder / "influx").mkdir()
        broker, influx = Mosquitto(folder / "mqtt"), InfluxDB1(folder / "influx")
        broker.start()
        influx.start()
        try:
            peers = Peers(args.peers.resolve(), broker, influx) if args.peers else None
            bench = Bench(folder, broker, influx, peers, n)
            for r in range(args.repeat):
                for key, name, action in plan(bench, r, n):
                    if key in only:
                        keys[key] = name
                        try:
                            rate = action()
                        except (TimeoutError, RuntimeError) as exc:  # say it, go on
                            print(f"  round {r + 1}: {name:78s} FAILED: {exc}", flush=True)
                            bench.exact.setdefault(key, []).append("failed")
                            continue
                        results.setdefault(key, []).append(rate)
                        print(f"  round {r + 1}: {name:78s} {rate:10,.0f}/s", flush=True)
        finally:
            broker.stop()
            influx.stop()
    busy1 = machine_busy()
    busy = 100 * (1 - (busy1[1] - busy0[1]) / max(1, busy1[0] - busy0[0]))
    report(results, keys, bench, args.repeat, load0, os.getloadavg(), busy)


def report(results, keys, bench: Bench, repeat: int, load0, load1, busy: float) -> None:
    median = {k: statistics.median(v) for k, v in results.items()}
    print(f"\nload average {load0[0]:.1f} at the start, {load1[0]:.1f} at the end; machine "
          f"busy {busy:.0f} % over the run (2 cores = 100 %)")
    print("\n| run | median/s | rounds | stored | CPU µs/reading | vs peer B | vs peer A |\n"
          "|---|---|---|---|---|---|---|")
    for key, rates in results.items():
        runs = " / ".join(f"{x:,.0f}" for x in rates)
        cpu = bench.cpu.get(key)
        exact = bench.exact.get(key)
        ratios = ["", ""]
        if key in ("collect", "collect311", "sqlite", "share2"):
            ratios = [f"{median[key] / median[p]:.2f}×" if p in median else ""
                      for p in ("py", "nodered")]
        cells = [keys[key], f"**{median[key]:,.0f}**", runs, ", ".join(exact or []),
                 f"{statistics.median(cpu):.1f}" if cpu else "", *ratios]
        print("| " + " | ".join(cells) + " |")
    print(f"\ngoals (medians of {repeat}): collect, collect311 and sqlite ≥ 1.5× peer B and "
          "≥ 1.4× peer A; arrays ≥ 60 % of the store limit")
    for key in ("collect", "collect311", "sqlite"):
        if key in median and "py" in median and "nodered" in median:
            a, b = median[key] / median["py"], median[key] / median["nodered"]
            ok = "✔" if a >= 1.5 and b >= 1.4 else "✘"
            print(f"  {key:10s} {a:.2f}× peer B, {b:.2f}× peer A {ok}")
    if "array" in median and "store" in median:
        share = median["array"] / median["store"]
        print(f"  array      {share:.0%} of the store limit {'✔' if share >= 0.6 else '✘'}")


if __name__ == "__main__":
    main()
