"""`civicwatt forecast` end to end: real hourly data in an SQLite store → `forecast` rows.

Six weeks of Cambridge b21 (../shared/data) are written as a main meter's cumulative counter
(`energy`), a zone sub-meter's metered intervals (`energy_interval`, 40% of the main) and an
outdoor temperature point; the forecast temperature comes from a CSV as a weather service would
write it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from civicwatt.hourly_csv import read_hourly_csv
from store import Row, Series, open_store
from tests.services import require_file

ROOT = Path(__file__).resolve().parents[2]
DATA = Path("/work/shared/data/ucam_b21_2016_2019.csv")
NOW = "2019-03-12T00:00:00Z"
H = 3_600_000_000_000

SITE = """\
version: 1
site: {{id: cam, name: Cambridge test, timezone: Europe/London, country: GB, language: en}}
buildings:
  - id: b21
    floor_area_m2: 25924
    occupants: 800
    zones: [{{id: b21.lab}}]
points:
  - {{id: b21.main, building: b21, purpose: "01000", quantity: energy, unit: kWh}}
  - {{id: b21.lab.m, building: b21, zone: b21.lab, purpose: 01D10, quantity: energy,
     unit: kWh, parent: b21.main}}
  - {{id: b21.outdoor, building: b21, quantity: temperature, unit: °C}}
