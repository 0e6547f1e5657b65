"""Read the metering engine's inputs from files: tariffs, factor tables, CSVs.

Every error a user can cause says which file, which row and which column,
and how to fix it (`InputError`); nothing here raises a traceback at a user.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from civicwatt.config.errors import ConfigError
from civicwatt.config.yamlfile import MAX_BYTES, parse, read_text
from civicwatt.metering.settings import CONFIG_DIR, MeteringSettings, resolve_file
from rules.carbon import CoalFactors, EmissionFactors
from rules.intervals import ENERGY, POWER
from rules.tariffs import Tariff, describe_errors
from rules.urdb import UrdbError, from_urdb, looks_like_urdb

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_ENERGY_UNITS = {"kwh": 1.0, "wh": 1e-3, "mwh": 1e3}
_POWER_UNITS = {"kw": 1.0, "w": 1e-3, "mw": 1e3}
_TEMP_UNITS = {"°c", "c", "degc", "celsius", ""}


class InputError(Exception):
    """A user-fixable problem in an input file; str() is the whole message."""


def _read_text(path: Path, what: str) -> str:
    """UTF-8 text, or InputError saying why not (see config.yamlfile); CSV data unbounded."""
    try:
        return read_text(path, what, None if what in ("readings", "points") else MAX_BYTES)
    except ConfigError as exc:
        raise InputError(f"{what} {path}: {exc.problems[0].allowed}") from None


def _load_yaml(text: str, where: str) -> Any:
    """YAML with duplicate keys, alias bombs and deep nesting refused, like the site config."""
    try:
        return parse(text, where)[1]
    except ConfigError as exc:
        raise InputError("\n".join(str(p) for p in exc.problems)) from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InputError(f"duplicate key {', '.join(map(repr, repeated))}: a key may appear "
                         "once in an object — delete one")
    return dict(pairs)


def parse_tariff(text: str, where: str) -> Tariff:
    """A native YAML tariff or a URDB JSON tariff, detected by content."""
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except InputError as exc:
        raise InputError(f"tariff {where}: {exc}") from None
    except ValueError:
        data = _load_yaml(text, where)
    if not isinstance(data, dict):
        raise InputError(f"tariff {where}: expected a mapping (native YAML) or a URDB JSON object")
    if not looks_like_urdb(data) and "versions" not in data and "name" not in data:
        raise InputError(f"tariff {where}: not a tariff — a native tariff YAML has `name:` and "
                         "`versions:` (see config/tariffs/), an OpenEI URDB tariff is JSON with "
                         "`energyratestructure`")
    try:
        return from_urdb(data) if looks_like_urdb(data) else Tariff.from_dict(data)
    except UrdbError as exc:
        raise InputError(f"tariff {where} (URDB): {exc}") from None
    except ValidationError as exc:
        lines = "\n  ".join(describe_errors(exc))
        raise InputError(f"tariff {where} has problems:\n  {lines}") from None


def load_tariff(path: str | Path) -> Tariff:
    p = Path(path)
    return parse_tariff(_read_text(p, "tariff"), str(p))


def _load_model(path: Path, model: Any, what: str) -> Any:
    try:
        return model.model_validate(_load_yaml(_read_text(path, what), str(path)))
    except ValidationError as exc:
        lines = "\n  ".join(describe_errors(exc))
        raise InputError(f"{what} {path} has problems:\n  {lines}") from None


def load_site_tariff(metering: MeteringSettings, base_dir: Path) -> Tariff:
    """The site's tariff (`metering.tariff`) with the site's own holidays and adjusted
    workdays merged into its calendar: what billing and the setpoint rules both price by."""
    tariff = load_tariff(resolve_file(metering.tariff, base_dir, CONFIG_DIR / "tariffs"))
    cal = tariff.calendar
    return tariff.model_copy(update={"calendar": cal.model_copy(update={
        "extra_holidays": (*cal.extra_holidays, *metering.holidays),
        "extra_workdays": (*cal.extra_workdays, *metering.workdays)})})


def load_emission_factors(path: str | Path | None = None) -> EmissionFactors:
    return _load_model(
        Path(path or CONFIG_DIR / "emission_factors.yaml"), EmissionFactors, "emission factors"
    )


def load_coal_factors(path: str | Path | None = None) -> CoalFactors:
    return _load_model(Path(path or CONFIG_DIR / "coal_factors.yaml"), CoalFactors, "coal factors")


@dataclass(frozen=True)
class PointTable:
    """points.csv as columns; `quantity` holds 'energy', 'power' or 'temperature'."""

    ids: tuple[str, ...]
    zone: tuple[str, ...]
    purpose: tuple[str, ...]
    quantity: tuple[str, ...]
    scale: np.ndarray  # unit → kWh / kW
    rollover: np.ndarray  # kWh, NaN = none
    max_kw: np.ndarray  # kW, NaN = none

    def engine_quantity(self) -> np.ndarray:
        return np.array([POWER if q == "power" else ENERGY for q in self.quantity], np.int8)


def _rows(path: Path, what: str, required: tuple[str, ...]) -> tuple[Iterator[dict], Any]:
    text = _read_text(path, what)
    reader = csv.DictReader(text.splitlines())
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise InputError(f"{path} row 1: not valid CSV ({exc})") from None
    reader.fieldnames = header
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            f"{path}: header must have columns {','.join(required)}; missing {', '.join(missing)}"
            f" (found: {','.join(header) or 'no header'})"
        )
    return _checked(reader, path, len(header)), header


def _checked(reader: csv.DictReader, path: Path, width: int) -> Iterator[dict]:
    """The rows; a malformed one (too many cells, a runaway quote) is an InputError."""
    row = 1
    try:
        for row, record in enumerate(reader, start=2):
            if None in record:
                raise InputError(f"{path} row {row}: {width + len(record[None])} cells, but the "
                                 f"header has {width}; quote cells that contain a comma")
            yield record
    except csv.Error as exc:
        raise InputError(f"{path} row {row + 1}: not valid CSV ({exc})") from None


def _number(text: str | None, path: Path, line: int, column: str, optional: bool = False) -> float:
    raw = (text or "").strip()
    if raw == "" and optional:
        return float("nan")
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"{path} row {line}, column {column}: {raw!r} is not a number") from None
    if not np.isfinite(value):
        raise InputError(f"{path} row {line}, column {column}: {raw!r} is not a finite number")
    return value


def read_points(path: str | Path) -> PointTable:
    p = Path(path)
    reader, _ = _rows(p, "points", ("point", "zone", "purpose", "quantity", "unit"))
    ids: list[str] = []
    cols: dict[str, list] = {k: [] for k in ("zone", "purpose", "quantity", "scale", "roll", "max")}
    seen: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        pid = (row.get("point") or "").strip()
        if not pid:
            raise InputError(f"{p} row {line}, column point: empty point id")
        if pid in seen:
            raise InputError(
                f"{p} row {line}, column point: {pid!r} already defined on row {seen[pid]}"
            )
        seen[pid] = line
        quantity = (row.get("quantity") or "").strip().lower()
        unit = (row.get("unit") or "").strip()
        if quantity == "energy":
            units = _ENERGY_UNITS
        elif quantity == "power":
            units = _POWER_UNITS
        elif quantity == "temperature":
            units = None
        else:
            raise InputError(
                f"{p} row {line}, column quantity: {quantity!r} is not energy, power or temperature"
            )
        if units is None:
            if unit.lower() not in _TEMP_UNITS:
                raise InputError(
                    f"{p} row {line}, column unit: temperature unit must be °C, got {unit!r}"
                )
            scale = 1.0
        elif unit.lower() not in units:
            allowed = {"energy": "kWh, Wh or MWh", "power": "kW, W or MW"}[quantity]
            raise InputError(
                f"{p} row {line}, column unit: {unit!r} must be {allowed} for {quantity}"
            )
        else:
            scale = units[unit.lower()]
        ids.append(pid)
        cols["zone"].append((row.get("zone") or "").strip())
        cols["purpose"].append((row.get("purpose") or "").strip())
        cols["quantity"].append(quantity)
        cols["scale"].append(scale)
        roll = _number(row.get("rollover"), p, line, "rollover", optional=True)
        top = _number(row.get("max_kw"), p, line, "max_kw", optional=True)
        cols["roll"].append(roll * scale)
        cols["max"].append(top)
    if not ids:
        raise InputError(f"{p}: no points (one row per point after the header)")
    return PointTable(
        tuple(ids),
        tuple(cols["zone"]),
        tuple(cols["purpose"]),
        tuple(cols["quantity"]),
        np.array(cols["scale"]),
        np.array(cols["roll"]),
        np.array(cols["max"]),
    )


def parse_timestamp(text: str) -> int:
    """ISO 8601 with an offset or Z → epoch ns; naive timestamps are refused."""
    stamp = dt.datetime.fromisoformat(text.strip())
    if stamp.tzinfo is None:
        raise ValueError("no UTC offset")
    return ((stamp - _EPOCH) // dt.timedelta(microseconds=1)) * 1000


def read_readings(
    path: str | Path, points: PointTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """readings.csv → (point_index, time_ns, value in kWh/kW/°C)."""
    p = Path(path)
    reader, _ = _rows(p, "readings", ("point", "timestamp", "value"))
    index = {pid: i for i, pid in enumerate(points.ids)}
    pis: list[int] = []
    times: list[int] = []
    values: list[float] = []
    for line, row in enumerate(reader, start=2):
        pid = (row.get("point") or "").strip()
        if pid not in index:
            raise InputError(
                f"{p} row {line}, column point: unknown point {pid!r}; add it to the points file"
            )
        raw = row.get("timestamp") or ""
        try:
            t = parse_timestamp(raw)
        except ValueError as exc:
            raise InputError(
                f"{p} row {line}, column timestamp: {raw!r} is not ISO 8601 with an offset "
                f"({exc}); write e.g. 2026-06-01T00:00:00+08:00 or 2026-05-31T16:00:00Z"
            ) from None
        pis.append(index[pid])
        times.append(t)
        values.append(_number(row.get("value"), p, line, "value"))
    pi = np.array(pis, np.int32)
    value = np.array(values, np.float64) * points.scale[pi] if pis else np.empty(0)
    return pi, np.array(times, np.int64), value
