"""Grafana file provisioning: the datasource for the store, a dashboards provider, the JSON files.

Layout written under OUT (default deploy/grafana):

    provisioning/datasources/civicwatt.yaml   → mount at /etc/grafana/provisioning
    provisioning/dashboards/civicwatt.yaml
    dashboards/<uid>.json                      → mount at /var/lib/grafana/dashboards

Secrets are never written: the YAML holds `${NAME}` references that Grafana
expands from its own environment at start-up.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import yaml

from civicwatt.dashboards.context import DATASOURCE_UID, FOLDER_TITLE, FOLDER_UID
from civicwatt.dashboards.model import Json

DASHBOARDS_PATH = "/var/lib/grafana/dashboards"
DATASOURCE_NAME = "civicwatt InfluxDB"
INFLUXDB1_PASSWORD_ENV = "CIVICWATT_INFLUXDB_PASSWORD"


class DashboardsError(Exception):
    """A problem the user can fix (bad store URL, missing token, Grafana refused)."""


@dataclass(frozen=True)
class DatasourceSpec:
    """The Grafana InfluxDB (InfluxQL) datasource for a store URL.

    `secure_env` maps secureJsonData keys to (template, environment variable):
    the provisioning YAML keeps the `${VAR}` reference, an API push fills in the
    value from this process's environment.
    """

    url: str
    database: str
    user: str = ""
    secure_env: tuple[tuple[str, str, str], ...] = ()
    http_header: str = ""
    min_interval: str = "10s"

    def body(self, resolve_secrets: bool) -> Json:
        json_data: Json = {"dbName": self.database, "httpMode": "POST", "version": "InfluxQL",
                           "timeInterval": self.min_interval}
        if self.http_header:
            json_data["httpHeaderName1"] = self.http_header
        body: Json = {"name": DATASOURCE_NAME, "uid": DATASOURCE_UID, "type": "influxdb",
                      "access": "proxy", "url": self.url, "isDefault": True,
                      "jsonData": json_data}
        if self.user:
            body["user"] = self.user
        secure = {}
        for key, template, env in self.secure_env:
            if resolve_secrets:
                if env not in os.environ:
                    raise DashboardsError(
                        f"environment variable {env} is not set: the Grafana datasource needs "
                        f"it for {key}; export it before `civicwatt dashboards push`")
                secure[key] = template.replace(f"${{{env}}}", os.environ[env])
            else:
                secure[key] = template
        if secure:
            body["secureJsonData"] = secure
        return body


def datasource_for(store_url: str | None) -> DatasourceSpec:
    """The datasource Grafana needs to read what civicwatt writes to `store_url`."""
    if not store_url:
        raise DashboardsError(
            "the site's store is the embedded SQLite database, which Grafana cannot read: "
            "set store.url to influxdb1://HOST:8086/DB or influxdb2://HOST:8086?org=…&bucket=…, "
            "or pass --store-url")
    parts = urlsplit(store_url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    scheme = "https" if options.get("tls", "false").lower() == "true" else "http"
    base = f"{scheme}://{parts.hostname}:{parts.port or 8086}"
    if parts.scheme == "influxdb1":
        database = unquote(parts.path.lstrip("/"))
        if not database:
            raise DashboardsError(f"store URL {base}: no database; use influxdb1://host:8086/DB")
        if parts.username:
            return DatasourceSpec(base, database, unquote(parts.username),
                                  (("password", f"${{{INFLUXDB1_PASSWORD_ENV}}}",
                                    INFLUXDB1_PASSWORD_ENV),))
        return DatasourceSpec(base, database)
    if parts.scheme == "influxdb2":
        bucket, token_env = options.get("bucket"), options.get("token_env", "INFLUXDB_TOKEN")
        if not bucket:
            raise DashboardsError(f"store URL {base}: no bucket; use "
                                  "influxdb2://host:8086?org=ORG&bucket=BUCKET")
        # InfluxQL through the v1-compatible endpoint: the bucket's DBRP mapping as database.
        return DatasourceSpec(base, bucket, secure_env=(
            ("httpHeaderValue1", f"Token ${{{token_env}}}", token_env),),
            http_header="Authorization")
    raise DashboardsError(
        f"store URL scheme {parts.scheme!r} is not InfluxDB: Grafana dashboards need "
        "influxdb1://… or influxdb2://… (pass --store-url)")


def with_password_from_url(spec: DatasourceSpec, store_url: str) -> dict[str, str]:
    """Environment overrides so a push can use the password embedded in an influxdb1 URL."""
    parts = urlsplit(store_url)
    if parts.scheme == "influxdb1" and parts.password is not None:
        return {INFLUXDB1_PASSWORD_ENV: unquote(parts.password)}
    return {}


def _dollar_safe(value: object) -> object:
    """Grafana expands $VAR in provisioning values: double literal dollars."""
    if isinstance(value, str):
        return value.replace("$", "$$")
    if isinstance(value, dict):
        return {k: _dollar_safe(v) for k, v in value.items()}
    return value


def datasource_yaml(spec: DatasourceSpec) -> str:
    body = spec.body(resolve_secrets=False)
    secure = body.pop("secureJsonData", None)
    entry = {**_dollar_safe(body), "orgId": 1, "editable": False, "version": 1}
    if secure:
        entry["secureJsonData"] = secure  # ${VAR} references, expanded by Grafana
    return _header("datasource") + yaml.safe_dump(
        {"apiVersion": 1, "datasources": [entry]}, sort_keys=False, allow_unicode=True)


def provider_yaml(dashboards_path: str = DASHBOARDS_PATH) -> str:
    provider = {"name": "civicwatt", "orgId": 1, "type": "file", "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID, "disableDeletion": False, "allowUiUpdates": False,
                "updateIntervalSeconds": 30, "options": {"path": dashboards_path}}
    return _header("dashboards provider") + yaml.safe_dump(
        {"apiVersion": 1, "providers": [provider]}, sort_keys=False)


def _header(what: str) -> str:
    return (f"# Grafana {what}, generated by `civicwatt dashboards build`; do not edit,\n"
            "# change the site config and rebuild.\n")


def dashboard_json(board: Json) -> str:
    return json.dumps(board, indent=2, ensure_ascii=False) + "\n"


def write_all(out: Path, boards: dict[str, Json], spec: DatasourceSpec,
              dashboards_path: str = DASHBOARDS_PATH) -> list[Path]:
    """Write provisioning YAML and dashboard JSON under `out`; stale JSON files are removed."""
    files = {
        out / "provisioning" / "datasources" / "civicwatt.yaml": datasource_yaml(spec),
        out / "provisioning" / "dashboards" / "civicwatt.yaml": provider_yaml(dashboards_path),
    }
    for board in boards.values():
        files[out / "dashboards" / f"{board['uid']}.json"] = dashboard_json(board)
    board_dir = out / "dashboards"
    if board_dir.is_dir():
        for old in board_dir.glob("cw-*.json"):
            if old not in files:
                old.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