store: {{url: "{url}"}}
forecast:
  horizon_hours: 48
  history_days: 42
{extra}
"""


def make_site(tmp_path: Path, extra: str = "", url: str | None = None) -> Path:
    t, kwh, temp = read_hourly_csv(require_file(DATA))
    now = pd.Timestamp(NOW).value
    past = (t >= now - 42 * 24 * H) & (t < now)
    url = url or f"sqlite:///{tmp_path / 'cw.db'}"
    tags = {"site": "cam", "building": "b21"}
    rows = []
    counter = 1000.0 + np.concatenate([[0.0], np.cumsum(np.nan_to_num(kwh[past]))])
    stamps = np.concatenate([t[past], [now]])
    main = Series.of("energy", **tags, zone="b21", purpose="01000", point="b21.main")
    rows += [Row(main, int(s), {"value": float(c), "quality": 0})
             for s, c in zip(stamps, counter, strict=True)]
    lab = Series.of("energy_interval", **tags, zone="b21.lab", purpose="01D10",
                    point="b21.lab.m", period="flat")
    for s, k in zip(t[past], kwh[past], strict=True):
        if np.isfinite(k):
            rows += [Row(lab, int(s) + q * H // 4, {"kwh": 0.1 * float(k)}) for q in range(4)]
    air = Series.of("temperature", **tags, zone="b21", point="b21.outdoor")
    rows += [Row(air, int(s) + H // 2, {"value": float(c), "quality": 0})
             for s, c in zip(t[past], temp[past], strict=True)]
    store = open_store(url)
    store.write(rows)
    store.close()
    fut = (t >= now) & (t < now + 48 * H)
    pd.DataFrame({"timestamp": pd.to_datetime(t[fut], utc=True).strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "temp_c": temp[fut]}).to_csv(tmp_path / "weather.csv", index=False)
    site = tmp_path / "site.yaml"
    site.write_text(SITE.format(url=url, extra=extra))
    return site


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "civicwatt", "forecast", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=180)


def test_forecast_rows_for_building_and_zone_with_both_intervals(tmp_path: Path):
    site = make_site(tmp_path, "  temperature_forecast_csv: weather.csv\n"
                               "  carbon: {factor_kg_per_kwh: 0.2}")
    r = run("--config", str(site), "--now", NOW, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    by_zone = {t["zone"]: t for t in out["targets"]}
    assert set(by_zone) == {"b21", "b21.lab"}
    assert by_zone["b21"]["model"] == "tow-temp-ar" and not by_zone["b21"]["error"]
    assert out["rows_written"] == 2 * 2 * 48

    store = open_store(f"sqlite:///{tmp_path / 'cw.db'}")
    now = pd.Timestamp(NOW).value
    rows = store.read_rows("forecast", now, now + 48 * H)
    store.close()
    assert len(rows) == 192
    load = {(r.series.tag("zone"), r.time_ns): r.fields for r in rows
            if r.series.tag("target") == "load"}
    carbon = {(r.series.tag("zone"), r.time_ns): r.fields for r in rows
              if r.series.tag("target") == "carbon"}
    assert min(t for _, t in load) == now and max(t for _, t in load) == now + 47 * H
    for key, f in load.items():
        assert f["lower95"] <= f["lower"] <= f["value"] <= f["upper"] <= f["upper95"]
        assert f["issued_at"] == now
        assert carbon[key]["value"] == pytest.approx(0.2 * f["value"])
    # the zone meter is 40% of the building (4 quarter-hours x 10%): the forecasts agree
    b = np.mean([f["value"] for (z, _), f in load.items() if z == "b21"])
    z = np.mean([f["value"] for (zz, _), f in load.items() if zz == "b21.lab"])
    assert z / b == pytest.approx(0.4, rel=0.05)
    tags = rows[0].series.tag_dict
    assert set(tags) == {"site", "building", "zone", "target", "model"}

    # idempotent: a re-run for the same hour overwrites, it does not add rows
    assert run("--config", str(site), "--now", NOW, "--json").returncode == 0
    store = open_store(f"sqlite:///{tmp_path / 'cw.db'}")
    assert len(store.read_rows("forecast", now, now + 48 * H)) == 192
    store.close()


def test_without_forecast_temperature_the_output_says_so(tmp_path: Path):
    site = make_site(tmp_path)
    r = run("--config", str(site), "--now", NOW, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    main = next(t for t in out["targets"] if t["zone"] == "b21")
    assert main["model"] == "tow-ar"
    assert "model.no_future_temperature" in main["issues"]
    assert "no temperature_forecast_csv" in out["temperature"]


def test_user_errors_are_one_clear_message(tmp_path: Path):
    site = make_site(tmp_path, "  temperature_point: nowhere")
    r = run("--config", str(site), "--now", NOW)
    assert r.returncode == 1 and "temperature_point" in r.stderr and "nowhere" in r.stderr
    r = run("--config", str(site), "--now", "2019-03-12T00:00:00")
    assert r.returncode == 1 and "UTC offset" in r.stderr
    r = run("--config", str(site), "--shard", "3/2")
    assert r.returncode == 1 and "--shard" in r.stderr
    assert "Traceback" not in r.stderr


def test_the_commented_forecast_example_is_valid(tmp_path: Path):
    """Uncomment the example config's `forecast:` block; the real loader must accept it."""
    import re
    import shutil

    from civicwatt.config import load_site

    example = ROOT / "config" / "example-site.yaml"
    text = example.read_text()
    i = text.index("# forecast:")
    shutil.copy(example.with_name("example-points.csv"), tmp_path)
    (tmp_path / "site.yaml").write_text(text[:i] + re.sub(r"^# ", "", text[i:], flags=re.M))
    fc = load_site(tmp_path / "site.yaml").forecast
    assert fc.temperature_point == "b1.outdoor_temp" and fc.horizon_hours == 48


def test_carbon_uses_the_metering_factor_table_unless_forecast_carbon_is_set(tmp_path: Path):
    from civicwatt.config import load_site
    from civicwatt.jobs.forecast import carbon_settings, model_settings

    example = load_site(ROOT / "config" / "example-site.yaml")  # CN, grid_region north
    now = pd.Timestamp("2024-07-01T00:00Z").value
    carbon, note = carbon_settings(example, model_settings(example), now)
    assert "CN-North" in note and carbon.factor_kg_per_kwh == pytest.approx(0.712)
    site = load_site(make_site(tmp_path))  # GB: not in the (Chinese) table
    carbon, note = carbon_settings(site, model_settings(site), now)
    assert "default factor" in note and carbon.factor_kg_per_kwh == pytest.approx(0.5306)
    site = load_site(make_site(tmp_path, "  carbon: {factor_kg_per_kwh: 0.2}"))
    assert carbon_settings(site, model_settings(site), now)[0].factor_kg_per_kwh == 0.2
    assert model_settings(site).timezone == "Europe/London" and model_settings(site).country == "GB"


