"""Read the metering engine's inputs from files: tariffs, factor tables, CSVs.

Every error a user can cause says which file, which row and which column,
and how to fix it (`InputError`); nothing here raises a traceback at a user.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import TypeAdapter, ValidationError

from civicwatt.config.errors import ConfigError
from civicwatt.config.yamlfile import MAX_BYTES, parse, read_text
from civicwatt.metering.settings import CONFIG_DIR, MeteringSettings, resolve_file
from rules.carbon import ClassFactors, CoalFactors, EmissionFactors
from rules.energy import BY_QUANTITY, METERED
from rules.intervals import ENERGY, POWER
from rules.prices import ClassPrice, check_prices
from rules.tariffs import Tariff, describe_errors
from rules.urdb import UrdbError, from_urdb, looks_like_urdb

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PRICES = TypeAdapter(dict[str, ClassPrice])
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
                         "`versions:` (see civicwatt/data/tariffs/), an OpenEI URDB tariff is "
                         "JSON with `energyratestructure`")
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


def load_site_tariff(site: Any) -> Tariff:
    """The site's tariff (`metering.tariff`) on the site's calendar (`calendar:`), with the
    site's base prices (`metering.base_prices`) for a ratio tariff: what billing, the report
    and the setpoint rules all price by."""
    from civicwatt.config.calendar import site_calendar

    metering = site.metering
    tariff = load_tariff(resolve_file(metering.tariff, site.base_dir, CONFIG_DIR / "tariffs"))
    update: dict[str, Any] = {"calendar": site_calendar(site)}
    prices = load_base_prices(metering, site.base_dir)
    if prices:
        if tariff.price_basis != "ratio":
            raise InputError(f"metering.base_prices: tariff {tariff.name!r} holds money, not "
                             "ratios (price_basis: money); remove base_prices")
        update["base_prices"] = {**tariff.base_prices, **prices}
    return tariff.model_copy(update=update)


def load_base_prices(metering: MeteringSettings, base_dir: Path) -> dict[str, float]:
    """`metering.base_prices` as 'YYYY-MM' → price: the mapping itself, or read from a CSV
    (`month,price`) or YAML mapping file next to the config."""
    given = metering.base_prices
    if not isinstance(given, str):
        return dict(given or {})
    path = Path(given) if Path(given).is_absolute() else base_dir / given
    text = _read_text(path, "base prices")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        if rows and not {"month", "price"} <= set(rows[0]):
            raise InputError(f"base prices {path}: header must be month,price "
                             f"(found {','.join(rows[0])})")
        prices: dict[str, Any] = {}
        for line, row in enumerate(rows, start=2):
            try:
                prices[row["month"].strip()] = float(row["price"])
            except (TypeError, ValueError):
                raise InputError(f"base prices {path}: line {line}: price {row['price']!r} is "
                                 "not a number") from None
    else:
        prices = _load_yaml(text, str(path)) or {}
        if not isinstance(prices, dict):
            raise InputError(f"base prices {path}: a mapping of month to price, "
                             "e.g. 2026-10: 0.6523")
        prices = {str(k): v for k, v in prices.items()}
    from rules.tariffs import base_price_problems

    for problem in base_price_problems(prices):
        raise InputError(f"{path}: {problem}")
    return {k: float(v) for k, v in prices.items()}


def load_emission_factors(path: str | Path | None = None) -> EmissionFactors:
    return _load_model(
        Path(path or CONFIG_DIR / "emission_factors.yaml"), EmissionFactors, "emission factors"
    )


def load_coal_factors(path: str | Path | None = None) -> CoalFactors:
    return _load_model(Path(path or CONFIG_DIR / "coal_factors.yaml"), CoalFactors, "coal factors")


@dataclass(frozen=True)
class PointTable:
    """points.csv as columns. `quantity` is 'power', 'temperature' or a class's quantity
    ('energy' for electricity); `energy` the class each metered point counts in."""

    ids: tuple[str, ...]
    zone: tuple[str, ...]
    purpose: tuple[str, ...]
    quantity: tuple[str, ...]
    energy: tuple[str, ...]  # class name; "" for temperature points
    scale: np.ndarray  # the point's unit → its class's canonical unit (kW for power)
    rollover: np.ndarray  # canonical unit, NaN = none
    max_rate: np.ndarray  # canonical unit per hour (kW for electricity), NaN = none
    parent: np.ndarray  # int64 index of the parent point, −1 = none

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


def read_points(path: str | Path, density: Mapping[str, float | None]) -> PointTable:
    """points.csv: `point,zone,purpose,quantity,unit` and optionally `rollover`, `max_kw`
    (electricity), `max_rate` (the class's unit per hour), `parent`; `density` (kg/L
    by fuel) converts fuels counted in litres."""
    p = Path(path)
    reader, _ = _rows(p, "points", ("point", "zone", "purpose", "quantity", "unit"))
    cols: dict[str, list] = {k: [] for k in ("id", "zone", "purpose", "quantity", "energy",
                                             "scale", "roll", "max", "parent")}
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
        quantity = "energy" if quantity == "electricity" else quantity
        unit = (row.get("unit") or "").strip()
        energy, scale = _point_unit(quantity, unit, density, f"{p} row {line}")
        roll = _number(row.get("rollover"), p, line, "rollover", optional=True)
        cols["id"].append(pid)
        cols["zone"].append((row.get("zone") or "").strip())
        cols["purpose"].append((row.get("purpose") or "").strip())
        cols["quantity"].append(quantity)
        cols["energy"].append(energy)
        cols["scale"].append(scale)
        cols["roll"].append(roll * scale)
        cols["max"].append(_max_rate(row, p, line, energy))
        cols["parent"].append((row.get("parent") or "").strip())
    if not cols["id"]:
        raise InputError(f"{p}: no points (one row per point after the header)")
    parents = []
    for pid, parent in zip(cols["id"], cols["parent"], strict=True):
        if parent and parent not in seen:
            raise InputError(f"{p} row {seen[pid]}, column parent: {parent!r} is not a point "
                             "of this file")
        parents.append(cols["id"].index(parent) if parent else -1)
    return PointTable(tuple(cols["id"]), tuple(cols["zone"]), tuple(cols["purpose"]),
                      tuple(cols["quantity"]), tuple(cols["energy"]), np.array(cols["scale"]),
                      np.array(cols["roll"]), np.array(cols["max"]), np.array(parents, np.int64))


def _point_unit(quantity: str, unit: str, density: Mapping[str, float | None],
                where: str) -> tuple[str, float]:
    """(class name, scale to its canonical unit) of a point, or an InputError saying why not."""
    if quantity == "temperature":
        if unit.lower() not in _TEMP_UNITS:
            raise InputError(f"{where}, column unit: temperature unit must be °C, got {unit!r}")
        return "", 1.0
    if quantity == "power":
        if unit.lower() not in _POWER_UNITS:
            raise InputError(f"{where}, column unit: {unit!r} must be kW, W or MW for power")
        return "electricity", _POWER_UNITS[unit.lower()]
    energy = BY_QUANTITY.get(quantity)
    if energy is None:
        known = ", ".join(["energy (or electricity)", *METERED[1:], "power", "temperature"])
        raise InputError(f"{where}, column quantity: {quantity!r} is not one of {known}")
    try:
        return energy.name, energy.factor(unit, density.get(energy.name))
    except ValueError as exc:
        raise InputError(f"{where}, column unit: {exc}") from None


def _max_rate(row: dict, path: Path, line: int, energy: str) -> float:
    """`max_rate` (the class's unit per hour) or, for electricity, `max_kw`; not both."""
    rate = _number(row.get("max_rate"), path, line, "max_rate", optional=True)
    kw = _number(row.get("max_kw"), path, line, "max_kw", optional=True)
    if np.isfinite(kw) and energy != "electricity":
        raise InputError(f"{path} row {line}, column max_kw: {energy} has no kW; give max_rate "
                         "in its unit per hour")
    if np.isfinite(kw) and np.isfinite(rate):
        raise InputError(f"{path} row {line}: give max_kw or max_rate, not both")
    return kw if np.isfinite(kw) else rate


def load_prices(path: str | Path) -> dict[str, ClassPrice]:
    """A YAML map class → price (`rules.prices`); every problem named with its key."""
    p = Path(path)
    text = _read_text(p, "prices")
    data = _load_yaml(text, str(p))
    if not isinstance(data, dict):
        raise InputError(f"prices {p}: expected a map of class → {{price, unit}}, e.g. "
                         "`water: {price: 7.15, unit: m3}`")
    try:
        prices = PRICES.validate_python(data)
    except ValidationError as exc:
        lines = "\n  ".join(describe_errors(exc))
        raise InputError(f"prices {p} has problems:\n  {lines}") from None
    problems = [f"{'.'.join(path)}: {msg}" for path, msg in check_prices(prices)]
    if problems:
        raise InputError(f"prices {p} has problems:\n  " + "\n  ".join(problems))
    return prices


def load_class_factors(path: str | Path | None = None) -> ClassFactors:
    """The shipped class factors, with a site's or a command's file over them."""
    shipped = _load_model(CONFIG_DIR / "class_factors.yaml", ClassFactors, "class factors")
    if path is None:
        return shipped
    return shipped.merged(_load_model(Path(path), ClassFactors, "factors"))


def parse_timestamp(text: str) -> int:
    """ISO 8601 with an offset or Z → epoch ns; naive timestamps are refused."""
    stamp = dt.datetime.fromisoformat(text.strip())
    if stamp.tzinfo is None:
        raise ValueError("no UTC offset")
    return ((stamp - _EPOCH) // dt.timedelta(microseconds=1)) * 1000


def read_readings(
    path: str | Path, points: PointTable
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """readings.csv → (point_index, time_ns, value in the class's unit, kW or °C)."""
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
