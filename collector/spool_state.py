"""The site's local state in the spool file: late-data ranges and metered days.

docs/growth.md §5. Two tables and one meta key, used by the writer, the metering job and
anything that changes old data (manual imports, fills, voids, platform re-sends):

- `dirty (id, start_ns, end_ns, reason, marked_ns)`: UTC ranges [start, end) that received
  readings after they may already have been metered. `mark_dirty` is the API; the writer
  marks "late" readings (older than the watermark) in the same commit that deletes them
  from the spool. The metering job reads the ranges, meters their local days and clears
  exactly the rows it read (a row extended meanwhile stays, and is metered again).
- `metered (day, metered_ns)`: local day (YYYY-MM-DD) → start of the last metering run that
  covered it. A day metered by a run that started after the day ended is complete.
- meta `metering.watermark_ns`: readings older than this may already be metered (the
  metering job raises it to the start of the local day before it reads the store).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from collector.locking import locked

STATE_SCHEMA = """
CREATE TABLE IF NOT EXISTS dirty (
    id INTEGER PRIMARY KEY, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,
    reason TEXT NOT NULL, marked_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS metered (day TEXT PRIMARY KEY, metered_ns INTEGER NOT NULL);
"""

WATERMARK = "metering.watermark_ns"
#: ranges of one reason closer than this are merged into one row (a drain marks many)
MERGE_GAP_NS = 3600 * 10**9


class DirtyRange(NamedTuple):
    id: int
    start_ns: int
    end_ns: int
    reason: str


class SpoolState:
    """Late-data and metering state; a mixin of `Spool` (same connection and lock)."""

    _db: sqlite3.Connection

    @locked
    def mark_dirty(self, start_ns: int, end_ns: int, reason: str) -> None:
        """Record that [start_ns, end_ns) got data after it may have been metered (e.g. an
        import of manual readings); the metering job re-meters its local days."""
        if end_ns <= start_ns:
            raise ValueError(f"dirty range [{start_ns}, {end_ns}) is empty")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._mark(start_ns, end_ns, reason, time.time_ns())
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _mark(self, start_ns: int, end_ns: int, reason: str, now_ns: int) -> None:
        """Inside a transaction: merge with the newest row of the reason if close, else add."""
        last = self._db.execute("SELECT id, start_ns, end_ns FROM dirty WHERE reason = ? "
                                "ORDER BY id DESC LIMIT 1", (reason,)).fetchone()
        if last and start_ns <= last[2] + MERGE_GAP_NS and end_ns >= last[1] - MERGE_GAP_NS:
            self._db.execute("UPDATE dirty SET start_ns = ?, end_ns = ?, marked_ns = ? "
                             "WHERE id = ?", (min(start_ns, last[1]), max(end_ns, last[2]),
                                              now_ns, last[0]))
        else:
            self._db.execute("INSERT INTO dirty (start_ns, end_ns, reason, marked_ns) "
                             "VALUES (?, ?, ?, ?)", (start_ns, end_ns, reason, now_ns))

    @locked
    def dirty_ranges(self) -> list[DirtyRange]:
        return [DirtyRange(*r) for r in self._db.execute(
            "SELECT id, start_ns, end_ns, reason FROM dirty ORDER BY id")]

    @locked
    def clear_dirty(self, ranges: Sequence[DirtyRange]) -> None:
        """Delete exactly these rows; one extended since it was read stays."""
        with self._db:
            self._db.executemany("DELETE FROM dirty WHERE id = ? AND start_ns = ? AND "
                                 "end_ns = ?", [(r.id, r.start_ns, r.end_ns) for r in ranges])

    @locked
    def mark_metered(self, days: Iterable[str], metered_ns: int) -> None:
        with self._db:
            self._db.executemany(
                "INSERT INTO metered (day, metered_ns) VALUES (?, ?) ON CONFLICT (day) DO "
                "UPDATE SET metered_ns = max(metered_ns, excluded.metered_ns)",
                [(d, metered_ns) for d in days])

    @locked
    def metered_days(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT day, metered_ns FROM metered ORDER BY day"))

    @locked
    def watermark(self) -> int:
        """Readings older than this (ns) may already be metered; 0 before any metering."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (WATERMARK,)).fetchone()
        return int(row[0]) if row else 0

    @locked
    def raise_watermark(self, time_ns: int) -> None:
        """Move the watermark forward (never back); the metering job calls it before it
        reads the store, so a reading the writer commits later is either read or marked."""
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
            "value = CAST(max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER)) AS TEXT)",
            (WATERMARK, str(time_ns)))
