"""Setpoints: commands by zone and status, against measured zone temperature (26/20 °C lines)."""

from __future__ import annotations

from civicwatt.dashboards.context import SiteContext, q
from civicwatt.dashboards.model import Annotation, Dashboard, Target, row
from civicwatt.dashboards.panels import bars, by_name, lines, table, variables
from civicwatt.dashboards.text import t
from rules.setpoint_governor import STATUSES

_STATUS_COLOURS = {"planned": "yellow", "sent": "blue", "unconfirmed": "light-yellow",
                   "acked": "light-blue", "applied": "green", "rejected": "red",
                   "expired": "orange", "overridden": "purple", "refused": "dark-red",
                   "failed": "semi-dark-red"}


def build(ctx: SiteContext) -> Dashboard:
    lang = ctx.lang
    where = ctx.where(zone=True)
    zone_temps = tuple(p.id for p in ctx.config.points
                       if p.quantity == "temperature" and p.zone)
    status_targets = [
        Target(f'SELECT count("value") FROM "setpoint_command" WHERE {where} '
               f'AND "status" = {q(s)} GROUP BY time($__interval) fill(none)', alias=s)
        for s in STATUSES]
    temperature = [Target(f'SELECT last("value") FROM "setpoint_command" WHERE {where} '
                          'GROUP BY time($__interval), "zone" fill(none)',
                          alias=f"$tag_zone {t('commands', lang)}")]
    if zone_temps:
        measured = ctx.where(zone=True, points=zone_temps)
        temperature.append(Target(
            f'SELECT mean("value") FROM "temperature" WHERE {measured} '
            'GROUP BY time($__interval), "zone" fill(null)', alias="$tag_zone"))
    panels = [
        row(t("setpoints", lang)),
        bars(t("by_status", lang), status_targets, "short", w=12, decimals=0,
             overrides=[by_name(s, color={"mode": "fixed", "fixedColor": c})
                        for s, c in _STATUS_COLOURS.items()]),
        lines(t("setpoint_zone", lang), temperature, "celsius", w=12,
              custom={"thresholdsStyle": {"mode": "line"}},
              thresholds=[("transparent", None), ("blue", 20), ("red", 26)],
              description="20 °C / 26 °C: the public-building winter ceiling and summer floor"),
        table(t("recent_commands", lang),
              [Target('SELECT "zone", "point", "rule", "value", "previous", "status", '
                      f'"expires_at" FROM "setpoint_command" WHERE {where} '
                      'ORDER BY time DESC LIMIT 100', result_format="table")],
              w=24, h=10),
    ]
    annotation = Annotation(t("commands", lang),
                            'SELECT "value", "status", "zone" FROM "setpoint_command" '
                            'WHERE $timeFilter AND "site" =~ /^$site$/ '
                            'AND "building" =~ /^$building$/',
                            text_column="value", tags_column="zone")
    return Dashboard(ctx.uid("setpoints"), f"{t('setpoints', lang)} · {ctx.config.site.name}",
                     panels, variables(ctx), annotations=[annotation],
                     tags=["civicwatt", "setpoints"], timezone=ctx.tz, time_from="now-7d",
                     refresh="1m")
