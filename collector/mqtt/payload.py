"""Payloads → (value, time) readings, or a reason code for each one that can't be stored.

Accepted shapes: a JSON object with the value (and optionally the time) at
dotted paths (defaults `value`, `ts`); a JSON array of such objects; a plain
number (`21.5`). Times are epoch seconds, ms, µs or ns (told apart by
magnitude) or ISO 8601 with an offset; no time → the receive time. Pure: the
receive time and the clock are passed in. Times out: UTC epoch nanoseconds.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import orjson

# Reason codes: stable, used as dead-letter `reason` and as `rejected_<reason>` counters.
UNKNOWN_TOPIC = "unknown_topic"
NON_NUMERIC = "non_numeric"
NOT_FINITE = "not_finite"
OUT_OF_RANGE = "out_of_range"
FUTURE = "future"
TOO_OLD = "too_old"
OVERSIZED = "oversized"
BAD_JSON = "bad_json"
BAD_TIMESTAMP = "bad_timestamp"
STORE_REJECTED = "store_rejected"
REASONS = (UNKNOWN_TOPIC, NON_NUMERIC, NOT_FINITE, OUT_OF_RANGE, FUTURE, TOO_OLD, OVERSIZED,
           BAD_JSON, BAD_TIMESTAMP, STORE_REJECTED)


class Rejected(Exception):
    """One reading (or a whole payload) that can't be stored, with its reason code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def split_path(path: str) -> tuple[str | int, ...]:
    """`data.values.0` → ("data", "values", 0): digits index into arrays."""
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


_MISSING = object()
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _get(obj: object, path: tuple[str | int, ...]) -> object:
    for key in path:
        if type(obj) is dict:
            obj = obj.get(key if type(key) is str else str(key), _MISSING)
        elif type(obj) is list and type(key) is int and key < len(obj):
            obj = obj[key]
        else:
            return _MISSING
        if obj is _MISSING:
            return obj
    return obj


def to_ns(ts: object) -> int:
    """An epoch number (s/ms/µs/ns by magnitude) or ISO 8601 string → epoch ns (UTC)."""
    kind = type(ts)
    if kind is str:
        text = ts.strip()  # type: ignore[union-attr]
        try:
            ts = float(text) if text.lstrip("-").replace(".", "", 1).isdigit() else None
        except ValueError:
            ts = None
        if ts is None:
            return _iso_ns(text)
        kind = float
    if kind is bool or kind not in (int, float):
        raise Rejected(BAD_TIMESTAMP, f"timestamp {ts!r} is neither a number nor ISO 8601")
    if kind is float and not math.isfinite(ts):  # type: ignore[arg-type]
        raise Rejected(BAD_TIMESTAMP, f"timestamp {ts!r} is not finite")
    size = abs(ts)  # type: ignore[arg-type]
    if size < 1e11:  # seconds (until year 5138)
        scale = 1_000_000_000
    elif size < 1e14:  # milliseconds
        scale = 1_000_000
    elif size < 1e17:  # microseconds
        scale = 1_000
    else:
        scale = 1
    if kind is int:
        return ts * scale  # type: ignore[operator,return-value]
    return round(ts * scale)  # type: ignore[operator]


