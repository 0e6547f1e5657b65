"""`civicwatt dashboards build`: files written, provisioning YAML contents, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
CONFIG = ROOT / "config" / "example-site.yaml"


def build(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CIVICWATT_")}
    base.update(PYTHONPATH=str(ROOT), COLUMNS="200", **(env or {}))
    return subprocess.run([sys.executable, "-m", "civicwatt", "dashboards", "build", *args],
                          cwd=ROOT, env=base, capture_output=True, text=True, timeout=60)


def test_influxdb1_with_user_writes_a_password_reference_not_the_password(tmp_path):
    result = build("--config", str(CONFIG), "--out", str(tmp_path),
                   "--store-url", "influxdb1://grafana:Zq9s3cr3t@db.example:8087/energy")
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "provisioning/datasources/civicwatt.yaml").read_text()
    assert "Zq9s3cr3t" not in text and "Zq9s3cr3t" not in result.stdout
    ds = yaml.safe_load(text)["datasources"][0]
    assert ds["uid"] == "civicwatt-influxql" and ds["url"] == "http://db.example:8087"
    assert ds["user"] == "grafana" and ds["jsonData"]["dbName"] == "energy"
    assert ds["jsonData"]["httpMode"] == "POST"
    assert ds["secureJsonData"] == {"password": "${CIVICWATT_INFLUXDB_PASSWORD}"}
    provider = yaml.safe_load((tmp_path / "provisioning/dashboards/civicwatt.yaml").read_text())
    entry = provider["providers"][0]
    assert (entry["folder"], entry["folderUid"], entry["options"]["path"]) == (
        "civicwatt", "civicwatt", "/var/lib/grafana/dashboards")
    boards = sorted((tmp_path / "dashboards").glob("*.json"))
    assert len(boards) == 7
    assert all(json.loads(p.read_text())["uid"] == p.stem for p in boards)


def test_influxdb2_token_header_and_stale_files_removed(tmp_path):
    stale = tmp_path / "dashboards" / "cw-hq-old.json"
    stale.parent.mkdir(parents=True)
    stale.write_text("{}")
    keep = tmp_path / "dashboards" / "hand-made.json"
    keep.write_text("{}")
    result = build("--config", str(CONFIG), "--out", str(tmp_path), "--store-url",
                   "influxdb2://influx:8086?org=hq&bucket=civicwatt&tls=true")
    assert result.returncode == 0, result.stderr
    ds = yaml.safe_load((tmp_path / "provisioning/datasources/civicwatt.yaml").read_text())[
        "datasources"][0]
    assert ds["url"] == "https://influx:8086"
    assert ds["jsonData"]["httpHeaderName1"] == "Authorization"
    assert ds["secureJsonData"] == {"httpHeaderValue1": "Token ${INFLUXDB_TOKEN}"}
    assert not stale.exists() and keep.exists()


def test_errors_are_one_clear_message(tmp_path):
    sqlite = build("--config", str(CONFIG), "--out", str(tmp_path))
    assert sqlite.returncode == 1 and "Traceback" not in sqlite.stderr
    assert "SQLite" in sqlite.stderr and "--store-url" in sqlite.stderr
    scheme = build("--config", str(CONFIG), "--store-url", "mysql://db/x", "--out", str(tmp_path))
    assert scheme.returncode == 1 and "'mysql' is not InfluxDB" in " ".join(scheme.stderr.split())
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nsite: {id: x}\nbuildings: []\n")
    config = build("--config", str(bad), "--store-url", "influxdb1://h:8086/db")
    assert config.returncode == 1 and "problem" in config.stderr
    assert "Traceback" not in config.stderr
    blocked = tmp_path / "file"
    blocked.write_text("")
    out = build("--config", str(CONFIG), "--out", str(blocked / "sub"),
                "--store-url", "influxdb1://h:8086/db")
    assert out.returncode == 1 and "cannot write" in out.stderr
    assert "Traceback" not in out.stderr
