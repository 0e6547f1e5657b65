"""Loading the site config: YAML (+ a CSV point list) → validated models, or every problem at once.

Sections are validated piece by piece — each building, point and purpose on
its own — so one bad entry never hides the problems of the others, and the
cross-checks still run on everything that did validate.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import TypeAdapter, ValidationError

from civicwatt.api.settings import check_api
from civicwatt.config import checks
from civicwatt.config.buildings import check_building_metadata
from civicwatt.config.calendar import check_calendar, moved_keys
from civicwatt.config.errors import _MISSING, ConfigError, Problem, render_path
from civicwatt.config.purposes import PurposeTree
from civicwatt.config.site import SiteConfig
from civicwatt.config.yamlfile import MAX_BYTES, YamlDocument, expand_env, read_text
from civicwatt.metering.settings import check_metering
from civicwatt.platform.checks import check_platform
from collector.modbus.profiles import SHIPPED_DEVICES, ProfileError, shipped_profiles
from collector.modbus.settings import DeviceProfile

_CSV_FIXED = ("id", "building", "zone", "purpose", "quantity", "unit", "name", "min", "max",
              "max_kw", "max_rate", "rollover", "parent")
_CSV_PREFIXED = {"mqtt_": ("topic", "value_path", "ts_path", "scale"),
                 "modbus_": ("device", "field", "function", "address", "ref", "type", "order",
                             "scale", "offset", "length", "bit")}


class _Locator:
    """Maps a field path to (file, line, printable path): YAML lines or CSV rows."""

    def __init__(self, doc: YamlDocument, points: list, yaml_points: int,
                 csv_file: str | None, csv_rows: list[int]) -> None:
        self.doc, self.yaml_points, self.csv_file, self.csv_rows = (
            doc, yaml_points, csv_file, csv_rows)
        self.point_ids = [p.get("id") if isinstance(p, dict) else None for p in points]

    def problem(self, path: tuple, value: object, allowed: str) -> Problem:
        if len(path) >= 2 and path[0] == "points" and isinstance(path[1], int) \
                and path[1] >= self.yaml_points:
            row = self.csv_rows[path[1] - self.yaml_points]
            column = _csv_column(path[2:])
            where = f"points_csv row {row} ({self.point_ids[path[1]] or 'no id'})" + (
                f", column {column}" if column else "")
            return Problem(self.csv_file or "", row, where, value, allowed)
        text = render_path(path)
        if len(path) >= 2 and path[0] == "points" and isinstance(path[1], int) \
                and path[1] < len(self.point_ids) and self.point_ids[path[1]]:
            text = text.replace(f"points[{path[1]}]",
                                f"points[{path[1]}] ({self.point_ids[path[1]]})", 1)
        return Problem(self.doc.name, self.doc.line(path), text, value, allowed)


def _csv_column(sub: tuple) -> str:
    if not sub:
        return ""
    if sub[0] in ("mqtt", "modbus"):
        leaf = [k for k in sub[1:] if k != "register"]
        return f"{sub[0]}_{leaf[0]}" if leaf else f"{sub[0]}_*"
    return str(sub[0])


def load_site(path: str | Path) -> SiteConfig:
    """Load and validate a site config; raise ConfigError naming every problem."""
    doc = YamlDocument(Path(path))
    found: list[tuple[tuple, object, str]] = []
    missing_env: list = []
    if doc.node is None:
        raise ConfigError([Problem(doc.name, None, "(file)", _MISSING,
                                   "the file is empty: a site config has `version: 1`, `site:` "
                                   "and `buildings:` — start from config/example-site.yaml")])
    data = expand_env(doc.data, problems=missing_env)
    if not isinstance(data, dict):
        raise ConfigError([Problem(doc.name, 1, "(top level)", _MISSING,
                                   "a mapping with site:, buildings:, points: ...")])
    if "site" not in data and ("versions" in data or "registers" in data):
        kind = "a tariff" if "versions" in data else "a Modbus device profile"
        raise ConfigError([Problem(doc.name, 1, "(top level)", _MISSING,
                                   f"this is {kind}, not a site config: a site config has "
                                   "site:, buildings: and points: (see config/example-site.yaml)"
                                   )])
    found += _non_finite(data)
    for env_path, name in missing_env:
        found.append((env_path, f"${{{name}}}", f"environment variable {name} is not set: "
                      f"export it, or give a default as ${{{name}:-value}}"))

    yaml_points = data.get("points") or []
    csv_file, csv_points, csv_rows, csv_problems = _read_points_csv(data.get("points_csv"),
                                                                    doc.path.parent)
    if isinstance(yaml_points, list):
        data = {**data, "points": yaml_points + csv_points}
    locator = _Locator(doc, data.get("points") or [],
                       len(yaml_points) if isinstance(yaml_points, list) else 0,
                       csv_file, csv_rows)

    moved, data = moved_keys(data)
    found += moved
    parts = _validate_pieces(data, found)
    profiles = _profiles(found)
    purposes = PurposeTree(tuple(parts.get("purposes", {}).values()))
    buildings, points = parts.get("buildings", {}), parts.get("points", {})
    found += checks.check_ids(buildings, points)
    found += checks.check_purposes(parts.get("purposes", {}))
    found += checks.check_baselines(buildings)
    found += check_building_metadata(buildings, parts.get("platform"), parts.get("statistics"))
    found += checks.check_points(points, buildings, purposes)
    found += checks.check_modbus_section(parts.get("modbus"), profiles, points)
    found += check_metering(parts.get("metering"), parts.get("site"), points, doc.path.parent)
    found += check_calendar(parts.get("calendar"), parts.get("site"),
                            {b.id for b in buildings.values()})
    found += checks.check_addresses(parts.get("store"), parts.get("mqtt"), parts.get("modbus"),
                                    parts.get("report"))
    found += checks.check_local(parts.get("service"), parts.get("mqtt"), parts.get("report"),
                                doc.path.parent)
    found += checks.check_setpoints_section(parts.get("setpoints"), buildings, points,
                                            parts.get("service"), "mqtt" in data)
    found += check_platform(parts.get("platform"), buildings, points, parts.get("purposes", {}),
                            parts.get("metering"))

    found += check_api(parts.get("api"), doc.path.parent)

    unusable = {f[0] for f in found if f[2].startswith("a finite number")}
    found = [f for f in found if f[0] not in unusable or f[2].startswith("a finite number")]
    problems = csv_problems + [locator.problem(*f) for f in found]
    if problems:
        raise ConfigError(problems)
    config = SiteConfig.model_validate(data)
    return config.model_copy(update={"base_dir": doc.path.parent.resolve()})


def _validate_pieces(data: dict, found: list) -> dict[str, Any]:
    """Validate each top-level section (each list item on its own); keep what validated."""
    fields = {k: f for k, f in SiteConfig.model_fields.items() if k != "base_dir"}
    for key in data:
        if key not in fields:
            found.append(((key,), data[key], f"unknown key; known keys: {', '.join(fields)}"))
    parts: dict[str, Any] = {}
    for name, info in fields.items():
        if name not in data:
            if info.is_required():
                found.append(((name,), _MISSING, "required"))
            continue
        value = data[name]
        if get_origin(info.annotation) is list and not isinstance(value, list):
            found.append(((name,), value, "a list: one `- ` entry per line (see "
                          "config/example-site.yaml)"))
            parts[name] = {}
            continue
        if get_origin(info.annotation) is list:
            adapter = TypeAdapter(get_args(info.annotation)[0])
            parts[name] = {}
            for i, item in enumerate(value):
                checked = _validate(adapter, item, (name, i), found)
                if checked is not None:
                    parts[name][i] = checked
            if not value and info.metadata and any(getattr(m, "min_length", 0) for m in
                                                   info.metadata):
                found.append(((name,), value, "at least one entry"))
        else:
            parts[name] = _validate(TypeAdapter(info.annotation), value, (name,), found)
    return parts


def _non_finite(data: Any, path: tuple = ()) -> list[tuple[tuple, object, str]]:
    """NaN and infinity are never meant: `.inf` for "no limit" is said by leaving a key out."""
    if isinstance(data, dict):
        return [f for k, v in data.items() for f in _non_finite(v, (*path, k))]
    if isinstance(data, list):
        return [f for i, v in enumerate(data) for f in _non_finite(v, (*path, i))]
    if isinstance(data, float) and not math.isfinite(data):
        return [(path, data, "a finite number (leave the key out for no limit)")]
    return []


def _validate(adapter: TypeAdapter, value: Any, path: tuple, found: list) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError as exc:
        for error in exc.errors():
            where, bad = _locate(value, error["loc"])
            shown = error.get("input", bad) if error["type"] != "missing" else _MISSING
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "extra_forbidden":
                message = "unknown key (check the spelling against the README's reference)"
            found.append(((*path, *where), shown, message))
        return None


def _locate(value: Any, loc: tuple) -> tuple[tuple, Any]:
    """Follow a pydantic error location through the data, dropping union/validator tags."""
    where: list = []
    for key in loc:
        if (isinstance(value, dict) and key in value) or (
                isinstance(value, list) and isinstance(key, int) and key < len(value)):
            value = value[key]
        elif isinstance(value, dict) and isinstance(key, str) and not any(
                c in key for c in "[]()-") and key not in ("tcp", "rtu", "rtu_over_tcp"):
            where.append(key)  # a missing key: name it, then stop
            break
        else:
            continue
        where.append(key)
    return tuple(where), value


def _profiles(found: list) -> dict[str, DeviceProfile]:
    """The shipped device profiles, by name (a broken one is a finding, not a crash)."""
    try:
        return dict(shipped_profiles())
    except ProfileError as exc:
        found.append((("modbus", "profiles"), str(SHIPPED_DEVICES), str(exc)))
        return {}


def _read_points_csv(name: object, base: Path) -> tuple[str | None, list, list[int], list]:
    """Rows of a CSV point list as point dicts, with their line numbers and problems."""
    if not name:
        return None, [], [], []
    file = base / str(name)
    try:
        text = read_text(file, "points_csv", 8 * MAX_BYTES)
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = reader.fieldnames or []
        allowed = set(_CSV_FIXED) | {p + k for p, keys in _CSV_PREFIXED.items() for k in keys}
        unknown = [c for c in header if c not in allowed]
        if unknown:
            return str(file), [], [], [Problem(str(file), 1, "header", unknown,
                                               f"unknown columns; allowed: {sorted(allowed)}")]
        rows = [(reader.line_num, row) for row in reader]
    except ConfigError as exc:
        return str(file), [], [], exc.problems
    except csv.Error as exc:
        return str(file), [], [], [Problem(str(file), reader.line_num, "points_csv", _MISSING,
                                           f"not a valid CSV file: {exc}")]
    points = [_csv_point(row) for _, row in rows]
    return str(file), points, [line for line, _ in rows], []


def _csv_point(row: dict[str, str]) -> dict:
    def cells(prefix: str, keys: tuple[str, ...]) -> dict[str, str]:
        return {k: v for k in keys if (v := (row.get(prefix + k) or "").strip())}

    point: dict[str, Any] = cells("", _CSV_FIXED)
    if mqtt := cells("mqtt_", _CSV_PREFIXED["mqtt_"]):
        point["mqtt"] = mqtt
    modbus = cells("modbus_", _CSV_PREFIXED["modbus_"])
    if modbus:
        binding = {k: modbus.pop(k) for k in ("device", "field") if k in modbus}
        if modbus:
            binding["register"] = modbus
        point["modbus"] = binding
    return point
