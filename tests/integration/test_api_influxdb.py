"""The API on a real InfluxDB 1.x: the same answers as on SQLite, injection attempts that leave
the database untouched, and `civicwatt run` serving it with a key made by `civicwatt apikey`."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.civicwatt.api.conftest import serve
from tests.civicwatt.api.site import fill, write_site
from tests.services import free_port, wait_until

ROOT = Path(__file__).parents[2]
QUERIES = [
    {"from": "2026-10-01", "to": "2026-11-01"},
    {"from": "2026-10-03", "to": "2026-10-05", "by": ["purpose", "zone", "period"]},
    {"from": "2026-10-03", "to": "2026-10-04", "interval": "hour", "zone": "b1.f2"},
    {"from": "2026-10-03", "to": "2026-10-04", "interval": "15m", "class": "water"},
    {"from": "2026-09-01", "to": "2027-01-01", "interval": "month", "purpose": "01A00"},
]


@pytest.fixture(scope="module")
def both(tmp_path_factory, influxdb):
    database = f"api_{os.getpid()}"
    many = {"rate_limit": {"per_s": 10_000, "burst": 10_000}}
    influx_server, influx = serve(tmp_path_factory.mktemp("influx"), influxdb.url(database), many)
    sqlite_server, sqlite = serve(tmp_path_factory.mktemp("sqlite"), api=many)
    influx.reader, sqlite.reader = influx.key("read"), sqlite.key("read")
    yield influx, sqlite, influxdb, database
    for server, served in ((influx_server, influx), (sqlite_server, sqlite)):
        server.stop()
        served.store.close()


@pytest.mark.integration
@pytest.mark.parametrize("params", QUERIES)
def test_influxdb_answers_as_sqlite_does(both, params):
    influx, sqlite, _, _ = both
    got = influx.get("/api/v1/buildings/b1/energy", influx.reader, params=params)
    want = sqlite.get("/api/v1/buildings/b1/energy", sqlite.reader, params=params)
    assert got.status_code == want.status_code == 200, got.text
    assert got.json()["rows"], "the fixture has data in every query's range"
    _close(got.json(), want.json())


def _close(got: dict, want: dict) -> None:
    assert {k: v for k, v in got.items() if k not in ("rows", "totals")} == \
        {k: v for k, v in want.items() if k not in ("rows", "totals")}
    for part in ("rows", "totals"):
        assert len(got[part]) == len(want[part])
        for a, b in zip(got[part], want[part], strict=True):
            assert a.keys() == b.keys()
            for key in a:
                assert a[key] == (pytest.approx(b[key]) if isinstance(b[key], float) else b[key])


@pytest.mark.integration
@pytest.mark.parametrize("payload", ['b1\' OR 1=1; DROP MEASUREMENT "energy_interval"',
                                     'b1"; DROP DATABASE x; --', "b1' GROUP BY * --"])
def test_injection_leaves_influxdb_untouched(both, payload):
    influx, _, server, database = both
    key = influx.reader
    q = quote(payload, safe="")
    day = "from=2026-10-01&to=2026-10-02"
    for path in (f"/api/v1/buildings/{q}/energy?{day}",
                 f"/api/v1/buildings/b1/energy?{day}&zone={q}",
                 f"/api/v1/buildings/b1/energy?{day}&period={q}",
                 f"/api/v1/buildings/b1/forecast?zone={q}"):
        assert influx.get(path, key).status_code in (400, 404), path
    count = server.query("SELECT count(kwh) FROM energy_interval", database)
    assert count["results"][0]["series"][0]["values"][0][1] == 5 * 96 * 31


@pytest.mark.integration
def test_civicwatt_run_serves_the_api_and_stops_clean(tmp_path, influxdb, influx_url):
    port = free_port()
    site = write_site(tmp_path, influx_url, http=f"127.0.0.1:{port}")
    from store import open_store

    store = open_store(influx_url)
    fill(store, dt.date(2026, 10, 1), 3)
    store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    config = str(site.base_dir / "site.yaml")
    made = subprocess.run([sys.executable, "-m", "civicwatt", "apikey", "create", "--config",
                           config, "--name", "bureau portal", "--scope", "read:building:b1",
                           "--json"], env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    created = json.loads(made.stdout)
    assert created["name"] == "bureau portal" and created["scope"] == "read:building:b1"
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "civicwatt", "run", "--config", config],
                               cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: httpx.get(f"{base}/healthz").status_code in (200, 503), 60,
                   "civicwatt run's HTTP server")
        headers = {"Authorization": f"Bearer {created['key']}"}
        energy = httpx.get(f"{base}/api/v1/buildings/b1/energy?from=2026-10-01&to=2026-10-04",
                           headers=headers, timeout=30)
        assert energy.status_code == 200, energy.text
        assert [r["amount"] for r in energy.json()["rows"] if r["class"] == "electricity"] == \
            [960.0, 960.0, 960.0]
        assert httpx.get(f"{base}/api/v1/buildings/b2", headers=headers).status_code == 403
        assert httpx.get(f"{base}/api/v1/openapi.json").json()["info"]["title"] == \
            "civicwatt API"
        metrics = httpx.get(f"{base}/metrics").text
        assert 'civicwatt_http_requests_total{method="GET",route=' \
               '"/api/v1/buildings/{building_id}/energy",status="200"} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(60)
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output and created["key"] not in output
    assert "API refused GET /api/v1/buildings/b2" in output and "'bureau portal'" in output
