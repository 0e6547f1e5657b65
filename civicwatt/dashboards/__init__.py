"""Grafana dashboards as code: site config → classic dashboard JSON + provisioning files.

`build_dashboards(config)` returns the seven dashboards (Site overview, Sub-items
and zones, Tariff, Forecast, Meter health, Setpoints, Portfolio statistics) as
JSON-ready dicts, every query raw InfluxQL against the one provisioned datasource (uid
`civicwatt-influxql`), so they run on InfluxDB 1.x and on 2.x/3.x through the
v1-compatible endpoint. `lint` checks them; `provisioning` writes the files.
"""

from __future__ import annotations

from civicwatt.config import SiteConfig
from civicwatt.dashboards import (
    forecast,
    health,
    overview,
    portfolio,
    setpoints,
    subitems,
    tariff,
)
from civicwatt.dashboards.context import DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID, SiteContext
from civicwatt.dashboards.model import Json

BUILDERS = {"overview": overview.build, "subitems": subitems.build, "tariff": tariff.build,
            "forecast": forecast.build, "health": health.build, "setpoints": setpoints.build,
            "portfolio": portfolio.build}


def datasource_ref(uid: str = DATASOURCE_UID) -> Json:
    return {"type": "influxdb", "uid": uid}


def build_dashboards(config: SiteConfig, datasource_uid: str = DATASOURCE_UID) -> dict[str, Json]:
    """slug → dashboard JSON for every dashboard of the site."""
    ctx = SiteContext(config, datasource_uid)
    return {slug: build(ctx).to_json(datasource_ref(datasource_uid))
            for slug, build in BUILDERS.items()}


__all__ = ["BUILDERS", "DATASOURCE_UID", "FOLDER_TITLE", "FOLDER_UID", "build_dashboards",
           "datasource_ref"]
