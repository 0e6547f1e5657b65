"""Portfolio: the statistics of every building against its type — the ranking per building
type, 同比 and 环比, and the quota status — for a bureau's hundreds of buildings.

Grafana can neither divide each building's sum by its own area nor shift a query by a year,
so the panels read the figures the statistics job wrote (measurement `statistics`,
`civicwatt.statistics_outputs.store_rows`: one row per building, institution, type and the site
per period, tagged with the period's `span`). "The latest period" of a building is its newest
row in the time range (`ORDER BY time DESC LIMIT 1` per series: a raw row, so a figure missing
in that period stays empty instead of an older period's value showing through).
"""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext, q
from civicwatt.dashboards.model import Dashboard, Panel, QueryVariable, Target, row
from civicwatt.dashboards.panels import bars, by_name, gauge_bars, lines, stat, table
from civicwatt.dashboards.text import t
from rules.targets import TYPE_NAMES

LATEST = 'ORDER BY time DESC LIMIT 1'
#: quota status codes written by the statistics job → colour and label key
STATUS = ((0, "green", "quota_within"), (1, "orange", "quota_above_guide"),
          (2, "red", "quota_above_constraint"))


def variables(ctx: SiteContext) -> list[QueryVariable]:
    lang = ctx.lang
    return [
        QueryVariable("site", t("site", lang), 'SHOW TAG VALUES WITH KEY = "site"',
                      multi=False, include_all=False, default=ctx.site),
        QueryVariable("span", t("span", lang), 'SHOW TAG VALUES FROM "statistics" WITH KEY = '
                      '"span" WHERE "site" =~ /^$site$/', multi=False, include_all=False,
                      default="month"),
        QueryVariable("type", t("building_type", lang), 'SHOW TAG VALUES FROM "statistics" '
                      'WITH KEY = "type" WHERE "site" =~ /^$site$/ AND "level" = \'building\''),
    ]


def where(level: str, extra: str = "") -> str:
    parts = ["$timeFilter", '"site" =~ /^$site$/', "\"span\" = '$span'", f'"level" = {q(level)}']
    return " AND ".join(parts + ([extra] if extra else []))


def site_field(field: str, alias: str = "") -> Target:
    name = f' AS "{alias}"' if alias else ""
    return Target(f'SELECT "{field}"{name} FROM "statistics" WHERE {where("site")}',
                  alias="$col")


def latest_site(field: str) -> Target:
    return Target(f'SELECT "{field}" FROM "statistics" WHERE {where("site")} {LATEST}')


def ranking(ctx: SiteContext, code: str) -> Panel:
    """One type's buildings by kgce per m² in the latest period, highest first."""
    zh, en = TYPE_NAMES.get(code, (code, code))
    target = Target(f'SELECT "kgce_per_m2" FROM "statistics" '
                    f'WHERE {where("building", f""""type" = {q(code)}""")} '
                    f'GROUP BY "name" {LATEST}', alias="$tag_name")
    panel = gauge_bars(t("ranking_type", ctx.lang).format(type=zh if ctx.lang == "zh" else en),
                       [target], "suffix: kgce/m²", w=12, h=8, decimals=2,
                       transformations=[
                           {"id": "reduce", "options": {"mode": "seriesToRows",
                                                        "reducers": ["lastNotNull"]}},
                           {"id": "sortBy", "options": {"sort": [{"field": "Last *",
                                                                  "desc": True}]}}])
    panel.options["reduceOptions"] = {"calcs": ["lastNotNull"], "fields": "/^Last/",
                                      "values": True}
    return panel


def _status_mappings(lang: str) -> list[dict]:
    return [{"type": "value", "options": {str(code): {"text": t(key, lang), "color": colour,
                                                      "index": code}
                                          for code, colour, key in STATUS}}]


def _named_and_sorted(lang: str, sort: str, names: dict[str, str]) -> list[dict]:
    """Table columns renamed for people (building and type tags included), highest first."""
    renames = {"name": t("building", lang), "type": t("building_type", lang), **names}
    return [{"id": "organize", "options": {"excludeByName": {"Time": True},
                                           "renameByName": renames}},
            {"id": "sortBy", "options": {"sort": [{"field": sort, "desc": True}]}}]


