"""The forecaster's acceptance table: day-ahead backtests on buildings it was not tuned on.

    python -m bench.forecast_table [--half tune|confirm|bdg1|all] [--windows select|2019]
                                   [--variant NAME ...] [--stride K] [--write forecaster/README.md]

The protocol (buildings, halves, windows) is in `bench/forecast_cases.py`. Per building the
hours of all its windows are pooled: CV(RMSE) = RMSE / mean(actual) of the 24 hourly values
forecast at each local midnight, its ratio to seasonal naive (same local hour 7 days
earlier) scored on the same hours, NMBE, and the share of actuals inside the 80 % and 95 %
intervals. Beside it, the BuildingsBench-style figure: the median over buildings of
CV(RMSE) for the model and the persistence baselines (previous day, previous week, the mean
of the last 7 same hours). Goal (issue 19): median ratio ≤ 0.68, worst ≤ 0.90, |NMBE| ≤ 5 %,
coverage 80 ± 5 % and 95 ± 3 % per building. Uses both cores; results are cached on disk.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before numpy: one BLAS thread per worker process

import argparse  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from bench.forecast_cases import DATA, halves, run_case, windows  # noqa: E402, F401

GOAL = {"median": 0.68, "worst": 0.90, "nmbe": 0.05, "c80": (0.75, 0.85), "c95": (0.92, 0.98)}
BASELINES = (("day", "previous day"), ("week", "previous week"), ("mean7", "mean of last 7"))
# name: ForecastSettings overrides on top of the shipped defaults ("chosen")
PREVIOUS = {"ar_features": 4, "detect_closures": False, "interval_scales": (1.3, 1.3)}
VARIANTS: dict[str, dict] = {
    "chosen": {},
    "previous": PREVIOUS,  # version 0.1, the model before issue 19
    "unit": {"interval_scales": (1.0, 1.0)},  # in-sample quantiles, to calibrate the scales
    "no closure detection": {"detect_closures": False},
    "persistence features of 0.1 (4 of 7)": {"ar_features": 4},
    "6 persistence features": {"ar_features": 6},
    "no temperature": {"temperature": "off"},
    "no persistence": {"persistence": "none"},
    "half-life 28 d": {"half_life_days": 28.0},
    "half-life 112 d": {"half_life_days": 112.0},
    "persistence learnt on 180 d": {"residual_days": 180},
    "persistence inputs clipped at 4 sigma": {"ar_clip_sigmas": 4.0},
}


def cases(half: str, which: str, variant: str, stride: int) -> list[tuple]:
    over = VARIANTS[variant]
    names = ("tune", "confirm") if half == "all" else (half,)
    return [(b, end, variant, over, stride) for h in names for b in halves()[h]
            for end in windows(b, which)]


def score(rows: list[dict]) -> list[dict]:
    """One row per building: pooled metrics over its windows."""
    by: dict[str, list[dict]] = {}
    for r in rows:
        by.setdefault(r["building"], []).append(r)
    out = []
    for name, parts in by.items():
        cat = {k: np.concatenate([p[k] for p in parts]) for k in parts[0] if k not in
               ("building", "window")}
        a = cat["actual"]
        ok = np.isfinite(a) & np.isfinite(cat["forecast"])
        for k, _ in BASELINES:
            ok &= np.isfinite(cat[f"base_{k}"])
        a, mean = a[ok], float(np.mean(a[ok]))

        def cv(f: np.ndarray, a: np.ndarray = a, mean: float = mean) -> float:
            return float(np.sqrt(np.mean((a - f) ** 2)) / mean)

        f = cat["forecast"][ok]
        row = {"building": name, "windows": len(parts), "n": int(ok.sum()), "cv": cv(f),
               "nmbe": float(np.sum(a - f) / (a.size * mean)),
               "c80": float(np.mean((a >= cat["lo80"][ok]) & (a <= cat["hi80"][ok]))),
               "c95": float(np.mean((a >= cat["lo95"][ok]) & (a <= cat["hi95"][ok])))}
        for k, _ in BASELINES:
            row[f"cv_{k}"] = cv(cat[f"base_{k}"][ok])
        row["ratio"] = row["cv"] / row["cv_week"]
        # the worst 56-day window of this building, to show what pooling hides
        row["worst_window"] = max(
            (float(np.sqrt(np.nanmean((p["actual"] - p["forecast"]) ** 2)) /
                   np.sqrt(np.nanmean((p["actual"] - p["base_week"]) ** 2))), p["window"])
            for p in parts)
        out.append(row)
    return sorted(out, key=lambda r: r["ratio"])


def summary(rows: list[dict]) -> dict:
    ratio = np.array([r["ratio"] for r in rows])
    nmbe = np.array([abs(r["nmbe"]) for r in rows])
    c80 = np.array([r["c80"] for r in rows])
    c95 = np.array([r["c95"] for r in rows])
    s = {"buildings": len(rows), "median": float(np.median(ratio)), "worst": float(ratio.max()),
         "nmbe": float(nmbe.max()), "c80_ok": int(np.sum((c80 >= GOAL["c80"][0]) &
                                                      (c80 <= GOAL["c80"][1]))),
         "c95_ok": int(np.sum((c95 >= GOAL["c95"][0]) & (c95 <= GOAL["c95"][1]))),
         "c80": (float(c80.min()), float(np.median(c80)), float(c80.max())),
         "c95": (float(c95.min()), float(np.median(c95)), float(c95.max())),
         "bb": float(np.median([r["cv"] for r in rows]))}
    for k, _ in BASELINES:
        s[f"bb_{k}"] = float(np.median([r[f"cv_{k}"] for r in rows]))
    s["pass"] = bool(s["median"] <= GOAL["median"] and s["worst"] <= GOAL["worst"]
                     and s["nmbe"] <= GOAL["nmbe"] and s["c80_ok"] == len(rows)
                     and s["c95_ok"] == len(rows))
    return s


def table(rows: list[dict]) -> str:
    out = ["| building | n | CV(RMSE) | prev. week | prev. day | mean of 7 | ratio | "
           "worst window | NMBE | 80% cover | 95% cover |",
           "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
    for r in rows:
        ww, wend = r["worst_window"]
        out.append(f"| {r['building']} | {r['n']} | {r['cv']:.3f} | {r['cv_week']:.3f} | "
                   f"{r['cv_day']:.3f} | {r['cv_mean7']:.3f} | {r['ratio']:.2f} | "
                   f"{ww:.2f} ({wend}) | {r['nmbe']:+.3f} | {r['c80']:.2f} | {r['c95']:.2f} |")
    return "\n".join(out)


def verdict(s: dict) -> str:
    return (f"{s['buildings']} buildings: median ratio {s['median']:.3f} (goal ≤ "
            f"{GOAL['median']}), worst {s['worst']:.2f} (≤ {GOAL['worst']}), worst |NMBE| "
            f"{s['nmbe']:.3f} (≤ {GOAL['nmbe']}); 80% cover min/median/max "
            f"{s['c80'][0]:.2f}/{s['c80'][1]:.2f}/{s['c80'][2]:.2f} ({s['c80_ok']} in 0.75–0.85),"
            f" 95% cover {s['c95'][0]:.2f}/{s['c95'][1]:.2f}/{s['c95'][2]:.2f} ({s['c95_ok']} "
            f"in 0.92–0.98). BuildingsBench-style median CV(RMSE): model {s['bb']:.3f}, "
            f"previous day {s['bb_day']:.3f}, previous week {s['bb_week']:.3f}, mean of last 7 "
            f"{s['bb_mean7']:.3f}: {'PASS' if s['pass'] else 'FAIL'}")


def run(pool: ProcessPoolExecutor, half: str, which: str, variant: str, stride: int) -> list:
    return score(list(pool.map(run_case, cases(half, which, variant, stride))))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--half", default="all", choices=("tune", "confirm", "bdg1", "all"))
    ap.add_argument("--windows", default="both", choices=("select", "2019", "both"))
    ap.add_argument("--variant", nargs="+", default=["chosen"], choices=sorted(VARIANTS))
    ap.add_argument("--stride", type=int, default=1, help="every K-th origin (quick looks)")
    ap.add_argument("--quiet", action="store_true", help="summaries only, no per-building rows")
    ap.add_argument("--write", type=Path, help="replace the table between the markers in FILE")
    a = ap.parse_args()
    halves_ = ("tune", "confirm", "bdg1") if a.half == "all" else (a.half,)
    which = ("select", "2019") if a.windows == "both" else (a.windows,)
    md, ok = [], True
    with ProcessPoolExecutor(max_workers=2) as pool:
        for variant in a.variant:
            for h in halves_:
                for w in which if h != "bdg1" else ("select",):
                    rows = run(pool, h, w, variant, a.stride)
                    s = summary(rows)
                    ok &= s["pass"] or h == "bdg1"
                    title = {"select": "selection windows 2017–2018", "2019": "2019 windows"}[w]
                    if h == "bdg1":
                        title = "2015 windows (out of protocol)"
                    md.append(f"### {variant}: {h} half, {title}\n")
                    if not a.quiet:
                        md.append(table(rows) + "\n")
                    md.append(verdict(s) + "\n")
                    print("\n".join(md[-2:]) if a.quiet else "\n".join(md[-3:]), flush=True)
    if a.write:
        doc = a.write.read_text()
        new = re.sub(r"(<!-- table:start -->\n).*?(<!-- table:end -->)",
                     lambda m: m.group(1) + "\n".join(md) + m.group(2), doc, flags=re.S)
        a.write.write_text(new)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
