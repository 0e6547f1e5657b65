"""Store write throughput: civicwatt's writers next to the raw InfluxDB limit, same run.

    python -m bench.store_write [--points 200000] [--batch 5000] [--repeat 3] [--spool-only]

`--spool-only` times the spool's hot path alone (no database): `append_lines`, `peek` and
`delete` in µs per reading, as the consumer and the writer call them, next to a bare SQLite
INSERT/SELECT/DELETE of the same blobs on a file with the same pragmas (the floor).

Starts its own influxd (Debian's 1.x) on free ports in a temporary folder.
The raw limit POSTs the same points, pre-serialised into line protocol, in
the same batch size: what the database accepts when the client costs
nothing. Goal: the InfluxDB writer reaches ≥ 70 % of it. Two writers are
measured: `store.write(rows)`, which the jobs use and which serialises in
Python as it goes, and the collectors' spool writer, which drains line
protocol that was serialised when the reading was spooled.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import urllib3

from collector.spool import Spool
from collector.writer import Writer
from store import Row, Series, open_store
from store.lineprotocol import encode
from tests.services import InfluxDB1

T0 = 1_780_000_000_000_000_000


def make_rows(n: int, n_points: int = 1000) -> list[Row]:
    series = [Series.of("energy", site="hq", building=f"b{i % 4}", zone=f"楼层 {i % 12}",
                        purpose="01A10", point=f"hq.m{i:04d}") for i in range(n_points)]
    return [Row(series[i % n_points], T0 + (i // n_points) * 1_000_000_000,
                {"value": 1000.0 + i * 0.001, "quality": 0}) for i in range(n)]


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spool-only", action="store_true")
    args = parser.parse_args()
    rows = make_rows(args.points)
    with tempfile.TemporaryDirectory() as folder:
        spool_hot_path(rows, args, Path(folder))
        sqlite_sync_cost(rows, args, Path(folder))
    if args.spool_only:
        return
    with tempfile.TemporaryDirectory() as folder:
        server = InfluxDB1(Path(folder))
        server.start()
        try:
            results = run(rows, args, server, Path(folder))
        finally:
            server.stop()
    raw = statistics.median(results["raw line protocol POST"])
    print(f"\n{args.points:,} points, batches of {args.batch:,}, median of {args.repeat} runs")
    for name, seconds in results.items():
        rate = args.points / statistics.median(seconds)
        share = f"{raw / statistics.median(seconds):6.0%} of raw" if "influx" in name else ""
        print(f"  {name:26s} {rate:12,.0f} points/s  {share}")


def run(rows: list[Row], args, server: InfluxDB1, folder: Path) -> dict[str, list[float]]:
    pool = urllib3.PoolManager()
    bodies = [encode(rows[i:i + args.batch]) for i in range(0, len(rows), args.batch)]
    results: dict[str, list[float]] = {"raw line protocol POST": [], "influxdb1 store.write": [],
                                       "influxdb1 spool writer": [], "sqlite store.write": []}
    for attempt in range(args.repeat):
        db = f"raw{attempt}"
        pool.request("POST", f"{server.http}/query", fields={"q": f"CREATE DATABASE {db}"})

        def post_raw(db: str = db) -> None:
            for body in bodies:
                response = pool.request("POST", f"{server.http}/write?db={db}&precision=ns",
                                        body=body)
                assert response.status == 204, response.data

        results["raw line protocol POST"].append(timed(post_raw))
        influx = open_store(server.url(f"civ{attempt}") + f"?batch={args.batch}")
        influx.write(rows[:1])  # creates the database, outside the timing
        results["influxdb1 store.write"].append(timed(lambda s=influx: s.write(rows)))
        spooled = open_store(server.url(f"spool{attempt}"))
        spooled.write(rows[:1])
        writer = Writer(Spool(folder / f"spool{attempt}.db"), spooled, batch_lines=args.batch)
        for start in range(0, len(rows), args.batch):  # as the collectors spool them
            writer.spool.append_rows(rows[start:start + args.batch])
        results["influxdb1 spool writer"].append(timed(lambda w=writer: drain(w)))
        sqlite = open_store(f"sqlite://{folder}/bench{attempt}.db")
        results["sqlite store.write"].append(timed(lambda s=sqlite: s.write(rows)))
        sqlite.close()
        influx.close()
    return results


def spool_hot_path(rows: list[Row], args, folder: Path) -> None:
    """µs per reading of append_lines / peek / delete, next to bare SQLite doing the same."""
    from store.lineprotocol import format_row

    lines = [format_row(r) for r in rows]
    chunks = [lines[i:i + args.batch] for i in range(0, len(lines), args.batch)]
    spool_times: dict[str, list[float]] = {"append_lines": [], "peek": [], "delete": [],
                                           "writer drain": [], "drain, metering on": []}
    bare_times: dict[str, list[float]] = {"append_lines": [], "peek": [], "delete": []}
    for attempt in range(args.repeat):
        spool = Spool(folder / f"hot{attempt}.db")
        spool_times["append_lines"].append(timed(lambda s=spool: [s.append_lines(c)
                                                                  for c in chunks]))
        batches: list = []
        spool_times["peek"].append(timed(lambda s=spool, b=batches: b.extend(
            s.peek(len(lines)))))
        spool_times["delete"].append(timed(lambda s=spool, b=batches: [
            s.delete(b[i:i + 10]) for i in range(0, len(b), 10)]))
        spool.close()
        spool = Spool(folder / f"drain{attempt}.db")
        for c in chunks:
            spool.append_lines(c)
        writer = Writer(spool, _NullStore(), batch_lines=args.batch)
        spool_times["writer drain"].append(timed(lambda w=writer: drain(w)))
        for c in chunks:  # again, with a metering watermark: every line's time is checked
            spool.append_lines(c)
        spool.raise_watermark(T0)  # older than every reading: none is late
        spool_times["drain, metering on"].append(timed(lambda w=writer: drain(w)))
        spool.close()
        for name, seconds in bare(folder / f"bare{attempt}.db", chunks).items():
            bare_times[name].append(seconds)
    print(f"\nspool hot path, {len(lines):,} readings in batches of {args.batch:,}, "
          f"median of {args.repeat} (µs per reading; bare SQLite = same SQL, no spool code)")
    for name, seconds in spool_times.items():
        mine = statistics.median(seconds) / len(lines) * 1e6
        if name not in bare_times:  # peek + delete + the writer's own work, store a no-op
            print(f"  {name:18s} {mine:7.3f} µs   (store that accepts without work)")
            continue
        floor = statistics.median(bare_times[name]) / len(lines) * 1e6
        print(f"  {name:18s} {mine:7.3f} µs   bare SQLite {floor:7.3f} µs   x{mine / floor:5.2f}")


def sqlite_sync_cost(rows: list[Row], args, folder: Path) -> None:
    """The embedded store's `synchronous=FULL` against NORMAL, written as the spool writer
    writes it (one `store.write` per batch, each its own commit)."""
    from store.sqlite import SQLiteStore

    sizes = (args.batch, 500)
    times: dict[tuple[str, int], list[float]] = {}
    for attempt in range(args.repeat):
        for mode in ("FULL", "NORMAL"):
            for size in sizes:
                store = SQLiteStore(folder / f"sync-{mode}-{size}-{attempt}.db")
                store._db.execute(f"PRAGMA synchronous={mode}")  # NORMAL: the old setting
                part = rows[:max(size * 40, args.batch)]
                seconds = timed(lambda s=store, p=part, n=size: [
                    s.write(p[i:i + n]) for i in range(0, len(p), n)])
                times.setdefault((mode, size), []).append(seconds / len(part))
                store.close()
    print(f"\nSQLite store.write per batch (one commit each), median of {args.repeat}")
    for size in sizes:
        full = statistics.median(times["FULL", size]) * 1e6
        normal = statistics.median(times["NORMAL", size]) * 1e6
        print(f"  batches of {size:6,}: FULL {full:7.2f} µs/reading  NORMAL {normal:7.2f} "
              f"µs/reading  FULL costs x{full / normal:4.2f}")


class _NullStore:
    """Accepts every batch instantly: what remains of a drain is the spool and the writer."""

    description = "null"

    def write_lines(self, body: bytes) -> None:
        pass


def bare(path: Path, chunks: list[list[str]]) -> dict[str, float]:
    """The same work as the spool's hot path in plain sqlite3 calls: its floor."""
    import sqlite3

    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE b (id INTEGER PRIMARY KEY, n INTEGER, lines BLOB, created_ns "
               "INTEGER)")

    def append() -> None:
        for c in chunks:
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO b (n, lines, created_ns) VALUES (?, ?, ?)",
                       (len(c), "\n".join(c).encode(), time.time_ns()))
            db.execute("COMMIT")

    found: list = []
    out = {"append_lines": timed(append),
           "peek": timed(lambda: found.extend(db.execute("SELECT id, n, lines FROM b ORDER BY "
                                                         "id")))}

    def delete() -> None:
        for i in range(0, len(found), 10):
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM b WHERE id = ?", [(r[0],) for r in found[i:i + 10]])
            db.execute("COMMIT")

    out["delete"] = timed(delete)
    db.close()
    return out


def drain(writer: Writer) -> None:
    while writer.drain_once():
        pass


if __name__ == "__main__":
    main()
