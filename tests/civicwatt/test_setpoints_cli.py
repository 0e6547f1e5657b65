"""`civicwatt setpoints plan` and the `setpoints:` checks of check-config, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "example-site.yaml"


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def plan(at: str, config: Path = EXAMPLE) -> list[dict]:
    out = cli("setpoints", "plan", "--config", str(config), "--at", at, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["commands"]


def test_plan_json_in_a_sharp_period() -> None:
    commands = plan("2026-07-15T11:30")  # a Wednesday, sharp 11:00-13:00 local
    assert [c["point"] for c in commands] == ["b1.f2.sp_cool", "b1.f3.sp_cool",
                                              "b2.hall.sp_cool"]
    first = commands[0]
    assert list(first) == ["point", "zone", "topic", "mode", "value", "unit", "level", "reason",
                           "expires_at"]
    assert first == {
        "point": "b1.f2.sp_cool", "zone": "b1.f2",
        "topic": "civicwatt/hq/b1/b1.f2/hvac/temperature_high/set", "mode": "cool",
        "value": 27.5, "unit": "°C", "level": 2, "reason": "level 2: period sharp → level 2",
        "expires_at": "2026-07-15T04:00:00+00:00"}
    assert commands[2]["level"] == 1 and commands[2]["value"] == 27.0  # the hall's max_level 1
    assert all(c["point"] != "b1.f1.dc.sp_cool" for c in commands)  # exempt data room


def test_plan_heating_setback_holiday_and_nothing() -> None:
    winter = plan("2026-01-14T10:30+08:00")
    assert {(c["point"], c["value"]) for c in winter} == {
        ("b1.f2.sp_heat", 19.5), ("b1.f3.sp_heat", 19.5), ("b2.hall.sp_heat", 19.0)}  # 1 °C step
    assert all(c["value"] <= 20.0 for c in winter)  # the public-institution winter rule
    holiday = plan("2026-10-01T09:30")  # National Day: unoccupied, setback
    assert [(c["point"], c["value"]) for c in holiday] == [("b1.f2.sp_cool", 30.0),
                                                          ("b1.f3.sp_cool", 30.0)]
    assert all("setback" in c["reason"] for c in holiday)  # the hall is open 09-12 on holidays
    assert plan("2026-07-15T09:00") == []  # flat, occupied: nothing to command
    shoulder = plan("2026-04-15T11:30")  # April: neither cooling nor heating season
    assert shoulder == []


def test_plan_table_and_bad_input() -> None:
    out = cli("setpoints", "plan", "--config", str(EXAMPLE), "--at", "2026-07-15T11:30")
    assert out.returncode == 0 and "b1.f2.sp_cool" in out.stdout and "level 2" in out.stdout
    bad = cli("setpoints", "plan", "--config", str(EXAMPLE), "--at", "yesterday")
    assert bad.returncode == 1 and "not an ISO 8601 time" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_plan_without_a_setpoints_section(tmp_path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    del data["setpoints"]
    data.pop("points_csv")
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = cli("setpoints", "plan", "--config", str(path))
    assert out.returncode == 1 and "no `setpoints:` section" in out.stderr
    assert "Traceback" not in out.stderr


def test_check_config_names_setpoint_mistakes(tmp_path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.pop("points_csv")
    zones = data["setpoints"]["zones"]
    zones[0]["controllers"][0]["baseline"] = 24  # below the 26 °C floor: always clipped
    zones.append({"zone": "b9.roof", "controllers": [
        {"point": "b1.f2.sp_cool", "mode": "cool", "owner": "bms", "baseline": 27}]})
    data["setpoints"]["offsets"] = {"cooling": [0.5, 1.0, 3.0]}
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = cli("check-config", str(path))
    assert out.returncode == 1, out.stdout
    text = " ".join(out.stderr.split())
    assert "setpoints.zones[4].zone = 'b9.roof' — a zone id of the site" in text
    assert "one writer per point: already listed at setpoints.zones.0.controllers.0" in text
    assert "setpoints.zones[0].controllers[0].baseline = 24" in text
    assert "level 3 takes b1.f3.sp_cool from 26.5 to 29.5" in text
    assert "Traceback" not in out.stderr


def test_live_without_a_broker(tmp_path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.pop("points_csv")
    del data["mqtt"]
    data["setpoints"]["zones"][0]["mode"] = "live"
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = cli("check-config", str(path))
    assert out.returncode == 1
    assert "zones b1.f2 are live but there is no broker" in " ".join(out.stderr.split())


def test_example_config_is_clean() -> None:
    out = cli("check-config", str(EXAMPLE))
    assert out.returncode == 0, out.stderr


def test_check_config_rejects_a_public_policy_below_26_or_above_20(tmp_path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data.pop("points_csv")
    data["setpoints"]["policy"] = {"public_institution": True, "cooling_min": 25,
                                   "heating_max": 21}
    path = tmp_path / "site.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    out = cli("check-config", str(path))
    assert out.returncode == 1, out.stdout
    text = " ".join(out.stderr.split())
    assert "setpoints.policy" in text
    assert "cooling_min 25 °C is below the public-institution floor of 26 °C" in text
    assert "set public_institution: false" in text
    assert "Traceback" not in out.stderr
