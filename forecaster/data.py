"""Input containers: an hourly history and a future (temperature) input.

Times are int64 epoch nanoseconds, UTC, on whole hours (hour starts). A pandas
index must be tz-aware; numpy datetime64 is naive and therefore refused. The
constructor puts the data on a gap-free hourly grid (missing hours become NaN)
and records data-quality findings as `Issue`s with stable codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

__all__ = ["FutureInput", "HourlyHistory", "Issue", "HOUR_NS"]

HOUR_NS = 3_600_000_000_000


@dataclass(frozen=True)
class Issue:
    """A data-quality finding: `code` is stable (tests and UIs key on it)."""

    code: str
    severity: Literal["warning", "disqualification"]
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "detail": dict(self.detail)}


def _to_ns(times: Any, what: str) -> np.ndarray:
    """Epoch ns (UTC) from int64 ns or a tz-aware pandas index/series; naive -> ValueError."""
    tz = getattr(times, "tz", None)
    if tz is None and hasattr(times, "dt"):
        tz = times.dt.tz
    if hasattr(times, "dtype") and str(times.dtype).startswith("datetime64"):
        if tz is None:
            raise ValueError(
                f"{what}: timestamps are naive (no timezone); give a tz-aware index "
                "or int64 epoch nanoseconds in UTC"
            )
        import pandas as pd

        return pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8.copy()
    arr = np.asarray(times)
    if arr.dtype.kind == "M":
        raise ValueError(f"{what}: numpy datetime64 is naive; pass epoch ns (UTC) instead")
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what}: timestamps must be int64 epoch ns or a tz-aware index")
    return arr.astype(np.int64)


def _grid(time_ns: np.ndarray, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Hourly grid from first to last time, and each input's slot on it."""
    if time_ns.size == 0:
        return time_ns, time_ns
    if np.any(time_ns % HOUR_NS):
        bad = int(time_ns[np.nonzero(time_ns % HOUR_NS)[0][0]])
        raise ValueError(f"{what}: timestamp {bad} ns is not on a whole UTC hour")
    if np.any(np.diff(time_ns) <= 0):
        raise ValueError(f"{what}: timestamps must be strictly increasing (sorted, no duplicates)")
    slots = (time_ns - time_ns[0]) // HOUR_NS
    grid = time_ns[0] + np.arange(int(slots[-1]) + 1, dtype=np.int64) * HOUR_NS
    return grid, slots


def _on_grid(values: Any, slots: np.ndarray, n: int, what: str) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    if v.shape != slots.shape:
        raise ValueError(f"{what}: {v.size} values for {slots.size} timestamps")
    out = np.full(n, np.nan)
    out[slots] = v
    return out


