"""Benchmark: manual readings (issue 16) on the embedded SQLite store.

1. Import: a CSV of N readings (daily readings of `--points` manual water meters) through the
   whole path — parse, check every row against the store and the audit, write store + audit +
   dirty marks — rows/s, then the re-import of the same file (all unchanged).
2. Metering: `--days` of 15-min electricity for `--points` connected meters metered by the job
   alone (no state file: the baseline), and with `--points` manual water meters read daily
   next to them (audit read, `manual` flags, spreading), interleaved; medians, and the cost per
   written interval row of both (the overlay's overhead; the rows themselves dominate).

    python -m bench.readings [--points 50] [--days 31] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from civicwatt.config import load_site  # noqa: E402
from civicwatt.jobs.metering import meter_site  # noqa: E402
from civicwatt.readings.apply import apply_plan  # noqa: E402
from civicwatt.readings.audit import AuditLog  # noqa: E402
from civicwatt.readings.sheets import read_file  # noqa: E402
from civicwatt.readings.validate import plan_import  # noqa: E402
from store import Row, Series, open_store  # noqa: E402

SH = ZoneInfo("Asia/Shanghai")
FIRST = dt.date(2026, 10, 1)


def site_yaml(points: int) -> str:
    lines = ["version: 1", "site: {id: hq, name: HQ, timezone: Asia/Shanghai}",
             "buildings: [{id: b1, floor_area_m2: 1000, occupants: 10}]", "points:"]
    lines += [f"  - {{id: e{i}, building: b1, purpose: '01000', quantity: energy, unit: kWh}}"
              for i in range(points)]
    lines += [f"  - {{id: w{i}, building: b1, purpose: '02000', quantity: water, unit: m3, "
              "manual: {}}" for i in range(points)]
    lines += ["metering: {tariff: beijing-general-ic-single-part-under-1kv, "
              "emission_factor: 0.5}"]
    return "\n".join(lines) + "\n"


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=50)
    ap.add_argument("--days", type=int, default=31)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-readings-"))
    (folder / "site.yaml").write_text(site_yaml(args.points))
    site = load_site(folder / "site.yaml")
    store = open_store(None, folder)
    rows = []
    for i in range(args.points):
        series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                           point=f"e{i}")
        start = int(dt.datetime.combine(FIRST, dt.time(), SH).timestamp()) * 10**9
        rows += [Row(series, start + k * 900 * 10**9, {"value": 0.5 * k, "quality": 0})
                 for k in range(96 * (args.days + 1) + 1)]
    store.write(rows)
    csv = folder / "walk.csv"
    with csv.open("w") as f:
        f.write("point,timestamp,value,note\n")
        for i in range(args.points):
            for d in range(args.days + 1):
                f.write(f"w{i},{FIRST + dt.timedelta(days=d)}T08:00+08:00,{100 + 3 * d},\n")
    n = args.points * (args.days + 1)

    def load(source: str, user: str) -> int:
        cells, _ = read_file(csv)
        audit = AuditLog(folder / "spool.db")
        try:
            plan = plan_import(site, store, audit, cells)
            return apply_plan(site, store, audit, plan, source, user, "bench")
        finally:
            audit.close()

    first = timed(lambda: load("import", "a"))
    again = timed(lambda: load("import", "b"))
    print(f"import:    {n:,} readings in {first:.2f} s = {n / first:,.0f} rows/s "
          f"(parse, check, store + audit + dirty)")
    print(f"re-import: {n:,} readings in {again:.2f} s = {n / again:,.0f} rows/s (all unchanged)")

    end = FIRST + dt.timedelta(days=args.days)
    plain = load_site(folder / "site.yaml").model_copy(update={"points": [
        p for p in site.points if p.manual is None]})
    with_manual, baseline = [], []
    counts = {}

    def run(config, key: str) -> None:
        counts[key] = meter_site(config, store, FIRST, end).rows

    no_state = plain.model_copy(update={"service": plain.service.model_copy(
        update={"spool": "none.db"})})
    for _ in range(args.repeat):
        baseline.append(timed(lambda: run(no_state, "plain")))
        with_manual.append(timed(lambda: run(site, "manual")))
    b, m = statistics.median(baseline), statistics.median(with_manual)
    per_b, per_m = b / counts["plain"] * 1e6, m / counts["manual"] * 1e6
    print(f"metering {args.points} electricity meters × {args.days} days, no manual data: "
          f"{b:.2f} s, {counts['plain']:,} interval rows, {per_b:.1f} µs/row "
          f"(median of {args.repeat})")
    print(f"  + {args.points} manual water meters read daily: {m:.2f} s, "
          f"{counts['manual']:,} rows, {per_m:.1f} µs/row — {per_m / per_b:.2f}× the cost per "
          "written row (the overlay: audit, flags, spreading)")

if __name__ == "__main__":
    main()
