"""Site overview: live power, today against the forecast, TOU split, cost, carbon, KPIs on
综合能耗, and every energy class (water, gas, heat …) in its own unit."""

from __future__ import annotations

from civicwatt.dashboards.context import DEMAND_WINDOW, SiteContext, one_of, q
from civicwatt.dashboards.model import Dashboard, Panel, Target, row
from civicwatt.dashboards.panels import (
    band_overrides,
    bars,
    by_name,
    display_names,
    lines,
    period_colours,
    pie,
    stat,
    variables,
)
from civicwatt.dashboards.text import t
from rules.energy import BY_NAME


def forecast_target(ctx: SiteContext, target: str, every: str, bands: bool = True,
                    measurement: str = "forecast") -> Target:
    """Building-level forecast (zone = building id, or no zone) with its 80/95% bands.

    Zone-level forecasts are left out so that selecting several buildings sums
    building forecasts only. `forecast_day_ahead` gives each day as forecast from
    its midnight (the latest `forecast` has been revised with the day's readings).
    """
    buildings = one_of(tuple(b.id for b in ctx.buildings))
    where = ctx.where(extra=f'"target" = {q(target)} AND ("zone" =~ {buildings} OR "zone" = \'\')')
    fields = 'sum("value") AS "forecast"'
    if bands:
        fields += (', sum("lower") AS "lower80", sum("upper") AS "upper80", '
                   'sum("lower95") AS "lower95", sum("upper95") AS "upper95"')
    return Target(f'SELECT {fields} FROM "{measurement}" WHERE {where} '
                  f'GROUP BY time({every}) fill(none) {ctx.tz_clause}', alias="$col")


def actual_energy(ctx: SiteContext, field: str, every: str, alias: str = "actual") -> Target:
    return Target(f'SELECT sum("{field}") AS "{alias}" FROM "energy_interval" '
                  f'WHERE {ctx.where(points=ctx.roots)} GROUP BY time({every}) fill(none) '
                  f'{ctx.tz_clause}', alias="$col")


def live_power(ctx: SiteContext, latest: bool = False) -> Target:
    """Main power meters; without any, 15-min power from the metered intervals."""
    if ctx.main_power:
        if latest:
            return Target(f'SELECT last("value") FROM "power" '
                          f'WHERE {ctx.where(points=ctx.main_power)} GROUP BY "building"',
                          alias="$tag_building")
        return Target(f'SELECT mean("value") FROM "power" WHERE {ctx.where(points=ctx.main_power)} '
                      'GROUP BY time($__interval), "building" fill(null)', alias="$tag_building")
    inner = (f'SELECT sum("kwh") * 4 AS "kw" FROM "energy_interval" '
             f'WHERE {ctx.where(points=ctx.roots)} GROUP BY time({DEMAND_WINDOW}), "building" '
             f'fill(none) {ctx.tz_clause}')
    if latest:
        return Target(f'SELECT last("kw") FROM ({inner}) WHERE $timeFilter GROUP BY "building"',
                      alias="$tag_building")
    return Target(inner, alias="$tag_building")


def _per_building(ctx: SiteContext, divisor: str, field: str) -> list[Target]:
    """Σ field / the building's area or occupants: kWh over its electricity roots, kgce and
    CO₂ over every class's roots (综合能耗)."""
    out = []
    for b in ctx.buildings:
        value = getattr(b, divisor)
        roots = b.roots if field == "kwh" else b.class_roots
        if not roots or not value:
            continue
        where = ctx.where(points=roots, extra=f'"building" = {q(b.id)}')
        out.append(Target(f'SELECT sum("{field}") / {value:g} FROM "energy_interval" '
                          f'WHERE {where}', alias=b.name))
    return out


