"""The forecaster's acceptance table: day-ahead backtests on buildings it was not tuned on.

    python -m bench.forecast_table [--variant NAME] [--stride K] [--sets H:W,...] [--previous]
                                   [--compare STRIDE] [--calibrate H:W]
                                   [--write forecaster/README.md]

The protocol (buildings, halves, windows) is in `bench/forecast_cases.py`. Per building the
hours of all its windows are pooled: CV(RMSE) = RMSE / mean(actual) of the 24 hourly values
forecast at each local midnight, its ratio to seasonal naive (same local hour 7 days
earlier) scored on the same hours, NMBE, and the share of actuals inside the 80 % and 95 %
intervals. Beside it, the BuildingsBench-style figure: the median over buildings of
CV(RMSE) for the model and the persistence baselines (previous day, previous week, the mean
of the last 7 same hours). Goal (issue 19): median ratio ≤ 0.68, worst ≤ 0.90, |NMBE| ≤ 5 %,
coverage 80 ± 5 % and 95 ± 3 % per building, on the confirmation half and on the 2019
windows (the exit status says whether they are met). `--previous` adds the model before
issue 19 on the same cases; `--compare` what each choice is worth on the tuning half;
`--calibrate tune:select` the `interval_scales` that centre a set's coverage on 80 %/95 %.
Uses both cores; results are cached on disk (`.cache/forecast_table/`).
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
# confirmation buildings whose meter is a tuning building's scaled copy (hourly correlation
# 1.0000; b70 = 0.295 x b71, b60 = 0.515 x b118): their ratios are their originals'
COPIES = {"b70": "b71", "b60": "b118"}
BASELINES = (("day", "previous day"), ("week", "previous week"), ("mean7", "mean of last 7"))
# version 0.1, the model before issue 19 (but for the intervals' spread per hour and day
# class, which has no switch)
PREVIOUS = {"ar_features": 4, "detect_closures": False, "interval_scales": (1.3, 1.3),
            "combine_days": 0, "interval_adapt": 0.0}
# name: ForecastSettings overrides on top of the shipped defaults ("chosen")
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
    "model alone (no combination)": {"combine_days": 0},
    "combination learnt on one refit": {"combine_folds": 1},
    "combination learnt on 14 d": {"combine_days": 14},
    "combination learnt on 56 d": {"combine_days": 56},
    "combination shrunk 0.25": {"combine_shrink": 0.25},
    "combination shrunk 1": {"combine_shrink": 1.0},
    "fixed interval scales": {"interval_adapt": 0.0},
    "intervals follow recent errors all the way": {"interval_adapt": 1.0},
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
        name = r["building"] + (f" (copy of {COPIES[r['building']]})"
                                if r["building"] in COPIES else "")
        out.append(f"| {name} | {r['n']} | {r['cv']:.3f} | {r['cv_week']:.3f} | "
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


SETS = (("confirm", "2019", "confirmation half, 2019 windows"),  # the verdict first
        ("tune", "2019", "tuning half, 2019 windows"),
        ("confirm", "select", "confirmation half, selection windows"),
        ("tune", "select", "tuning half, selection windows (choices made here)"),
        ("bdg1", "select", "BDG1 2015, out of protocol"))


def summary_row(title: str, s: dict) -> str:
    return (f"| {title} | {s['buildings']} | {s['median']:.3f} | {s['worst']:.2f} | "
            f"{s['nmbe']:.3f} | {s['c80'][0]:.2f}–{s['c80'][2]:.2f} ({s['c80_ok']}) | "
            f"{s['c95'][0]:.2f}–{s['c95'][2]:.2f} ({s['c95_ok']}) | {s['bb']:.3f} | "
            f"{s['bb_day']:.3f} / {s['bb_week']:.3f} / {s['bb_mean7']:.3f} | "
            f"{'PASS' if s['pass'] else 'FAIL'} |")


SUMMARY_HEAD = ("| set | buildings | median ratio | worst ratio | worst abs NMBE | 80% cover "
                "(in 0.75–0.85) | 95% cover (in 0.92–0.98) | median CV(RMSE) | persistence: "
                "prev. day / prev. week / mean of 7 | goal |\n"
                "|---|---:|---:|---:|---:|---|---|---:|---|---|")


def protocol(pool: ProcessPoolExecutor, variant: str, stride: int,
             only: tuple[str, ...] = ()) -> tuple[list[str], bool]:
    """Summary table and per-building tables of `variant` on every set; passes on the
    confirmation half's and both halves' 2019 windows?"""
    summary_md, detail_md, ok = [SUMMARY_HEAD], [], True
    for half, which, title in SETS:
        if only and f"{half}:{which}" not in only:
            continue
        rows = run(pool, half, which, variant, stride)
        s = summary(rows)
        summary_md.append(summary_row(title, s))
        if half == "confirm":
            independent = [r for r in rows if r["building"] not in COPIES]
            summary_md.append(summary_row(title + ", without the 2 copies of tuning "
                                          "buildings", summary(independent)))
        if half == "confirm" or which == "2019":
            ok &= s["pass"]
        detail_md += [f"#### {title}\n", table(rows) + "\n", verdict(s) + "\n"]
        print("\n".join([summary_md[-1], *detail_md[-3:]]), file=sys.stderr, flush=True)
    return ["\n".join(summary_md) + "\n", *detail_md], ok


def compare(pool: ProcessPoolExecutor, stride: int) -> str:
    """Each variant against the shipped model on the tuning half's selection windows."""
    base = {r["building"]: r for r in run(pool, "tune", "select", "chosen", stride)}
    out = ["| variant (on top of the shipped model) | median ratio | geometric mean vs shipped"
           " | worst ratio | buildings better / worse | median 80% / 95% cover |",
           "|---|---:|---:|---:|---|---|"]
    for name in [v for v in VARIANTS if v != "unit"]:
        rows = run(pool, "tune", "select", name, stride)
        rel = np.array([r["ratio"] / base[r["building"]]["ratio"] for r in rows])
        s = summary(rows)
        out.append(f"| {name} | {s['median']:.3f} | {np.exp(np.mean(np.log(rel))):.3f} | "
                   f"{s['worst']:.2f} | {int(np.sum(rel < 1))} / {int(np.sum(rel > 1))} | "
                   f"{s['c80'][1]:.2f} / {s['c95'][1]:.2f} |")
        print(out[-1], flush=True)
    return "\n".join(out) + "\n"


