"""`civicwatt dashboards push` against a fake Grafana HTTP API.

No Grafana server can run here, so these tests use `fake_grafana.FakeGrafana`,
which records every call and answers with Grafana's status codes. They check
the endpoints used, that the folder keeps its uid, that a second push changes
nothing, and that each failure is one clear message without a traceback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.civicwatt.dashboards.fake_grafana import FakeGrafana

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config" / "example-site.yaml"
STORE = "influxdb1://influxdb:8086/civicwatt"
N_DASHBOARDS = 7


@pytest.fixture
def grafana():
    fake = FakeGrafana()
    fake.url = fake.start()
    yield fake
    fake.stop()


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("GRAFANA_", "CIVICWATT_"))}
    base.update(PYTHONPATH=str(ROOT), CIVICWATT_STORE_URL=STORE, COLUMNS="200")
    base.update(env or {})
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], cwd=ROOT, env=base,
                          capture_output=True, text=True, timeout=60)


def push(grafana: FakeGrafana, *extra: str, env: dict[str, str] | None = None):
    return run("dashboards", "push", "--config", str(CONFIG), "--grafana", grafana.url, *extra,
               env={"GRAFANA_TOKEN": grafana.token, **(env or {})})


def test_first_push_creates_datasource_folder_and_every_dashboard(grafana):
    result = push(grafana)
    assert result.returncode == 0, result.stderr
    assert grafana.writes() == [("POST", "/api/datasources"), ("POST", "/api/folders")] + [
        ("POST", "/api/dashboards/db")] * N_DASHBOARDS
    assert {c.authorization for c in grafana.calls} == {f"Bearer {grafana.token}"}
    ds = grafana.datasources["civicwatt-influxql"]
    assert (ds["type"], ds["url"], ds["jsonData"]["dbName"]) == (
        "influxdb", "http://influxdb:8086", "civicwatt")
    assert grafana.folders["civicwatt"]["title"] == "civicwatt"
    for call in grafana.calls:
        if call.path == "/api/dashboards/db":
            assert call.body["folderUid"] == "civicwatt"
            assert call.body["overwrite"] is True
            assert call.body["dashboard"]["id"] is None
    assert sorted(grafana.dashboards) == sorted(
        f"cw-hq-{s}" for s in ("overview", "subitems", "tariff", "forecast", "health",
                               "setpoints", "portfolio"))
    assert "created" in result.stdout


def test_second_push_is_idempotent(grafana):
    assert push(grafana).returncode == 0
    first = len(grafana.calls)
    second = push(grafana)
    assert second.returncode == 0, second.stderr
    writes = [(c.method, c.path) for c in grafana.calls[first:] if c.method != "GET"]
    assert writes == [("PUT", "/api/datasources/uid/civicwatt-influxql")]
    assert {d["dashboard"]["version"] for d in grafana.dashboards.values()} == {1}
    assert len(grafana.folders) == 1 and len(grafana.datasources) == 1
    assert second.stdout.count("unchanged") >= N_DASHBOARDS


def test_existing_folder_keeps_its_uid_and_is_renamed_in_place(grafana):
    grafana.folders["civicwatt"] = {"id": 7, "uid": "civicwatt", "title": "old name",
                                    "version": 3}
    result = push(grafana)
    assert result.returncode == 0, result.stderr
    folder_writes = [c for c in grafana.calls if c.path.startswith("/api/folders")
                     and c.method != "GET"]
    assert [(c.method, c.path) for c in folder_writes] == [("PUT", "/api/folders/civicwatt")]
    assert folder_writes[0].body.get("uid", "civicwatt") == "civicwatt"
    assert list(grafana.folders) == ["civicwatt"]
    assert grafana.folders["civicwatt"]["id"] == 7
    assert {d["meta"]["folderUid"] for d in grafana.dashboards.values()} == {"civicwatt"}


def test_a_dashboard_changed_in_grafana_is_restored_and_only_that_one(grafana):
    assert push(grafana).returncode == 0
    grafana.dashboards["cw-hq-tariff"]["dashboard"]["title"] = "edited by hand"
    first = len(grafana.calls)
    assert push(grafana).returncode == 0
    posted = [c.body["dashboard"]["uid"] for c in grafana.calls[first:]
              if c.path == "/api/dashboards/db"]
    assert posted == ["cw-hq-tariff"]
    assert grafana.dashboards["cw-hq-tariff"]["dashboard"]["title"].startswith("分时电价")


def test_basic_auth_from_grafana_user_and_password(grafana):
    result = run("dashboards", "push", "--config", str(CONFIG), "--grafana", grafana.url,
                 env={"GRAFANA_USER": "admin", "GRAFANA_PASSWORD": "secret"})
    assert result.returncode == 0, result.stderr
    assert all(c.authorization.startswith("Basic ") for c in grafana.calls)


def test_password_in_the_influxdb1_url_goes_to_secure_json_data(grafana):
    result = push(grafana, "--store-url", "influxdb1://reader:s3cret@influxdb:8086/civicwatt")
    assert result.returncode == 0, result.stderr
    ds = next(c.body for c in grafana.calls if c.path == "/api/datasources")
    assert ds["user"] == "reader"
    assert ds["secureJsonData"] == {"password": "s3cret"}
    assert "s3cret" not in result.stdout + result.stderr


def test_influxdb2_store_uses_the_v1_endpoint_with_a_token_header(grafana):
    result = push(grafana, "--store-url",
                  "influxdb2://influx2:8086?org=hq&bucket=civicwatt&token_env=MY_TOKEN",
                  env={"MY_TOKEN": "t0ken"})
    assert result.returncode == 0, result.stderr
    ds = next(c.body for c in grafana.calls if c.path == "/api/datasources")
    assert ds["jsonData"]["dbName"] == "civicwatt"
    assert ds["jsonData"]["httpHeaderName1"] == "Authorization"
    assert ds["secureJsonData"] == {"httpHeaderValue1": "Token t0ken"}


def _one_clear_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    text = " ".join(result.stderr.split())
    for needle in needles:
        assert needle in text, text


def test_wrong_token_is_one_message(grafana):
    result = run("dashboards", "push", "--config", str(CONFIG), "--grafana", grafana.url,
                 env={"GRAFANA_TOKEN": "wrong"})
    _one_clear_error(result, "refused the credentials", "401", "GRAFANA_TOKEN")
    assert grafana.writes() == []


def test_unreachable_grafana_is_one_message():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run("dashboards", "push", "--config", str(CONFIG), "--grafana",
                 f"http://127.0.0.1:{port}", env={"GRAFANA_TOKEN": "x"})
    _one_clear_error(result, "cannot reach Grafana", f"127.0.0.1:{port}")


def test_old_grafana_is_refused_before_any_write(grafana):
    grafana.version = "9.5.2"
    _one_clear_error(push(grafana), "version 9.5.2", "Grafana ≥ 10.4")
    assert grafana.writes() == []


def test_missing_credentials_and_token_env(grafana):
    result = run("dashboards", "push", "--config", str(CONFIG), "--grafana", grafana.url)
    _one_clear_error(result, "no Grafana credentials", "GRAFANA_TOKEN")
    result = push(grafana, "--store-url", "influxdb2://influx2:8086?org=hq&bucket=b")
    _one_clear_error(result, "INFLUXDB_TOKEN is not set")
    assert grafana.calls == []


def test_sqlite_store_cannot_feed_grafana(grafana):
    result = run("dashboards", "push", "--config", str(CONFIG), "--grafana", grafana.url,
                 env={"GRAFANA_TOKEN": grafana.token, "CIVICWATT_STORE_URL": ""})
    _one_clear_error(result, "SQLite", "--store-url")
