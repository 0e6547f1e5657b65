"""The portfolio dashboard's queries, run against real InfluxDB 1.x filled the way production
fills it: the core computes the statistics of three months and a quarter from hand-made daily
intervals (tests/civicwatt/statistics/site.py) and the statistics job's rows
(`statistics_rows`) are written through `store.open_store(url).write`. Queries are interpolated
as Grafana's frontend would (tests/civicwatt/dashboards/grafana_sim.py: no Grafana server can
run here). Every query must return values, and the figures must be the documents'.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

import store
from civicwatt.dashboards import build_dashboards
from civicwatt.dashboards.lint import lint
from civicwatt.statistics import compute
from civicwatt.statistics_outputs.store_rows import statistics_rows
from tests.civicwatt.dashboards import grafana_sim
from tests.civicwatt.statistics.site import fill, write_site

pytestmark = pytest.mark.integration

DATABASE = "portfolio_it"
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PERIODS = ("2026-08", "2026-09", "2026-10", "2026-Q3")
#: a low office quota so that one building is above its constraint value
QUOTAS = {"statistics": {"quotas": {"office": {"kgce_per_m2": {"constraint": 0.3,
                                                                "guide": 0.2}}}}}


@pytest.fixture(scope="module")
def filled(influxdb, tmp_path_factory):
    site = write_site(tmp_path_factory.mktemp("portfolio"), influxdb.url(DATABASE), QUOTAS)
    target = store.open_store(influxdb.url(DATABASE))
    try:
        fill(target)
        docs = {p: compute(site, target, p).to_json() for p in PERIODS}
        # an older month where School has a 同比: the latest month's empty one must not
        # show it through
        docs["2026-07"] = compute(site, target, "2026-07").to_json()
        docs["2026-07"]["buildings"][2]["yoy_pct"]["kgce"] = 12.5
        for doc in docs.values():
            target.write(statistics_rows(doc, site.site.id, site.site.timezone))
    finally:
        target.close()
    return influxdb, site, docs, build_dashboards(site)["portfolio"]


def run(server, query: str) -> list[dict]:
    return grafana_sim.run_influxql(server.http, DATABASE, query)


def panel(board: dict, title: str) -> dict:
    return next(p for p in board["panels"] if p["title"] == title)


def query(filled, title: str, explicit: bool = False, **override) -> list[dict]:
    server, _, _, board = filled
    variables = {**grafana_sim.resolve_variables(lambda q: run(server, q), board, NOW,
                                                 explicit), **override}
    p = panel(board, title)
    rng = grafana_sim.panel_range(board, p, NOW)
    return run(server, grafana_sim.interpolate(p["targets"][0]["query"], variables, rng, "1h"))


def table(series: list[dict]) -> list[dict]:
    return [dict(zip(s["columns"], row, strict=True)) | s.get("tags", {})
            for s in series for row in s["values"]]


@pytest.mark.parametrize("explicit", [False, True], ids=["all", "explicit-selection"])
def test_every_query_returns_rows(filled, explicit):
    server, site, _, board = filled
    assert lint({"portfolio": board}, "civicwatt-influxql", site.site.timezone) == []
    variables = grafana_sim.resolve_variables(lambda q: run(server, q), board, NOW, explicit)
    assert variables["span"] == "month"
    failures, count = [], 0
    for p in board["panels"]:
        rng = grafana_sim.panel_range(board, p, NOW)
        for target in p.get("targets", []):
            text = grafana_sim.interpolate(target["query"], variables, rng,
                                           grafana_sim.interval(rng))
            count += 1
            found = run(server, text)
            if not any(v is not None for s in found for row in s["values"] for v in row[1:]):
                failures.append(f"{p['title']!r}: no rows\n    {text}")
    assert count >= 10
    assert not failures, "\n".join(failures)


def test_the_ranking_per_type_is_the_latest_months_kgce_per_m2(filled):
    _, _, docs, _ = filled
    october = {b["name"]: b["kgce_per_m2"] for b in docs["2026-10"]["buildings"]}
    found = {s["tags"]["name"]: s["values"][0][1]
             for s in query(filled, "Office: energy per m² (kgce/m²)")}
    assert found == pytest.approx({k: october[k] for k in ("Office one", "Office two")})


def test_site_yoy_mom_and_the_per_period_series(filled):
    _, _, docs, _ = filled
    total = docs["2026-10"]["total"]
    assert query(filled, "YoY")[0]["values"][0][1] == pytest.approx(total["yoy_pct"]["kgce"])
    assert query(filled, "MoM")[0]["values"][0][1] == pytest.approx(total["mom_pct"]["kgce"])
    kgce = [row[1] for row in query(filled, "Total energy per period (kgce)")[0]["values"]]
    assert kgce == pytest.approx([docs[p]["total"]["kgce"] for p in ("2026-07", "2026-08",
                                                                       "2026-09", "2026-10")])
    quarter = query(filled, "Total energy per period (kgce)", span="quarter")[0]["values"]
    assert [row[1] for row in quarter] == pytest.approx([docs["2026-Q3"]["total"]["kgce"]])


def test_a_missing_comparison_stays_empty_in_the_latest_period(filled):
    """School has no data a year before October: its 同比 is empty, not July's."""
    _, _, docs, _ = filled
    found = table(query(filled, "Buildings, latest period"))
    assert len(found) == 3  # one row per building: its latest month
    rows = {r["name"]: r for r in found}
    assert docs["2026-10"]["buildings"][2]["yoy_pct"]["kgce"] is None
    assert rows["School"]["yoy_kgce_pct"] is None
    assert rows["School"]["mom_kgce_pct"] == pytest.approx(
        docs["2026-10"]["buildings"][2]["mom_pct"]["kgce"])
    assert rows["Office one"]["rank_in_type"] == docs["2026-10"]["buildings"][0]["rank_in_type"]


def test_quota_status_counts_the_buildings_above_their_constraint(filled):
    _, _, docs, _ = filled
    above = [b["id"] for b in docs["2026-10"]["buildings"]
             if (b["quota"] or {}).get("kgce_per_m2", {}).get("status") == "above_constraint"]
    assert above  # the fixture's low quota puts an office above it
    assert query(filled, "Buildings above constraint")[0]["values"][0][1] == len(above)
    rows = table(query(filled, "Quota status (energy per m², pro rata to the period)"))
    assert sorted(r["name"] for r in rows) == ["Office one", "Office two"]  # School: no quota
