"""The durable spool between collectors and the store: one SQLite file in WAL mode.

Collectors append readings as pre-encoded InfluxDB line protocol, one row per
commit (a batch of lines), so a 20 ms batch of thousands of readings costs one
INSERT. The writer reads batches in order, writes them to the store and deletes
only what the store accepted. Bad input goes to `dead_letters` with its raw
payload, topic and reason code, for `civicwatt deadletter list|replay`.

Bounded: `capacity` readings. `append` refuses (returns False) rather than
drop when full, and the MQTT consumer then stops acknowledging so the broker
holds the backlog. A warning is logged when the spool passes 80 %.

Each thread or process opens its own `Spool` (SQLite connections are not
shared); WAL lets the consumer append while the writer reads and deletes.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from store.lineprotocol import format_row
from store.types import Row

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, n INTEGER NOT NULL, lines BLOB NOT NULL, created_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL, source TEXT NOT NULL,
    topic TEXT, payload BLOB NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, updated_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dead_letters_by_reason ON dead_letters (reason, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS receipts (
    session TEXT NOT NULL, mid INTEGER NOT NULL, digest BLOB NOT NULL,
    received_ns INTEGER NOT NULL, PRIMARY KEY (session, mid)) WITHOUT ROWID;
"""

DEFAULT_CAPACITY = 10_000_000  # readings; ~1 GB of line protocol
DEFAULT_DEAD_CAPACITY = 1_000_000  # dead-letter rows


class SpoolFull(Exception):
    """The spool is at capacity: the store has been unreachable for long enough to fill it."""


def open_sink(path: str | Path, capacity: int = DEFAULT_CAPACITY
              ) -> Callable[[Sequence[Row]], None]:
    """A `sink(rows)` on the spool at `path` for another collector (the Modbus poller's
    `Sink`): each call commits; when the spool is full it raises `SpoolFull` (the caller logs
    it; a poller's next reading of a cumulative counter carries the energy forward)."""
    spool = Spool(path, capacity)

    def sink(rows: Sequence[Row]) -> None:
        if not spool.append_rows(rows):
            raise SpoolFull(f"spool {spool.path} is full ({spool.capacity} readings): the store "
                            f"is unreachable; {len(rows)} readings not spooled")

    return sink


class Batch(NamedTuple):
    id: int
    n: int
    lines: bytes  # line protocol, "\n"-separated, no trailing newline


class DeadRow(NamedTuple):
    id: int
    received_ns: int
    source: str
    topic: str | None
    payload: bytes
    reason: str
    detail: str
    attempts: int


class SpoolError(Exception):
    """The spool file can't be opened or written (disk full, permissions, corrupt)."""


