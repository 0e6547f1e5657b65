"""The durable spool between collectors and the store: one SQLite file in WAL mode.

Collectors append readings as pre-encoded InfluxDB line protocol, one row per
commit (a batch of lines), so a 20 ms batch of thousands of readings costs one
INSERT. The writer reads batches in order, writes them to the store and deletes
only what the store accepted. Bad input goes to `dead_letters` with its raw
payload, topic and reason code, for `civicwatt deadletter list|export|purge|replay`.

Bounded: `capacity` readings. `append` refuses (returns False) rather than
drop when full, and the MQTT consumer then stops acknowledging so the broker
holds the backlog. A warning is logged when the spool passes 80 %.

The dead-letter table is bounded too (`dead_capacity` rows) and never blocks good
readings: once it is full, further bad messages are *held* (rows with `held = 1`, counted
against the spool's own capacity, reported by /healthz as "dead-letter full") until an
operator exports and purges; then the oldest held rows take the free places.

The same file is the site's local state (`SpoolState`: late-data ranges, metered days).

Each thread or process opens its own `Spool` (SQLite connections are not
shared); WAL lets the consumer append while the writer reads and deletes.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from collector.deadletters import DeadLetterQueries
from collector.locking import locked
from collector.spool_state import STATE_SCHEMA, SpoolState
from store.lineprotocol import format_row
from store.types import Row

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY, n INTEGER NOT NULL, lines BLOB NOT NULL, created_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL, source TEXT NOT NULL,
    topic TEXT, payload BLOB NOT NULL, reason TEXT NOT NULL, detail TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, updated_ns INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS dead_letters_by_reason ON dead_letters (reason, id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS receipts (
    session TEXT NOT NULL, mid INTEGER NOT NULL, digest BLOB NOT NULL,
    received_ns INTEGER NOT NULL, PRIMARY KEY (session, mid)) WITHOUT ROWID;
""" + STATE_SCHEMA

DEFAULT_CAPACITY = 10_000_000  # readings; ~1 GB of line protocol
DEFAULT_DEAD_CAPACITY = 1_000_000  # dead-letter rows
#: Page cache per connection, KiB (SQLite's default is 2,000). The spool is a queue: each
#: batch is written once and read once, and counting the depth scans more than any cache
#: holds, so a bigger cache buys nothing; in the soak the default's pages, one cache per
#: connection, grew the process by ~15 MB during a store outage.
CACHE_KIB = 256

_INSERT_DEAD = ("INSERT INTO dead_letters (received_ns, source, topic, payload, reason, detail, "
                "updated_ns, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")


class SpoolFull(Exception):
    """The spool is at capacity: the store has been unreachable for long enough to fill it."""


class SpoolSink:
    """A `sink(rows)` on the spool at `path` for another collector (the Modbus poller's
    `Sink`): each call commits; when the spool is full it raises `SpoolFull` (the caller
    counts the readings as dropped and backs off; `has_room()` says when to poll again)."""

    def __init__(self, path: str | Path, capacity: int = DEFAULT_CAPACITY,
                 dead_capacity: int = DEFAULT_DEAD_CAPACITY) -> None:
        self.spool = Spool(path, capacity, dead_capacity)

    def __call__(self, rows: Sequence[Row]) -> None:
        if not self.spool.append_rows(rows):
            raise SpoolFull(f"spool {self.spool.path} is full ({self.spool.capacity} readings): "
                            f"the store is unreachable; {len(rows)} readings not spooled")

    def has_room(self, n: int = 1) -> bool:
        return self.spool.room_for(n)


def open_sink(path: str | Path, capacity: int = DEFAULT_CAPACITY) -> SpoolSink:
    """The Modbus poller's sink on the spool at `path` (see `SpoolSink`)."""
    return SpoolSink(path, capacity)


class Batch(NamedTuple):
    id: int
    n: int
    lines: bytes  # line protocol, "\n"-separated, no trailing newline


class SpoolError(Exception):
    """The spool file can't be opened or written (disk full, permissions, corrupt)."""


