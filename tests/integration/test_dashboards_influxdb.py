"""Every panel, annotation and variable query of every dashboard, run against real InfluxDB 1.x.

The store is filled through `store.open_store(url).write(rows)` with rows for
every measurement the dashboards read. Queries are interpolated the way
Grafana's frontend would (see tests/civicwatt/dashboards/grafana_sim.py): the
panel's time range or relative time, `$timeFilter`, `$__interval`, variables
from their own SHOW TAG VALUES queries. Each query must return at least one
non-null value, once with every variable at "All" and once with every value
selected explicitly (the regex-alternation formatting of multi-value variables).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import store
from civicwatt.config import load_site
from civicwatt.dashboards import build_dashboards
from tests.civicwatt.dashboards import grafana_sim, sample_data

pytestmark = pytest.mark.integration

CONFIG = Path(__file__).resolve().parents[2] / "config" / "example-site.yaml"
DATABASE = "dashboards_it"
#: A fixed "now" (a weekday afternoon, site time) so "today so far" always has data.
NOW = datetime(2026, 6, 17, 15, 7, tzinfo=ZoneInfo("Asia/Shanghai"))
# Hand-made rows with every status and reason; test_dashboards_demo.py fills through the demo.
FILL = sample_data.fill


@pytest.fixture(scope="module")
def site():
    return load_site(CONFIG)


@pytest.fixture(scope="module")
def filled(influxdb, site):
    target = store.open_store(influxdb.url(DATABASE))
    try:
        written = FILL(target, site, NOW)
    finally:
        target.close()
    assert written > 0
    return influxdb


def run(server, query: str) -> list[dict]:
    """POST /query like Grafana's httpMode POST; raise on an InfluxQL error."""
    return grafana_sim.run_influxql(server.http, DATABASE, query)


def has_values(series: list[dict]) -> bool:
    return any(v is not None for s in series for row in s.get("values", []) for v in row[1:])


def resolve_variables(server, board: dict, explicit: bool) -> dict[str, str]:
    return grafana_sim.resolve_variables(lambda q: run(server, q), board, NOW, explicit)


def queries(board: dict):
    """(label, query, time range) for every panel target and annotation."""
    for panel in board["panels"]:
        rng = grafana_sim.panel_range(board, panel, NOW)
        for target in panel.get("targets", []):
            label = f"panel {panel['id']} {panel['title']!r} {target['refId']}"
            yield label, target["query"], rng, panel.get("interval")
    for ann in board["annotations"]["list"]:
        if not ann.get("builtIn"):
            yield f"annotation {ann['name']!r}", ann["query"], \
                grafana_sim.panel_range(board, {}, NOW), None


@pytest.mark.parametrize("slug", ["overview", "subitems", "tariff", "forecast", "health",
                                  "setpoints"])
@pytest.mark.parametrize("explicit", [False, True], ids=["all", "explicit-selection"])
def test_every_query_returns_rows(filled, site, slug, explicit):
    board = build_dashboards(site)[slug]
    variables = resolve_variables(filled, board, explicit)
    failures, count = [], 0
    for label, query, rng, min_interval in queries(board):
        step = grafana_sim.interval(rng, min_interval or "10s")
        text = grafana_sim.interpolate(query, variables, rng, step)
        count += 1
        try:
            if not has_values(run(filled, text)):
                failures.append(f"{label}: no rows\n    {text}")
        except AssertionError as exc:
            failures.append(f"{label}: {exc}")
    assert count >= 3
    assert not failures, f"{len(failures)}/{count} queries failed:\n" + "\n".join(failures)


def test_explicit_selection_formats_regex_alternations(filled, site):
    board = build_dashboards(site)["subitems"]
    variables = resolve_variables(filled, board, explicit=True)
    assert variables["site"] == "hq"
    assert variables["building"] == "(b1|b2)"
    assert r"b1\.f1\.lobby" in variables["zone"] and variables["zone"].startswith("(")


def test_narrowing_to_one_building_narrows_the_totals(filled, site):
    board = build_dashboards(site)["overview"]
    variables = resolve_variables(filled, board, explicit=False)
    panel = next(p for p in board["panels"] if p["type"] == "stat" and p.get("timeFrom") ==
                 "now/M" and p["fieldConfig"]["defaults"]["unit"] == "kwatth")
    rng = grafana_sim.panel_range(board, panel, NOW)

    def total(building: str) -> float:
        text = grafana_sim.interpolate(panel["targets"][0]["query"],
                                       {**variables, "building": building}, rng, "1h")
        return run(filled, text)[0]["values"][0][1]

    assert total("b1") + total("b2") == pytest.approx(total(".*"))
    assert 0 < total("b2") < total(".*")


def _stat(filled, site, slug: str, title_part: str, target: int = 0) -> float:
    board = build_dashboards(site)[slug]
    variables = resolve_variables(filled, board, explicit=False)
    panel = next(p for p in board["panels"] if p["type"] == "stat" and title_part in p["title"])
    rng = grafana_sim.panel_range(board, panel, NOW)
    text = grafana_sim.interpolate(panel["targets"][target]["query"], variables, rng, "1h")
    return run(filled, text)[0]["values"][0][1]


def test_unmetered_share_is_main_minus_sub_meters_over_main(filled, site):
    """The two-subquery trick computes (main − Σ children) / main per building."""
    expected = 1 - 1 / (1 + sample_data.UNMETERED)
    for target in (0, 1):  # b1, b2
        assert _stat(filled, site, "subitems", "未计量", target) == pytest.approx(expected)


def test_peak_share_matches_the_written_intervals(filled, site):
    board = build_dashboards(site)["tariff"]
    rng = grafana_sim.panel_range(board, {}, NOW)
    roots = {"b1.main", "b2.main"}
    start, end = rng.start.timestamp() * 1e9, rng.end.timestamp() * 1e9
    rows = [r for r in sample_data.rows(site, NOW) if r.series.measurement == "energy_interval"
            and r.series.tag("point") in roots and start <= r.time_ns <= end]
    peak = sum(r.fields["kwh"] for r in rows if r.series.tag("period") in ("sharp", "peak"))
    assert _stat(filled, site, "tariff", "尖峰") == pytest.approx(
        peak / sum(r.fields["kwh"] for r in rows))
