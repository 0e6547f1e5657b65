"""Lint over the generated dashboards, and proof that each lint rule catches its breakage."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from civicwatt.config import load_site
from civicwatt.dashboards import DATASOURCE_UID, build_dashboards
from civicwatt.dashboards.lint import lint

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config" / "example-site.yaml"
TZ = "Asia/Shanghai"
#: How Grafana reaches InfluxDB 2.x in deploy/docker-compose.yml.
DEPLOY_STORE = "influxdb2://influxdb:8086?org=civicwatt&bucket=civicwatt"

SMALL_SITE = """\
version: 1
site: {id: school-7, name: Riverside School, timezone: America/Phoenix, currency: USD,
       language: en, country: US}
buildings:
  - {id: main, name: Main hall, floor_area_m2: 4000, occupants: 600}
points:
  - {id: main.kwh, building: main, purpose: 01B00, quantity: energy, unit: kWh,
     mqtt: {topic: s/main/kwh}}
  - {id: main.t, building: main, zone: "", quantity: temperature, unit: °C,
     mqtt: {topic: s/main/t}}
"""


@pytest.fixture(scope="module")
def boards() -> dict:
    return build_dashboards(load_site(CONFIG))


def test_generated_dashboards_pass_every_rule(boards):
    assert lint(boards, DATASOURCE_UID, TZ) == []


def test_a_small_english_site_without_sub_meters_or_power_meters(tmp_path):
    path = tmp_path / "site.yaml"
    path.write_text(SMALL_SITE)
    small = build_dashboards(load_site(path))
    assert lint(small, DATASOURCE_UID, "America/Phoenix") == []
    assert small["overview"]["title"].startswith("Site overview")
    units = {p.get("fieldConfig", {}).get("defaults", {}).get("unit")
             for b in small.values() for p in b["panels"]}
    assert "currencyUSD" in units
    # no power meter: live power comes from the metered 15-min intervals
    live = small["overview"]["panels"][1]["targets"][0]["query"]
    assert 'FROM "energy_interval"' in live and "time(15m)" in live
    assert "tz('America/Phoenix')" in live


def test_titles_units_and_contents(boards):
    assert boards["overview"]["title"].startswith("站点概览")
    units = {p["fieldConfig"]["defaults"].get("unit") for b in boards.values()
             for p in b["panels"] if "fieldConfig" in p}
    assert {"kwatt", "kwatth", "celsius", "masskg", "currency:¥", "percentunit"} <= units
    for slug, board in boards.items():
        assert board["schemaVersion"] >= 39 and board["timezone"] == TZ
        names = [v["name"] for v in board["templating"]["list"]]
        # the portfolio reads the statistics rows: their period span and building type
        assert names == (["site", "span", "type"] if slug == "portfolio" else
                         ["site", "building", "zone", "purpose"])
    setpoint_queries = " ".join(t["query"] for p in boards["setpoints"]["panels"]
                                for t in p.get("targets", []))
    for status in ("sent", "acked", "applied", "rejected", "expired", "overridden"):
        assert f"'{status}'" in setpoint_queries


def test_deploy_folder_is_up_to_date(tmp_path):
    """deploy/grafana is generated: rebuild (new process, new hash seed) and compare bytes."""
    out = tmp_path / "grafana"
    result = subprocess.run(
        [sys.executable, "-m", "civicwatt", "dashboards", "build", "--config", str(CONFIG),
         "--out", str(out), "--store-url", DEPLOY_STORE],
        cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    committed = ROOT / "deploy" / "grafana"
    fresh = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    generated = sorted(p.relative_to(committed) for p in committed.rglob("*")
                       if p.is_file() and p.name != "README.md")
    assert fresh == generated
    for rel in fresh:
        assert (out / rel).read_bytes() == (committed / rel).read_bytes(), (
            f"deploy/grafana/{rel} is stale: run the command in deploy/grafana/README.md")


# -- each rule catches its breakage -------------------------------------------------------

def _panel(board: dict, kind: str = "timeseries") -> dict:
    return next(p for p in board["panels"] if p["type"] == kind)


def _break(boards, change) -> list[str]:
    broken = copy.deepcopy(boards)
    change(broken)
    return lint(broken, DATASOURCE_UID, TZ)


def _set_query(b, query):
    _panel(b["tariff"])["targets"][0]["query"] = query


BREAKAGES = {
    "uid.*also used": lambda b: b["tariff"].update(uid=b["overview"]["uid"]),
    "longer than 40": lambda b: b["tariff"].update(uid="x" * 41),
    "used twice in the folder": lambda b: b["tariff"].update(title=b["overview"]["title"]),
    "must be null": lambda b: b["tariff"].update(id=12),
    "schemaVersion: 27 < 39": lambda b: b["tariff"].update(schemaVersion=27),
    "panel id missing or not unique": lambda b: b["tariff"]["panels"][2].update(
        id=b["tariff"]["panels"][1]["id"]),
    "outside the 24-column grid": lambda b: _panel(b["tariff"])["gridPos"].update(x=20),
    "overlaps": lambda b: b["tariff"]["panels"][2]["gridPos"].update(
        b["tariff"]["panels"][1]["gridPos"]),
    "Angular or unknown": lambda b: _panel(b["tariff"]).update(type="graph"),
    r"\$\{DS_": lambda b: _panel(b["tariff"])["targets"][0].update(
        datasource={"type": "influxdb", "uid": "${DS_INFLUXDB}"}),
    "target A: datasource": lambda b: _panel(b["tariff"])["targets"][0].update(
        datasource={"type": "influxdb", "uid": "other"}),
    "no \\$timeFilter": lambda b: _set_query(b, 'SELECT sum("kwh") FROM "energy_interval" '
                                             "WHERE time > now() - 1d"),
    r"time\(1d\) without tz": lambda b: _set_query(
        b, 'SELECT sum("kwh") FROM "energy_interval" WHERE $timeFilter GROUP BY time(1d)'),
    r"GROUP BY time\(5m\)": lambda b: _set_query(
        b, 'SELECT sum("kwh") FROM "energy_interval" WHERE $timeFilter GROUP BY time(5m)'),
    r"multi-value \$building": lambda b: _set_query(
        b, "SELECT sum(\"kwh\") FROM \"energy_interval\" WHERE $timeFilter AND "
           "\"building\" = '$building'"),
    r"\$floor is not a dashboard variable": lambda b: _set_query(
        b, 'SELECT sum("kwh") FROM "energy_interval" WHERE $timeFilter AND "zone" =~ /^$floor$/'),
    "'kwh' is not a Grafana unit": lambda b: _panel(b["tariff"])["fieldConfig"]["defaults"]
    .update(unit="kwh"),
    "first step's value must be null": lambda b: _panel(b["tariff"])["fieldConfig"]["defaults"]
    ["thresholds"]["steps"][0].update(value=3),
    "not a variable defined before it": lambda b: b["tariff"]["templating"]["list"].reverse(),
    "SHOW TAG VALUES": lambda b: b["tariff"]["templating"]["list"][1].update(
        query='SELECT "building" FROM "energy_interval"'),
    "reload on dashboard load": lambda b: b["tariff"]["templating"]["list"][1].update(
        refresh=0),
    "not a raw InfluxQL query": lambda b: _panel(b["tariff"])["targets"][0].update(
        rawQuery=False),
}


@pytest.mark.parametrize("expected", BREAKAGES)
def test_lint_catches(boards, expected):
    problems = _break(boards, BREAKAGES[expected])
    assert any(re.search(expected, p) for p in problems), problems
    if "uid" not in expected and "40" not in expected:  # those rename the dashboard
        assert all("cw-hq-tariff" in p for p in problems if re.search(expected, p))


def test_lint_messages_name_dashboard_panel_and_target(boards):
    problems = _break(boards, lambda b: _set_query(b, "SELECT 1"))
    assert problems and problems[0].startswith("dashboard 'cw-hq-tariff', panel 2 ")
    assert "target A" in problems[0]


def test_json_has_no_angular_types_or_inputs(boards):
    text = json.dumps(boards)
    assert "__inputs" not in text and "${DS_" not in text
    assert '"type": "graph"' not in text and '"singlestat"' not in text
