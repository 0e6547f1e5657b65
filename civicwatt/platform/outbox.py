"""The durable outbox: per building and hour, what was offered, sent, acked or refused.

Tables in the site's state file (the spool, `service.spool`; docs/growth.md §5), so a restart,
an outage of days or a refused packet loses nothing. An hour is *pending* while the values last
offered differ from those the platform acked (and from those it refused): new hours, hours
whose packet was lost at a drop, and hours re-metered after late data all come back this way.
The packet sequence counter lives here too and is committed before a packet leaves, so it
never repeats across restarts; a fresh file starts it at the epoch in milliseconds, so even a
lost state file does not reuse old numbers.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from civicwatt.platform.hourly import Hour
from civicwatt.statefile import open_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS platform_hours (
    building TEXT NOT NULL, hour_ns INTEGER NOT NULL,
    items TEXT NOT NULL, digest TEXT NOT NULL,
    offered_ns INTEGER NOT NULL, sends INTEGER NOT NULL DEFAULT 0,
    sent_sequence INTEGER, sent_ns INTEGER,
    acked_digest TEXT, acked_items TEXT, acked_sequence INTEGER, acked_kind TEXT, acked_ns INTEGER,
    refused_digest TEXT, refused_sequence INTEGER, refused_ns INTEGER,
    PRIMARY KEY (building, hour_ns)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS platform_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_PENDING = "digest IS NOT coalesce(acked_digest, '') AND digest IS NOT coalesce(refused_digest, '')"


class OutboxError(OSError):
    """The state file cannot be opened or written."""


@dataclass(frozen=True)
class Pending:
    building: str
    hour_ns: int
    items: dict[str, str]
    digest: str
    sends: int
    was_acked: bool  # acked before with other values: a re-metered hour

    @property
    def retry(self) -> bool:
        """Sent before (lost at a drop, or re-metered since its ack): goes as `continuous`."""
        return self.sends > 0 or self.was_acked


@dataclass(frozen=True)
class BuildingStatus:
    building: str
    hours: int
    acked: int
    pending: int
    refused: int
    changed: int  # acked, then re-metered to other values (part of pending)
    oldest_pending_ns: int | None
    last_ack_ns: int | None
    last_acked_hour_ns: int | None


def digest(items: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:32]


class Outbox:
    """One connection, shared by threads under a lock (the upload job and the link threads)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = open_state(self.path, _SCHEMA)
            self._db.execute("INSERT OR IGNORE INTO platform_state VALUES ('sequence', ?)",
                             (str(time.time_ns() // 1_000_000),))
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"platform outbox in {self.path}: cannot open: {exc}; check the "
                              "path (service.spool) is a writable file") from exc
        self._lock = threading.RLock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: Iterable[tuple] | tuple = ()) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                if isinstance(rows, tuple):
                    self._db.execute(sql, rows)
                else:
                    self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"platform outbox in {self.path}: {exc}") from exc

    # -- offering --------------------------------------------------------------------------
    def offer(self, hours: Sequence[Hour], now_ns: int | None = None) -> list[Hour]:
        """Record the hours' current values; returns the hours that changed (new or
        re-metered). Unchanged hours are left as they are."""
        now = now_ns or time.time_ns()
        with self._lock:
            known = {}
            if hours:
                first = min(h.hour_ns for h in hours)
                last = max(h.hour_ns for h in hours)
                known = {(b, t): d for b, t, d in self._db.execute(
                    "SELECT building, hour_ns, digest FROM platform_hours "
                    "WHERE hour_ns BETWEEN ? AND ?", (first, last))}
            changed = [h for h in hours if known.get((h.building, h.hour_ns)) != digest(h.items)]
            if not changed:
                return []
            self._write(
                "INSERT INTO platform_hours (building, hour_ns, items, digest, offered_ns) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (building, hour_ns) DO UPDATE "
                "SET items = excluded.items, digest = excluded.digest, "
                "offered_ns = excluded.offered_ns",
                [(h.building, h.hour_ns, json.dumps(h.items), digest(h.items), now)
                 for h in changed])
        return changed

    def pending(self, building: str, start_ns: int | None = None,
                end_ns: int | None = None) -> list[Pending]:
        """Hours to send, oldest first."""
        sql = (f"SELECT building, hour_ns, items, digest, sends, acked_digest IS NOT NULL "
               f"FROM platform_hours WHERE building = ? AND {_PENDING}")
        args: list = [building]
        if start_ns is not None:
            sql += " AND hour_ns >= ? AND hour_ns < ?"
            args += [start_ns, end_ns]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY hour_ns", args).fetchall()
        return [Pending(b, t, json.loads(i), d, s, bool(a)) for b, t, i, d, s, a in rows]

    def resend(self, building: str, start_ns: int, end_ns: int) -> int:
        """Make acked and refused hours of a range pending again (`push --resend`)."""
        with self._lock:
            n = self._db.execute(
                f"SELECT count(*) FROM platform_hours WHERE building = ? AND hour_ns >= ? "
                f"AND hour_ns < ? AND NOT ({_PENDING})", (building, start_ns, end_ns)
            ).fetchone()[0]
            self._write("UPDATE platform_hours SET acked_digest = NULL, refused_digest = NULL "
                        "WHERE building = ? AND hour_ns >= ? AND hour_ns < ?",
                        (building, start_ns, end_ns))
        return n

    # -- sending ---------------------------------------------------------------------------
    def reserve(self, hour: Pending) -> int:
        """The next packet sequence, recorded as sent for `hour` — committed before the packet
        leaves, so a sequence is never used twice, even across a crash."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                sequence = int(self._db.execute(
                    "UPDATE platform_state SET value = CAST(value AS INTEGER) + 1 "
                    "WHERE key = 'sequence' RETURNING value").fetchone()[0])
                self._db.execute("UPDATE platform_hours SET sends = sends + 1, sent_sequence = ?, "
                                 "sent_ns = ? WHERE building = ? AND hour_ns = ?",
                                 (sequence, time.time_ns(), hour.building, hour.hour_ns))
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise OutboxError(f"platform outbox in {self.path}: {exc}") from exc
        return sequence

    def acked(self, hour: Pending, sequence: int, kind: str) -> None:
        """The platform acked `hour` as it was sent (its digest): that is what it holds now."""
        self._write("UPDATE platform_hours SET acked_digest = ?, acked_items = ?, "
                    "acked_sequence = ?, acked_kind = ?, acked_ns = ?, refused_digest = NULL "
                    "WHERE building = ? AND hour_ns = ?",
                    (hour.digest, json.dumps(hour.items), sequence, kind, time.time_ns(),
                     hour.building, hour.hour_ns))

    def refused(self, hour: Pending, sequence: int) -> None:
        """The platform refused these values: not sent again until they change."""
        self._write("UPDATE platform_hours SET refused_digest = ?, refused_sequence = ?, "
                    "refused_ns = ? WHERE building = ? AND hour_ns = ?",
                    (hour.digest, sequence, time.time_ns(), hour.building, hour.hour_ns))

    # -- reading ---------------------------------------------------------------------------
    def status(self, buildings: Sequence[str]) -> list[BuildingStatus]:
        out = []
        with self._lock:
            for building in buildings:
                row = self._db.execute(
                    f"SELECT count(*), coalesce(sum(digest = acked_digest), 0), "
                    f"coalesce(sum({_PENDING}), 0), coalesce(sum(digest = refused_digest), 0), "
                    f"coalesce(sum(acked_digest IS NOT NULL AND digest != acked_digest "
                    f"AND {_PENDING}), 0), min(CASE WHEN {_PENDING} THEN hour_ns END), "
                    f"max(acked_ns), max(CASE WHEN digest = acked_digest THEN hour_ns END) "
                    f"FROM platform_hours WHERE building = ?", (building,)).fetchone()
                out.append(BuildingStatus(building, *row))
        return out

    def refused_in(self, start_ns: int, end_ns: int) -> int:
        """Hours of [start, end) whose current values the platform refused."""
        with self._lock:
            return self._db.execute(
                "SELECT count(*) FROM platform_hours WHERE hour_ns >= ? AND hour_ns < ? AND "
                "digest = refused_digest", (start_ns, end_ns)).fetchone()[0]
