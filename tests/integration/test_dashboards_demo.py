"""The demo fills a real InfluxDB 1.x (`civicwatt demo --store URL`); every panel of the demo
site's dashboards then shows data.

Queries are interpolated as Grafana's frontend would (tests/civicwatt/dashboards/grafana_sim.py,
since no Grafana server can run here), with every variable at "All", at the real time the demo
ran: "today" panels need the demo's live collection, "yesterday" and "this month" its
back-filled history, the forecast panels its forecasts, the setpoint panels its dry-run replay.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from civicwatt.config import load_site
from civicwatt.dashboards import build_dashboards
from civicwatt.demo.session import run_demo
from tests.civicwatt.dashboards import grafana_sim

pytestmark = pytest.mark.integration
DATABASE = "demo_dashboards"


@pytest.fixture(scope="module")
def demo(influxdb, tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    # 32 s live: self-monitoring (every 2 s in the demo) spans two 30 s buckets, so the
    # per-interval increase of the rejected counters has something to show.
    result = run_demo(out, days=8, live_s=32, store_url=influxdb.url(DATABASE))
    site = load_site(result.config)
    return influxdb, site, datetime.now(ZoneInfo(site.site.timezone))


def run(server, query: str) -> list[dict]:
    body = urllib.parse.urlencode({"db": DATABASE, "q": query, "epoch": "ms"}).encode()
    with urllib.request.urlopen(f"{server.http}/query", body, timeout=30) as response:
        document = json.load(response)
    for result in document.get("results", []):
        if "error" in result:
            raise AssertionError(f"{result['error']}\n  in: {query}")
    return [s for r in document.get("results", []) for s in r.get("series", [])]


def has_values(series: list[dict]) -> bool:
    return any(v is not None for s in series for row in s.get("values", []) for v in row[1:])


@pytest.mark.parametrize("slug", ["overview", "subitems", "tariff", "forecast", "health",
                                  "setpoints"])
def test_every_panel_shows_the_demo_building(demo, slug):
    server, site, now = demo
    board = build_dashboards(site)[slug]
    variables = grafana_sim.resolve_variables(lambda q: run(server, q), board, now, False)
    panels = [p for p in board["panels"] if p.get("targets")]
    empty = []
    for panel in panels:  # a panel shows data when any of its queries returns some
        rng = grafana_sim.panel_range(board, panel, now)
        step = grafana_sim.interval(rng, panel.get("interval") or "10s")
        texts = [grafana_sim.interpolate(t["query"], variables, rng, step)
                 for t in panel["targets"]]
        if not any(has_values(run(server, text)) for text in texts):
            empty.append(f"panel {panel['id']} {panel['title']!r}: no rows\n    {texts[0]}")
    assert panels
    assert not empty, f"{len(empty)}/{len(panels)} panels empty:\n" + "\n".join(empty)
