"""Tariff: daily energy and cost by TOU period, sharp + peak share, 15-min demand."""

from __future__ import annotations

from civicwatt.dashboards.context import DEMAND_WINDOW, PEAK_PERIODS, SiteContext, one_of
from civicwatt.dashboards.model import Dashboard, Target, row
from civicwatt.dashboards.panels import bars, display_names, period_colours, stat, variables
from civicwatt.dashboards.text import t


def peak_share(ctx: SiteContext, group: str = "") -> str:
    """(sharp + peak kWh) / all kWh of the building totals, in one statement."""
    roots = ctx.where(points=ctx.roots)
    return (f'SELECT sum("p") / sum("a") FROM (SELECT "kwh" AS "a" FROM "energy_interval" '
            f'WHERE {roots}), (SELECT "kwh" AS "p" FROM "energy_interval" WHERE {roots} '
            f'AND "period" =~ {one_of(PEAK_PERIODS)}) WHERE $timeFilter {group}').rstrip()


def demand(ctx: SiteContext, group: str) -> str:
    """Max over the range (or per `group` bucket) of each building's 15-min demand in kW."""
    inner = (f'SELECT sum("kwh") * 4 AS "kw" FROM "energy_interval" '
             f'WHERE {ctx.where(points=ctx.roots)} GROUP BY time({DEMAND_WINDOW}), "building" '
             f'fill(none) {ctx.tz_clause}')
    return f'SELECT max("kw") FROM ({inner}) WHERE $timeFilter {group}'


def build(ctx: SiteContext) -> Dashboard:
    lang, tz = ctx.lang, ctx.tz_clause
    names = {b.id: b.name for b in ctx.buildings}
    roots = ctx.where(points=ctx.roots)
    by_period = f'GROUP BY time(1d), "period" fill(none) {tz}'
    panels = [
        row(t("tariff", lang)),
        bars(t("daily_energy_period", lang),
             [Target(f'SELECT sum("kwh") FROM "energy_interval" WHERE {roots} {by_period}',
                     alias="$tag_period")], "kwatth", overrides=period_colours()),
        bars(t("daily_cost_period", lang),
             [Target(f'SELECT sum("cost") FROM "energy_interval" WHERE {roots} {by_period}',
                     alias="$tag_period")], ctx.currency, overrides=period_colours()),
        stat(t("peak_share", lang), [Target(peak_share(ctx))], "percentunit", w=6, h=8,
             decimals=1, calc="lastNotNull"),
        bars(t("peak_share_daily", lang),
             [Target(peak_share(ctx, f"GROUP BY time(1d) fill(none) {tz}"),
                     alias=t("peak_share", lang))], "percentunit", stack=False, w=18, max=1,
             min=0),
        stat(t("demand", lang),
             [Target(demand(ctx, 'GROUP BY "building"'), alias="$tag_building")], "kwatt",
             w=6, h=8, overrides=display_names(names)),
        bars(t("demand_daily", lang),
             [Target(demand(ctx, f'GROUP BY time(1d), "building" fill(none) {tz}'),
                     alias="$tag_building")], "kwatt", stack=False, w=18,
             overrides=display_names(names)),
    ]
    return Dashboard(ctx.uid("tariff"), f"{t('tariff', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "tariff"], timezone=ctx.tz,
                     time_from="now-30d", refresh="15m")
