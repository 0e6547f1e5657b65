"""The read API under load: 50 concurrent clients asking for a building's daily energy for a
month, against the SQLite demo store and against InfluxDB 1.x, beside the same query issued
straight to the store in the same run (the API's overhead).

    python -m bench.api [--clients 50 --seconds 10 --repeat 3 --only sqlite|influxdb1]

The store holds the API test site (two buildings, a main meter with sub-meters, a water meter:
`tests/civicwatt/api/site.py`) with 62 days of 15-minute `energy_interval` rows in the schema of
docs/growth.md §2. The API runs as `civicwatt run` runs it (uvicorn in a thread, the bounded
store pool) in a process of its own; the load comes from this process over 50 keep-alive
connections (pre-encoded requests, no HTTP library in the way). The store peer is 4 threads
(the API's store pool, `api.store_concurrency`; more only queue on SQLite's lock or past
InfluxDB's HTTP pool) calling `Store.totals` with the arguments the endpoint uses. The API
runs twice: with
`api.cache_s: 0` (every request queries the store: the API's own overhead) and with the
default answer cache (`civicwatt.api.cache`: one store query per request and metering run).
Figures: requests/s and p50/p95/p99 latency per run, medians over `--repeat`, the load
average around each run. Goal: API p95 ≤ 100 ms and ≥ 70 % of the store's own throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

QUERY = "/api/v1/buildings/b1/energy?from=2026-10-01&to=2026-11-01&interval=day"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))] if ordered else float("nan")


def summary(latencies: list[float], seconds: float, errors: int) -> dict:
    return {"rps": len(latencies) / seconds, "p50": percentile(latencies, 50) * 1e3,
            "p95": percentile(latencies, 95) * 1e3, "p99": percentile(latencies, 99) * 1e3,
            "errors": errors}


def store_peer(store, site, clients: int, seconds: float) -> dict:
    """`clients` threads issuing the endpoint's store query back to back."""
    from civicwatt.api.energy import FIELDS
    from rules.clock import local_midnight_ns

    tz = site.site.timezone
    args = ("energy_interval", FIELDS, local_midnight_ns(dt.date(2026, 10, 1), tz),
            local_midnight_ns(dt.date(2026, 11, 1), tz), "day", tz,
            ("point", "energy", "purpose"), {"site": "hq", "building": "b1"})
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work() -> None:
        mine = []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            store.totals(*args)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=work) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(latencies, time.perf_counter() - started, 0)


