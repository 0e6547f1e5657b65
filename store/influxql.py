"""Reading InfluxDB through InfluxQL: query text and result parsing, shared by 1.x and 2.x/3.x.

Both backends answer InfluxQL on `/query` (2.x/3.x via the v1-compatible
endpoint), so the read side is written once against a `run(query)` callable
that yields the `series` objects of each (chunked) result.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from store.base import Aggregate, Where
from store.calendar import INFLUX_UNIT, Every, calendar
from store.types import Bucket, Latest, RawReadings, Row, Series, Totals

RunQuery = Callable[[str], Iterator[dict]]

_FUNCTIONS = {"sum": "SUM", "mean": "MEAN", "max": "MAX", "min": "MIN", "last": "LAST",
              "count": "COUNT"}


def ident(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _where(start_ns: int, end_ns: int, tags: Where | None) -> str:
    if any(not isinstance(v, str) and not v for v in (tags or {}).values()):
        end_ns = start_ns  # "one of no values" is nothing: an empty range says it plainly
    parts = [f"time >= {int(start_ns)} AND time < {int(end_ns)}"]
    parts += [_match(k, v) for k, v in (tags or {}).items() if isinstance(v, str) or v]
    return " AND ".join(parts)


def _match(tag: str, value: str | Iterable[str]) -> str:
    """`tag = 'v'`, or one anchored regex for "any of": InfluxDB 1.x plans a regex over its
    tag index in milliseconds, an OR of 3,000 equalities takes seconds (bench.statistics)."""
    if isinstance(value, str):
        return f"{ident(tag)} = {literal(value)}"
    alternatives = "|".join(re.escape(v).replace("/", "\\/") for v in sorted(set(value)))
    return f"{ident(tag)} =~ /^(?:{alternatives})$/"


def delete_statement(measurement: str, start_ns: int, end_ns: int,
                     where: Mapping[str, str] | None) -> str:
    return f"DELETE FROM {ident(measurement)} WHERE {_where(start_ns, end_ns, where)}"


def _points_clause(points: Sequence[str] | None) -> str:
    return "" if points is None else " AND " + _match("point", points)


class InfluxQLReader:
    """The read half of the Store protocol over any InfluxQL endpoint."""

    def __init__(self, run: RunQuery) -> None:
        self._run = run

    def read_raw(self, measurement: str, start_ns: int, end_ns: int,
                 points: Sequence[str] | None = None, field: str = "value") -> RawReadings:
        if points is not None and not points:
            return _raw_from({})
        query = (f"SELECT {ident(field)} FROM {ident(measurement)} "
                 f"WHERE {_where(start_ns, end_ns, None)}{_points_clause(points)} "
                 'GROUP BY "point"')
        collected: dict[str, list[list]] = {}
        for series in self._run(query):
            point = series.get("tags", {}).get("point", "")
            collected.setdefault(point, []).extend(series.get("values", []))
        return _raw_from(collected)

    def read_rows(self, measurement: str, start_ns: int, end_ns: int,
                  where: Where | None = None) -> list[Row]:
        query = (f"SELECT * FROM {ident(measurement)} WHERE {_where(start_ns, end_ns, where)} "
                 "GROUP BY *")
        rows: list[Row] = []
        for series in self._run(query):
            tags = tuple((series.get("tags") or {}).items())
            key = Series(measurement, tags)
            columns = series["columns"]
            for values in series.get("values", []):
                fields = {c: v for c, v in zip(columns[1:], values[1:], strict=True)
                          if v is not None}
                rows.append(Row(key, int(values[0]), fields))
        rows.sort(key=lambda r: (r.series.key, r.time_ns))
        return rows

    def aggregate(self, measurement: str, field: str, start_ns: int, end_ns: int,
                  every_ns: int, fn: Aggregate = "sum", group_by: Sequence[str] = (),
                  where: Where | None = None) -> list[Bucket]:
        groups = "".join(f", {ident(g)}" for g in group_by)
        query = (f"SELECT {_FUNCTIONS[fn]}({ident(field)}) FROM {ident(measurement)} "
                 f"WHERE {_where(start_ns, end_ns, where)} "
                 f"GROUP BY time({int(every_ns)}ns){groups} fill(none)")
        buckets = []
        for series in self._run(query):
            tags = series.get("tags") or {}
            group = tuple(tags.get(g, "") for g in group_by)
            for time_ns, value in series.get("values", []):
                if value is not None:
                    buckets.append(Bucket(int(time_ns), group, float(value)))
        buckets.sort()
        return buckets

    def totals(self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int,
               every: Every, tz: str, group_by: Sequence[str] = (),
               where: Where | None = None, only: Sequence[str] = ()) -> list[Totals]:
        cal = calendar(every, start_ns, end_ns, tz)
        sums = ", ".join(f"SUM({ident(f)})" for f in fields)
        groups = [ident(g) for g in group_by]
        if cal.native != "all":  # without time() InfluxDB reports the range's start
            groups.insert(0, f"time({INFLUX_UNIT[cal.native]})")
        flags = "".join(f" AND {ident(f)} = true" for f in only)
        query = (f"SELECT {sums} FROM {ident(measurement)} "
                 f"WHERE {_where(start_ns, end_ns, where)}{flags}"
                 + (f" GROUP BY {', '.join(groups)}" if groups else "")
                 + (f" fill(none) tz({literal(tz)})" if cal.native != "all" else ""))
        cells: dict[tuple, list[float | None]] = {}
        for series in self._run(query):
            tags = series.get("tags") or {}
            group = tuple(tags.get(g, "") for g in group_by)
            for time_ns, *values in series.get("values", []):
                bucket = cal.index(int(time_ns))
                if bucket is None:
                    continue
                into = cells.setdefault((cal.starts[bucket], group), [None] * len(fields))
                for i, value in enumerate(values):
                    if value is not None:
                        into[i] = float(value) + (into[i] or 0.0)
        return sorted(Totals(t, g, tuple(v)) for (t, g), v in cells.items())

    def count_days(self, measurement: str, fields: Sequence[str], start_ns: int, end_ns: int,
                   tz: str, group_by: Sequence[str] = (),
                   where: Where | None = None) -> dict[tuple[str, ...], int]:
        groups = "".join(f", {ident(g)}" for g in group_by)
        # fill(0) makes a missing field's COUNT 0, not null, so the sum is "any of the fields"
        per_day = (f"SELECT {' + '.join(f'COUNT({ident(f)})' for f in fields)} AS n "
                   f"FROM {ident(measurement)} WHERE {_where(start_ns, end_ns, where)} "
                   f"GROUP BY time(1d){groups} fill(0) tz({literal(tz)})")
        query = f"SELECT COUNT(n) FROM ({per_day}) WHERE n > 0" + (
            f" GROUP BY {groups[2:]}" if group_by else "")
        return {_group(series, group_by): int(series["values"][0][1])
                for series in self._run(query) if series.get("values")}

    def latest(self, measurement: str, start_ns: int, end_ns: int,
               group_by: Sequence[str] = ("point",),
               where: Where | None = None) -> list[Latest]:
        base = (f"FROM {ident(measurement)} WHERE {_where(start_ns, end_ns, where)} GROUP BY "
                + ", ".join(ident(g) for g in group_by))
        counts = {}
        for series in self._run(f'SELECT COUNT("value") {base}'):
            counts[_group(series, group_by)] = int(series["values"][0][1])
        found = []
        for series in self._run(f'SELECT LAST("value") {base}'):  # time = the reading's
            group = _group(series, group_by)
            time_ns, value = series["values"][0][:2]
            found.append(Latest(group, int(time_ns), value, counts.get(group, 0)))
        return sorted(found)


def _group(series: dict, group_by: Sequence[str]) -> tuple[str, ...]:
    tags = series.get("tags") or {}
    return tuple(tags.get(g, "") for g in group_by)


def _raw_from(collected: Mapping[str, Iterable[list]]) -> RawReadings:
    points = tuple(sorted(collected))
    times, values, index = [], [], []
    for i, point in enumerate(points):
        pairs = sorted((int(t), v) for t, v in collected[point] if v is not None)
        times.append(np.fromiter((t for t, _ in pairs), np.int64, len(pairs)))
        values.append(np.fromiter((float(v) for _, v in pairs), np.float64, len(pairs)))
        index.append(np.full(len(pairs), i, np.int32))
    if not points:
        return RawReadings((), np.empty(0, np.int32), np.empty(0, np.int64),
                           np.empty(0, np.float64))
    return RawReadings(points, np.concatenate(index), np.concatenate(times),
                       np.concatenate(values))


def parse_results(document: dict) -> Iterator[dict]:
    """The series of one /query JSON document; an InfluxQL error raises ValueError."""
    for result in document.get("results", []):
        if "error" in result:
            raise ValueError(result["error"])
        yield from result.get("series", [])
    if "error" in document:
        raise ValueError(document["error"])
