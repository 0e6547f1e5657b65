"""Benchmark: the platform upload's hot paths — finding the hours to send, and sending them.

    python -m bench.platform_scan [--buildings 10 --meters 20 --days 35 --hours 500 --repeat 3
                                   --influx]

1. The upload job's scan (`civicwatt.platform.scan`): every `platform.every_s` it re-reads the
   last `lookback_days` of metered intervals of every uploaded building to find new and
   re-metered hours. Measured on a temporary SQLite store holding `days` of 15-min
   `energy_interval` rows for buildings × meters (a main meter and its sub-meters each), as
   the store aggregates them (`Store.aggregate`, hourly sums and counts per point); next to the
   baseline of pulling the same rows into Python (`read_rows`) and summing per point and hour.
   First scan (every hour new) and steady state (nothing changed) are both shown; `--influx`
   repeats it on InfluxDB 1.x, where the database aggregates.
2. Packets per second through the uploader to the commissioning receiver on loopback (one
   packet in flight, each ack committed to the outbox before the next), AES on and off.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civicwatt.config import load_site  # noqa: E402
from civicwatt.platform.hourly import HOUR_NS, Hour  # noqa: E402
from civicwatt.platform.outbox import Outbox  # noqa: E402
from civicwatt.platform.plan import plan_buildings  # noqa: E402
from civicwatt.platform.profiles import PROFILES  # noqa: E402
from civicwatt.platform.receiver import Receiver, ReceiverSettings  # noqa: E402
from civicwatt.platform.scan import scan  # noqa: E402
from civicwatt.platform.service import RECENT_DAYS  # noqa: E402
from civicwatt.platform.settings import PlatformSettings  # noqa: E402
from civicwatt.platform.uploader import Uploader  # noqa: E402
from store import Row, Series, open_store  # noqa: E402

KEY = "0123456789ABCDEF"
PURPOSES = ("01A10", "01A20", "01B10", "01B20", "01C10", "01C20", "01C30", "01D10")
STEP_NS = HOUR_NS // 4


def write_site(folder: Path, buildings: int, meters: int, store_url: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "site: {id: bench, name: Bench, timezone: Asia/Shanghai}",
             "metering: {tariff: beijing-general-ic-single-part-under-1kv}", "buildings:"]
    lines += [f"  - {{id: b{b}, floor_area_m2: 8000, occupants: 300}}" for b in range(buildings)]
    lines.append("points:")
    for b in range(buildings):
        lines.append(f"  - {{id: b{b}.main, building: b{b}, purpose: '01000', quantity: energy, "
                     "unit: kWh}")
        lines += [f"  - {{id: b{b}.m{m}, building: b{b}, purpose: {PURPOSES[m % 8]}, "
                  f"quantity: energy, unit: kWh, parent: b{b}.main}}" for m in range(meters - 1)]
    lines += ["platform:", "  host: 127.0.0.1", "  port: 1", f"  auth_key: {KEY}",
              "  buildings: {" + ", ".join(f"b{b}: '110101A{b:03d}'" for b in range(buildings))
              + "}", f"store: {{url: '{store_url or 'sqlite://' + str(folder / 'store.db')}'}}"]
    path = folder / "site.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def fill(site, days: int, end_ns: int) -> int:
    store = open_store(site.store.url)
    start = end_ns - days * 24 * HOUR_NS
    rows = 0
    for point in site.points:
        series = Series.of("energy_interval", site="bench", building=point.building,
                           zone=point.building, purpose=point.purpose, point=point.id,
                           period="flat")
        batch = [Row(series, t, {"kwh": 1.0 + (t // STEP_NS) % 7 * 0.25, "cost": 0.5,
                                 "co2_kg": 0.3, "kgce": 0.1, "estimated": False})
                 for t in range(start, end_ns, STEP_NS)]
        store.write(batch)
        rows += len(batch)
    store.close()
    return rows


def raw_rows_baseline(site, start: int, end: int) -> int:
    """The same hourly sums the obvious way: every row into Python, summed per point × hour."""
    store = open_store(site.store.url)
    sums: dict[tuple[str, int], float] = {}
    for b in site.buildings:
        for row in store.read_rows("energy_interval", start, end,
                                   where={"site": "bench", "building": b.id}):
            key = (row.series.tag("point"), row.time_ns - row.time_ns % HOUR_NS)
            sums[key] = sums.get(key, 0.0) + row.fields["kwh"]
    store.close()
    return len(sums)


def timed(repeat: int, fn) -> tuple[float, float, object]:
    """Median CPU seconds (this process: robust to other load) and wall seconds of `fn()`."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        result = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), result


