"""Typed helpers for Grafana's classic dashboard JSON model (schemaVersion 39).

Panels are described by small dataclasses and laid out on the 24-column grid by
`Dashboard.to_json()`, which numbers panel ids, assigns refIds and attaches the
one provisioned datasource to every panel and target. Nothing here knows about
civicwatt's schema; the dashboard modules do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 39
GRID_COLUMNS = 24

PanelType = Literal["timeseries", "stat", "barchart", "piechart", "bargauge", "table",
                    "state-timeline", "status-history", "text", "row"]
Json = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """One raw InfluxQL query; `alias` uses Grafana's $tag_<name> / $col patterns."""

    query: str
    alias: str = ""
    result_format: Literal["time_series", "table"] = "time_series"


@dataclass
class Panel:
    type: PanelType
    title: str
    targets: list[Target] = field(default_factory=list)
    w: int = 12
    h: int = 8
    unit: str | None = None
    description: str = ""
    decimals: int | None = None
    min: float | None = None
    max: float | None = None
    custom: Json = field(default_factory=dict)  # fieldConfig.defaults.custom
    options: Json = field(default_factory=dict)
    overrides: list[Json] = field(default_factory=list)
    mappings: list[Json] = field(default_factory=list)
    thresholds: list[tuple[str, float | None]] | None = None  # (color, value) steps
    color: Json | None = None
    transformations: list[Json] = field(default_factory=list)
    time_from: str | None = None  # panel relative time, e.g. "now/d" (today so far)
    interval: str | None = None  # panel min interval
    no_value: str | None = None  # shown instead of "No data" (a count of nothing is 0)

    def to_json(self, panel_id: int, x: int, y: int, datasource: Json) -> Json:
        out: Json = {"id": panel_id, "type": self.type, "title": self.title,
                     "gridPos": {"x": x, "y": y, "w": self.w, "h": self.h}}
        if self.type == "row":
            out.update(collapsed=False, panels=[])
            return out
        if self.description:
            out["description"] = self.description
        if self.type == "text":
            out["options"] = self.options
            return out
        out["datasource"] = dict(datasource)
        out["targets"] = [
            {"refId": _ref_id(i), "datasource": dict(datasource), "query": t.query,
             "rawQuery": True, "resultFormat": t.result_format,
             **({"alias": t.alias} if t.alias else {})}
            for i, t in enumerate(self.targets)]
        defaults: Json = {"custom": self.custom, "mappings": self.mappings}
        if self.unit:
            defaults["unit"] = self.unit
        for key in ("decimals", "min", "max"):
            if getattr(self, key) is not None:
                defaults[key] = getattr(self, key)
        if self.no_value is not None:
            defaults["noValue"] = self.no_value
        steps = self.thresholds or [("green", None)]
        defaults["thresholds"] = {"mode": "absolute",
                                  "steps": [{"color": c, "value": v} for c, v in steps]}
        defaults["color"] = self.color or {"mode": "palette-classic"}
        out["fieldConfig"] = {"defaults": defaults, "overrides": self.overrides}
        out["options"] = self.options
        if self.transformations:
            out["transformations"] = self.transformations
        if self.time_from:
            out["timeFrom"] = self.time_from
        if self.interval:
            out["interval"] = self.interval
        return out


def _ref_id(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < 26 else letters[index // 26 - 1] + letters[index % 26]


def row(title: str) -> Panel:
    return Panel("row", title, w=GRID_COLUMNS, h=1)


@dataclass(frozen=True)
class QueryVariable:
    """A template variable filled by an InfluxQL `SHOW TAG VALUES` query."""

    name: str
    label: str
    query: str
    multi: bool = True
    include_all: bool = True
    default: str | None = None

    def to_json(self, datasource: Json) -> Json:
        if self.default is not None:
            current = {"selected": True, "text": self.default, "value": self.default}
        else:
            current = {"selected": True, "text": ["All"], "value": ["$__all"]}
        return {
            "name": self.name, "label": self.label, "type": "query",
            "datasource": dict(datasource), "query": self.query, "definition": self.query,
            "refresh": 2,  # reload on time range change
            "multi": self.multi, "includeAll": self.include_all,
            "allValue": ".*" if self.include_all else None,
            "current": current, "options": [], "sort": 1, "hide": 0, "regex": "",
            "skipUrlSync": False,
        }


@dataclass
class Annotation:
    name: str
    query: str
    text_column: str = ""
    tags_column: str = ""
    color: str = "orange"


@dataclass
class Dashboard:
    uid: str
    title: str
    panels: list[Panel]
    variables: list[QueryVariable] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    timezone: str = "browser"
    time_from: str = "now-24h"
    time_to: str = "now"
    refresh: str = "1m"
    description: str = ""

    def to_json(self, datasource: Json) -> Json:
        panels, x, y, line_h = [], 0, 0, 0
        for number, panel in enumerate(self.panels, start=1):
            if panel.type == "row" or x + panel.w > GRID_COLUMNS:
                x, y, line_h = 0, y + line_h, 0
            panels.append(panel.to_json(number, x, y, datasource))
            if panel.type == "row":
                y += panel.h
            else:
                x += panel.w
                line_h = max(line_h, panel.h)
        annotations = [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
            "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
            "name": "Annotations & Alerts", "type": "dashboard"}]
        annotations += [{
            "name": a.name, "datasource": dict(datasource), "enable": True,
            "iconColor": a.color, "query": a.query, "textColumn": a.text_column,
            "tagsColumn": a.tags_column} for a in self.annotations]
        return {
            "id": None, "uid": self.uid, "title": self.title, "description": self.description,
            "tags": self.tags, "timezone": self.timezone, "editable": True,
            "graphTooltip": 1, "fiscalYearStartMonth": 0, "liveNow": False,
            "time": {"from": self.time_from, "to": self.time_to}, "timepicker": {},
            "refresh": self.refresh, "schemaVersion": SCHEMA_VERSION, "version": 1,
            "links": [{"type": "dashboards", "tags": ["civicwatt"], "asDropdown": True,
                       "title": "civicwatt", "includeVars": True, "keepTime": True,
                       "icon": "external link", "targetBlank": False, "tooltip": "", "url": ""}],
            "panels": panels,
            "templating": {"list": [v.to_json(datasource) for v in self.variables]},
            "annotations": {"list": annotations},
        }
