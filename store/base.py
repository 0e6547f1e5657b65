"""The one interface every job uses to talk to a time-series database."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal, Protocol

from store.calendar import Every
from store.types import Bucket, Latest, RawReadings, Row, Totals

#: tag → the value a row must carry, or a collection of values it may carry (empty: none)
Where = Mapping[str, str | Collection[str]]

Aggregate = Literal["sum", "mean", "max", "min", "last", "count"]


class Store(Protocol):
    """Write rows; read raw readings, rows and per-interval aggregates.

    Times are epoch nanoseconds (UTC); ranges are [start_ns, end_ns).
    Writes are idempotent: the same series and time overwrite (fields merge).
    Every method raises `StoreUnavailable` when the database is down.
    """

    description: str  # the URL with secrets removed, for logs

    def write(self, rows: Sequence[Row]) -> None: ...

    def read_raw(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        points: Sequence[str] | None = None,
        field: str = "value",
    ) -> RawReadings: ...

    def read_rows(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        where: Where | None = None,
    ) -> list[Row]: ...

    def aggregate(
        self,
        measurement: str,
        field: str,
        start_ns: int,
        end_ns: int,
        every_ns: int,
        fn: Aggregate = "sum",
        group_by: Sequence[str] = (),
        where: Where | None = None,
    ) -> list[Bucket]: ...

    def totals(
        self,
        measurement: str,
        fields: Sequence[str],
        start_ns: int,
        end_ns: int,
        every: Every,
        tz: str,
        group_by: Sequence[str] = (),
        where: Where | None = None,
        only: Sequence[str] = (),
    ) -> list[Totals]:
        """Sums of `fields` per local calendar bucket of the IANA zone `tz` (15m, hour, day,
        month, year, or `all`: one bucket for the range; `store.calendar`) and group, computed
        by the database. `only` names boolean fields a row must have true to count (the
        estimated or manual share of a statistics period)."""
        ...

    def count_days(
        self,
        measurement: str,
        fields: Sequence[str],
        start_ns: int,
        end_ns: int,
        tz: str,
        group_by: Sequence[str] = (),
        where: Where | None = None,
    ) -> dict[tuple[str, ...], int]:
        """Per group: the local days of the IANA zone `tz` in [start_ns, end_ns) with a value
        of any of `fields`, counted by the database (a statistics year of 1,000 buildings is
        1,000 counts, not 365,000 day sums read back)."""
        ...

    def latest(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        group_by: Sequence[str] = ("point",),
        where: Where | None = None,
    ) -> list[Latest]:
        """Per group: the newest `value` in [start_ns, end_ns), its time, and the count."""
        ...

    def delete(
        self,
        measurement: str,
        start_ns: int,
        end_ns: int,
        where: Mapping[str, str] | None = None,
    ) -> None:
        """Remove the points of [start_ns, end_ns) whose tags match `where` (derived data that
        is recomputed, e.g. intervals re-metered after a tariff correction)."""
        ...

    def ping(self) -> None:
        """Raise StoreUnavailable (with its cause) unless the store would take a write now,
        as far as the backend can tell without writing."""
        ...

    def close(self) -> None: ...
