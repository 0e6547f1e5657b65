"""Portfolio statistics on InfluxDB 1.x: 1,000 buildings × 12 interval series × 2 years of daily
aggregates (8.76 million points) in a real influxd (own folder, free ports, as the tests start
it), then `civicwatt.statistics.compute` for a month with 同比 and 环比 and for a year, against
pulling the same rows into Python (`Store.read_rows`) and summing there, in the same run.

    python -m bench.statistics [--buildings 1000 --days 730 --repeat 3 --shards 7d,52w]
                               [--data DIR] [--baseline month|both]

Goal (issue 17): a month for all 1,000 buildings ≤ 30 s, a year ≤ 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from civicwatt.config import load_site  # noqa: E402
from civicwatt.statistics import Period, compute  # noqa: E402
from store import open_store  # noqa: E402

TZ = "Asia/Shanghai"
FIRST = dt.date(2025, 1, 1)
#: per building: a main electricity meter with 9 sub-meters, water, gas (12 series)
SERIES = ([("main", "energy", None)] + [(f"e{i}", "energy", "main") for i in range(9)]
          + [("water", "water", None), ("gas", "gas", None)])
UNITS = {"energy": "kWh", "water": "m3", "gas": "m3"}
CLASS = {"energy": "electricity", "water": "water", "gas": "gas"}


def write_site(folder: Path, buildings: int, url: str) -> Path:
    types = ["office", "education", "medical", "sports"]
    data = {
        "version": 1,
        "site": {"id": "bench", "name": "Bench bureau", "timezone": TZ},
        "buildings": [{"id": f"b{b:04d}", "floor_area_m2": 5000 + b, "occupants": 100 + b % 50,
                       "institution": f"unit{b // 10:03d}", "type": types[b % 4]}
                      for b in range(buildings)],
        "points": [{"id": f"b{b:04d}.{name}", "building": f"b{b:04d}", "quantity": q,
                    "unit": UNITS[q], **({"parent": f"b{b:04d}.{parent}"} if parent else {}),
                    "purpose": {"energy": "01000" if parent is None else "01A10",
                                "water": "02000", "gas": "03000"}[q],
                    "mqtt": {"topic": f"t/{b}/{name}"}}
                   for b in range(buildings) for name, q, parent in SERIES],
        "metering": {"tariff": "beijing-general-ic-single-part-under-1kv.yaml"},
        "store": {"url": url},
        "statistics": {"schedule": []},
    }
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def fill(http: str, databases: list[str], buildings: int, days: int) -> int:
    """Line protocol straight to `/write` of each database (the fill is not what is measured)."""
    zone = ZoneInfo(TZ)
    times = [int(dt.datetime.combine(FIRST + dt.timedelta(days=d), dt.time(), zone).timestamp())
             * 10**9 for d in range(days)]
    for db in databases:
        _post(f"{http}/query", {"q": f"CREATE DATABASE {db}" + (
            f" WITH SHARD DURATION {db[5:]}" if db != "bench7d" else "")})
    written, lines = 0, []
    for b in range(buildings):
        for name, q, _ in SERIES:
            key = (f"energy_interval,building=b{b:04d},energy={CLASS[q]},point=b{b:04d}.{name},"
                   "site=bench")
            for d, t in enumerate(times):
                amount = (100.0 + (b * 7 + d) % 13) * (0.3 if name != "main" else 1.0)
                flag = "true" if d % 29 == 0 else "false"
                lines.append(f"{key} amount={amount},kgce={amount * 0.1229},cost={amount * 0.7},"
                             f"co2_kg={amount * 0.58},estimated={flag} {t}")
        if len(lines) >= 20_000 or b == buildings - 1:
            body = ("\n".join(lines)).encode()
            for db in databases:
                _post(f"{http}/write?db={db}&precision=ns", body)
            written += len(lines)
            lines = []
    return written


def _post(url: str, data) -> None:
    """POST; while influxd sheds load (its write cache is full: 500), wait and send again."""
    body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
    for attempt in range(60):
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=600):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == 59:
                raise
            if attempt == 0:
                print(f"  influxd: {exc.code} {exc.read()[:200]!r}; retrying", flush=True)
            time.sleep(2)


def timed(repeat: int, fn) -> tuple[float, list[float], object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def raw_python(site, store, period: Period) -> dict:
    """The baseline: every daily row of the period and both compared periods into Python."""
    sums: dict[str, float] = {}
    for p in (period, period.previous(), period.last_year()):
        start = int(dt.datetime.combine(p.start, dt.time(), ZoneInfo(TZ)).timestamp()) * 10**9
        end = int(dt.datetime.combine(p.end, dt.time(), ZoneInfo(TZ)).timestamp()) * 10**9
        for row in store.read_rows("energy_interval", start, end, {"site": "bench"}):
            point = row.series.tag("point")
            sums[point] = sums.get(point, 0.0) + float(row.fields.get("kgce", 0.0))
    return sums


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--shards", default="7d,52w", help="shard group durations to compare, "
                        "one database each (InfluxDB's default is 7d)")
    parser.add_argument("--data", type=Path, help="keep influxd's files here; a second run "
                        "with the same folder and sizes skips the fill")
    parser.add_argument("--baseline", choices=("month", "both"), default="month",
                        help="periods read row by row into Python as the baseline (the year of "
                        "1,000 buildings is 13 million rows: minutes)")
    args = parser.parse_args()
    from tests.services import InfluxDB1

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = args.data or folder / "influxd"
        data.mkdir(parents=True, exist_ok=True)
        server = InfluxDB1(data)
        server.start()
        try:
            databases = [f"bench{d}" for d in args.shards.split(",")]
            filled = data / f"filled-{args.buildings}x{args.days}-{args.shards}"
            if filled.exists():
                print(f"using the fill in {data} ({filled.read_text()} daily points per database)")
            else:
                t0 = time.perf_counter()
                points = fill(server.http, databases, args.buildings, args.days)
                filled.write_text(f"{points:,}")
                print(f"{args.buildings} buildings × {len(SERIES)} series × {args.days} days = "
                      f"{points:,} daily points per database, written in "
                      f"{time.perf_counter() - t0:.0f} s (InfluxDB 1.x; shard durations "
                      f"{args.shards}, 7d being InfluxDB's default)", flush=True)
            for db in databases:
                (folder / db).mkdir()
                # a year of 12,000 series takes longer than the store's default 10 s read timeout
                url = server.url(db) + "?timeout=600"
                site = load_site(write_site(folder / db, args.buildings, url))
                store = open_store(site.store.url, site.base_dir)
                measure(site, store, db, args.repeat,
                        ("2026-10", "2026") if args.baseline == "both" else ("2026-10",))
                store.close()
        finally:
            server.stop()


def measure(site, store, db: str, repeat: int, baselines: tuple[str, ...]) -> None:
    results = {}
    for label in ("2026-10", "2026"):
        period = Period.parse(label)
        median, times, stats = timed(repeat, lambda p=period: compute(site, store, p))
        doc = stats.to_json()
        results[label] = median
        print(f"[{db}] statistics {label} with 同比 + 环比, targets, completeness: median "
              f"{median:.1f} s ({', '.join(f'{t:.1f}' for t in times)}); "
              f"{len(doc['buildings'])} buildings, total {doc['total']['kgce']:,.0f} kgce, "
              f"同比 {doc['total']['yoy_pct']['kgce']:+.2f} %", flush=True)
    for label in baselines:
        period = Period.parse(label)
        base, _, sums = timed(1, lambda p=period: raw_python(site, store, p))
        print(f"[{db}] baseline {label}: the daily rows of the period, the one before and last "
              f"year's read into Python and summed there: {base:.1f} s ({len(sums):,} series) — "
              f"{base / results[label]:.1f}× the statistics (which compute far more)", flush=True)


if __name__ == "__main__":
    main()
