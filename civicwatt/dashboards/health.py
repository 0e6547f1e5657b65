"""Meter health: last readings, completeness, dead letters, spool, latency, devices, replicas.

The self-monitoring rows (`civicwatt` measurement) carry `component` and
`instance` tags (Modbus device rows add `device`); counters such as
`received` and `rejected_<reason>` are cumulative per process, so panels
show their non-negative differences.
"""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext, one_of
from civicwatt.dashboards.model import Dashboard, Target, row
from civicwatt.dashboards.panels import bars, by_name, gauge_bars, lines, table, timeline, variables
from civicwatt.dashboards.text import t
from rules.energy import QUANTITIES


def build(ctx: SiteContext) -> Dashboard:
    lang, tz = ctx.lang, ctx.tz_clause
    used = tuple(q for q in QUANTITIES if ctx.points_of(q)) or ("energy",)
    readings = f'FROM /^({"|".join(used)})$/'
    where = ctx.where(zone=True)
    counters = "GROUP BY time($__interval), \"component\", \"instance\""
    panels = [
        row(t("health", lang)),
        table(t("last_reading", lang),
              [Target(f'SELECT last("value") AS "value", last("quality") AS "quality" '
                      f'{readings} WHERE {where} GROUP BY "point"', result_format="table")],
              w=10, h=10, overrides=[by_name("Time", unit="dateTimeFromNow")]),
        timeline("status-history", t("readings_hour", lang),
                 [Target(f'SELECT count("value") {readings} WHERE {where} '
                         f'GROUP BY time(1h), "point" fill(0) {tz}', alias="$tag_point")],
                 w=14, h=10, thresholds=[("red", None), ("green", 1)], interval="1h"),
        gauge_bars(t("completeness", lang),
                   [Target('SELECT sum("ok") / sum("n") FROM '
                           f'(SELECT "kwh" * 0 + 1 AS "n" FROM "energy_interval" WHERE {where}), '
                           f'(SELECT "kwh" * 0 + 1 AS "ok" FROM "energy_interval" WHERE {where} '
                           'AND "estimated" = false) WHERE $timeFilter GROUP BY "point"',
                           alias="$tag_point")],
                   "percentunit", w=10, h=10, min=0, max=1, decimals=1,
                   thresholds=[("red", None), ("orange", 0.9), ("green", 0.98)],
                   color={"mode": "thresholds"}),
        bars(t("dead_letters", lang),
             [Target('SELECT sum(/^non_negative_difference_/) FROM (SELECT '
                     'non_negative_difference(max(/^rejected_/)) FROM "civicwatt" WHERE '
                     f'$timeFilter {counters}) WHERE $timeFilter '
                     'GROUP BY time($__interval) fill(none)', alias="$col")],
             "short", w=14, h=10,
             transformations=[{"id": "renameByRegex", "options": {
                 "regex": ".*rejected_(.*)", "renamePattern": "$1"}}]),
        row(t("spool", lang)),
        lines(t("spool", lang),
              [Target(f'SELECT max("spool_depth") FROM "civicwatt" WHERE $timeFilter {counters} '
                      'fill(none)', alias="$tag_component $tag_instance")], "short", w=8),
        lines(t("latency", lang),
              [Target(f'SELECT mean("write_latency_ms") FROM "civicwatt" WHERE $timeFilter '
                      f'{counters} fill(none)', alias="$tag_component $tag_instance")],
              "ms", w=8),
        bars(t("replicas", lang), [
            Target('SELECT count("r") FROM (SELECT last("received") AS "r" FROM "civicwatt" '
                   'WHERE $timeFilter AND "component" = \'collector\' GROUP BY time($__interval), '
                   '"instance") WHERE $timeFilter GROUP BY time($__interval) fill(none)',
                   alias="mqtt"),
            Target('SELECT count("r") FROM (SELECT last("polls") AS "r" FROM "civicwatt" '
                   'WHERE $timeFilter AND "component" = \'modbus\' GROUP BY time($__interval), '
                   '"instance") WHERE $timeFilter GROUP BY time($__interval) fill(none)',
                   alias="modbus")],
             "short", w=8, decimals=0),
        timeline("state-timeline", t("modbus_state", lang),
                 [Target('SELECT last("online") FROM "civicwatt" WHERE $timeFilter AND '
                         f'"component" = \'modbus\' AND "device" =~ {_devices(ctx)} '
                         'GROUP BY time($__interval), "device" fill(previous)',
                         alias="$tag_device")],
                 w=24, h=max(4, 2 + len(ctx.config.modbus.devices)),
                 thresholds=[("red", None), ("green", 1)],
                 mappings=[{"type": "value", "options": {
                     "0": {"text": t("offline", lang), "color": "red", "index": 0},
                     "1": {"text": t("online", lang), "color": "green", "index": 1}}}]),
    ]
    return Dashboard(ctx.uid("health"), f"{t('health', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "operations"], timezone=ctx.tz,
                     time_from="now-6h", refresh="30s")


def _devices(ctx: SiteContext) -> str:
    devices = tuple(d.id for d in ctx.config.modbus.devices)
    return one_of(devices) if devices else "/.*/"