class HourlyHistory:
    """Hourly energy (kWh per hour, hour-start stamps) and optional outdoor temperature (°C)."""

    def __init__(
        self,
        time_ns: Any,
        kwh: Any,
        temp_c: Any | None = None,
        *,
        min_days: int = 7,
        outlier_ratio: float = 10.0,
    ) -> None:
        t = _to_ns(time_ns, "history")
        self._time, slots = _grid(t, "history")
        n = self._time.size
        self._kwh = _on_grid(kwh, slots, n, "history kwh")
        self._temp = None if temp_c is None else _on_grid(temp_c, slots, n, "history temp_c")
        self.warnings: list[Issue] = []
        self.disqualifications: list[Issue] = []
        self._check(min_days, outlier_ratio)

    @classmethod
    def from_frame(cls, df: Any, **kw: Any) -> HourlyHistory:
        """From a DataFrame with a tz-aware DatetimeIndex and `kwh` [, `temp_c`] columns."""
        if "kwh" not in df.columns:
            raise ValueError(f"history frame needs a 'kwh' column, has {list(df.columns)}")
        temp = df["temp_c"].to_numpy(float) if "temp_c" in df.columns else None
        return cls(df.index, df["kwh"].to_numpy(float), temp, **kw)

    def _check(self, min_days: int, outlier_ratio: float) -> None:
        n, kwh = self._kwh.size, self._kwh
        valid = np.isfinite(kwh)
        n_valid = int(valid.sum())
        if n_valid < min_days * 24:
            self.disqualifications.append(Issue(
                "data.too_short", "disqualification",
                {"valid_hours": n_valid, "needed_hours": min_days * 24},
            ))
        if n and n_valid < n:
            self.warnings.append(Issue(
                "data.gaps", "warning",
                {"missing_hours": n - n_valid, "fraction": round(1 - n_valid / n, 4)},
            ))
        if n_valid:
            neg = int((kwh[valid] < 0).sum())
            if neg:
                self.warnings.append(Issue("data.negative", "warning", {"hours": neg}))
            med = float(np.median(kwh[valid]))
            high = int((kwh[valid] > outlier_ratio * max(med, 1e-9)).sum())
            if high:
                self.warnings.append(Issue(
                    "data.outliers", "warning", {"hours": high, "above_kwh": outlier_ratio * med},
                ))
        if self._temp is not None:
            miss = int((~np.isfinite(self._temp) & valid).sum())
            if miss:
                self.warnings.append(Issue(
                    "data.temperature_gaps", "warning", {"missing_hours": miss},
                ))

    @property
    def time_ns(self) -> np.ndarray:
        return self._time.copy()

    @property
    def kwh(self) -> np.ndarray:
        return self._kwh.copy()

    @property
    def temp_c(self) -> np.ndarray | None:
        return None if self._temp is None else self._temp.copy()

    @property
    def has_temperature(self) -> bool:
        return self._temp is not None and bool(np.isfinite(self._temp).any())

    @property
    def end_ns(self) -> int:
        """The hour start of the last hour on the grid."""
        return int(self._time[-1]) if self._time.size else 0

    def tail(self, days: int) -> HourlyHistory:
        """The last `days` days."""
        return self.slice(max(self._time.size - days * 24, 0), self._time.size)

    def slice(self, start: int, stop: int, min_days: int = 7) -> HourlyHistory:
        """Hours [start, stop) of the grid, re-checked (a cheap view, grid already valid)."""
        out = object.__new__(HourlyHistory)
        out._time, out._kwh = self._time[start:stop], self._kwh[start:stop]
        out._temp = None if self._temp is None else self._temp[start:stop]
        out.warnings, out.disqualifications = [], []
        out._check(min_days, 10.0)
        return out

    def index_of(self, time_ns: int) -> int:
        """Grid index of the hour starting at `time_ns` (may be outside 0..len)."""
        return int((time_ns - int(self._time[0])) // HOUR_NS) if self._time.size else 0

    def __len__(self) -> int:
        return int(self._time.size)


class FutureInput:
    """Hours to forecast (UTC hour starts) and, optionally, forecast outdoor temperature (°C)."""

    def __init__(self, time_ns: Any, temp_c: Any | None = None) -> None:
        t = _to_ns(time_ns, "future")
        if t.size == 0:
            raise ValueError("future: no hours to forecast")
        if np.any(t % HOUR_NS) or np.any(np.diff(t) <= 0):
            raise ValueError("future: timestamps must be increasing whole UTC hours")
        self.time_ns = t
        self.temp_c = None if temp_c is None else np.asarray(temp_c, dtype=float)
        if self.temp_c is not None and self.temp_c.shape != t.shape:
            raise ValueError(f"future: {self.temp_c.size} temperatures for {t.size} hours")

    @classmethod
    def hours_after(cls, end_ns: int, hours: int, temp_c: Any | None = None) -> FutureInput:
        """The `hours` hours that follow the hour starting at `end_ns`."""
        t = end_ns + HOUR_NS * np.arange(1, hours + 1, dtype=np.int64)
        return cls(t, temp_c)

    @property
    def has_temperature(self) -> bool:
        return self.temp_c is not None and bool(np.all(np.isfinite(self.temp_c)))
