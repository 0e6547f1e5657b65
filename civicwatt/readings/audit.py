"""The manual-readings audit (补录审计): append-only tables in the site's state file.

`manual_entries` holds every reading and bill ever entered (value, who, when, why, from which
file or key); `manual_events` every later change of status: `superseded` (by a newer entry
for the same point and time), `voided`, `restored` (a void brought the previous value back).
SQLite triggers refuse UPDATE and DELETE on both, so nothing is ever changed or erased; an
entry's status is its latest event (none = active). Entries and their dirty-day marks commit
in one transaction (docs/growth.md §5), so metering never misses an accepted import.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from civicwatt.statefile import open_state
from collector.spool_state import STATE_SCHEMA, SpoolState

AUDIT_SCHEMA = """
CREATE TABLE IF NOT EXISTS manual_entries (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('reading', 'bill')),
    point TEXT NOT NULL, time_ns INTEGER NOT NULL, end_ns INTEGER, value REAL NOT NULL,
    cost REAL, note TEXT NOT NULL DEFAULT '', source TEXT NOT NULL, user TEXT NOT NULL,
    reason TEXT NOT NULL, entered_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS manual_entries_at ON manual_entries (point, time_ns);
CREATE TABLE IF NOT EXISTS manual_events (
    id INTEGER PRIMARY KEY, entry INTEGER NOT NULL REFERENCES manual_entries (id),
    action TEXT NOT NULL CHECK (action IN ('superseded', 'voided', 'restored')),
    by_entry INTEGER, user TEXT NOT NULL, reason TEXT NOT NULL, at_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS manual_events_entry ON manual_events (entry, id);
CREATE TRIGGER IF NOT EXISTS manual_entries_no_update BEFORE UPDATE ON manual_entries
BEGIN SELECT RAISE(ABORT, 'the manual-readings audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS manual_entries_no_delete BEFORE DELETE ON manual_entries
BEGIN SELECT RAISE(ABORT, 'the manual-readings audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS manual_events_no_update BEFORE UPDATE ON manual_events
BEGIN SELECT RAISE(ABORT, 'the manual-readings audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS manual_events_no_delete BEFORE DELETE ON manual_events
BEGIN SELECT RAISE(ABORT, 'the manual-readings audit is append-only'); END;
"""
_STATUS = {None: "active", "superseded": "superseded", "voided": "void", "restored": "active"}
_COLUMNS = ("id, kind, point, time_ns, end_ns, value, cost, note, source, user, reason, "
            "entered_ns")
#: the entry's latest event (action, user, reason, at) by a correlated subquery
_LATEST = ("(SELECT {c} FROM manual_events v WHERE v.entry = e.id ORDER BY v.id DESC LIMIT 1)")


class AuditError(Exception):
    """The state file cannot be opened or written; the message names it."""


@dataclass(frozen=True)
class Entry:
    """One audited reading (`end_ns` None) or bill, with its current status."""

    id: int
    kind: str
    point: str
    time_ns: int
    end_ns: int | None
    value: float
    cost: float | None
    note: str
    source: str
    user: str
    reason: str
    entered_ns: int
    status: str = "active"
    changed_by: str | None = None  # who superseded or voided it …
    changed_why: str | None = None  # … why …
    changed_ns: int | None = None  # … and when


@dataclass(frozen=True)
class NewEntry:
    kind: str
    point: str
    time_ns: int
    value: float
    end_ns: int | None = None
    cost: float | None = None
    note: str = ""


class AuditLog(SpoolState):
    """The audit tables (and the spool's `dirty` table, for marks in the same commit)."""

    def __init__(self, path: Path, clock=time.time_ns) -> None:
        try:
            self._db: sqlite3.Connection = open_state(path, STATE_SCHEMA + AUDIT_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise AuditError(f"state file {path}: {exc}; check service.spool and that the "
                             "folder is writable") from None
        self._lock = threading.RLock()
        self.clock = clock
        self.path = path

    def close(self) -> None:
        self._db.close()

    def entries(self, point: str | None = None, start_ns: int | None = None,
                end_ns: int | None = None, kind: str | None = None) -> list[Entry]:
        """Every entry (any status) matching, oldest time first, then order of entry."""
        sql = (f"SELECT {', '.join('e.' + c.strip() for c in _COLUMNS.split(','))}, "
               + ", ".join(_LATEST.format(c=c) for c in ("action", "user", "reason", "at_ns"))
               + " FROM manual_entries e WHERE 1 = 1")
        args: list = []
        for clause, value in (("e.point = ?", point), ("e.time_ns >= ?", start_ns),
                              ("e.time_ns < ?", end_ns), ("e.kind = ?", kind)):
            if value is not None:
                sql += f" AND {clause}"
                args.append(value)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY e.point, e.time_ns, e.id", args).fetchall()
        return [Entry(*r[:12], _STATUS[r[12]], *(r[13:] if r[12] else (None, None, None)))
                for r in rows]

    def points_entered(self, start_ns: int, end_ns: int) -> set[str]:
        """Points with a reading entered (any status) in [start, end): the only ones whose
        store readings may carry a `manual` flag there."""
        with self._lock:
            return {r[0] for r in self._db.execute(
                "SELECT DISTINCT point FROM manual_entries WHERE kind = 'reading' AND "
                "time_ns >= ? AND time_ns < ?", (start_ns, end_ns))}

    def active(self, point: str, kind: str, time_ns: int) -> Entry | None:
        """The active entry of this point, kind and start time, if any."""
        found = [e for e in self.entries(point, time_ns, time_ns + 1, kind)
                 if e.status == "active"]
        return found[-1] if found else None

    @contextmanager
    def transaction(self) -> Iterator[_Writer]:
        """One commit for entries, events and dirty marks; rolled back on any exception (e.g.
        the store refused the readings written inside it)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Writer(self, self.clock())
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


class _Writer:
    def __init__(self, log: AuditLog, now_ns: int) -> None:
        self.log, self.now_ns = log, now_ns

    def add(self, entry: NewEntry, source: str, user: str, reason: str) -> int:
        cur = self.log._db.execute(
            f"INSERT INTO manual_entries ({_COLUMNS.replace('id, ', '', 1)}) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.kind, entry.point, entry.time_ns, entry.end_ns, entry.value, entry.cost,
             entry.note, source, user, reason, self.now_ns))
        return int(cur.lastrowid)

    def event(self, entry: int, action: str, user: str, reason: str,
              by_entry: int | None = None) -> None:
        self.log._db.execute(
            "INSERT INTO manual_events (entry, action, by_entry, user, reason, at_ns) "
            "VALUES (?, ?, ?, ?, ?, ?)", (entry, action, by_entry, user, reason, self.now_ns))

    def dirty(self, ranges: Sequence[tuple[int, int]], reason: str) -> None:
        for start, end in ranges:
            self.log._mark(start, end, reason, self.now_ns)
