"""Does the hour a forecast is issued at matter? Day-ahead error by origin hour, same run.

    python -m bench.forecast_origins [--building ucam_b52_2016_2019] [--days 28]
                                     [--history 365] [--lags 0 1 6]

The acceptance table backtests origins at local midnight; `civicwatt run` forecasts every
hour. For each of the last `--days` local days, forecast it from an origin `lag` hours
before its midnight (data before the origin only, past temperatures as forecast) and score
that day's 24 hours, for every lag. The daily report's day-ahead snapshot uses lag 0.
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.forecast_cases import halves
from civicwatt.hourly_csv import read_hourly_csv
from forecaster.api import forecast_load
from forecaster.backtest import metrics, origins
from forecaster.data import HOUR_NS, FutureInput, HourlyHistory
from forecaster.settings import ForecastSettings


def score(history: HourlyHistory, settings: ForecastSettings, days: int, lag: int) -> dict:
    horizon = lag + 24
    errors, actuals = [], []
    for midnight in origins(history, settings.timezone, days, 24):
        k = history.index_of(int(midnight)) - lag
        past = history.slice(max(0, k - settings.history_days * 24), k, settings.min_history_days)
        idx = np.arange(k, k + horizon)
        t = history.time_ns[k] + HOUR_NS * np.arange(horizon, dtype=np.int64)
        temp = None if history.temp_c is None else history.temp_c[idx]
        fc = forecast_load(past, FutureInput(t, temp), settings)
        errors.append(fc.value[lag:])
        actuals.append(history.kwh[idx][lag:])
    forecast, actual = np.concatenate(errors), np.concatenate(actuals)
    ok = np.isfinite(forecast) & np.isfinite(actual)
    return metrics(actual[ok], forecast[ok])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    known = {b.path.stem: b for h in halves().values() for b in h}
    parser.add_argument("--building", default="ucam_b52_2016_2019", choices=sorted(known))
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--history", type=int, default=365, help="days of history per fit")
    parser.add_argument("--lags", type=int, nargs="+", default=[0, 1, 6])
    args = parser.parse_args()
    b = known[args.building]
    stem = b.path.stem
    history = HourlyHistory(*read_hourly_csv(b.path))
    settings = ForecastSettings(timezone=b.timezone, country=b.country, subdivision=b.subdivision,
                                history_days=args.history, horizon_hours=max(args.lags) + 24)
    print(f"{stem}: the last {args.days} days, {args.history} days of history per fit")
    for lag in args.lags:
        m = score(history, settings, args.days, lag)
        print(f"  origin {lag:2d} h before midnight: CV(RMSE) {m['cv_rmse']:.3f}  "
              f"NMBE {m['nmbe']:+.3f}  MAPE {m['mape']:.3f}")


if __name__ == "__main__":
    main()