def _iso_ns(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(BAD_TIMESTAMP,
                       f"timestamp {text[:64]!r} is neither epoch nor ISO 8601") from None
    if moment.tzinfo is None:
        raise Rejected(BAD_TIMESTAMP, f"timestamp {text[:64]!r} has no UTC offset; "
                       "send `Z` or `+08:00` so the time is unambiguous")
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


def to_value(value: object) -> float:
    kind = type(value)
    if kind is float:
        if value != value or value in (math.inf, -math.inf):
            raise Rejected(NOT_FINITE, f"value {value!r} is not a finite number")
        return value  # type: ignore[return-value]
    if kind is int:
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise Rejected(NOT_FINITE, f"value {str(value)[:40]} is too large") from None
    if value is _MISSING:
        raise Rejected(NON_NUMERIC, "no value at the value path")
    raise Rejected(NON_NUMERIC, f"value {str(value)[:64]!r} is not a number")


def parse(payload: bytes, value_path: tuple[str | int, ...], ts_path: tuple[str | int, ...],
          received_ns: int) -> list[tuple[float, int] | Rejected]:
    """All readings in one payload; a whole-payload problem is raised as `Rejected`.

    An array gives one entry per element, each a (value, time_ns) or a `Rejected`
    (so one bad element never costs the good ones).
    """
    head = payload[:1]
    if head in (b"{", b"[") or payload.lstrip()[:1] in (b"{", b"["):
        doc = _loads(payload)
        simple = (len(value_path) == 1 == len(ts_path) and type(value_path[0]) is str
                  and type(ts_path[0]) is str)
        if type(doc) is dict:
            if simple:
                return _simple_array((doc,), value_path, ts_path, received_ns)
            return [_one(doc, value_path, ts_path, received_ns)]
        if type(doc) is list:
            if simple:
                return _simple_array(doc, value_path, ts_path, received_ns)
            return [_one_safe(item, value_path, ts_path, received_ns) for item in doc]
    try:
        text = payload.decode("ascii").strip()
        value = float(text)
    except (UnicodeDecodeError, ValueError):
        preview = payload[:64].decode("utf-8", "replace")
        raise Rejected(NON_NUMERIC, f"payload {preview!r} is neither JSON nor a number") from None
    if not math.isfinite(value):
        raise Rejected(NOT_FINITE, f"value {text!r} is not a finite number")
    return [(value, received_ns)]


def _loads(payload: bytes) -> object:
    """orjson (several times faster); what it refuses but Python's parser takes (NaN,
    Infinity, integers beyond 64 bits) goes through `json`, so the outcome is the same."""
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        try:
            return json.loads(payload)
        except (ValueError, RecursionError) as exc:
            raise Rejected(BAD_JSON, f"not valid JSON: {str(exc)[:120]}") from None


def _one(doc: object, value_path, ts_path, received_ns: int) -> tuple[float, int]:
    if type(doc) is not dict:
        raise Rejected(NON_NUMERIC, f"element {str(doc)[:64]!r} is not a JSON object")
    value = to_value(_get(doc, value_path))
    ts = _get(doc, ts_path)
    if ts is _MISSING or ts is None:
        return value, received_ns
    return value, to_ns(ts)


def _one_safe(doc, value_path, ts_path, received_ns) -> tuple[float, int] | Rejected:
    try:
        return _one(doc, value_path, ts_path, received_ns)
    except Rejected as exc:
        return exc


def _simple_array(doc: list | tuple, value_path, ts_path, received_ns: int
                  ) -> list[tuple[float, int] | Rejected]:
    """Objects (and arrays of them) under plain keys are the high-rate shape: the common
    element — a number and an integer epoch (s/ms/µs/ns) or no time — is handled inline;
    every other element takes the general path (`_one_safe`), with the same result.
    A single object that fails raises, as `_one` does."""
    vk, tk = value_path[0], ts_path[0]
    out: list[tuple[float, int] | Rejected] = []
    append = out.append
    for item in doc:
        if type(item) is dict:
            v = item.get(vk)
            t = item.get(tk)
            kind = type(v)
            if ((kind is float and v - v == 0.0) or (kind is int and -1e300 < v < 1e300)) and (
                    type(t) is int and t >= 0):
                append((float(v), t * (1_000_000_000 if t < 1e11 else 1_000_000 if t < 1e14
                                       else 1_000 if t < 1e17 else 1)))
                continue
            if t is None and kind is float and v - v == 0.0:
                append((v, received_ns))
                continue
        if type(doc) is tuple:
            return [_one(item, value_path, ts_path, received_ns)]
        append(_one_safe(item, value_path, ts_path, received_ns))
    return out