def build(ctx: SiteContext) -> Dashboard:
    lang, names = ctx.lang, {b.id: b.name for b in ctx.buildings}
    today, mtd = "now/d", "now/M"
    energy = Target(f'SELECT sum("kwh") FROM "energy_interval" WHERE {ctx.where(points=ctx.roots)}')
    cost = Target(f'SELECT sum("cost") FROM "energy_interval" WHERE {ctx.where(points=ctx.roots)}')
    co2 = Target(f'SELECT sum("co2_kg") FROM "energy_interval" '
                 f'WHERE {ctx.where(points=ctx.all_class_roots or ctx.roots)}')
    kgce_thresholds = []
    for b in ctx.buildings:
        if b.id and ctx.config.building(b.id).baseline:
            base = ctx.config.building(b.id).baseline
            if base and base.kgce_per_m2:
                target = base.kgce_per_m2 * (1 - base.target_reduction_per_m2)
                kgce_thresholds.append(by_name(b.name, thresholds={
                    "mode": "absolute", "steps": [{"color": "green", "value": None},
                                                  {"color": "orange", "value": round(target, 2)},
                                                  {"color": "red", "value": base.kgce_per_m2}]}))
    panels: list[Panel] = [
        row(t("live", lang)),
        lines(t("live_power", lang), [live_power(ctx)], "kwatt", w=16,
              overrides=display_names(names)),
        stat(t("power_now", lang), [live_power(ctx, latest=True)], "kwatt", w=8, h=8,
             overrides=display_names(names)),
        Panel("timeseries", t("today_vs_forecast", lang),
              [actual_energy(ctx, "kwh", "1h"), forecast_target(ctx, "load", "1h")],
              w=16, h=9, unit="kwatth", time_from=today,
              custom={"drawStyle": "line", "lineWidth": 2, "fillOpacity": 0,
                      "showPoints": "never", "stacking": {"mode": "none", "group": "A"}},
              options={"legend": {"displayMode": "list", "placement": "bottom",
                                  "showLegend": True, "calcs": ["sum"]},
                       "tooltip": {"mode": "multi", "sort": "none"}},
              overrides=band_overrides(lang)),
        pie(t("today_by_period", lang),
            [Target(f'SELECT sum("kwh") FROM "energy_interval" '
                    f'WHERE {ctx.where(points=ctx.roots)} GROUP BY "period"',
                    alias="$tag_period")],
            "kwatth", w=8, h=9, time_from=today, overrides=period_colours()),
        row(t("today_mtd", lang)),
        stat(t("energy_today", lang), [energy], "kwatth", time_from=today),
        stat(t("energy_mtd", lang), [energy], "kwatth", time_from=mtd),
        stat(t("cost_today", lang), [cost], ctx.currency, time_from=today, decimals=0),
        stat(t("cost_mtd", lang), [cost], ctx.currency, time_from=mtd, decimals=0),
        stat(t("co2_today", lang), [co2], "masskg", time_from=today),
        stat(t("co2_mtd", lang), [co2], "masskg", time_from=mtd),
        row(t("kpi", lang)),
        stat(t("kwh_m2", lang), _per_building(ctx, "floor_area_m2", "kwh"),
             "suffix: kWh/m²", w=6, h=5, time_from="now/y", decimals=2),
        stat(t("kwh_person", lang), _per_building(ctx, "occupants", "kwh"),
             "suffix: kWh/person", w=6, h=5, time_from="now/y", decimals=1),
        stat(t("kgce_m2", lang), _per_building(ctx, "floor_area_m2", "kgce"),
             "suffix: kgce/m²", w=6, h=5, time_from="now/y", decimals=2,
             overrides=kgce_thresholds),
        stat(t("co2_m2", lang), _per_building(ctx, "floor_area_m2", "co2_kg"),
             "suffix: kgCO₂/m²", w=6, h=5, time_from="now/y", decimals=2),
    ]
    panels += energy_classes(ctx)
    return Dashboard(ctx.uid("overview"), f"{t('overview', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "energy"], timezone=ctx.tz,
                     time_from="now-24h", refresh="1m")


#: Grafana units of the classes' canonical units.
_UNITS = {"kWh": "kwatth", "m3": "suffix: m³", "GJ": "suffix: GJ", "kg": "masskg"}


def energy_classes(ctx: SiteContext) -> list[Panel]:
    """Every metered class: 综合能耗 by class this month, and each class per day in its unit."""
    if not ctx.class_roots:
        return []
    lang = ctx.lang
    names = {c: BY_NAME[c].name_in(lang) for c in ctx.class_roots}
    every = ctx.where(points=ctx.all_class_roots)
    panels: list[Panel] = [
        row(t("classes", lang)),
        pie(t("kgce_by_class", lang),
            [Target(f'SELECT sum("kgce") FROM "energy_interval" WHERE {every} '
                    'GROUP BY "energy"', alias="$tag_energy")],
            "suffix: kgce", w=8, h=8, time_from="now/M", overrides=display_names(names)),
        stat(t("kgce_mtd", lang), [Target(f'SELECT sum("kgce") FROM "energy_interval" '
                                          f'WHERE {every}')],
             "suffix: kgce", w=4, h=8, time_from="now/M", decimals=0),
    ]
    for name, roots in ctx.class_roots.items():
        energy = BY_NAME[name]
        unit = "m³" if energy.unit == "m3" else energy.unit
        title = t("class_daily", lang).format(name=names[name], unit=unit)
        panels.append(bars(title, [Target(
            f'SELECT sum("amount") FROM "energy_interval" WHERE {ctx.where(points=roots)} '
            f'GROUP BY time(1d), "building" fill(none) {ctx.tz_clause}',
            alias="$tag_building")], _UNITS[energy.unit], w=12, h=8, time_from="now-30d/d",
            overrides=display_names({b.id: b.name for b in ctx.buildings})))
    return panels
