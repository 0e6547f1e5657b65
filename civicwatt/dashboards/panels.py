"""Panel presets shared by the dashboards: bars, lines, stats, pies, tables, variables."""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext
from civicwatt.dashboards.model import Json, Panel, QueryVariable, Target
from civicwatt.dashboards.text import t

#: TOU period colours (Grafana named colours), the same on every dashboard.
PERIOD_COLOURS = {"sharp": "dark-red", "peak": "orange", "flat": "yellow", "valley": "blue",
                  "deep_valley": "purple", "deep-valley": "purple", "off_peak": "blue"}


def variables(ctx: SiteContext) -> list[QueryVariable]:
    """site → building → zone → purpose, each narrowed by the ones before it."""
    lang = ctx.lang
    return [
        QueryVariable("site", t("site", lang), 'SHOW TAG VALUES WITH KEY = "site"',
                      multi=False, include_all=False, default=ctx.site),
        QueryVariable("building", t("building", lang),
                      'SHOW TAG VALUES WITH KEY = "building" WHERE "site" =~ /^$site$/'),
        QueryVariable("zone", t("zone", lang),
                      'SHOW TAG VALUES WITH KEY = "zone" WHERE "site" =~ /^$site$/ '
                      'AND "building" =~ /^$building$/'),
        QueryVariable("purpose", t("purpose", lang),
                      'SHOW TAG VALUES WITH KEY = "purpose" WHERE "site" =~ /^$site$/ '
                      'AND "building" =~ /^$building$/ AND "zone" =~ /^$zone$/'),
    ]


def by_name(name: str, **props: object) -> Json:
    """A field override for the series called `name`."""
    return {"matcher": {"id": "byName", "options": name},
            "properties": [{"id": k, "value": v} for k, v in props.items()]}


def display_names(names: dict[str, str]) -> list[Json]:
    return [by_name(k, displayName=v) for k, v in names.items() if v and v != k]


def period_colours() -> list[Json]:
    return [by_name(p, color={"mode": "fixed", "fixedColor": c})
            for p, c in PERIOD_COLOURS.items()]


def bars(title: str, targets: list[Target], unit: str, *, stack: bool = True, w: int = 12,
         h: int = 8, **kw) -> Panel:
    custom = {"drawStyle": "bars", "fillOpacity": 80, "lineWidth": 1, "showPoints": "never",
              "stacking": {"mode": "normal" if stack else "none", "group": "A"}}
    return Panel("timeseries", title, targets, w=w, h=h, unit=unit, custom=custom,
                 options=_ts_options(), **kw)


def lines(title: str, targets: list[Target], unit: str, *, w: int = 12, h: int = 8,
          **kw) -> Panel:
    custom = {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10, "showPoints": "never",
              "spanNulls": False, "stacking": {"mode": "none", "group": "A"}}
    custom.update(kw.pop("custom", {}))
    return Panel("timeseries", title, targets, w=w, h=h, unit=unit, custom=custom,
                 options=_ts_options(), **kw)


def stat(title: str, targets: list[Target], unit: str, *, calc: str = "lastNotNull",
         w: int = 4, h: int = 4, **kw) -> Panel:
    options = {"reduceOptions": {"calcs": [calc], "fields": "", "values": False},
               "colorMode": "value", "graphMode": "none", "justifyMode": "auto",
               "textMode": "auto", "orientation": "auto"}
    return Panel("stat", title, targets, w=w, h=h, unit=unit, options=options, **kw)


def pie(title: str, targets: list[Target], unit: str, *, w: int = 8, h: int = 8,
        **kw) -> Panel:
    options = {"reduceOptions": {"calcs": ["sum"], "fields": "", "values": False},
               "pieType": "donut", "displayLabels": ["percent"],
               "legend": {"displayMode": "table", "placement": "right",
                          "values": ["value", "percent"], "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}}
    return Panel("piechart", title, targets, w=w, h=h, unit=unit, options=options, **kw)


def table(title: str, targets: list[Target], *, unit: str | None = None, w: int = 12,
          h: int = 8, **kw) -> Panel:
    options = {"showHeader": True, "cellHeight": "sm",
               "footer": {"show": False, "reducer": ["sum"], "fields": ""}}
    return Panel("table", title, targets, w=w, h=h, unit=unit, options=options, **kw)


def gauge_bars(title: str, targets: list[Target], unit: str, *, w: int = 12, h: int = 8,
               **kw) -> Panel:
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "orientation": "horizontal", "displayMode": "gradient", "showUnfilled": True,
               "valueMode": "color", "namePlacement": "auto", "sizing": "auto"}
    return Panel("bargauge", title, targets, w=w, h=h, unit=unit, options=options, **kw)


def timeline(kind: str, title: str, targets: list[Target], *, w: int = 12, h: int = 8,
             **kw) -> Panel:
    options = {"showValue": "auto", "rowHeight": 0.9, "alignValue": "left",
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}}
    if kind == "state-timeline":
        options["mergeValues"] = True
    return Panel(kind, title, targets, w=w, h=h, options=options,
                 custom={"fillOpacity": 80, "lineWidth": 0}, color={"mode": "thresholds"},
                 **kw)  # type: ignore[arg-type]


def _ts_options() -> Json:
    return {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True,
                       "calcs": []},
            "tooltip": {"mode": "multi", "sort": "desc"}}


def band_overrides(lang: str) -> list[Json]:
    """Forecast band styling: fill between lower/upper, bounds drawn without lines."""
    hidden = {"lineWidth": 0, "fillOpacity": 0}
    return [
        by_name("forecast", displayName=t("forecast_s", lang),
                color={"mode": "fixed", "fixedColor": "purple"}),
        by_name("upper80", **{"custom.fillBelowTo": "lower80", "custom.lineWidth": 0,
                              "custom.fillOpacity": 30, "displayName": t("band80", lang),
                              "color": {"mode": "fixed", "fixedColor": "purple"}}),
        by_name("upper95", **{"custom.fillBelowTo": "lower95", "custom.lineWidth": 0,
                              "custom.fillOpacity": 12, "displayName": t("band95", lang),
                              "color": {"mode": "fixed", "fixedColor": "purple"}}),
        *[by_name(n, **{f"custom.{k}": v for k, v in hidden.items()},
                  **{"custom.hideFrom": {"legend": True, "tooltip": False, "viz": False},
                     "color": {"mode": "fixed", "fixedColor": "purple"}})
          for n in ("lower80", "lower95")],
        by_name("actual", displayName=t("actual", lang),
                color={"mode": "fixed", "fixedColor": "green"},
                **{"custom.drawStyle": "bars", "custom.fillOpacity": 60}),
    ]
