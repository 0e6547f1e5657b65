"""Readings that repeat a (point, timestamp): drop exact copies, refuse or resolve conflicts.

An export that lists one quarter-hour twice with different counter values is
a question only its author can answer: taking either silently can add tens of
kWh to a bill. So a conflict is reported unless the caller names a rule —
`first` or `last` (in input order) or `mean`. Identical copies are harmless
and are dropped. Pure numpy: columnar readings in, columnar readings out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Keep = Literal["first", "last", "mean"]
KEEP_RULES: tuple[str, ...] = ("first", "last", "mean")


@dataclass(frozen=True)
class Duplicates:
    """What `collapse_duplicates` found; conflicts in (point, time) order."""

    exact: int  # readings dropped because an identical one was kept
    conflict_point: np.ndarray  # point index of each conflicting (point, time)
    conflict_time: np.ndarray  # its time
    conflict_values: tuple[tuple[float, ...], ...]  # the values given, in input order
    conflict_rows: tuple[tuple[int, ...], ...]  # their input positions (0-based)

    @property
    def conflicts(self) -> int:
        return int(self.conflict_point.size)


def collapse_duplicates(
    point_index: np.ndarray, time_ns: np.ndarray, value: np.ndarray, keep: Keep | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Duplicates]:
    """Readings sorted by (point, time) with one value per (point, time), and what was merged.

    `keep=None` leaves conflicting groups in place (the caller reports them);
    otherwise each becomes one reading by that rule.
    """
    order = np.lexsort((time_ns, point_index))  # stable: input order within a group
    pi, t, v = point_index[order], time_ns[order], value[order]
    if pi.size < 2:
        return pi, t, v, _none()
    starts = np.flatnonzero(np.concatenate(([True], (pi[1:] != pi[:-1]) | (t[1:] != t[:-1]))))
    sizes = np.diff(np.append(starts, pi.size))
    if (sizes == 1).all():
        return pi, t, v, _none()
    low, high = np.minimum.reduceat(v, starts), np.maximum.reduceat(v, starts)
    repeated = sizes > 1
    conflict = repeated & (low != high)
    groups = np.flatnonzero(conflict)
    dup = Duplicates(
        exact=int((sizes[repeated & ~conflict] - 1).sum()),
        conflict_point=pi[starts[groups]],
        conflict_time=t[starts[groups]],
        conflict_values=tuple(tuple(v[s:s + n].tolist()) for s, n in
                              zip(starts[groups], sizes[groups], strict=True)),
        conflict_rows=tuple(tuple(order[s:s + n].tolist()) for s, n in
                            zip(starts[groups], sizes[groups], strict=True)),
    )
    if keep is None and groups.size:
        # only exact copies go; conflicts stay for the caller to report
        drop = np.zeros(pi.size, bool)
        for s, n in zip(starts[repeated & ~conflict], sizes[repeated & ~conflict], strict=True):
            drop[s + 1:s + n] = True
        return pi[~drop], t[~drop], v[~drop], dup
    if keep == "first" or keep is None:
        pick = v[starts]
    elif keep == "last":
        pick = v[starts + sizes - 1]
    elif keep == "mean":
        pick = np.add.reduceat(v, starts) / sizes
    else:
        raise ValueError(f"keep={keep!r}: use one of {', '.join(KEEP_RULES)}")
    return pi[starts], t[starts], pick, dup


def _none() -> Duplicates:
    return Duplicates(0, np.empty(0, np.int64), np.empty(0, np.int64), (), ())
