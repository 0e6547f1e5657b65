"""A CSV building list → `buildings:` YAML, so a bureau with 300 buildings types none of them.

Columns (header row; UTF-8 with or without BOM, or GB18030 as Excel saves it in China):
`id`, `floor_area_m2`, `occupants` (required); `name`, `institution` (the owning unit, 单位),
`type` (office, mall, hotel, education, medical, sports, mixed, other; school, hospital and the
platform letters A–H too), `heated_area_m2`, `cooled_area_m2`, `baseline_year`,
`quota_<metric>_constraint`, `quota_<metric>_guide` (annual; metric: kgce_per_m2,
kgce_per_person, water_m3_per_person, co2_kg_per_m2, electricity_kwh_per_m2), `quota_source`.
The README's "Portfolio statistics" section has the table.

Every row is validated with the config's own model; all problems are reported at once, by row
and column, and nothing is written unless every row is good.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import ValidationError

from civicwatt.config.buildings import check_building_metadata
from civicwatt.config.errors import _MISSING, Problem
from civicwatt.config.site import Building
from rules.targets import METRICS

PLAIN = ("id", "name", "institution", "type", "floor_area_m2", "heated_area_m2",
         "cooled_area_m2", "occupants", "baseline_year")
QUOTA = tuple(f"quota_{m}_{k}" for m in METRICS for k in ("constraint", "guide"))
COLUMNS = (*PLAIN, *QUOTA, "quota_source")
REQUIRED = ("id", "floor_area_m2", "occupants")


def read_buildings(file: Path) -> tuple[list[dict], list[Problem]]:
    """The rows as `buildings[]` entries, or the problems (file, line, column, value, why)."""
    where = str(file)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        return [], [Problem(where, None, "file", _MISSING, f"cannot read it: {exc.strerror}")]
    text = _decode(raw)
    if text is None:
        return [], [Problem(where, None, "file", _MISSING, "not text in UTF-8 or GB18030: save "
                            "the sheet as CSV UTF-8")]
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [c.strip() for c in reader.fieldnames or []]
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        return [], [Problem(where, 1, "header", unknown or missing,
                            (f"unknown column(s); the columns are {', '.join(COLUMNS)}"
                             if unknown else f"required column(s) missing; need "
                             f"{', '.join(REQUIRED)}"))]
    reader.fieldnames = header
    found, problems, seen = [], [], {}
    for row in reader:
        line = reader.line_num
        entry = _entry(row)
        try:
            building = Building.model_validate(entry)
        except ValidationError as exc:
            problems += [Problem(where, line, _column(e["loc"]), e.get("input", _MISSING),
                                 e["msg"].removeprefix("Value error, ")) for e in exc.errors()]
            continue
        if building.id in seen:
            problems.append(Problem(where, line, "id", building.id,
                                    f"already used on line {seen[building.id]}: ids are unique"))
            continue
        seen[building.id] = line
        problems += [Problem(where, line, _column(path[2:]), value, why) for path, value, why in
                     check_building_metadata({0: building}, None, None)]
        found.append(building.model_dump(mode="json", exclude_defaults=True))
    if not found and not problems:
        problems.append(Problem(where, None, "rows", _MISSING, "no building rows under the "
                                                                "header"))
    return found, problems


def _decode(raw: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _entry(row: dict) -> dict:
    cells = {k: v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()}
    entry: dict = {k: cells[k] for k in PLAIN if k in cells}
    quota: dict = {}
    for metric in METRICS:
        for kind in ("constraint", "guide"):
            if (value := cells.get(f"quota_{metric}_{kind}")) is not None:
                quota.setdefault(metric, {})[kind] = value
    if quota or "quota_source" in cells:
        entry["quota"] = {**quota, **({"source": cells["quota_source"]}
                                      if "quota_source" in cells else {})}
    return entry


def _column(loc: tuple) -> str:
    """A model error's location as the CSV column it came from."""
    parts = [str(p) for p in loc]
    if parts[:1] == ["quota"]:
        if len(parts) >= 3 and parts[1] in METRICS:
            return f"quota_{parts[1]}_{parts[2]}"
        if len(parts) >= 2 and parts[1] in METRICS:
            return f"quota_{parts[1]}_constraint/guide"
        return "quota_*" if len(parts) == 1 else f"quota_{parts[1]}"
    return parts[0] if parts else "row"
