"""`civicwatt run` with the example config against real Mosquitto, InfluxDB 1.x and pymodbus.

Time is compressed: metering every 3 s, forecasting every 5 s. Fifteen days of
hourly history are published over MQTT (with their timestamps) once the
collector is subscribed, so metering and forecasting have something to do.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from collector.modbus.simulator import SimulatedDevice, SimulatorServer
from collector.spool import Spool
from tests.services import free_port, wait_until

ROOT = Path(__file__).parents[2]
HOUR = 3600


def site_config(folder: Path, http_port: int) -> Path:
    data = yaml.safe_load((ROOT / "config" / "example-site.yaml").read_text())
    data["service"] = {"http": f"127.0.0.1:{http_port}", "metering_every_s": 3,
                       "forecast_every_s": 5, "setpoints_every_s": 2, "catch_up_days": 16}
    data["forecast"] = {"zones": False}  # two worker processes, from a scheduler thread
    (folder / "example-points.csv").write_text((ROOT / "config" / "example-points.csv")
                                               .read_text())
    path = folder / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def publish_history(url_port: int, now: int, user: tuple[str, str] | None = None) -> int:
    """Hourly counters for every MQTT energy point of b1 over 15 days, and temperatures."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    if user is not None:
        client.username_pw_set(*user)
    client.connect("127.0.0.1", url_port)
    client.loop_start()
    topics = {"hq/b1/main/energy": 300.0, "hq/b1/f2/light/energy": 20.0,
              "hq/b1/plant/chiller/energy": 90.0, "hq/b1/f1/dc/energy": 15.0}
    start = (now // HOUR - 15 * 24) * HOUR
    sent = []
    for i, t in enumerate(range(start, now, HOUR)):
        hour_of_day = (t // HOUR + 8) % 24  # Asia/Shanghai
        busy = 1.6 if 8 <= hour_of_day < 18 else 0.7
        for topic, per_hour in topics.items():
            payload = json.dumps({"ts": t, "value": 1000 + i * per_hour * busy})
            sent.append(client.publish(topic, payload, qos=1))
        sent.append(client.publish("hq/b1/weather/temperature",
                                   json.dumps({"ts": t, "value": 18 + 6 * busy}), qos=1))
    for info in sent:
        info.wait_for_publish(30)
    client.loop_stop()
    client.disconnect()
    return len(sent)


@pytest.mark.integration
def test_run_collects_meters_forecasts_serves_health_and_stops_clean(
        tmp_path, mosquitto, influxdb, influx_url):
    devices = [SimulatedDevice(unit) for unit in range(1, 6)]
    for device in devices:
        device.set_value("input", 72, 5000.0 + device.unit, "float32")  # energy_import kWh
        device.set_value("input", 52, 40_000.0, "float32")  # power, W
    modbus = SimulatorServer(devices).start()
    http_port = free_port()
    config = site_config(tmp_path, http_port)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CIVICWATT_MQTT_URL": mosquitto.url,
           "CIVICWATT_STORE_URL": influx_url, "CIVICWATT_MODBUS_PORT": str(modbus.port)}
    log = (tmp_path / "run.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "civicwatt", "run", "--config", str(config)],
                               cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    database = influx_url.rsplit("/", 1)[1]

    def count(query: str) -> int:
        series = influxdb.query(query, database)["results"][0].get("series", [])
        return sum(int(s["values"][0][1]) for s in series)

    try:
        health = f"http://127.0.0.1:{http_port}"
        wait_until(lambda: json.loads(get(f"{health}/healthz")[1])["components"]["collection"]
                   ["broker_connected"], 30, "the collector to connect")
        sent = publish_history(mosquitto.port, int(time.time()))
        wait_until(lambda: count("SELECT count(value) FROM energy WHERE point = 'b1.main'")
                   >= 15 * 24, 60, "the published history in InfluxDB")
        wait_until(lambda: count("SELECT count(value) FROM energy WHERE point = 'b2.main'")
                   >= 1, 60, "a Modbus reading in InfluxDB")
        wait_until(lambda: count("SELECT count(kwh) FROM energy_interval WHERE point = "
                                 "'b1.main'") >= 14 * 96, 90, "metering on schedule")
        wait_until(lambda: count("SELECT count(value) FROM forecast WHERE building = 'b1' "
                                 "AND target = 'load'") >= 48, 120, "a forecast on schedule")
        status, body = get(f"{health}/healthz")
        state = json.loads(body)
        assert status == 200, body
        assert state["jobs"]["meter"]["runs"] >= 2 and state["jobs"]["meter"]["failures"] == 0
        status, metrics = get(f"{health}/metrics")
        assert status == 200
        assert 'civicwatt_job_runs_total{job="forecast"}' in metrics
        assert 'civicwatt_modbus_online{device="b2-main",gateway="gw-b2"} 1.0' in metrics
        received = [line for line in metrics.splitlines()
                    if line.startswith("civicwatt_mqtt_messages_received_total")]
        assert received and float(received[0].split()[-1]) >= sent
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(90)
        modbus.stop()
        log.close()
    output = (tmp_path / "run.log").read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output, output[-3000:]
    assert Spool(tmp_path / "spool.db").depth == 0
