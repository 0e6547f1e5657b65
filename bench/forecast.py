"""Forecasting throughput: fit + 48-h forecast for 1,000 meters of one year of hourly history.

    python bench/forecast.py [--meters 1000] [--workers 2] [--peer-meters 20]

The meters are derived from the five real buildings in ../shared/data: meter i takes building
i mod 5, a one-year window (365 days of history + the next 48 h of temperature; the one-year
files give 362 days) starting at a random offset (4-year files), and its kWh scaled by a random
factor in [0.3, 3]. So the load shapes are real, the meters are copies. Both cores: a process
pool with one worker per core, BLAS held to one thread per process.

Printed next to it, measured in the same run: the same model fitted the obvious way
(statsmodels WLS on the explicit 172-column design, hour-of-week dummies + temperature)
on `--peer-meters` meters, on one core.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
FILES = [("ucam_b21_2016_2019", "Europe/London", "GB"),
         ("ucam_b52_2016_2019", "Europe/London", "GB"),
         ("bdg1_Office_Abigail", "America/Phoenix", "US"),
         ("bdg1_UnivClass_Abby", "America/Phoenix", "US"),
         ("bdg1_PrimClass_Jaden", "Europe/London", "GB")]
YEAR, AHEAD = 365 * 24, 48
_CACHE: dict[str, tuple] = {}


def _load(stem: str) -> tuple:
    if stem not in _CACHE:
        from civicwatt.hourly_csv import read_hourly_csv

        _CACHE[stem] = read_hourly_csv(DATA / f"{stem}.csv")
    return _CACHE[stem]


def meter(i: int) -> tuple:
    """(history arrays, future arrays, settings kwargs) for derived meter i."""
    rng = np.random.default_rng(i)
    stem, tz, cc = FILES[i % len(FILES)]
    t, kwh, temp = _load(stem)
    span = min(YEAR + AHEAD, t.size)
    start = int(rng.integers(0, t.size - span + 1))
    scale = float(rng.uniform(0.3, 3.0))
    sl = slice(start, start + span)
    tt, kk, cc_t = t[sl], kwh[sl] * scale, temp[sl]
    return (tt[:-AHEAD], kk[:-AHEAD], cc_t[:-AHEAD]), (tt[-AHEAD:], cc_t[-AHEAD:]), tz, cc


def warm_up() -> None:
    """Per worker: import the forecaster and read the files before any meter is timed."""
    import forecaster  # noqa: F401

    for stem, _, _ in FILES:
        _load(stem)


def run_one(i: int) -> tuple[float, float]:
    """(wall, CPU) seconds to build the history, fit and forecast 48 h (load + carbon) for
    meter i. CPU time does not grow when other jobs share the cores; wall time does."""
    from forecaster import ForecastSettings, FutureInput, HourlyHistory, forecast_load_and_carbon

    hist, fut, tz, cc = meter(i)
    t0, c0 = time.perf_counter(), time.process_time()
    settings = ForecastSettings(timezone=tz, country=cc)
    load, carbon = forecast_load_and_carbon(HourlyHistory(*hist), FutureInput(*fut), settings)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert np.all(np.isfinite(load.value)) and load.value.size == AHEAD
    return dt, cpu


def run_peer(i: int) -> float:
    """The obvious way: statsmodels WLS on the explicit dummy + temperature design."""
    import warnings

    import statsmodels.api as sm

    from forecaster import features as F
    from forecaster.calendar import LocalCalendar

    hist, fut, tz, cc = meter(i)
    t0 = time.perf_counter()
    t, y, temp = hist
    hour, daytype, _ = LocalCalendar(tz, cc).features(t)
    group, n = F.base_index(hour, daytype, False)
    temp = F.interpolate_short_gaps(temp)
    ok = np.isfinite(y) & np.isfinite(temp)
    x = np.hstack([F.one_hot(group, n), F.hinge_columns(np.nan_to_num(temp),
                                                        np.ones(t.size, bool), 15.0, 20.0)])
    w = 0.5 ** ((t[-1] - t) / 3.6e12 / (24 * 56))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a cooling column can be all zero in winter
        res = sm.WLS(y[ok], x[ok], weights=w[ok]).fit()
    h2, d2, _ = LocalCalendar(tz, cc).features(fut[0])
    g2, _ = F.base_index(h2, d2, False)
    x2 = np.hstack([F.one_hot(g2, n), F.hinge_columns(fut[1], np.ones(AHEAD, bool), 15.0, 20.0)])
    res.get_prediction(x2).summary_frame(alpha=0.2)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--meters", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--peer-meters", type=int, default=20)
    a = ap.parse_args()
    from rich.progress import Progress

    t0 = time.perf_counter()
    per: list[float] = []
    cpu: list[float] = []
    pool = ProcessPoolExecutor(max_workers=a.workers, initializer=warm_up)
    with pool, Progress(transient=True) as bar:
        task = bar.add_task("meters", total=a.meters)
        for dt, c in pool.map(run_one, range(a.meters), chunksize=10):
            per.append(dt)
            cpu.append(c)
            bar.advance(task)
    total = time.perf_counter() - t0
    warm_up()
    peer = [run_peer(i) for i in range(a.peer_meters)]
    med, peer_med = float(np.median(per)), float(np.median(peer)) if peer else float("nan")
    print(f"civicwatt forecaster: {a.meters} meters x (fit on ~1 year hourly + 48 h load & "
          f"carbon forecast) with {a.workers} processes")
    print(f"  median per meter {med:.3f} s (goal <= 0.5), p95 {np.percentile(per, 95):.3f} s")
    print(f"  total wall time  {total:.1f} s (goal <= 300), {a.meters / total:.1f} meters/s; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  CPU per meter    median {np.median(cpu):.3f} s; 1,000 meters on {a.workers} free "
          f"cores ~ {np.mean(cpu) * 1000 / a.workers:.0f} s")
    print(f"  peer, same run: statsmodels WLS on the explicit 172-column design, one core, "
          f"{len(peer)} meters: median {peer_med:.3f} s per meter "
          f"({peer_med / med:.1f}x ours)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
