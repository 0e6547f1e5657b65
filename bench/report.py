"""Benchmark: the daily report for a site with 500 meters and one day of 15-min data.

    python -m bench.report [--meters 500] [--buildings 10] [--history-days 0] [--lang zh]

Fills a temporary SQLite store with one day of 15-min counter readings
(plus optional history), meters them with the real metering job into
`energy_interval`, adds hourly forecasts, then
times `civicwatt report` end to end as a user runs it (a fresh process:
imports, store reads, charts, HTML, PDF, CSVs) and, in-process, each stage.
Baseline in the same run: the same command for a 6-meter site, i.e. the fixed
cost (imports, PDF engine) that does not grow with meters. Goal: ≤ 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from store import Row, Series, open_store  # noqa: E402

TZ = "Asia/Shanghai"
DAY = dt.date(2026, 11, 25)
PURPOSES = ("01A10", "01A20", "01B10", "01B20", "01C10", "01C20", "01C30", "01D10")


def site_yaml(store: Path, buildings: int, meters: int) -> str:
    per = meters // buildings
    lines = ["version: 1",
             "site: {id: bench, name: 基准测试园区 Benchmark campus, timezone: Asia/Shanghai}",
             "buildings:"]
    for b in range(buildings):
        lines.append(f"  - {{id: b{b}, name: 楼{b} Building {b}, floor_area_m2: 8000, "
                     "occupants: 300, baseline: {kind: national_average, kgce_per_m2: 18.48, "
                     "kgce_per_person: 329.56, "
                     "kgco2_per_m2: 50}, zones: [" + ", ".join(
                         f"{{id: b{b}.z{z}, name: {z + 1}层}}" for z in range(5)) + "]}")
    lines.append("points:")
    for b in range(buildings):
        lines.append(f"  - {{id: b{b}.main, building: b{b}, purpose: '01000', quantity: energy, "
                     "unit: kWh}")
        for m in range(1, per):
            lines.append(f"  - {{id: b{b}.m{m:03d}, building: b{b}, zone: b{b}.z{m % 5}, "
                         f"purpose: {PURPOSES[m % len(PURPOSES)]}, quantity: energy, unit: kWh, "
                         f"parent: b{b}.main}}")
    lines.append(f"store: {{url: 'sqlite:///{store}'}}")
    lines.append("metering: {tariff: beijing-general-ic-single-part-under-1kv, "
                 "emission_factor: 0.5306}")
    return "\n".join(lines) + "\n"


def fill(config_path: Path, buildings: int, meters: int, history_days: int) -> int:
    """Counters every 15 min, metered by the real job; hourly forecasts for 48 h."""
    from civicwatt.config import load_site
    from civicwatt.jobs.metering import meter_site
    site = load_site(config_path)
    store = open_store(site.store.url)
    rng = np.random.default_rng(7)
    zone = ZoneInfo(TZ)
    per = meters // buildings
    first = DAY - dt.timedelta(days=history_days)
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
    n_slots = 96 * (history_days + 1)
    slots = [start + dt.timedelta(minutes=15 * i) for i in range(n_slots + 1)]
    slot_ns = [int(s.timestamp()) * 10**9 for s in slots]
    shape = np.array([1.0 + (3.0 if 8 <= s.hour < 18 and s.weekday() < 5 else 0.0)
                      for s in slots[:-1]])
    rows_written = 0
    for b in range(buildings):
        sub = rng.uniform(0.5, 5.0, (per - 1, 1)) * shape[None, :] / 4  # kWh per 15 min
        main = sub.sum(axis=0) * 1.05
        for m in range(per):
            point = f"b{b}.main" if m == 0 else f"b{b}.m{m:03d}"
            tags = {"site": "bench", "building": f"b{b}",
                    "zone": f"b{b}" if m == 0 else f"b{b}.z{m % 5}",
                    "purpose": "01000" if m == 0 else PURPOSES[m % len(PURPOSES)],
                    "point": point}
            kwh = main if m == 0 else sub[m - 1]
            counter = np.concatenate([[1000.0], 1000.0 + np.cumsum(kwh)])
            series = Series.of("energy", **tags)
            store.write([Row(series, t, {"value": float(v)}) for t, v in zip(slot_ns, counter,
                                                                            strict=True)])
            rows_written += len(slot_ns)
        hourly = main[-96:].reshape(24, 4).sum(axis=1)
        forecast = []
        for h in range(48):
            t = slot_ns[-97] + h * 3600 * 10**9
            v = float(hourly[h % 24]) * 1.05
            for target, value in (("load", v), ("carbon", v * 0.5306)):
                forecast.append(Row(Series.of("forecast", site="bench", building=f"b{b}",
                                              zone=f"b{b}", target=target, model="bench"), t,
                                    {"value": value, "lower": value * 0.9, "upper": value * 1.1,
                                     "lower95": value * 0.8, "upper95": value * 1.2,
                                     "issued_at": slot_ns[-97] - 86400 * 10**9}))
        store.write(forecast)
        rows_written += len(forecast)
    summary = meter_site(site, store, first, DAY + dt.timedelta(days=1))
    store.close()
    return rows_written + summary.rows


def cli(config: Path, out: Path, lang: str) -> tuple[float, float]:
    """Wall and CPU seconds of `civicwatt report` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "civicwatt", "report", "--config", str(config),
                           "--date", DAY.isoformat(), "--lang", lang, "--out", str(out)],
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"civicwatt report failed:\n{done.stderr}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stages(config_path: Path, out: Path, lang: str) -> dict[str, float]:
    from civicwatt.config import load_site
    from civicwatt.reports import render
    from civicwatt.reports.fonts import font_for
    from civicwatt.reports.job import build_report
    timings = {}
    t = time.perf_counter()
    config = load_site(config_path)
    timings["load config"] = time.perf_counter() - t
    t = time.perf_counter()
    report = build_report(config, DAY, lang)
    timings["read store + assemble"] = time.perf_counter() - t
    font = font_for(lang)
    t = time.perf_counter()
    images = render.chart_images(report, lang, font)
    timings[f"charts ({len(images)})"] = time.perf_counter() - t
    t = time.perf_counter()
    rendered = render.render_html(report, lang, font, images)
    timings["HTML"] = time.perf_counter() - t
    t = time.perf_counter()
    render.write_pdf(rendered.html, out / "bench.pdf")
    timings["PDF"] = time.perf_counter() - t
    t = time.perf_counter()
    render.write_csvs(report, lang, out, "bench")
    timings["CSV"] = time.perf_counter() - t
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=500)
    parser.add_argument("--buildings", type=int, default=10)
    parser.add_argument("--history-days", type=int, default=0)
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        small = folder / "small"
        small.mkdir()
        from civicwatt.config import load_site
        from tests.civicwatt.reports import known_week as kw
        small_config = kw.write_site(small)
        small_site = load_site(small_config)
        small_store = open_store(small_site.store.url)
        kw.fill(small_site, small_store)
        small_store.close()

        config = folder / "site.yaml"
        config.write_text(site_yaml(folder / "bench.db", args.buildings, args.meters),
                          encoding="utf-8")
        t = time.perf_counter()
        rows = fill(config, args.buildings, args.meters, args.history_days)
        print(f"filled the store: {rows:,} rows (counters, metered intervals by the real "
              f"metering job, forecasts) for {args.meters} meters in {args.buildings} buildings, "
              f"{args.history_days + 1} day(s) of 15-min data "
              f"({time.perf_counter() - t:.1f} s, not timed below)")

        big, base = [], []
        for i in range(args.repeat):
            big.append(cli(config, folder / f"out{i}", args.lang))
            base.append(cli(small_config, folder / f"small{i}", args.lang))
        for name, runs in ((f"{args.meters} meters", big), ("baseline: 6 meters", base)):
            print(f"civicwatt report --lang {args.lang}, {name:>18}: median wall "
                  f"{statistics.median(w for w, _ in runs):5.2f} s, median CPU "
                  f"{statistics.median(c for _, c in runs):5.2f} s  (runs: "
                  + ", ".join(f"{w:.2f}" for w, _ in runs) + ")")
        ratio = statistics.median(w for w, _ in big) / statistics.median(w for w, _ in base)
        print(f"{args.meters} meters / 6 meters: {ratio:.2f}x wall; goal ≤ 10 s wall: "
              + ("met" if statistics.median(w for w, _ in big) <= 10 else "NOT met"))
        print("in-process stages, 500 meters (one run, imports excluded after the first):")
        out = folder / "stages"
        out.mkdir()
        stages(config, out, args.lang)  # warm the imports
        for stage, seconds in stages(config, out, args.lang).items():
            print(f"  {stage:<24} {seconds:6.2f} s")
        print(f"load average now: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
              "(other work on the machine inflates wall time; CPU time is the steadier figure)")


if __name__ == "__main__":
    main()