def _locked(method):
    """Run a Spool method under its lock: a connection's transactions must not interleave."""

    @functools.wraps(method)
    def locked(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class Spool:
    def __init__(self, path: str | Path, capacity: int = DEFAULT_CAPACITY,
                 dead_capacity: int = DEFAULT_DEAD_CAPACITY, synchronous: str = "FULL") -> None:
        self.path = Path(path)
        self.capacity = capacity
        self.dead_capacity = dead_capacity
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"spool {self.path}: cannot open: {exc}; check the path is a "
                             "writable file (or delete a corrupt spool only after "
                             "`civicwatt deadletter list` shows nothing you need)") from exc
        self._lock = threading.RLock()  # one connection, several threads (poller, monitors)
        self._depth = 0
        self._dead = 0
        self._counted_at = 0.0
        self._warned = False
        self.refresh()

    # -- appending (collectors) ------------------------------------------------------------
    @_locked
    def refresh(self) -> None:
        """Re-count depth from the file (other connections delete and append too)."""
        self._depth = self._db.execute("SELECT coalesce(sum(n), 0) FROM batches").fetchone()[0]
        self._dead = self._db.execute("SELECT count(*) FROM dead_letters").fetchone()[0]
        self._counted_at = time.monotonic()
        self._check_level()

    def _check_level(self) -> None:
        level = self._depth / self.capacity
        if level >= 0.8 and not self._warned:
            self._warned = True
            log.warning("spool %s is %.0f%% full (%d of %d readings): the store is not keeping "
                        "up or is down; at 100%% collectors stop acknowledging and the broker "
                        "holds the backlog", self.path, level * 100, self._depth, self.capacity)
        elif level < 0.7:
            self._warned = False

    @property
    def depth(self) -> int:
        """Readings waiting for the store (refreshed at most once a second)."""
        if time.monotonic() - self._counted_at > 1.0:
            self.refresh()
        return self._depth

    def room_for(self, n: int, dead: int = 0) -> bool:
        """Whether n more readings (and dead letters) fit. An empty spool takes any one batch,
        so a single batch larger than the capacity can never stall the pipeline."""
        if self.depth + n > self.capacity or self._dead + dead > self.dead_capacity:
            self.refresh()  # the writer may have drained since the last count
            if self._depth == 0 and self._dead + dead <= self.dead_capacity:
                return True
            return self._depth + n <= self.capacity and self._dead + dead <= self.dead_capacity
        return True

    @_locked
    def append_lines(self, lines: Sequence[str],
                     dead: Iterable[tuple[int, str | None, bytes, str, str]] = (),
                     source: str = "mqtt",
                     receipts: Sequence[tuple[str, int, bytes, int]] = ()) -> bool:
        """Commit lines and dead letters in one transaction; False (nothing written) if full.

        `dead` holds (received_ns, topic, payload, reason, detail). `receipts` holds
        (session, packet id, digest, received_ns) of MQTT messages stamped at receipt,
        so that a redelivery gets the same stamp back (`receipts()`); one row per
        packet id, replaced when the broker reuses the id.
        """
        dead = list(dead)
        if not lines and not dead:
            return True
        if not self.room_for(len(lines), len(dead)):
            return False
        now = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            if lines:
                self._db.execute("INSERT INTO batches (n, lines, created_ns) VALUES (?, ?, ?)",
                                 (len(lines), "\n".join(lines).encode(), now))
            if dead:
                self._db.executemany(
                    "INSERT INTO dead_letters (received_ns, source, topic, payload, reason, "
                    "detail, updated_ns) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(r, source, t, bytes(p), reason, detail, now)
                     for r, t, p, reason, detail in dead])
            if receipts:
                self._db.executemany("INSERT OR REPLACE INTO receipts VALUES (?, ?, ?, ?)",
                                     receipts)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: append failed: {exc}") from exc
        self._depth += len(lines)
        self._dead += len(dead)
        self._check_level()
        return True

    def append_rows(self, rows: Sequence[Row]) -> bool:
        """The collectors' sink for `Row`s (e.g. the Modbus poller): encode and append.

        False means the spool is full and nothing was written: keep the rows and retry
        later (the writer is draining); never drop them.
        """
        return self.append_lines([format_row(r) for r in rows])

    # -- draining (the writer) -------------------------------------------------------------
    @_locked
    def peek(self, max_lines: int) -> list[Batch]:
        """The oldest batches, up to about `max_lines` readings (at least one batch)."""
        out: list[Batch] = []
        total = 0
        cursor = self._db.execute("SELECT id, n, lines FROM batches ORDER BY id")
        for row in cursor:
            out.append(Batch(*row))
            total += row[1]
            if total >= max_lines:
                break
        cursor.close()
        return out

    @_locked
    def delete(self, batches: Sequence[Batch],
               dead_lines: Sequence[tuple[bytes, str]] = ()) -> None:
        """Delete written batches; lines the store refused go to dead-letter (same commit)."""
        now = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM batches WHERE id = ?", [(b.id,) for b in batches])
            self._db.executemany(
                "INSERT INTO dead_letters (received_ns, source, topic, payload, reason, detail, "
                "updated_ns) VALUES (?, 'store', NULL, ?, 'store_rejected', ?, ?)",
                [(now, line, detail[:500], now) for line, detail in dead_lines])
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: delete failed: {exc}") from exc
        self._depth = max(0, self._depth - sum(b.n for b in batches))
        self._dead += len(dead_lines)

    # -- dead letters ----------------------------------------------------------------------
    @_locked
    def dead_letters(self, reason: str | None = None, limit: int | None = 100,
                     after_id: int = 0) -> list[DeadRow]:
        sql = ("SELECT id, received_ns, source, topic, payload, reason, detail, attempts "
               "FROM dead_letters WHERE id > ?")
        args: list = [after_id]
        if reason:
            sql += " AND reason = ?"
            args.append(reason)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ?"
            args.append(limit)
        return [DeadRow(*r) for r in self._db.execute(sql, args)]

    @_locked
    def dead_counts(self) -> dict[str, int]:
        return dict(self._db.execute(
            "SELECT reason, count(*) FROM dead_letters GROUP BY reason ORDER BY reason"))

    @_locked
    def resolve_dead(self, lines: Sequence[str], done: Sequence[int],
                     still_bad: Sequence[tuple[int, str, str]]) -> None:
        """After a replay: spool the recovered lines, drop `done`, update `still_bad` reasons."""
        now = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            if lines:
                self._db.execute("INSERT INTO batches (n, lines, created_ns) VALUES (?, ?, ?)",
                                 (len(lines), "\n".join(lines).encode(), now))
            self._db.executemany("DELETE FROM dead_letters WHERE id = ?", [(i,) for i in done])
            self._db.executemany(
                "UPDATE dead_letters SET reason = ?, detail = ?, attempts = attempts + 1, "
                "updated_ns = ? WHERE id = ?",
                [(reason, detail, now, i) for i, reason, detail in still_bad])
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: replay failed: {exc}") from exc
        self.refresh()

    @_locked
    def receipts(self, session: str, mids: Sequence[int]) -> dict[int, tuple[bytes, int]]:
        """{packet id: (digest, received_ns)} committed for these packet ids of `session`."""
        found: dict[int, tuple[bytes, int]] = {}
        for i in range(0, len(mids), 500):
            part = list(mids[i:i + 500])
            found.update((mid, (d, t)) for mid, d, t in self._db.execute(
                "SELECT mid, digest, received_ns FROM receipts WHERE session = ? AND mid IN "
                f"({','.join('?' * len(part))})", [session, *part]))
        return found

    # -- small state (e.g. the filters a consumer subscribed to last time) ----------------
    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @_locked
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (key, value))

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    @_locked
    def close(self) -> None:
        self._db.close()
