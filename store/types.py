"""The store's data types: what every job writes and reads.

A `Row` is one InfluxDB point: a `Series` (measurement + tags), a time in
epoch nanoseconds (UTC) and a mapping of fields. `Series` is immutable and
hashable and carries its escaped line-protocol key, so a collector that sees
the same point thousands of times a second escapes its tags once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

FieldValue = float | int | str | bool


def _escape_tag(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", r"\,").replace("=", r"\=").replace(" ", r"\ ")


def _escape_measurement(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", r"\,").replace(" ", r"\ ")


@dataclass(frozen=True, slots=True)
class Series:
    """A measurement and its tags; tags are sorted, empty values dropped."""

    measurement: str
    tags: tuple[tuple[str, str], ...]
    key: str = field(init=False, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        tags = tuple(sorted((k, v) for k, v in self.tags if v != ""))
        object.__setattr__(self, "tags", tags)
        parts = [_escape_measurement(self.measurement)]
        parts += [f"{_escape_tag(k)}={_escape_tag(v)}" for k, v in tags]
        object.__setattr__(self, "key", ",".join(parts))

    @classmethod
    def of(cls, measurement: str, **tags: str) -> Series:
        return cls(measurement, tuple(tags.items()))

    def tag(self, name: str, default: str = "") -> str:
        for k, v in self.tags:
            if k == name:
                return v
        return default

    @property
    def tag_dict(self) -> dict[str, str]:
        return dict(self.tags)


class Row(NamedTuple):
    """One point in the store: series, time (epoch ns, UTC) and fields."""

    series: Series
    time_ns: int
    fields: Mapping[str, FieldValue]


@dataclass(frozen=True, slots=True)
class RawReadings:
    """Raw readings of many points, columnar and sorted by (point, time).

    `point_index[i]` indexes `points`; times are epoch ns (UTC). This is the
    shape the metering engine wants: no per-reading Python objects.
    """

    points: tuple[str, ...]
    point_index: np.ndarray  # int32
    time_ns: np.ndarray  # int64
    value: np.ndarray  # float64

    def __len__(self) -> int:
        return int(self.time_ns.size)

    def of(self, point: str) -> tuple[np.ndarray, np.ndarray]:
        """Times and values of one point."""
        try:
            idx = self.points.index(point)
        except ValueError:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        mask = self.point_index == idx
        return self.time_ns[mask], self.value[mask]


class Bucket(NamedTuple):
    """One aggregate: bucket start (epoch ns), the group's tag values, the value."""

    time_ns: int
    group: tuple[str, ...]
    value: float


class Totals(NamedTuple):
    """Sums per local calendar bucket: its start (epoch ns), the group's tag values, one sum per
    field asked for (None where no row of the bucket has that field)."""

    time_ns: int
    group: tuple[str, ...]
    values: tuple[float | None, ...]


class Latest(NamedTuple):
    """The newest reading of a group in a range, and how many readings it has there."""

    group: tuple[str, ...]
    time_ns: int
    value: float | None
    count: int