def packets_per_second(folder: Path, hours: int, encrypt: bool) -> float:
    run = len(list(folder.glob("outbox-*.db")))
    receiver = Receiver(ReceiverSettings(KEY, folder / f"rx-{run}.jsonl")).start()
    settings = PlatformSettings(host="127.0.0.1", port=receiver.address[1], auth_key=KEY,
                                encrypt=encrypt, buildings={"b0": "110101A000"})
    outbox = Outbox(folder / f"outbox-{run}.db")
    site = load_site(folder / "site.yaml")
    plan = plan_buildings(site, site.platform, PROFILES["gb-2008"])[0]
    items = {c: "123.4567" for c in ("01000", "01A00", "01A10", "01A20", "01B00", "01B10",
                                     "01B20", "01C00", "01C10", "01C20", "01D00", "01D10")}
    t0 = 1_772_380_800 * 10**9
    outbox.offer([Hour("b0", t0 + i * HOUR_NS, items, True, ()) for i in range(hours)])
    uploader = Uploader(settings, PROFILES["gb-2008"], outbox, plan, threading.Event())
    started = time.perf_counter()
    uploader.push(t0, t0 + hours * HOUR_NS, retries=0)
    took = time.perf_counter() - started
    receiver.stop()
    outbox.close()
    assert uploader.status.results["pass"] == hours
    return hours / took


def measure_scan(site, folder: Path, days: int, repeat: int, now: int) -> None:
    started = time.perf_counter()
    rows = fill(site, days, now)
    print(f"\n{site.store.url.split('://')[0]}: {rows:,} energy_interval rows written in "
          f"{time.perf_counter() - started:.1f} s")
    plans = plan_buildings(site, site.platform, PROFILES["gb-2008"])
    store = open_store(site.store.url)
    full_start = now - days * 24 * HOUR_NS
    recent_start = now - RECENT_DAYS * 24 * HOUR_NS
    fresh = iter(range(repeat))

    def first_scan():
        return scan(store, site, plans, Outbox(folder / f"first-{next(fresh)}.db"), full_start,
                    now, now)

    cpu_first, wall_first, result = timed(repeat, first_scan)
    outbox = Outbox(folder / "first-0.db")
    cpu_full, wall_full, again = timed(
        repeat, lambda: scan(store, site, plans, outbox, full_start, now, now))
    cpu_recent, wall_recent, _ = timed(
        repeat, lambda: scan(store, site, plans, outbox, recent_start, now, now))
    cpu_base, wall_base, cells = timed(repeat, lambda: raw_rows_baseline(site, full_start, now))
    store.close()
    print(f"  scan of {days} days, first (all {result.ready:,} building-hours new): "
          f"{cpu_first:.2f} s CPU here, {wall_first:.2f} s wall")
    print(f"  scan of {days} days, steady ({again.changed} changed): {cpu_full:.2f} s CPU here, "
          f"{wall_full:.2f} s wall")
    print(f"  scan of the recent {RECENT_DAYS} days (each run of the job): {cpu_recent:.2f} s CPU "
          f"here, {wall_recent:.2f} s wall")
    print(f"  baseline, the {days} days' rows into Python summed per point × hour "
          f"({cells:,} cells): {cpu_base:.2f} s CPU here, {wall_base:.2f} s wall → the scan "
          f"takes {cpu_full / cpu_base:.2f}× its CPU and {wall_full / wall_base:.2f}× its wall")
    cpu_hour = 11 * cpu_recent + cpu_full
    wall_hour = 11 * wall_recent + wall_full
    print(f"  the job at every_s 300 (11 recent scans and one full scan an hour): "
          f"{cpu_hour:.1f} s CPU here ({cpu_hour / 36:.2f} % of a core), {wall_hour:.0f} s wall")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--buildings", type=int, default=10)
    parser.add_argument("--meters", type=int, default=20, help="per building, main included")
    parser.add_argument("--days", type=int, default=35, help="the upload job's lookback")
    parser.add_argument("--hours", type=int, default=500, help="packets to send")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--influx", action="store_true", help="also on InfluxDB 1.x (own influxd)")
    args = parser.parse_args()
    os.environ.setdefault("PLATFORM_KEY", KEY)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        now = (time.time_ns() // HOUR_NS) * HOUR_NS
        print(f"{args.buildings} buildings × {args.meters} meters × {args.days} days of 15 min")
        site = load_site(write_site(folder, args.buildings, args.meters))
        measure_scan(site, folder, args.days, args.repeat, now)
        if args.influx:
            from tests.services import InfluxDB1

            (folder / "influxd").mkdir()
            server = InfluxDB1(folder / "influxd")
            server.start()
            try:
                influx = load_site(write_site(folder / "influx", args.buildings, args.meters,
                                              server.url("bench")))
                measure_scan(influx, folder / "influx", args.days, args.repeat, now)
            finally:
                server.stop()
        plain = statistics.median(packets_per_second(folder, args.hours, False)
                                  for _ in range(args.repeat))
        aes = statistics.median(packets_per_second(folder, args.hours, True)
                                for _ in range(args.repeat))
        print(f"uploader → receiver on loopback, 12 items per packet, one in flight: "
              f"{aes:,.0f} packets/s with AES, {plain:,.0f} plain (AES costs "
              f"{(plain / aes - 1) * 100:.0f} %)")
        print(f"a 35-day outage of {args.buildings} buildings = "
              f"{35 * 24 * args.buildings:,} packets: {35 * 24 * args.buildings / aes:.0f} s "
              "here; on a real link the round trip dominates (at 50 ms: "
              f"{35 * 24 * args.buildings * 0.05 / 60:.0f} min)")


if __name__ == "__main__":
    main()
