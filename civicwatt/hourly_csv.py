"""Read and write the hourly CSVs civicwatt takes in: `timestamp,<value columns>`.

One reader for every such file — the forecaster's `timestamp,kwh[,temp_c]` and a weather
service's `timestamp,temp_c` — so they fail alike: `timestamp` is an hour start in ISO 8601
with an offset or `Z`; empty cells are missing values; errors name the file, line and
column, and say how to fix it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["CsvError", "parse_timestamps", "read_hourly_csv", "read_timestamped_csv",
           "write_predictions_csv"]

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
HOUR_NS = 3_600_000_000_000


class CsvError(Exception):
    """The CSV cannot be used; the message says where and why."""


def parse_timestamps(stamps: Sequence[str], where: str, first_line: int = 2,
                     item: str = "line") -> np.ndarray:
    """ISO 8601 texts with a UTC offset → epoch ns; the first bad one is named by position."""
    for i, s in enumerate(stamps):
        if not _OFFSET.search(s):
            raise CsvError(f"{where}: {item} {i + first_line}: timestamp {s!r} has no UTC "
                           "offset; write e.g. 2024-01-01T00:00:00Z or 2024-01-01T08:00:00+08:00")
    try:
        t = pd.to_datetime(pd.Series(list(stamps), dtype=str), utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise CsvError(f"{where}: column timestamp: {exc}") from exc
    return pd.DatetimeIndex(t).as_unit("ns").asi8.copy()


def read_timestamped_csv(path: str | Path, required: Sequence[str],
                         optional: Sequence[str] = ()) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """(epoch ns UTC, {column: float values}) sorted by time; hour starts, each once."""
    from civicwatt.config import ConfigError
    from civicwatt.config.yamlfile import read_text

    p = Path(path)
    header = ",".join(["timestamp", *required, *(f"[{c}]" for c in optional)])
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
    for need in ("timestamp", *required):
        if need not in cols:
            raise CsvError(f"{p}: missing column '{need}'; header must be {header} "
                           f"(found {','.join(cols)})")
    time_ns = parse_timestamps(df["timestamp"].str.strip().tolist(), str(p))

    def num(name: str) -> np.ndarray:
        raw = df[name].str.strip()
        vals = pd.to_numeric(raw.where(raw != "", None), errors="coerce")
        bad = vals.isna() & (raw != "")
        if bad.any():
            i = int(np.argmax(bad.to_numpy()))
            raise CsvError(f"{p}: line {i + 2}: column {name}: {raw.iloc[i]!r} is not a number"
                           " (leave the cell empty for a missing value)")
        return vals.to_numpy(dtype=float)

    values = {name: num(name) for name in (*required, *optional) if name in cols}
    order = np.argsort(time_ns, kind="stable")
    time_ns = time_ns[order]
    if np.any(np.diff(time_ns) == 0):
        raise CsvError(f"{p}: duplicate timestamps (each hour once)")
    if np.any(time_ns % HOUR_NS):
        raise CsvError(f"{p}: timestamps must be whole hours (hour starts)")
    return time_ns, {name: v[order] for name, v in values.items()}


def read_hourly_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`timestamp,kwh[,temp_c]` → (epoch ns UTC, kwh, temp_c or None), sorted by time."""
    time_ns, values = read_timestamped_csv(path, ("kwh",), ("temp_c",))
    return time_ns, values["kwh"], values.get("temp_c")


def write_predictions_csv(path: str | Path, time_ns: np.ndarray, actual: np.ndarray,
                          forecast: np.ndarray) -> None:
    """`timestamp,actual,forecast` with ISO 8601 UTC timestamps; empty cells for NaN."""
    ts = pd.DatetimeIndex(time_ns.astype("datetime64[ns]"), tz="UTC").strftime(
        "%Y-%m-%dT%H:%M:%SZ")

    def fmt(a: np.ndarray) -> list[str]:
        return ["" if not np.isfinite(v) else f"{v:.6g}" for v in a]

    out = pd.DataFrame({"timestamp": ts, "actual": fmt(actual), "forecast": fmt(forecast)})
    out.to_csv(path, index=False)