class Spool(DeadLetterQueries, SpoolState):
    def __init__(self, path: str | Path, capacity: int = DEFAULT_CAPACITY,
                 dead_capacity: int = DEFAULT_DEAD_CAPACITY, synchronous: str = "FULL",
                 create: bool = True) -> None:
        """Open (or with `create`, make) the spool at `path`; `create=False` is for tools
        that must not turn some other file into a spool (`civicwatt deadletter`): they take
        the dead-letter cap the collectors last recorded in the file."""
        self.path = Path(path)
        self.capacity = capacity
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            elif not self.path.is_file():
                raise SpoolError(f"spool {self.path}: no such spool file")
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                       check_same_thread=False)
            if not create:
                _check_is_spool(self._db, self.path)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._db.executescript(_SCHEMA)
            _migrate(self._db)
            self.dead_capacity = _shared_cap(self._db, dead_capacity if create else None)
        except (sqlite3.Error, OSError) as exc:
            raise SpoolError(f"spool {self.path}: cannot open: {exc}; check the path is a "
                             "writable file (or delete a corrupt spool only after "
                             "`civicwatt deadletter list` shows nothing you need)") from exc
        self._lock = threading.RLock()  # one connection, several threads (poller, monitors)
        self._depth = 0
        self._dead = 0  # dead letters within the cap
        self._held = 0  # bad messages over the cap, held in the spool's own capacity
        self._counted_at = 0.0
        self._warned = False
        self.refresh()

    # -- appending (collectors) ------------------------------------------------------------
    @locked
    def refresh(self) -> None:
        """Re-count depth from the file (other connections delete and append too)."""
        self._depth = self._db.execute("SELECT coalesce(sum(n), 0) FROM batches").fetchone()[0]
        counts = dict(self._db.execute("SELECT held, count(*) FROM dead_letters GROUP BY held"))
        self._dead, self._held = counts.get(0, 0), counts.get(1, 0)
        self._counted_at = time.monotonic()
        self._check_level()

    def _check_level(self) -> None:
        level = (self._depth + self._held) / self.capacity
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

    @property
    def counted_depth(self) -> int:
        """Readings waiting as last counted, without touching the file (for logs written
        while the file itself may be failing)."""
        return self._depth

    @property
    def dead(self) -> int:
        """Dead letters within the cap (as of the last count)."""
        return self._dead

    @property
    def held(self) -> int:
        """Bad messages held over the dead-letter cap, waiting for export and purge."""
        return self._held

    @property
    def dead_full(self) -> bool:
        return self._dead >= self.dead_capacity

    def room_for(self, n: int, dead: int = 0) -> bool:
        """Whether n more readings (and dead letters) fit. Dead letters past the cap are held
        in the spool's own capacity; an empty spool takes any one batch, so a single batch
        larger than the capacity can never stall the pipeline."""
        if self._fits(self.depth, n, dead):
            return True
        self.refresh()  # the writer may have drained since the last count
        return self._depth + self._held == 0 or self._fits(self._depth, n, dead)

    def _fits(self, depth: int, n: int, dead: int) -> bool:
        over = max(0, self._dead + dead - self.dead_capacity)  # to be held
        return depth + self._held + n + over <= self.capacity

    @locked
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
            self._insert_batch(lines, now)
            held = self._insert_dead([(r, source, t, bytes(p), reason, detail, now)
                                      for r, t, p, reason, detail in dead])
            if receipts:
                self._db.executemany("INSERT OR REPLACE INTO receipts VALUES (?, ?, ?, ?)",
                                     receipts)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: append failed: {exc}") from exc
        self._depth += len(lines)
        self._count_dead(len(dead), held)
        self._check_level()
        return True

    def _insert_batch(self, lines: Sequence[str], now_ns: int) -> None:
        """Inside a transaction: the lines as one batch row (none if there are none)."""
        if lines:
            self._db.execute("INSERT INTO batches (n, lines, created_ns) VALUES (?, ?, ?)",
                             (len(lines), "\n".join(lines).encode(), now_ns))

    def _insert_dead(self, rows: list[tuple]) -> int:
        """Insert dead letters inside the caller's transaction: within the cap as dead
        letters, the rest held. Returns how many were held."""
        room = max(0, self.dead_capacity - self._dead)
        self._db.executemany(_INSERT_DEAD, [(*r, 0) for r in rows[:room]])
        self._db.executemany(_INSERT_DEAD, [(*r, 1) for r in rows[room:]])
        held = max(0, len(rows) - room)
        if held and not self._held:
            log.error("dead-letter table of spool %s is full (%d rows): further bad messages "
                      "are held in the spool (good readings keep flowing); export and purge: "
                      "civicwatt deadletter export --spool %s --out FILE, then deadletter "
                      "purge --before DATE --yes", self.path, self.dead_capacity, self.path)
        return held

    def _count_dead(self, n: int, held: int) -> None:
        self._dead += n - held
        self._held += held

    def append_rows(self, rows: Sequence[Row]) -> bool:
        """The collectors' sink for `Row`s (e.g. the Modbus poller): encode and append.

        False means the spool is full and nothing was written: keep the rows and retry
        later (the writer is draining); never drop them.
        """
        return self.append_lines([format_row(r) for r in rows])

    # -- draining (the writer) -------------------------------------------------------------
    @locked
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

    @locked
    def delete(self, batches: Sequence[Batch], dead_lines: Sequence[tuple[bytes, str]] = (),
               late: tuple[int, int] | None = None) -> None:
        """Delete written batches, in one commit with what the write found: lines the store
        refused (to dead-letter, past the cap held) and the span of late readings
        (`(oldest, newest)` ns, marked dirty for the metering job)."""
        now = time.time_ns()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM batches WHERE id = ?", [(b.id,) for b in batches])
            held = self._insert_dead([(now, "store", None, line, "store_rejected",
                                       detail[:500], now) for line, detail in dead_lines])
            if late is not None:
                self._mark(late[0], late[1] + 1, "late", now)
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise SpoolError(f"spool {self.path}: delete failed: {exc}") from exc
        self._depth = max(0, self._depth - sum(b.n for b in batches))
        self._count_dead(len(dead_lines), held)

    @locked
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
    @locked
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    @locked
    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                         "DO UPDATE SET value = excluded.value", (key, value))

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    @locked
    def close(self) -> None:
        self._db.close()


