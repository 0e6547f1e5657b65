"""Reading and clearing the spool's dead letters: list, count, export, purge, replay.

A mixin of `Spool` (same connection and lock). Held rows (bad messages that arrived while
the table was at its cap) are listed and exported like the others; whenever rows leave the
table (purge, replay) the oldest held rows are promoted into the free places.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from collector.locking import locked

_COLUMNS = "id, received_ns, source, topic, payload, reason, detail, attempts, held"


class DeadRow(NamedTuple):
    id: int
    received_ns: int
    source: str
    topic: str | None
    payload: bytes
    reason: str
    detail: str
    attempts: int
    held: int = 0  # 1: over the dead-letter cap, waiting for a purge


class DeadLetterQueries:
    """Queries on `dead_letters`; needs `_db`, `_lock`, `refresh()` and `dead_capacity`."""

    _db: sqlite3.Connection
    dead_capacity: int
    path: object

    def refresh(self) -> None: ...

    def _rollback(self) -> None: ...

    def _insert_batch(self, lines: Sequence[str], now_ns: int) -> None: ...

    @locked
    def dead_letters(self, reason: str | None = None, limit: int | None = 100,
                     after_id: int = 0, before_ns: int | None = None) -> list[DeadRow]:
        """Dead letters in id order (held ones too), optionally by reason or received before."""
        where, args = _filter(reason, before_ns)
        sql = f"SELECT {_COLUMNS} FROM dead_letters WHERE id > ?{where} ORDER BY id"
        args = [after_id, *args]
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [DeadRow(*r) for r in self._db.execute(sql, args)]

    def iter_dead(self, reason: str | None = None, before_ns: int | None = None,
                  chunk: int = 5000) -> Iterator[DeadRow]:
        """Every matching dead letter, read in chunks (the writer keeps running meanwhile)."""
        after = 0
        while rows := self.dead_letters(reason, chunk, after, before_ns):
            yield from rows
            after = rows[-1].id

    @locked
    def dead_counts(self) -> dict[str, int]:
        return dict(self._db.execute(
            "SELECT reason, count(*) FROM dead_letters GROUP BY reason ORDER BY reason"))

    @locked
    def count_dead(self, reason: str | None = None, before_ns: int | None = None) -> int:
        where, args = _filter(reason, before_ns)
        return self._db.execute(f"SELECT count(*) FROM dead_letters WHERE 1{where}",
                                args).fetchone()[0]

    def purge_dead(self, before_ns: int, reason: str | None = None, chunk: int = 10_000) -> int:
        """Delete dead letters received before `before_ns` (and of `reason`); returns how
        many. Chunked, so collectors appending meanwhile wait milliseconds, not minutes."""
        where, args = _filter(reason, before_ns)
        deleted = 0
        while True:
            with self._lock:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    n = self._db.execute(
                        f"DELETE FROM dead_letters WHERE id IN (SELECT id FROM dead_letters "
                        f"WHERE 1{where} ORDER BY id LIMIT ?)", [*args, chunk]).rowcount
                    self._promote()
                    self._db.execute("COMMIT")
                except BaseException:
                    self._rollback()
                    raise
            deleted += n
            if n < chunk:
                break
        self.refresh()
        return deleted

    @locked
    def resolve_dead(self, lines: Sequence[str], done: Sequence[int],
                     still_bad: Sequence[tuple[int, str, str]]) -> None:
        """After a replay: spool the recovered lines, drop `done`, update `still_bad` reasons."""
        from collector.spool import SpoolError

        now = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._insert_batch(lines, now)
            self._db.executemany("DELETE FROM dead_letters WHERE id = ?", [(i,) for i in done])
            self._db.executemany(
                "UPDATE dead_letters SET reason = ?, detail = ?, attempts = attempts + 1, "
                "updated_ns = ? WHERE id = ?",
                [(reason, detail, now, i) for i, reason, detail in still_bad])
            self._promote()
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: replay failed: {exc}") from exc
        self.refresh()

    def _promote(self) -> None:
        """Inside a transaction: move the oldest held rows into free places under the cap."""
        dead = self._db.execute("SELECT count(*) FROM dead_letters WHERE held = 0").fetchone()[0]
        room = self.dead_capacity - dead
        if room > 0:
            self._db.execute("UPDATE dead_letters SET held = 0 WHERE id IN (SELECT id FROM "
                             "dead_letters WHERE held = 1 ORDER BY id LIMIT ?)", (room,))


def _filter(reason: str | None, before_ns: int | None) -> tuple[str, list]:
    where, args = "", []
    if reason:
        where += " AND reason = ?"
        args.append(reason)
    if before_ns is not None:
        where += " AND received_ns < ?"
        args.append(before_ns)
    return where, args