def _covers(cat: list[dict], level: int, stretch: float) -> np.ndarray:
    """Per building, the share of actuals inside the `level` % bounds stretched about the
    forecast by `stretch`."""
    out = []
    for c in cat:
        a, f = c["actual"], c["forecast"]
        ok = np.isfinite(a) & np.isfinite(f)
        inside = ((a >= f + stretch * (c[f"lo{level}"] - f))
                  & (a <= f + stretch * (c[f"hi{level}"] - f)))
        out.append(float(np.mean(inside[ok])))
    return np.array(out)


def _scale_for(cat: list[dict], level: int, now: float, target: float, stat) -> float:
    """The scale at which `stat` of the per-building coverage is `target` (bisection:
    coverage grows with the scale)."""
    low, high = 0.25 * now, 4.0 * now
    for _ in range(40):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if stat(_covers(cat, level, mid / now)) < target else (low, mid)
    return high


def calibrate(pool: ProcessPoolExecutor, half: str, which: str, variant: str, stride: int,
              ) -> str:
    """The `interval_scales` that centre a set's per-building coverage on 80 % and 95 %:
    the median building's, and the middle of the lowest and highest (the scale that leaves
    most room to both edges of the goal's band). Only the width of an interval depends on
    its scale (value + scale × in-sample quantile × spread), so one backtest gives the
    coverage at any scale: the bounds are stretched about the forecast by new/old (exact but
    for the clip at zero, which only moves lower bounds that no actual falls below)."""
    from forecaster.settings import ForecastSettings

    now = ForecastSettings(**VARIANTS[variant]).interval_scales
    by: dict[str, list[dict]] = {}
    for r in pool.map(run_case, cases(half, which, variant, stride)):
        by.setdefault(r["building"], []).append(r)
    cat = [{k: np.concatenate([p[k] for p in parts]) for k in
            ("actual", "forecast", "lo80", "hi80", "lo95", "hi95")} for parts in by.values()]
    out = [f"interval_scales calibrated on {half}:{which}, every {stride}. origin, "
           f"{len(cat)} buildings, variant {variant} (coverage min/median/max):"]
    stats = (("median", np.median), ("middle of the range", lambda c: (c.min() + c.max()) / 2))
    for level, k, target in ((80, now[0], 0.80), (95, now[1], 0.95)):
        for name, scale in [("now", k)] + [(n, _scale_for(cat, level, k, target, st))
                                           for n, st in stats]:
            c = _covers(cat, level, scale / k)
            out.append(f"  {level} %, {name}: scale {scale:.3f} → {c.min():.3f} / "
                       f"{np.median(c):.3f} / {c.max():.3f}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="chosen", choices=sorted(VARIANTS))
    ap.add_argument("--stride", type=int, default=1, help="every K-th origin (quick looks)")
    ap.add_argument("--previous", action="store_true",
                    help="also the summary of the model before issue 19")
    ap.add_argument("--compare", type=int, metavar="STRIDE", default=0,
                    help="also the variant table on the tuning half, every STRIDE-th origin")
    ap.add_argument("--sets", default="", help="only these sets, e.g. confirm:2019,tune:2019 "
                    "(halves confirm/tune/bdg1, windows 2019/select)")
    ap.add_argument("--calibrate", metavar="H:W", default="",
                    help="print the interval_scales centring this set's coverage, e.g. "
                    "tune:select")
    ap.add_argument("--write", type=Path, help="replace the table between the markers in FILE")
    a = ap.parse_args()
    with ProcessPoolExecutor(max_workers=2) as pool:
        if a.calibrate:
            print(calibrate(pool, *a.calibrate.split(":"), a.variant, a.stride))
            return 0
        only = tuple(x for x in a.sets.split(",") if x)
        md, ok = protocol(pool, a.variant, a.stride, only)
        if a.previous:
            prev, _ = protocol(pool, "previous", a.stride, only)
            md.insert(1, "The model before issue 19 (version 0.1), same cases:\n\n" + prev[0])
        if a.compare:
            md.append(f"#### What each choice is worth (tuning half, selection windows, every "
                      f"{a.compare}th origin)\n\n" + compare(pool, a.compare))
    text = "\n".join(md)
    print(text)
    if a.write:
        doc = a.write.read_text()
        new = re.sub(r"(<!-- table:start -->\n).*?(<!-- table:end -->)",
                     lambda m: m.group(1) + text + m.group(2), doc, flags=re.S)
        a.write.write_text(new)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
