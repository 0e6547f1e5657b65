"""Rolling-origin backtest: one forecast per local midnight, using only data before it.

For each of the last `test_days` local midnights whose horizon ends inside the
data, fit on the hours before the origin and forecast `horizon` hours. Past
temperatures stand in for forecast temperatures. Metrics are fractions:
CV(RMSE) = RMSE / mean(actual); NMBE = Σ(actual − forecast) / (n · mean(actual));
MAPE over hours with actual ≠ 0. The seasonal-naive baseline is the actual at
the same local hour one week earlier; both are scored on the same hours (actual,
forecast and baseline all present).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from forecaster.api import forecast_load
from forecaster.calendar import LocalCalendar
from forecaster.data import HOUR_NS, FutureInput, HourlyHistory
from forecaster.errors import DataSufficiencyError
from forecaster.settings import ForecastSettings

__all__ = ["BacktestResult", "backtest", "metrics", "origins", "seasonal_naive"]


@dataclass(frozen=True)
class BacktestResult:
    time_ns: np.ndarray  # forecast hours (UTC hour starts), one row per (origin, hour)
    origin_ns: np.ndarray
    actual: np.ndarray
    forecast: np.ndarray
    baseline: np.ndarray
    lower80: np.ndarray
    upper80: np.ndarray
    lower95: np.ndarray
    upper95: np.ndarray
    skipped_origins: int

    def summary(self) -> dict[str, object]:
        ok = np.isfinite(self.actual) & np.isfinite(self.forecast) & np.isfinite(self.baseline)
        a = self.actual[ok]
        out: dict[str, object] = dict(metrics(a, self.forecast[ok]))
        out["n"] = int(ok.sum())
        out["baseline"] = metrics(a, self.baseline[ok])
        return out

    def coverage(self) -> dict[str, float]:
        ok = np.isfinite(self.actual) & np.isfinite(self.forecast)
        a = self.actual[ok]
        c80 = (a >= self.lower80[ok]) & (a <= self.upper80[ok])
        c95 = (a >= self.lower95[ok]) & (a <= self.upper95[ok])
        return {"80": float(c80.mean()) if a.size else float("nan"),
                "95": float(c95.mean()) if a.size else float("nan")}


def metrics(actual: np.ndarray, forecast: np.ndarray) -> dict[str, float]:
    """CV(RMSE), NMBE and MAPE as fractions (NaN when there is nothing to score)."""
    if actual.size == 0:
        return {"cv_rmse": float("nan"), "nmbe": float("nan"), "mape": float("nan")}
    mean = float(np.mean(actual))
    err = actual - forecast
    nz = actual != 0
    return {
        "cv_rmse": float(np.sqrt(np.mean(err**2)) / mean),
        "nmbe": float(np.sum(err) / (actual.size * mean)),
        "mape": float(np.mean(np.abs(err[nz] / actual[nz]))) if nz.any() else float("nan"),
    }


def seasonal_naive(history: HourlyHistory, time_ns: np.ndarray, timezone: str) -> np.ndarray:
    """Actual at the same local hour one week earlier (168 h, DST-corrected)."""
    off = LocalCalendar(timezone).utc_offset_ns
    prev = time_ns - 168 * HOUR_NS
    prev = prev + (off(time_ns) - off(prev))
    idx = (prev - int(history.time_ns[0])) // HOUR_NS
    kwh = history.kwh
    inside = (idx >= 0) & (idx < kwh.size)
    out = np.full(time_ns.size, np.nan)
    out[inside] = kwh[idx[inside]]
    return out


def origins(history: HourlyHistory, timezone: str, test_days: int, horizon: int) -> np.ndarray:
    """The last `test_days` local midnights whose `horizon` hours end inside the data."""
    t = history.time_ns
    hour, _, _ = LocalCalendar(timezone).features(t)
    mid = t[hour == 0]
    # a midnight hour starts exactly at local 00:00 when the offset is a whole hour
    mid = mid[mid + (horizon - 1) * HOUR_NS <= t[-1]]
    return mid[-test_days:]


def backtest(
    history: HourlyHistory,
    settings: ForecastSettings,
    horizon: int = 24,
    test_days: int = 28,
    progress: Callable[[int, int], None] | None = None,
    stride: int = 1,
) -> BacktestResult:
    """Rolling-origin backtest of `forecast_load` over the last `test_days` days
    (every `stride`-th of them, counted back from the last, for quick looks)."""
    s = settings.model_copy(update={"horizon_hours": max(horizon, 1)})
    orig = origins(history, s.timezone, test_days, horizon)[::-1][::max(stride, 1)][::-1]
    kwh, temp = history.kwh, history.temp_c
    cols: dict[str, list[np.ndarray]] = {k: [] for k in (
        "time", "origin", "actual", "forecast", "l80", "u80", "l95", "u95")}
    skipped = 0
    for i, o in enumerate(orig):
        k = history.index_of(int(o))
        past = history.slice(max(0, k - s.history_days * 24), k, s.min_history_days)
        idx = np.arange(k, k + horizon)
        t = int(o) + HOUR_NS * np.arange(horizon, dtype=np.int64)
        nan = np.full(horizon, np.nan)
        try:
            fc = forecast_load(past, FutureInput(t, None if temp is None else temp[idx]), s)
            parts = (fc.value, fc.lower80, fc.upper80, fc.lower95, fc.upper95)
        except DataSufficiencyError:
            skipped += 1
            parts = (nan,) * 5
        for key, arr in zip(("forecast", "l80", "u80", "l95", "u95"), parts, strict=True):
            cols[key].append(arr)
        cols["time"].append(t)
        cols["origin"].append(np.full(horizon, int(o), dtype=np.int64))
        cols["actual"].append(kwh[idx])
        if progress:
            progress(i + 1, len(orig))
    cat = {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in cols.items()}
    t_all = cat["time"].astype(np.int64)
    return BacktestResult(
        t_all, cat["origin"].astype(np.int64), cat["actual"], cat["forecast"],
        seasonal_naive(history, t_all, s.timezone), cat["l80"], cat["u80"], cat["l95"],
        cat["u95"], skipped,
    )
