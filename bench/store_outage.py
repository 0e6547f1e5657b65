"""The spool writer during a 401 storm: requests per second while the store refuses.

    python -m bench.store_outage [--seconds 180] [--readings 10000] [--max-backoff 30]

Starts its own influxd with `auth-enabled = true` and a user whose password civicwatt gets
wrong (a rotation half done). The writer retries one batch with exponential backoff
(0.25 s doubling to `--max-backoff`): printed are its write requests in the window, per
second overall and over the last minute, next to the bound the backoff sets. In the same
run, the behaviour before store errors were classified (a 401 taken for a bad line:
bisect the batch, dead-letter every reading) on a copy of the same spool. Finally the
password is fixed and the time until the spool is empty is measured (at most one backoff).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from pathlib import Path

from collector.spool import Spool
from collector.writer import Writer
from store import StoreRejected, StoreUnavailable, open_store
from tests.services import InfluxDB1

T0 = 1_780_000_000_000_000_000


class _AsBefore:
    """The store as the writer saw it before classification: any 4xx was a bad line."""

    def __init__(self, store) -> None:
        self.store = store
        self.description = store.description

    def write_lines(self, body: bytes) -> None:
        try:
            self.store.write_lines(body)
        except StoreUnavailable as exc:
            if exc.cause in ("auth", "database_missing", "rate_limited", "refused"):
                raise StoreRejected(str(exc)) from exc
            raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--max-backoff", type=float, default=30.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        server = InfluxDB1(folder, auth=True)
        server.start()
        try:
            run(args, server, folder)
        finally:
            server.stop()


def run(args, server: InfluxDB1, folder: Path) -> None:
    server.create_user("civicwatt", "old-secret", "storm")
    url = f"influxdb1://civicwatt:new-secret@127.0.0.1:{server.port}/storm"
    spool = Spool(folder / "spool.db")
    lines = [f"energy,point=m{i % 500:03d},site=hq value={i}.5 {T0 + i * 10**9}"
             for i in range(args.readings)]
    for start in range(0, len(lines), 5000):
        spool.append_lines(lines[start:start + 5000])
    spool.close()
    shutil.copy(folder / "spool.db", folder / "before.db")

    before = Writer(Spool(folder / "before.db"), _AsBefore(open_store(url)))
    started = time.monotonic()
    while before.drain_once():
        pass
    took = time.monotonic() - started
    print(f"before classification: {before.stats.requests:,} requests in {took:.1f} s "
          f"({before.stats.requests / took:,.0f}/s), {before.stats.dead:,} of "
          f"{args.readings:,} readings dead-lettered, 0 written", flush=True)

    writer = Writer(Spool(folder / "spool.db"), open_store(url), max_backoff=args.max_backoff)
    thread = threading.Thread(target=writer.run, daemon=True)
    started = time.monotonic()
    thread.start()
    counts = []
    while time.monotonic() - started < args.seconds:
        time.sleep(1)
        counts.append((time.monotonic() - started, writer.stats.requests))
    total = counts[-1][1]
    last_minute = total - next(n for t, n in counts if t >= counts[-1][0] - 60)
    print(f"now: {total} requests in {args.seconds:.0f} s ({total / args.seconds:.3f}/s); "
          f"last minute {last_minute} ({last_minute / 60:.3f}/s); the backoff bounds it at "
          f"{1 / args.max_backoff:.3f}/s once at its ceiling; {writer.spool.depth:,} readings "
          f"kept in the spool, {writer.stats.dead} dead-lettered, cause "
          f"{writer.stats.outage.cause if writer.stats.outage else 'none'}")
    fixed = time.monotonic()
    server.set_password("civicwatt", "new-secret")
    while writer.spool.depth and time.monotonic() - fixed < args.max_backoff * 3:
        time.sleep(0.2)
    writer.stop()
    thread.join(30)
    stored = server.query("SELECT count(value) FROM energy", "storm")["results"][0]
    n = stored["series"][0]["values"][0][1] if stored.get("series") else 0
    print(f"password fixed: spool empty after {time.monotonic() - fixed:.1f} s, {n:,} of "
          f"{args.readings:,} readings in InfluxDB, no replay step")


if __name__ == "__main__":
    main()
