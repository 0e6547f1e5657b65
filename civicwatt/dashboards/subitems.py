"""Sub-items and zones: energy by purpose tree and zone, top consumers, unmetered share."""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext, one_of
from civicwatt.dashboards.model import Dashboard, Panel, Target, row
from civicwatt.dashboards.panels import bars, display_names, pie, stat, table, variables
from civicwatt.dashboards.text import t


def _signed_sum(ctx: SiteContext, parents: tuple[str, ...], children: tuple[str, ...],
                *, share: bool, group: str = "") -> str:
    """Σ parent − Σ children in one InfluxQL statement (two subqueries, one measurement).

    share=True divides by Σ parent: the unmetered fraction. `group` is an outer
    GROUP BY clause, e.g. "GROUP BY time(1d) fill(none) tz(…)".
    """
    main = (f'SELECT "kwh" AS "d", "kwh" AS "m" FROM "energy_interval" '
            f'WHERE {ctx.where(points=parents)}')
    subs = (f'SELECT "kwh" * -1 AS "d" FROM "energy_interval" '
            f'WHERE {ctx.where(points=children)}')
    select = 'sum("d") / sum("m")' if share else 'sum("d")'
    return f"SELECT {select} FROM ({main}), ({subs}) WHERE $timeFilter {group}".rstrip()


def build(ctx: SiteContext) -> Dashboard:
    lang = ctx.lang
    leaves = ctx.where(zone=True, purpose=True, points=ctx.leaves)
    daily = f"GROUP BY time(1d) fill(none) {ctx.tz_clause}"
    by_subitem = [
        Target(f'SELECT sum("kwh") FROM "energy_interval" '
               f'WHERE {leaves} AND "purpose" =~ {one_of(codes)} {daily}',
               alias=ctx.purpose_name(top))
        for top, codes in ctx.subitems().items()]
    zones = {z.id: z.name for b in ctx.config.buildings for z in _walk(b.zones)}
    purposes = {code: ctx.purpose_name(code)
                for code in sorted({ctx.config.point_by_id(p).purpose for p in ctx.leaves})
                if code}
    panels: list[Panel] = [
        row(t("subitems", lang)),
        bars(t("by_subitem", lang), by_subitem, "kwatth", w=16),
        pie(t("subitem_share", lang),
            [Target(f'SELECT sum("kwh") FROM "energy_interval" WHERE {leaves} GROUP BY "purpose"',
                    alias="$tag_purpose")], "kwatth", w=8, overrides=display_names(purposes)),
        bars(t("by_zone", lang),
             [Target(f'SELECT sum("kwh") FROM "energy_interval" WHERE {leaves} '
                     f'GROUP BY time(1d), "zone" fill(none) {ctx.tz_clause}', alias="$tag_zone")],
             "kwatth", w=16, overrides=display_names(zones)),
        table(t("top", lang),
              [Target(f'SELECT top("total", "point", 10) AS "kwh" FROM (SELECT sum("kwh") AS '
                      f'"total" FROM "energy_interval" WHERE {leaves} GROUP BY "point") '
                      'WHERE $timeFilter', result_format="table")],
              unit="kwatth", w=8,
              transformations=[{"id": "organize", "options": {"excludeByName": {"Time": True}}},
                               {"id": "sortBy", "options": {"sort": [{"field": "kwh",
                                                                      "desc": True}]}}]),
    ]
    share, imbalance = [], []
    for b in ctx.buildings:
        parents = tuple(r for r in b.roots if r in ctx.children)
        if parents:
            kids = tuple(c for p in parents for c in ctx.children[p])
            share.append(Target(_signed_sum(ctx, parents, kids, share=True), alias=b.name))
    for parent, kids in ctx.children.items():
        imbalance.append(Target(_signed_sum(ctx, (parent,), kids, share=False, group=daily),
                                alias=parent))
    if share:
        panels += [
            row(t("unmetered_share", lang)),
            stat(t("unmetered_share", lang), share, "percentunit", w=8, h=8, decimals=1,
                 thresholds=[("green", None), ("orange", 0.1), ("red", 0.2)],
                 color={"mode": "thresholds"}),
            bars(t("imbalance", lang), imbalance, "kwatth", stack=False, w=16),
        ]
    return Dashboard(ctx.uid("subitems"), f"{t('subitems', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "energy"], timezone=ctx.tz,
                     time_from="now-30d", refresh="15m")


def _walk(zones):
    for z in zones:
        yield z
        yield from _walk(z.zones)


