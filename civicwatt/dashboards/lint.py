"""Lint rules over generated dashboard JSON: what breaks a dashboard silently in Grafana.

`lint(dashboards, datasource_uid, timezone)` returns one message per problem,
naming the dashboard, panel and target. The rules follow the reference notes
(shared/reference/grafana-and-setpoints.md, A4): structure and uids, grid,
no Angular panels or `${DS_…}` inputs, one provisioned datasource, InfluxQL
with `$timeFilter` and zoom-proof time buckets in the site timezone, known
units, variables that resolve.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping

from civicwatt.dashboards.model import GRID_COLUMNS, Json

MIN_SCHEMA_VERSION = 39
ANGULAR_TYPES = {"graph", "singlestat", "table-old", "grafana-piechart-panel",
                 "grafana-worldmap-panel", "natel-discrete-panel"}
PANEL_TYPES = {"timeseries", "stat", "barchart", "piechart", "bargauge", "gauge", "table",
               "state-timeline", "status-history", "heatmap", "text", "row"}
#: Fixed GROUP BY time() buckets: they must carry the site's tz('…') so days start at local
#: midnight. Anything else must be $__interval.
ALLOWED_BUCKETS = {"15m", "1h", "1d", "7d"}
#: Grafana unit ids used or likely to be used by civicwatt (grafana-data valueFormats).
KNOWN_UNITS = {
    "none", "short", "percent", "percentunit", "watt", "kwatt", "megwatt", "watth", "kwatth",
    "kvoltamp", "kvoltampreact", "amp", "volt", "hertz", "celsius", "fahrenheit",
    "kelvin", "humidity", "Wm2", "m3", "litreh", "flowcms", "massmg", "massg", "masskg",
    "masst", "ms", "s", "m", "h", "d", "dtdurations", "dateTimeAsIso", "dateTimeFromNow",
    "bytes", "ops",
    "reqps", "currencyUSD", "currencyEUR", "currencyGBP", "currencyJPY", "currencyINR",
    "currencyKRW", "currencyCHF", "currencySEK", "currencyNOK", "currencyDKK", "currencyPLN",
    "currencyCZK", "currencyBRL", "currencyZAR",
}
CUSTOM_UNIT_PREFIXES = ("suffix:", "prefix:", "currency:", "si:", "count:")
BUILTIN_VARIABLES = {"timeFilter", "__interval", "__interval_ms", "__range", "__range_s",
                     "__range_ms", "__from", "__to", "__rate_interval", "__dashboard",
                     "__org", "__user", "__name", "__timeFilter"}
#: InfluxQL alias patterns (series naming), not template variables.
ALIAS_PATTERNS = re.compile(r"^(tag_\w+|col|m|measurement|\d+)$")
_VAR = re.compile(r"\$\{(\w+)(?::[\w-]+)?\}|\[\[(\w+)\]\]|\$(\w+)")
_GROUP_TIME = re.compile(r"GROUP BY time\(([^)]*)\)", re.I)


def _panels(dashboard: Json) -> Iterator[Json]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def _variables_in(text: str) -> set[str]:
    return {next(g for g in m.groups() if g) for m in _VAR.finditer(text)}


def _statement_end(query: str, start: int) -> int:
    """Where the (sub)statement containing `start` ends: its closing paren or the end."""
    depth = 0
    for i in range(start, len(query)):
        if query[i] == "(":
            depth += 1
        elif query[i] == ")":
            depth -= 1
            if depth < 0:
                return i
    return len(query)


def lint_query(query: str, timezone: str, multi_vars: set[str]) -> list[str]:
    problems = []
    if "$timeFilter" not in query:
        problems.append("no $timeFilter: the query ignores the dashboard's time range")
    tz = f"tz('{timezone}')"
    for m in _GROUP_TIME.finditer(query):
        bucket = m.group(1).strip()
        if bucket == "$__interval":
            continue
        if bucket not in ALLOWED_BUCKETS:
            problems.append(f"GROUP BY time({bucket}): use $__interval or one of "
                            f"{sorted(ALLOWED_BUCKETS)}")
            continue
        if tz not in query[m.end():_statement_end(query, m.end())]:
            problems.append(f"GROUP BY time({bucket}) without {tz}: buckets would start at "
                            "UTC midnight, not the site's")
    for name in multi_vars:
        for m in re.finditer(r"(=~|!~|=|!=|<>)\s*(\S+)", query):
            used = f"${name}" in m.group(2) or f"${{{name}}}" in m.group(2)
            if used and (m.group(1) not in ("=~", "!~") or not m.group(2).startswith("/^")):
                problems.append(f"multi-value ${name} must be used as =~ /^${name}$/")
    return problems


def lint(dashboards: Mapping[str, Json] | list[Json], datasource_uid: str,
         timezone: str) -> list[str]:
    """Every problem in a set of dashboards (one folder), as readable messages."""
    boards = list(dashboards.values()) if isinstance(dashboards, Mapping) else list(dashboards)
    problems: list[str] = []
    uids: dict[str, str] = {}
    titles: set[str] = set()
    expected_ds = {"type": "influxdb", "uid": datasource_uid}
    for board in boards:
        name = f"dashboard {board.get('uid')!r}"

        def say(where: str, message: str, _name: str = name) -> None:
            problems.append(f"{_name}, {where}: {message}")

        text = json.dumps(board)
        if "${DS_" in text or "__inputs" in board:
            say("top level", "contains ${DS_…}/__inputs placeholders (exports for sharing "
                "do not work with file provisioning)")
        uid = board.get("uid")
        if not uid or not isinstance(uid, str) or len(uid) > 40:
            say("uid", "missing or longer than 40 characters")
        elif uid in uids:
            say("uid", f"also used by {uids[uid]!r}")
        else:
            uids[uid] = board.get("title", "")
        title = board.get("title")
        if not title:
            say("title", "missing")
        elif title in titles:
            say("title", f"{title!r} is used twice in the folder")
        titles.add(title)
        if board.get("id") is not None:
            say("id", "must be null (the database assigns it)")
        if not isinstance(board.get("schemaVersion"), int) \
                or board["schemaVersion"] < MIN_SCHEMA_VERSION:
            say("schemaVersion", f"{board.get('schemaVersion')} < {MIN_SCHEMA_VERSION}")

        variables = board.get("templating", {}).get("list", [])
        defined = {v.get("name") for v in variables}
        multi = {v["name"] for v in variables if v.get("multi") or v.get("includeAll")}
        seen: set[str] = set()
        for var in variables:
            where = f"variable ${var.get('name')}"
            if var.get("type") == "query":
                query = var.get("query", "")
                if not re.match(r"\s*SHOW (TAG VALUES|MEASUREMENTS|TAG KEYS|FIELD KEYS)",
                                query, re.I):
                    say(where, "query variables list tags: use SHOW TAG VALUES WITH KEY = …")
                if var.get("refresh") not in (1, 2):
                    say(where, "refresh must reload on dashboard load or time change (1 or 2)")
                if var.get("datasource") != expected_ds:
                    say(where, f"datasource {var.get('datasource')} is not {expected_ds}")
                for used in _variables_in(query) - BUILTIN_VARIABLES:
                    if used not in seen:
                        say(where, f"uses ${used}, which is not a variable defined before it")
                problems.extend(f"{name}, {where}: {p}" for p in
                                lint_query(query + " $timeFilter", timezone, multi))
            seen.add(var.get("name"))

        def check_vars(where: str, text: str, _defined: set = defined) -> None:
            for used in _variables_in(text) - BUILTIN_VARIABLES - _defined:
                if not ALIAS_PATTERNS.match(used):
                    say(where, f"${used} is not a dashboard variable")

        ids: set[int] = set()
        boxes: list[tuple[int, int, int, int, str]] = []
        for panel in _panels(board):
            pid, ptype = panel.get("id"), panel.get("type")
            where = f"panel {pid} {panel.get('title', '')!r}"
            check_vars(where + " title", panel.get("title", ""))
            if not isinstance(pid, int) or pid in ids:
                say(where, "panel id missing or not unique")
            ids.add(pid)
            if ptype in ANGULAR_TYPES or ptype not in PANEL_TYPES:
                say(where, f"panel type {ptype!r} is Angular or unknown")
            grid = panel.get("gridPos", {})
            x, y, w, h = (grid.get(k) for k in ("x", "y", "w", "h"))
            if not all(isinstance(v, int) for v in (x, y, w, h)) or x < 0 or y < 0 \
                    or not 1 <= w <= GRID_COLUMNS or x + w > GRID_COLUMNS or h <= 0:
                say(where, f"gridPos {grid} is outside the 24-column grid")
            else:
                for bx, by, bw, bh, other in boxes:
                    if x < bx + bw and bx < x + w and y < by + bh and by < y + h:
                        say(where, f"overlaps {other}")
                boxes.append((x, y, w, h, where))
            if ptype in ("row", "text"):
                continue
            if panel.get("datasource") != expected_ds:
                say(where, f"datasource {panel.get('datasource')} is not {expected_ds}")
            _lint_field_config(panel, lambda m, w=where: say(w, m))
            targets = panel.get("targets") or []
            if not targets:
                say(where, "has no queries")
            refs = [tg.get("refId") for tg in targets]
            if len(set(refs)) != len(refs):
                say(where, f"refIds not unique: {refs}")
            for tg in targets:
                twhere = f"{where} target {tg.get('refId')}"
                if tg.get("datasource") != expected_ds:
                    say(twhere, f"datasource {tg.get('datasource')} is not {expected_ds}")
                if not tg.get("rawQuery") or not tg.get("query"):
                    say(twhere, "not a raw InfluxQL query")
                    continue
                for p in lint_query(tg["query"], timezone, multi):
                    say(twhere, p)
                check_vars(twhere, tg["query"] + " " + tg.get("alias", ""))
        for ann in board.get("annotations", {}).get("list", []):
            if ann.get("builtIn"):
                continue
            where = f"annotation {ann.get('name')!r}"
            if ann.get("datasource") != expected_ds:
                say(where, f"datasource {ann.get('datasource')} is not {expected_ds}")
            for p in lint_query(ann.get("query", ""), timezone, multi):
                say(where, p)
            check_vars(where, ann.get("query", ""))
    return problems


def _lint_field_config(panel: Json, say) -> None:
    defaults = panel.get("fieldConfig", {}).get("defaults", {})
    units = [defaults.get("unit")]
    for override in panel.get("fieldConfig", {}).get("overrides", []):
        units += [p.get("value") for p in override.get("properties", []) if p.get("id") == "unit"]
    for unit in units:
        if unit is not None and unit not in KNOWN_UNITS \
                and not unit.startswith(CUSTOM_UNIT_PREFIXES):
            say(f"unit {unit!r} is not a Grafana unit id (it would render as a literal suffix)")
    thresholds = [defaults.get("thresholds")] + [
        p.get("value") for o in panel.get("fieldConfig", {}).get("overrides", [])
        for p in o.get("properties", []) if p.get("id") == "thresholds"]
    for th in thresholds:
        if th is None:
            continue
        steps = th.get("steps", [])
        if not steps or steps[0].get("value") is not None:
            say("thresholds: the first step's value must be null (the base)")
        values = [s.get("value") for s in steps[1:]]
        if any(v is None for v in values) or values != sorted(values):
            say(f"thresholds: steps must ascend, got {values}")
