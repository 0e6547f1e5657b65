"""InfluxDB line protocol: rows → bytes, escaped for spaces, commas, equals and any Unicode."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from store.types import FieldValue, Row

_KEYS: dict[str, str] = {}


def _escape_key(text: str) -> str:
    escaped = _KEYS.get(text)
    if escaped is None:
        escaped = text.replace("\\", "\\\\").replace(",", r"\,").replace("=", r"\=")
        escaped = _KEYS[text] = escaped.replace(" ", r"\ ")
    return escaped


def _format_value(value: FieldValue) -> str:
    kind = type(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError(f"field value {value!r} is not finite; InfluxDB cannot store it")
        return repr(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return f"{value}i"
    if kind is str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return _format_value(float(value))  # numpy scalars and other numbers


def format_fields(fields: Mapping[str, FieldValue]) -> str:
    return ",".join([f"{_escape_key(k)}={_format_value(v)}" for k, v in fields.items()])


def format_row(row: Row) -> str:
    return f"{row.series.key} {format_fields(row.fields)} {row.time_ns}"


def encode(rows: Iterable[Row]) -> bytes:
    """Rows as one line-protocol body (UTF-8), one line per row."""
    return "\n".join([f"{r.series.key} {format_fields(r.fields)} {r.time_ns}" for r in rows]
                     ).encode()