def build(ctx: SiteContext) -> Dashboard:
    lang = ctx.lang
    types = sorted({b.type for b in ctx.config.buildings if b.type})
    metric = "kgce_per_m2"
    buildings = where("building", '"type" =~ /^$type$/')
    pct = {"decimals": 1, "thresholds": [("green", None), ("red", 0.0)],
           "color": {"mode": "thresholds"}}
    panels: list[Panel] = [
        row(t("portfolio_latest", lang)),
        stat(t("kgce_period", lang), [latest_site("kgce")], "suffix: kgce", w=5, decimals=0),
        stat(t("yoy_pct", lang), [latest_site("yoy_kgce_pct")], "percent", w=4, **pct),
        stat(t("mom_pct", lang), [latest_site("mom_kgce_pct")], "percent", w=4, **pct),
        stat(t("kgce_m2", lang), [latest_site("kgce_per_m2")], "suffix: kgce/m²", w=4,
             decimals=3),
        # InfluxDB 1.x drops a subquery's LIMIT: last() per building instead
        stat(t("above_constraint", lang), [Target(
            f'SELECT count("s") FROM (SELECT last("quota_{metric}_status") AS "s" '
            f'FROM "statistics" WHERE {where("building")} GROUP BY "id") WHERE "s" = 2')],
            "none", w=4, no_value="0", thresholds=[("green", None), ("red", 1.0)],
            color={"mode": "thresholds"}),
        stat(t("estimated_share", lang), [latest_site("estimated_share")], "percentunit",
             w=3, decimals=1),
        row(t("yoy_mom", lang)),
        bars(t("kgce_per_period", lang), [site_field("kgce", "kgce")], "suffix: kgce",
             stack=False, w=12),
        lines(t("changes_per_period", lang),
              [Target(f'SELECT "yoy_kgce_pct" AS "yoy", "mom_kgce_pct" AS "mom" '
                      f'FROM "statistics" WHERE {where("site")}', alias="$col")],
              "percent", w=12, custom={"showPoints": "always", "spanNulls": True},
              overrides=[by_name("yoy", displayName=t("yoy_pct", lang)),
                         by_name("mom", displayName=t("mom_pct", lang))]),
        table(t("buildings_latest", lang),
              [Target(f'SELECT "kgce", "{metric}", "yoy_kgce_pct", "mom_kgce_pct", '
                      f'"rank_in_type", "ranked_in_type", "estimated_share" FROM "statistics" '
                      f'WHERE {buildings} GROUP BY "name", "type", "institution" {LATEST}',
                      result_format="table")],
              w=24, h=10,
              transformations=_named_and_sorted(lang, "kgce/m²", {
                  "institution": t("institution", lang), metric: "kgce/m²",
                  "yoy_kgce_pct": t("yoy_pct", lang), "mom_kgce_pct": t("mom_pct", lang),
                  "rank_in_type": t("rank", lang), "ranked_in_type": t("ranked", lang),
                  "estimated_share": t("estimated_share", lang)}),
              overrides=[by_name(t("yoy_pct", lang), unit="percent", decimals=1),
                         by_name(t("mom_pct", lang), unit="percent", decimals=1),
                         by_name(t("estimated_share", lang), unit="percentunit", decimals=1)]),
    ]
    if types:
        panels.append(row(t("ranking", lang)))
        panels += [ranking(ctx, code) for code in types]
    panels += [
        row(t("quota_status", lang)),
        table(t("quota_table", lang),
              [Target(f'SELECT "{metric}", "quota_{metric}_constraint", "quota_{metric}_guide",'
                      f' "quota_{metric}_to_constraint", "quota_{metric}_status" '
                      f'FROM "statistics" WHERE {buildings} AND "quota_{metric}_status" >= 0 '
                      f'GROUP BY "name", "type" {LATEST}', result_format="table")],
              w=24, h=10,
              transformations=_named_and_sorted(lang, t("to_constraint", lang), {
                  metric: "kgce/m²", f"quota_{metric}_constraint": t("constraint", lang),
                  f"quota_{metric}_guide": t("guide", lang),
                  f"quota_{metric}_to_constraint": t("to_constraint", lang),
                  f"quota_{metric}_status": t("status", lang)}),
              overrides=[by_name(t("status", lang), mappings=_status_mappings(lang),
                                 **{"custom.cellOptions": {"type": "color-background"}})]),
    ]
    return Dashboard(ctx.uid("portfolio"), f"{t('portfolio', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "statistics"],
                     timezone=ctx.tz, time_from="now-400d", refresh="1h")
