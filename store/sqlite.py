"""The embedded default store: one SQLite file in WAL mode, indexed by (series, time).

Each series (measurement + tags) gets an id; a sample row holds its time,
its `value` field as a column (the hot read path) and all fields as JSON.
Same series and time overwrite and merge fields, as InfluxDB does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from store.base import Aggregate, Where
from store.calendar import Every, calendar
from store.errors import StoreUnavailable
from store.types import Bucket, Latest, RawReadings, Row, Series, Totals

_SCHEMA = """
CREATE TABLE IF NOT EXISTS series (
    id INTEGER PRIMARY KEY, measurement TEXT NOT NULL, key TEXT NOT NULL UNIQUE,
    tags TEXT NOT NULL, point TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS series_by_point ON series (measurement, point);
CREATE TABLE IF NOT EXISTS samples (
    series_id INTEGER NOT NULL, time_ns INTEGER NOT NULL, value REAL, fields TEXT NOT NULL,
    PRIMARY KEY (series_id, time_ns)) WITHOUT ROWID;
"""

_UPSERT = """
INSERT INTO samples (series_id, time_ns, value, fields) VALUES (?, ?, ?, ?)
ON CONFLICT (series_id, time_ns) DO UPDATE SET
    fields = json_patch(samples.fields, excluded.fields),
    value = coalesce(excluded.value, samples.value)
"""


class SQLiteStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.description = f"sqlite://{self.path}"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # FULL like the spool: the writer deletes spooled readings once write() returns, so
            # a power cut must not undo a commit (the cost is in bench/README.md)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"{self.description}: cannot open: {exc}", "local") from exc
        self._lock = threading.Lock()
        self._ids: dict[str, int] = {}

    def _series_id(self, series: Series) -> int:
        sid = self._ids.get(series.key)
        if sid is None:
            self._db.execute(
                "INSERT OR IGNORE INTO series (measurement, key, tags, point) VALUES (?,?,?,?)",
                (series.measurement, series.key, json.dumps(dict(series.tags)),
                 series.tag("point")))
            sid = self._db.execute("SELECT id FROM series WHERE key = ?",
                                   (series.key,)).fetchone()[0]
            self._ids[series.key] = sid
        return sid

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        with self._lock, self._guard("write"):
            params = []
            for row in rows:
                value = row.fields.get("value")
                numeric = value if type(value) in (float, int) else None
                params.append((self._series_id(row.series), row.time_ns, numeric,
                               _fields_json(row)))
            with self._db:
                self._db.executemany(_UPSERT, params)

    def read_raw(self, measurement: str, start_ns: int, end_ns: int,
                 points: Sequence[str] | None = None, field: str = "value") -> RawReadings:
        column = "s.value" if field == "value" else "json_extract(s.fields, ?)"
        args: list = [] if field == "value" else [f"$.{field}"]
        sql = (f"SELECT r.point, s.time_ns, {column} FROM samples s JOIN series r "
               "ON r.id = s.series_id WHERE r.measurement = ? AND s.time_ns >= ? "
               "AND s.time_ns < ?")
        args += [measurement, start_ns, end_ns]
        if points is not None:
            sql += f" AND r.point IN ({','.join('?' * len(points))})"
            args += list(points)
        with self._lock, self._guard("read"):
            found = self._db.execute(sql + " ORDER BY r.point, s.time_ns", args).fetchall()
        found = [r for r in found if r[2] is not None]
        names = tuple(sorted({r[0] for r in found}))
        position = {p: i for i, p in enumerate(names)}
        return RawReadings(
            names,
            np.fromiter((position[r[0]] for r in found), np.int32, len(found)),
            np.fromiter((r[1] for r in found), np.int64, len(found)),
            np.fromiter((r[2] for r in found), np.float64, len(found)),
        )

    def read_rows(self, measurement: str, start_ns: int, end_ns: int,
                  where: Where | None = None) -> list[Row]:
        sql, args = self._select("r.tags, s.time_ns, s.fields", measurement, start_ns, end_ns,
                                 where)
        with self._lock, self._guard("read"):
            found = self._db.execute(sql, args).fetchall()
        series: dict[str, Series] = {}  # one Series per distinct tag set, not per row
        rows = [Row(series.get(tags) or series.setdefault(
                    tags, Series(measurement, tuple(json.loads(tags).items()))), t, json.loads(f))
                for tags, t, f in found]
        rows.sort(key=lambda r: (r.series.key, r.time_ns))
        return rows

    def aggregate(self, measurement: str, field: str, start_ns: int, end_ns: int,
                  every_ns: int, fn: Aggregate = "sum", group_by: Sequence[str] = (),
                  where: Where | None = None) -> list[Bucket]:
        value = "s.value" if field == "value" else "json_extract(s.fields, ?)"
        groups = ["coalesce(json_extract(r.tags, ?), '')" for _ in group_by]
        bucket = f"(s.time_ns / {int(every_ns)}) * {int(every_ns)}"
        columns = ", ".join([bucket, *groups, "s.time_ns", value])
        sql, args = self._select(columns, measurement, start_ns, end_ns, where)
        args = [*(f"$.{g}" for g in group_by), *([] if field == "value" else [f"$.{field}"]),
                *args]
        with self._lock, self._guard("read"):
            found = self._db.execute(sql, args).fetchall()
        return _aggregate_rows(found, len(group_by), fn)

    def totals(self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int,
               every: Every, tz: str, group_by: Sequence[str] = (),
               where: Where | None = None, only: Sequence[str] = ()) -> list[Totals]:
        cal = calendar(every, start_ns, end_ns, tz)
        sums = ", ".join("SUM(s.value)" if f == "value" else "SUM(json_extract(s.fields, ?))"
                         for f in fields)
        flags = "".join(" AND json_extract(s.fields, ?) = 1" for _ in only)
        with self._lock, self._guard("read"):
            series = self._series_where(measurement, where)
            if not series:
                return []
            found = self._db.execute(
                f"SELECT s.series_id, {cal.sql_key('s.time_ns')} AS k, {sums} FROM samples s "
                f"WHERE s.series_id IN ({','.join('?' * len(series))}) AND s.time_ns >= ? "
                f"AND s.time_ns < ?{flags} GROUP BY s.series_id, k",
                [*(f"$.{f}" for f in fields if f != "value"), *series, start_ns, end_ns,
                 *(f"$.{f}" for f in only)],
            ).fetchall()
        cells: dict[tuple, list[float | None]] = {}
        for sid, key, *values in found:
            bucket = cal.fold[key]
            group = tuple(series[sid].get(g, "") for g in group_by)
            _add(cells.setdefault((cal.starts[bucket], group), [None] * len(fields)), values)
        return sorted(Totals(t, g, tuple(v)) for (t, g), v in cells.items())

    def count_days(self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int,
                   tz: str, group_by: Sequence[str] = (),
                   where: Where | None = None) -> dict[tuple[str, ...], int]:
        days: dict[tuple[str, ...], int] = {}
        for t in self.totals(measurement, fields, start_ns, end_ns, "day", tz, group_by, where):
            if any(v is not None for v in t.values):
                days[t.group] = days.get(t.group, 0) + 1
        return days

    def latest(self, measurement: str, start_ns: int, end_ns: int,
               group_by: Sequence[str] = ("point",),
               where: Where | None = None) -> list[Latest]:
        with self._lock, self._guard("read"):
            series = self._series_where(measurement, where)
            if not series:
                return []
            # SQLite returns the bare column `value` from the row holding MAX(time_ns)
            found = self._db.execute(
                "SELECT series_id, MAX(time_ns), value, COUNT(*) FROM samples "
                f"WHERE series_id IN ({','.join('?' * len(series))}) AND time_ns >= ? "
                "AND time_ns < ? GROUP BY series_id", [*series, start_ns, end_ns]).fetchall()
        groups: dict[tuple, Latest] = {}
        for sid, time_ns, value, count in found:
            group = tuple(series[sid].get(g, "") for g in group_by)
            seen = groups.get(group)
            if seen is None or time_ns > seen.time_ns:
                groups[group] = Latest(group, time_ns, value, count + (seen.count if seen else 0))
            else:
                groups[group] = seen._replace(count=seen.count + count)
        return sorted(groups.values())

    def _series_where(self, measurement: str, where: Where | None) -> dict[int, dict]:
        """Series id → tags of the measurement's series whose tags match `where`."""
        match, args = _tags_match(where)
        return {sid: json.loads(tags) for sid, tags in self._db.execute(
            f"SELECT id, tags FROM series r WHERE r.measurement = ?{match}", [measurement, *args])}

    def _select(self, columns: str, measurement: str, start_ns: int, end_ns: int,
                where: Where | None) -> tuple[str, list]:
        match, args = _tags_match(where)
        return (f"SELECT {columns} FROM samples s JOIN series r ON r.id = s.series_id "
                f"WHERE r.measurement = ? AND s.time_ns >= ? AND s.time_ns < ?{match}",
                [measurement, start_ns, end_ns, *args])

    def delete(self, measurement: str, start_ns: int, end_ns: int,
               where: Mapping[str, str] | None = None) -> None:
        sql = ("DELETE FROM samples WHERE time_ns >= ? AND time_ns < ? AND series_id IN "
               "(SELECT id FROM series r WHERE r.measurement = ?")
        match, args = _tags_match(where)
        with self._lock, self._guard("delete"), self._db:
            self._db.execute(f"{sql}{match})", [start_ns, end_ns, measurement, *args])

    def _guard(self, what: str):
        return _SQLiteErrors(f"{self.description}: {what} failed")

    def ping(self) -> None:
        with self._lock, self._guard("ping"):
            self._db.execute("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _fields_json(row: Row) -> str:
    try:
        return json.dumps(row.fields, allow_nan=False)
    except ValueError as exc:
        raise ValueError(f"{row.series.key} at {row.time_ns}: field values {dict(row.fields)} "
                         "are not finite; the store cannot hold NaN or infinity") from exc


def _add(into: list[float | None], values: Sequence[float | None]) -> None:
    for i, value in enumerate(values):
        if value is not None:
            into[i] = value if into[i] is None else into[i] + value



def _tags_match(where: Where | None) -> tuple[str, list]:
    """SQL (after a WHERE on `series r`) and its arguments: a tag equals a value, or is one of
    a collection of them (one JSON array argument: no limit on the number of values)."""
    sql, args = "", []
    for key, value in (where or {}).items():
        if isinstance(value, str):
            sql += " AND json_extract(r.tags, ?) = ?"
            args += [f"$.{key}", value]
        else:
            sql += " AND json_extract(r.tags, ?) IN (SELECT value FROM json_each(?))"
            args += [f"$.{key}", json.dumps(sorted(value))]
    return sql, args


def _aggregate_rows(found: list[tuple], n_groups: int, fn: Aggregate) -> list[Bucket]:
    """Aggregate (bucket, *group, time, value) rows; done here so `last` needs no window SQL."""
    cells: dict[tuple, list[tuple[int, float]]] = {}
    for row in found:
        if row[-1] is not None:
            cells.setdefault(row[: 1 + n_groups], []).append((row[-2], float(row[-1])))
    reduce = {"sum": lambda p: sum(v for _, v in p), "max": lambda p: max(v for _, v in p),
              "min": lambda p: min(v for _, v in p), "count": len,
              "mean": lambda p: sum(v for _, v in p) / len(p), "last": lambda p: max(p)[1]}[fn]
    buckets = [Bucket(int(key[0]), tuple(key[1:]), float(reduce(pairs)))
               for key, pairs in cells.items()]
    buckets.sort()
    return buckets


class _SQLiteErrors:
    """Turn sqlite3 errors into StoreUnavailable (disk full, locked, I/O)."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is not None and isinstance(exc, sqlite3.Error):
            raise StoreUnavailable(f"{self.message}: {exc}", "local") from exc
        return False
