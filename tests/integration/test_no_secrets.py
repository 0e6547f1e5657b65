"""No secret in any log line, error or health page: `civicwatt run` with an MQTT password, an
InfluxDB password and token, and an SMTP password, against real Mosquitto (password file),
InfluxDB 1.x and an SMTP server that refuses the password (so the error path runs too)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.civicwatt.reports.smtp import Handler, Server, self_signed
from tests.integration.test_run_service import ROOT, get, publish_history, site_config
from tests.services import free_port, require_binary, wait_until

pytestmark = pytest.mark.integration

SECRETS = {
    "CW_TEST_MQTT_PASSWORD": "mqtt-Secret-7f3a9c",
    "CW_TEST_INFLUX_PASSWORD": "influx-Secret-19bd",
    "INFLUXDB_TOKEN": "token-Secret-a8c2",
    "CW_TEST_SMTP_PASSWORD": "smtp-Secret-55e1",
}


@pytest.fixture
def locked_broker(tmp_path_factory, mosquitto_factory):
    folder = tmp_path_factory.mktemp("passwd")
    passwd = folder / "passwd"
    tool = shutil.which("mosquitto_passwd") or require_binary("mosquitto_passwd")
    subprocess.run([tool, "-b", "-c", str(passwd), "civicwatt", SECRETS["CW_TEST_MQTT_PASSWORD"]],
                   check=True)
    passwd.chmod(0o644)
    folder.chmod(0o755)
    return mosquitto_factory(f"allow_anonymous false\npassword_file {passwd}\n")


def configure(tmp_path, broker, influx_url: str, smtp_port: int, ca) -> tuple[str, int]:
    """The example site with every secret as `${NAME}`; the report is due within 2 minutes."""
    http_port = free_port()
    path = site_config(tmp_path, http_port)
    data = yaml.safe_load(path.read_text())
    data["mqtt"].update(username="civicwatt", password="${CW_TEST_MQTT_PASSWORD}")
    host_db = influx_url.removeprefix("influxdb1://")
    data["store"] = {"url": "influxdb1://civicwatt:${CW_TEST_INFLUX_PASSWORD}@" + host_db}
    due = datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(minutes=2)  # past start-up
    data["service"]["report_at"] = f"{due:%H:%M}"
    data["report"] = {"email": {
        "recipients": ["officer@example.gov.cn"], "sender": "civicwatt@example.gov.cn",
        "attempts": 1, "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "starttls",
                                "username": "civicwatt", "ca_file": str(ca),
                                "password": "${CW_TEST_SMTP_PASSWORD}"}}}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return str(path), http_port


def leaks(text: str) -> list[str]:
    return [name for name, secret in SECRETS.items() if secret in text]


def test_run_logs_and_health_never_show_a_secret(tmp_path, locked_broker, influx_url):
    cert, key = self_signed(tmp_path)
    with Server(Handler(), tls=(cert, key), credentials=("civicwatt", "the-right-one")) as smtp:
        config, http_port = configure(tmp_path, locked_broker, influx_url, smtp.port, cert)
        env = {**os.environ, **SECRETS, "PYTHONPATH": str(ROOT),
               "CIVICWATT_MQTT_URL": locked_broker.url, "CIVICWATT_MODBUS_PORT": str(free_port())}
        log_path = tmp_path / "run.log"
        with log_path.open("w") as log:
            process = subprocess.Popen([sys.executable, "-m", "civicwatt", "run", "--config",
                                        config], cwd=tmp_path, env=env, stdout=log,
                                       stderr=subprocess.STDOUT)
        pages = []
        try:
            health = f"http://127.0.0.1:{http_port}"
            wait_until(lambda: json.loads(get(f"{health}/healthz")[1])["components"]
                       ["collection"]["broker_connected"], 60, "the collector to connect")
            publish_history(locked_broker.port, int(time.time()), user=("civicwatt", SECRETS[
                "CW_TEST_MQTT_PASSWORD"]))
            wait_until(lambda: json.loads(get(f"{health}/healthz")[1])["jobs"]
                       .get("report", {}).get("runs", 0) >= 1
                       and not json.loads(get(f"{health}/healthz")[1])["jobs"]["report"]
                       ["running"], 300, "the daily report to run (and fail at SMTP AUTH)")
            pages = [get(f"{health}/healthz")[1], get(f"{health}/metrics")[1]]
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(90)
    output = log_path.read_text()
    report = json.loads(pages[0])["jobs"]["report"]
    assert report["failures"] == 1 and "535" in report["last_error"], report  # the path ran
    assert "authentication" in output.lower() or "535" in output
    assert json.loads(pages[0])["components"]["setpoints"]["connected"] is True
    assert leaks(output) == [], [line for line in output.splitlines() if leaks(line)]
    assert leaks("\n".join(pages)) == []
    assert leaks((tmp_path / "spool.db").read_bytes().decode("latin-1")) == []


def test_a_refused_mqtt_password_is_named_but_not_shown(tmp_path, locked_broker, influx_url):
    unused_ca = tmp_path / "unused-ca.pem"  # the run stops at the broker, before any e-mail
    unused_ca.write_text("")
    config, _ = configure(tmp_path, locked_broker, influx_url, free_port(), unused_ca)
    env = {**os.environ, **SECRETS, "CW_TEST_MQTT_PASSWORD": "wrong-Secret-0b7e",
           "PYTHONPATH": str(ROOT), "CIVICWATT_MQTT_URL": locked_broker.url}
    out = subprocess.run([sys.executable, "-m", "civicwatt", "run", "--config", config],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    text = out.stdout + out.stderr
    assert "bad user name or password for user 'civicwatt'" in " ".join(text.split())
    assert "wrong-Secret-0b7e" not in text and leaks(text) == []
    assert "Traceback" not in text
