"""Read and write the hourly CSV the forecaster's commands use: `timestamp,kwh[,temp_c]`.

`timestamp` is an hour start in ISO 8601 with an offset or `Z`; empty cells are
missing values. Errors name the file, line and column, and say how to fix it.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CsvError", "read_hourly_csv", "write_predictions_csv"]

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


class CsvError(Exception):
    """The CSV cannot be used; the message says where and why."""


def read_hourly_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(epoch ns UTC, kwh, temp_c or None), sorted by time."""
    from civicwatt.config import ConfigError
    from civicwatt.config.yamlfile import read_text

    p = Path(path)
    try:
        text = read_text(p, "hourly CSV", max_bytes=None)
    except ConfigError as exc:
        raise CsvError(f"{p}: {exc.problems[0].allowed}") from None
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CsvError(f"{p}: not a readable CSV ({exc})") from exc
    cols = [c.strip() for c in df.columns]
    df.columns = cols
    for need in ("timestamp", "kwh"):
        if need not in cols:
            raise CsvError(f"{p}: missing column '{need}'; header must be timestamp,kwh[,temp_c]"
                           f" (found {','.join(cols)})")
    ts = df["timestamp"].str.strip()
    naive = ~ts.str.contains(_OFFSET)
    if naive.any():
        i = int(np.argmax(naive.to_numpy()))
        raise CsvError(f"{p}: line {i + 2}: timestamp {ts.iloc[i]!r} has no UTC offset; "
                       "write e.g. 2024-01-01T00:00:00Z or 2024-01-01T08:00:00+08:00")
    try:
        t = pd.to_datetime(ts, utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise CsvError(f"{p}: column timestamp: {exc}") from exc
    time_ns = pd.DatetimeIndex(t).as_unit("ns").asi8.copy()

    def num(name: str) -> np.ndarray:
        raw = df[name].str.strip()
        vals = pd.to_numeric(raw.where(raw != "", None), errors="coerce")
        bad = vals.isna() & (raw != "")
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise CsvError(f"{p}: line {i + 2}: column {name}: {raw.iloc[i]!r} is not a number"
                           " (leave the cell empty for a missing value)")
        return vals.to_numpy(dtype=float)

    kwh = num("kwh")
    temp = num("temp_c") if "temp_c" in cols else None
    order = np.argsort(time_ns, kind="stable")
    time_ns, kwh = time_ns[order], kwh[order]
    if np.any(np.diff(time_ns) == 0):
        raise CsvError(f"{p}: duplicate timestamps (each hour once)")
    if np.any(time_ns % 3_600_000_000_000):
        raise CsvError(f"{p}: timestamps must be whole hours (hour starts)")
    return time_ns, kwh, None if temp is None else temp[order]


def write_predictions_csv(path: str | Path, time_ns: np.ndarray, actual: np.ndarray,
                          forecast: np.ndarray) -> None:
    """`timestamp,actual,forecast` with ISO 8601 UTC timestamps; empty cells for NaN."""
    ts = pd.DatetimeIndex(time_ns.astype("datetime64[ns]"), tz="UTC").strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    def fmt(a: np.ndarray) -> list[str]:
        return ["" if not np.isfinite(v) else f"{v:.6g}" for v in a]

    out = pd.DataFrame({"timestamp": ts, "actual": fmt(actual), "forecast": fmt(forecast)})
    out.to_csv(path, index=False)
