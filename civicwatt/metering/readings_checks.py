"""Questions a readings file cannot answer, said instead of billed.

Offline metering reads a CSV someone exported: the same quarter-hour listed
twice with different counter values, or a range the file does not reach,
would otherwise come out as a confident number (an inflated bill, or zeros).
`dedupe` refuses conflicting duplicates unless told how to resolve them;
`coverage` refuses a range without readings and warns about points the range
only partly covers. Both return warnings as sentences for the `warnings` list.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from civicwatt.metering.files import InputError, PointTable
from rules.duplicates import KEEP_RULES, Keep, collapse_duplicates

_SHOWN = 3  # conflicts spelt out in an error before "and N more"


def local_time(time_ns: int, tz: str) -> str:
    return dt.datetime.fromtimestamp(time_ns / 1e9, ZoneInfo(tz)).isoformat()


def dedupe(
    pi: np.ndarray, t: np.ndarray, v: np.ndarray, points: PointTable, keep: Keep | None,
    tz: str, path: str | Path,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Readings with one value per (point, timestamp), sorted; InputError on a conflict
    when `keep` is None. Values in messages are as written in the file (before units)."""
    pi, t, v, dup = collapse_duplicates(pi, t, v, keep)
    warnings: list[str] = []
    if dup.exact:
        warnings.append(f"{path}: {dup.exact} reading(s) repeated a point and timestamp with "
                        "the same value; each was counted once")
    if not dup.conflicts:
        return pi, t, v, warnings

    def described(k: int) -> str:
        point = int(dup.conflict_point[k])
        raw = ", ".join(f"{x / points.scale[point]:g}" for x in dup.conflict_values[k])
        rows = ", ".join(str(r + 2) for r in dup.conflict_rows[k])
        return (f"point {points.ids[point]} at {local_time(int(dup.conflict_time[k]), tz)} "
                f"has values {raw} (rows {rows})")

    if keep is None:
        more = dup.conflicts - _SHOWN
        raise InputError(
            f"{path}: " + "; ".join(described(k) for k in range(min(dup.conflicts, _SHOWN)))
            + (f"; and {more} more conflicting timestamp(s)" if more > 0 else "")
            + ". A meter has one value at one time: correct the file, or choose a rule with "
            f"--on-duplicate {'|'.join(KEEP_RULES)}")
    for point in np.unique(dup.conflict_point):
        mine = np.flatnonzero(dup.conflict_point == point)
        warnings.append(f"{path}: {described(int(mine[0]))}"
                        + (f" (and {mine.size - 1} more timestamp(s))" if mine.size > 1 else "")
                        + f"; kept the {keep}" + (" value" if keep != "mean" else ""))
    return pi, t, v, warnings


def coverage(
    kwh: np.ndarray, ids: tuple[str, ...], time_ns: np.ndarray, first: dt.date, end: dt.date,
    tz: str, path: str | Path,
) -> list[str]:
    """InputError when no point has energy in the range; a warning per point that lacks some.

    `kwh` is the engine's (points × intervals) energy, NaN where no reading
    brackets the interval: missing, which must not read as 0 kWh.
    """
    measured = np.isfinite(kwh)
    if not measured.any():
        if not time_ns.size:
            raise InputError(f"{path} has no readings of energy or power points (only a "
                             "header?): nothing to meter")
        raise InputError(f"no readings cover --from {first} --to {end} ({tz}) in {path}: its "
                         f"readings run from {local_time(int(time_ns.min()), tz)} to "
                         f"{local_time(int(time_ns.max()), tz)}; choose dates inside that span")
    warnings = []
    share = measured.mean(axis=1) if kwh.shape[1] else np.zeros(len(ids))
    for point, part in zip(ids, share, strict=True):
        if part == 0:
            warnings.append(f"point {point}: no readings in the range; its energy is missing "
                            "from the totals (not zero)")
        elif part < 1:
            warnings.append(f"point {point}: readings cover {part:.0%} of the range's intervals; "
                            "the rest is missing from the totals")
    return warnings
