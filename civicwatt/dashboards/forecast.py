"""Forecast: load and carbon against actuals with 80/95% bands, and the recent daily error."""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext
from civicwatt.dashboards.model import Dashboard, row
from civicwatt.dashboards.overview import actual_energy, forecast_target
from civicwatt.dashboards.panels import band_overrides, bars, lines, variables
from civicwatt.dashboards.text import t


def _error_transformations(lang: str) -> list[dict]:
    """Join actual and forecast per day, then (forecast − actual) / actual."""
    diff, error = t("diff", lang), t("error", lang)
    return [
        {"id": "joinByField", "options": {"byField": "Time", "mode": "outer"}},
        {"id": "calculateField", "options": {
            "mode": "binary", "alias": diff, "replaceFields": False,
            "binary": {"left": "forecast", "operator": "-", "right": "actual"}}},
        {"id": "calculateField", "options": {
            "mode": "binary", "alias": error, "replaceFields": False,
            "binary": {"left": diff, "operator": "/", "right": "actual"}}},
        {"id": "organize", "options": {"excludeByName": {"forecast": True, "actual": True,
                                                         diff: True}}},
    ]


def build(ctx: SiteContext) -> Dashboard:
    lang = ctx.lang
    daily_forecast = forecast_target(ctx, "load", "1d", bands=False,
                                     measurement="forecast_day_ahead")
    panels = [
        row(t("forecast", lang)),
        lines(t("load_fc", lang), [actual_energy(ctx, "kwh", "1h"),
                                   forecast_target(ctx, "load", "1h")],
              "kwatth", w=24, h=10, overrides=band_overrides(lang)),
        lines(t("carbon_fc", lang), [actual_energy(ctx, "co2_kg", "1h"),
                                     forecast_target(ctx, "carbon", "1h")],
              "masskg", w=24, h=9, overrides=band_overrides(lang)),
        bars(t("fc_error", lang), [actual_energy(ctx, "kwh", "1d"), daily_forecast],
             "percentunit", stack=False, w=24, h=8, time_from="14d",
             transformations=_error_transformations(lang)),
    ]
    return Dashboard(ctx.uid("forecast"), f"{t('forecast', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), tags=["civicwatt", "forecast"], timezone=ctx.tz,
                     time_from="now-2d", time_to="now+2d", refresh="15m")