def _check_is_spool(db: sqlite3.Connection, path: Path) -> None:
    """Refuse a file that is not a spool before anything is written to it."""
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        db.close()
        raise SpoolError(f"spool {path}: not an SQLite file ({exc}); give the spool file "
                         "(service.spool in the site config, default spool.db next to it)"
                         ) from None
    if not {"batches", "dead_letters"} <= tables:
        db.close()
        raise SpoolError(f"spool {path}: an SQLite file but not a civicwatt spool (no batches "
                         "or dead_letters table); give the spool file (service.spool in the "
                         "site config, default spool.db next to it), not the store")


def _shared_cap(db: sqlite3.Connection, cap: int | None) -> int:
    """Record the collectors' dead-letter cap in the file, or read it (tools, cap None)."""
    if cap is not None:
        db.execute("INSERT INTO meta (key, value) VALUES ('dead_letter_capacity', ?) ON "
                   "CONFLICT (key) DO UPDATE SET value = excluded.value", (str(cap),))
        return cap
    row = db.execute("SELECT value FROM meta WHERE key = 'dead_letter_capacity'").fetchone()
    return int(row[0]) if row else DEFAULT_DEAD_CAPACITY


def _migrate(db: sqlite3.Connection) -> None:
    """Columns added since the first release (a spool outlives upgrades)."""
    columns = {r[1] for r in db.execute("PRAGMA table_info(dead_letters)")}
    if "held" not in columns:
        db.execute("ALTER TABLE dead_letters ADD COLUMN held INTEGER NOT NULL DEFAULT 0")