@pytest.mark.integration
def test_forecast_temperature_from_a_retained_mqtt_message(tmp_path: Path, mosquitto):
    """A real Mosquitto: the weather service's retained message feeds the temperature model."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    from civicwatt.config import load_site
    from civicwatt.jobs.forecast import run_forecast
    from civicwatt.jobs.forecast_weather import TemperatureSourceError, read_temperature_topic

    site_path = make_site(tmp_path, "  temperature_forecast_topic: weather/cam/forecast")
    text = site_path.read_text().replace(
        "forecast:\n", f"mqtt: {{url: '{mosquitto.url}', client_id: cw-test}}\nforecast:\n")
    site_path.write_text(text)
    weather = pd.read_csv(tmp_path / "weather.csv")
    payload = json.dumps([{"ts": ts, "temp_c": float(c)}
                          for ts, c in zip(weather.timestamp, weather.temp_c, strict=True)])
    pub = paho.Client(CallbackAPIVersion.VERSION2, client_id="weather-service")
    pub.connect("127.0.0.1", mosquitto.port)
    pub.loop_start()
    pub.publish("weather/cam/forecast", payload, qos=1, retain=True).wait_for_publish(10)
    pub.disconnect()
    pub.loop_stop()

    site = load_site(site_path)
    store = open_store(f"sqlite:///{tmp_path / 'cw.db'}")
    run = run_forecast(site, store, pd.Timestamp(NOW).value, workers=1)
    store.close()
    assert run.temperature == "MQTT topic weather/cam/forecast"
    main = next(r for r in run.results if r.zone == "b21")
    assert main.model == "tow-temp-ar" and run.rows_written == 192

    with pytest.raises(TemperatureSourceError, match="no retained message"):
        read_temperature_topic(site.mqtt, "weather/nobody", timeout_s=0.5)


@pytest.mark.integration
def test_forecast_job_on_a_real_influxdb(tmp_path: Path, influx_url: str):
    """The same job against InfluxDB 1.x: counters, metered intervals and forecasts round-trip."""
    from civicwatt.config import load_site
    from civicwatt.jobs.forecast import run_forecast

    site = load_site(make_site(tmp_path, "  temperature_forecast_csv: weather.csv", influx_url))
    store = open_store(influx_url)
    now = pd.Timestamp(NOW).value
    run = run_forecast(site, store, now, workers=2)
    assert {r.zone: r.model for r in run.results} == {"b21": "tow-temp-ar",
                                                       "b21.lab": "tow-temp-ar"}
    rows = store.read_rows("forecast", now, now + 48 * H, where={"target": "load"})
    store.close()
    assert len(rows) == 96
    assert all(r.fields["lower95"] <= r.fields["value"] <= r.fields["upper95"] for r in rows)


def test_only_the_first_run_of_a_local_day_leaves_a_day_ahead_snapshot():
    """`forecast_day_ahead` holds the day as forecast from its midnight, like the backtest."""
    from civicwatt.jobs.forecast import day_ahead_rows
    from store import Row, Series

    hour = 3_600_000_000_000
    midnight = 1_795_017_600 * 10**9  # 2026-11-19 00:00 Asia/Shanghai
    series = Series.of("forecast", site="s", building="b", zone="b", target="load", model="m")

    def run(issued: int) -> list[Row]:
        rows = [Row(series, issued // hour * hour + h * hour, {"value": float(h)})
                for h in range(48)]
        return day_ahead_rows(rows, "Asia/Shanghai", issued)

    kept = run(midnight + 20 * 60 * 10**9)  # the 00:20 run: its history ends at midnight
    assert [r.time_ns for r in kept] == [midnight + h * hour for h in range(24)]
    assert {r.series.measurement for r in kept} == {"forecast_day_ahead"}
    assert kept[0].series.tags == series.tags
    assert run(midnight - hour) == [] and run(midnight + hour) == []  # 23:00 and 01:00 runs
