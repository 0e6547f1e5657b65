"""The forecaster's acceptance table: day-ahead backtests on every building in the shared data.

    python -m bench.forecast_table [--data DIR] [--compare] [--write forecaster/README.md]

For each building and window (the 56 days ending on the window's last day), a rolling-origin
backtest at local midnight (24 h horizon, data before the origin only, past temperatures as
forecast) vs seasonal naive. The windows were fixed before tuning: each file's end, mid-year,
and (4-year files) the spring of the second year. `--compare` adds the model variants
compared in README.md. Uses both cores (one process per case).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TEST_DAYS = 56
# (file stem, timezone, holiday country, subdivision, window end dates as local dates)
BUILDINGS = [
    ("ucam_b21_2016_2019", "Europe/London", "GB", "ENG",
     ["2019-12-31", "2018-06-30", "2017-04-01"]),
    ("ucam_b52_2016_2019", "Europe/London", "GB", "ENG",
     ["2019-12-31", "2018-06-30", "2017-04-01"]),
    ("bdg1_Office_Abigail", "America/Phoenix", "US", "AZ", ["2015-12-31", "2015-06-30"]),
    ("bdg1_UnivClass_Abby", "America/Phoenix", "US", "AZ", ["2015-12-31", "2015-06-30"]),
    ("bdg1_PrimClass_Jaden", "Europe/London", "GB", "ENG", ["2015-11-30", "2015-06-30"]),
]
VARIANTS = {
    "chosen: tow-temp-ar": {},
    "no temperature: tow-ar": {"temperature": "off"},
    "no AR errors: tow-temp": {"persistence": "none"},
    "calendar only: tow": {"temperature": "off", "persistence": "none"},
    "AR inputs clipped at 3 sigma": {"ar_clip_sigmas": 3.0},
    "half-life 28 d": {"half_life_days": 28.0},
    "half-life 112 d": {"half_life_days": 112.0},
    "AR learnt on 365 d": {"residual_days": 365},
}


def run_case(args: tuple[str, str, str, str, str, dict]) -> dict:
    import pandas as pd

    from civicwatt.hourly_csv import read_hourly_csv
    from forecaster.backtest import backtest
    from forecaster.data import HourlyHistory
    from forecaster.settings import ForecastSettings

    stem, tz, country, subdiv, end, overrides = args
    t, kwh, temp = read_hourly_csv(DATA / f"{stem}.csv")
    end_ns = pd.Timestamp(f"{end} 23:00", tz=tz).tz_convert("UTC").value
    keep = t <= end_ns
    history = HourlyHistory(t[keep], kwh[keep], temp[keep])
    settings = ForecastSettings(timezone=tz, country=country, subdivision=subdiv, **overrides)
    result = backtest(history, settings, horizon=24, test_days=TEST_DAYS)
    s = result.summary()
    return {"building": stem, "window": end, **{k: s[k] for k in ("cv_rmse", "nmbe", "mape", "n")},
            "base": s["baseline"], "coverage": result.coverage()}


def cases(overrides: dict) -> list[tuple]:
    return [(stem, tz, cc, sd, end, overrides) for stem, tz, cc, sd, ends in BUILDINGS
            for end in ends]


def table(rows: list[dict]) -> str:
    out = ["| building | window (56 d to) | n | CV(RMSE) | naive CV(RMSE) | ratio | NMBE | "
           "naive NMBE | MAPE | naive MAPE | 80% cover | 95% cover |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = r["base"]
        out.append(
            f"| {r['building']} | {r['window']} | {r['n']} | {r['cv_rmse']:.3f} | "
            f"{b['cv_rmse']:.3f} | {r['cv_rmse'] / b['cv_rmse']:.2f} | {r['nmbe']:+.3f} | "
            f"{b['nmbe']:+.3f} | {r['mape']:.3f} | {b['mape']:.3f} | "
            f"{r['coverage']['80']:.2f} | {r['coverage']['95']:.2f} |")
    return "\n".join(out)


def verdict(rows: list[dict]) -> tuple[str, bool]:
    ratios = np.array([r["cv_rmse"] / r["base"]["cv_rmse"] for r in rows])
    nmbe = np.array([abs(r["nmbe"]) for r in rows])
    ok = bool(np.median(ratios) <= 0.8 and ratios.max() <= 1.0 and nmbe.max() <= 0.05)
    cov80 = np.median([r["coverage"]["80"] for r in rows])
    cov95 = np.median([r["coverage"]["95"] for r in rows])
    text = (f"median CV(RMSE) ratio to seasonal naive {np.median(ratios):.2f} (goal ≤ 0.80), "
            f"worst {ratios.max():.2f} (goal ≤ 1.00), worst |NMBE| {nmbe.max():.3f} (goal ≤ "
            f"0.050); median coverage 80% → {cov80:.2f}, 95% → {cov95:.2f}: "
            f"{'PASS' if ok else 'FAIL'}")
    return text, ok


def main() -> int:
    global DATA
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--compare", action="store_true", help="also run the model variants")
    ap.add_argument("--write", type=Path, help="replace the table between the markers in FILE")
    a = ap.parse_args()
    DATA = a.data
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = list(pool.map(run_case, cases({})))
        text, ok = verdict(rows)
        md = table(rows) + "\n\n" + text + "\n"
        if a.compare:
            md += ("\n| variant | median ratio | worst ratio | worst abs NMBE | cases with abs NMBE"
                   " > 5% | median 80% / 95% coverage |\n|---|---:|---:|---:|---:|---|\n")
            for name, over in VARIANTS.items():
                vr = rows if not over else list(pool.map(run_case, cases(over)))
                ratios = [r["cv_rmse"] / r["base"]["cv_rmse"] for r in vr]
                nm = [abs(r["nmbe"]) for r in vr]
                md += (f"| {name} | {np.median(ratios):.2f} | {max(ratios):.2f} | "
                       f"{max(nm):.3f} | {sum(x > 0.05 for x in nm)} | "
                       f"{np.median([r['coverage']['80'] for r in vr]):.2f} / "
                       f"{np.median([r['coverage']['95'] for r in vr]):.2f} |\n")
    print(md)
    if a.write:
        doc = a.write.read_text()
        new = re.sub(r"(<!-- table:start -->\n).*?(<!-- table:end -->)",
                     lambda m: m.group(1) + md + m.group(2), doc, flags=re.S)
        a.write.write_text(new)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
