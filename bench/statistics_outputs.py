"""Benchmark: the statistics files for a bureau's portfolio.

    python -m bench.statistics_outputs [--buildings 1000 --repeat 3]

The document is the statistics core's own (`compute` on the three-building portfolio of the
statistics tests, in a temporary SQLite store), its building rows copied to N buildings of the
8 types in 50 institutions. Timed, medians of `--repeat` runs:

- the XLSX statistics table (`write_xlsx`), next to a `csv.writer` of the very same cells: the
  floor any table file costs;
- the PDF report (`pdf.write`: a ranking chart per type, the trend, HTML → A4 PDF), split into
  its charts and the rest;
- the 12-month trend (`monthly_trend`: 24 monthly computations of the core) next to one
  `compute` of the month with 同比/环比 (what `--json` costs), on the three-building store.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import store  # noqa: E402
from civicwatt.reports.fonts import font_for  # noqa: E402
from civicwatt.statistics import compute  # noqa: E402
from civicwatt.statistics_outputs import pdf as pdf_module  # noqa: E402
from civicwatt.statistics_outputs.report import StatisticsReport  # noqa: E402
from civicwatt.statistics_outputs.trend import monthly_trend  # noqa: E402
from civicwatt.statistics_outputs.xlsx import LEVELS, columns, rows_of, write_xlsx  # noqa: E402
from rules.targets import BUILDING_TYPES  # noqa: E402
from tests.civicwatt.statistics.site import fill, write_site  # noqa: E402


def portfolio_doc(doc: dict, n: int) -> dict:
    """The core's document with its building rows copied to n buildings."""
    out = copy.deepcopy(doc)
    types = list(BUILDING_TYPES)
    rows = []
    for i in range(n):
        row = copy.deepcopy(doc["buildings"][i % len(doc["buildings"])])
        scale = 0.6 + (i * 37 % 100) / 100
        for key in ("kgce", "kgce_per_m2", "electricity_kwh", "co2_kg", "cost"):
            row[key] = row[key] * scale
        row |= {"id": f"b{i:04d}", "name": f"楼{i} Building {i}", "type": types[i % 8],
                "institution": f"单位{i % 50}", "rank_in_type": i // 8 + 1,
                "ranked_in_type": n // 8}
        rows.append(row)
    out["buildings"] = rows
    return out


def csv_peer(doc: dict, path: Path) -> None:
    """The same cells as CSV, one file per level (the cheapest table file)."""
    for level, zh, _ in LEVELS:
        rows = rows_of(doc, level)
        cols = columns(rows, level, "zh", "CNY")
        with (path.parent / f"{path.stem}-{zh}.csv").open("w", newline="",
                                                          encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(c.header for c in cols)
            for n, row in enumerate(rows, 1):
                out.writerow(n if c.value is None else c.value(row) for c in cols)


def median_s(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buildings", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        site = write_site(folder / "site")
        target = store.open_store(site.store.url, site.base_dir)
        fill(target)
        one = median_s(lambda: compute(site, target, "2026-10"), args.repeat)
        trend_s = median_s(lambda: monthly_trend(site, target, "2026-10"), args.repeat)
        trend = monthly_trend(site, target, "2026-10")
        doc = portfolio_doc(compute(site, target, "2026-10").to_json(), args.buildings)
        target.close()
        xlsx = median_s(lambda: write_xlsx(doc, folder / "t.xlsx", "zh"), args.repeat)
        peer = median_s(lambda: csv_peer(doc, folder / "t.csv"), args.repeat)
        report = StatisticsReport(doc, "基准测试局 Benchmark bureau", "CNY", trend)
        font = font_for("zh")
        charts_s = median_s(lambda: pdf_module.chart_images(report, "zh", font), args.repeat)
        pdf_s = median_s(lambda: pdf_module.write(report, "zh", font, folder / "t.pdf"),
                         args.repeat)
        size = (folder / "t.xlsx").stat().st_size / 1e6
    n = args.buildings
    print(f"statistics files for {n} buildings (8 types, 50 institutions), medians of "
          f"{args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  XLSX (4 sheets, {size:.1f} MB)      {xlsx:7.2f} s   csv.writer of the same cells "
          f"{peer:6.2f} s   ratio {xlsx / peer:5.1f}x")
    print(f"  PDF report (zh)                {pdf_s:7.2f} s   of which 9 charts "
          f"{charts_s:6.2f} s")
    print(f"  12-month trend (24 months)     {trend_s:7.2f} s   one compute with 同比/环比 "
          f"{one:6.2f} s   ratio {trend_s / one:5.1f}x  (3 buildings, SQLite)")


if __name__ == "__main__":
    main()