async def _client(port: int, request: bytes, deadline: float, latencies: list, errors: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            if head[9:12] == b"200":
                latencies.append(time.perf_counter() - started)
            else:
                errors.append(head[9:12])
    finally:
        writer.close()


def api_load(port: int, key: str, clients: int, seconds: float) -> dict:
    request = (f"GET {QUERY} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n\r\n").encode()
    latencies: list[float] = []
    errors: list = []

    async def run() -> float:
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        await asyncio.gather(*(_client(port, request, deadline, latencies, errors)
                               for _ in range(clients)))
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    return summary(latencies, elapsed, len(errors))


def serve(config: str, port: str) -> None:
    """--serve: the API as civicwatt run hosts it, until stdin closes."""
    from civicwatt.api.context import Api
    from civicwatt.api.keys import KeyStore
    from civicwatt.config import load_site
    from civicwatt.service.health import Health
    from civicwatt.service.http import HttpServer
    from store import open_store

    site = load_site(config)
    store = open_store(site.store.url, site.base_dir)
    keys = KeyStore(site.base_dir / site.service.spool)
    server = HttpServer(Health(), "127.0.0.1", int(port), Api(site, store, keys)).start()
    print("ready", flush=True)
    sys.stdin.read()
    server.stop()


def measure(name: str, store_url: str, folder: Path, args) -> list[tuple]:
    from civicwatt.api.keys import KeyStore
    from store import open_store
    from tests.civicwatt.api.site import fill, write_site
    from tests.services import free_port

    servers, ports = [], []
    for cache_s in (0, 300):
        ports.append(free_port())
        limits = {"rate_limit": {"per_s": 1e5, "burst": 1_000_000}, "cache_s": cache_s}
        where = folder / f"cache{cache_s}"
        site = write_site(where, store_url or f"sqlite://{folder}/civicwatt.db", limits,
                          http=f"127.0.0.1:{ports[-1]}")
        servers.append(where / "site.yaml")
    store = open_store(site.store.url, site.base_dir)
    fill(store, dt.date(2026, 9, 1), 62)
    keys = [KeyStore(config.parent / "state.db").create("bench", ("read",), None)[1]
            for config in servers]
    processes = [subprocess.Popen([sys.executable, "-m", "bench.api", "--serve", str(config),
                                   str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True) for config, port in zip(servers, ports, strict=True)]
    runs = []
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready"
        for port, key in zip(ports, keys, strict=True):  # warm: argon2 once, imports
            api_load(port, key, 2, 1.0)
        for i in range(args.repeat):
            load = os.getloadavg()[0]
            direct = store_peer(store, site, args.store_threads, args.seconds)
            plain = api_load(ports[0], keys[0], args.clients, args.seconds)
            cached = api_load(ports[1], keys[1], args.clients, args.seconds)
            runs.append((direct, plain, cached, (load, os.getloadavg()[0])))
            print(f"  {name} run {i + 1}: store {direct['rps']:.0f}/s p95 {direct['p95']:.1f} ms"
                  f" | API {plain['rps']:.0f}/s p95 {plain['p95']:.1f} ms | API cached "
                  f"{cached['rps']:.0f}/s p95 {cached['p95']:.1f} ms | errors "
                  f"{plain['errors'] + cached['errors']} | load {load:.1f}", flush=True)
    finally:
        for process in processes:
            process.stdin.close()
            process.wait(30)
        store.close()
    return runs


def report(name: str, runs) -> None:
    def med(part: int, key: str) -> float:
        return statistics.median(r[part][key] for r in runs)

    print(f"\n{name}: medians of {len(runs)} runs, {os.cpu_count()} cores, load average "
          f"{min(r[3][0] for r in runs):.1f}–{max(r[3][1] for r in runs):.1f}")
    print("| run | req/s | p50 ms | p95 ms | p99 ms | vs store |\n|---|---|---|---|---|---|")
    labels = ("store: `Store.totals` from the API's 4 store threads",
              "API, `cache_s: 0` (a store query each)", "API, answer cache (default)")
    for part, label in enumerate(labels):
        ratio = statistics.median(r[part]["rps"] / r[0]["rps"] for r in runs)
        print(f"| {label} | {med(part, 'rps'):,.0f} | {med(part, 'p50'):.1f} | "
              f"{med(part, 'p95'):.1f} | {med(part, 'p99'):.1f} | {ratio:.0%} |")
    for part, label in ((1, "uncached"), (2, "cached")):
        ratio = statistics.median(r[part]["rps"] / r[0]["rps"] for r in runs)
        p95 = med(part, "p95")
        print(f"API {label}: {ratio:.0%} of the store's throughput (goal ≥ 70 %: "
              f"{'✔' if ratio >= 0.7 else '✘'}), p95 {p95:.1f} ms (goal ≤ 100 ms: "
              f"{'✔' if p95 <= 100 else '✘'})")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        return serve(sys.argv[2], sys.argv[3])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--store-threads", type=int, default=4, help="the store peer's threads: "
                        "the API's store pool (api.store_concurrency), the store's best")
    parser.add_argument("--only", choices=["sqlite", "influxdb1"])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-api-"))
    print(f"{args.clients} clients, {args.seconds:.0f} s per run, GET {QUERY}")
    if args.only in (None, "sqlite"):
        report("SQLite", measure("sqlite", "", folder / "sqlite", args))
    if args.only in (None, "influxdb1"):
        from tests.services import InfluxDB1

        (folder / "influxd").mkdir()
        influx = InfluxDB1(folder / "influxd")
        influx.start()
        try:
            report("InfluxDB 1.x", measure("influxdb1", influx.url("bench"),
                                           folder / "influx", args))
        finally:
            influx.stop()


if __name__ == "__main__":
    main()
