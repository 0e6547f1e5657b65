"""`civicwatt meter` offline mode and `civicwatt tariff import`, run as the user runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BEIJING = ROOT / "civicwatt" / "data" / "tariffs" / "beijing-general-ic-single-part-under-1kv.yaml"

URDB = {
    "label": "0123456789abcdef01234567",
    "utility": "Example Electric Co",
    "name": "TOU-GS test",
    "startdate": 1672531200,
    "energyratestructure": [
        [{"rate": 0.10, "adj": 0.01, "max": 500, "unit": "kWh"}, {"rate": 0.50, "unit": "kWh"}],
        [{"rate": 0.30, "unit": "kWh"}],
    ],
    "energyweekdayschedule": [[1 if 16 <= h < 21 else 0 for h in range(24)]] * 12,
    "energyweekendschedule": [[0] * 24] * 12,
}


def civicwatt(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "civicwatt", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_counter(
    path: Path, points: dict, start: dt.datetime, end: dt.datetime, step_min: int = 15
) -> None:
    """points: {id: kW(local datetime)}; timestamps written in UTC with Z.

    Steps are taken in UTC: aware-datetime arithmetic in a zone is wall-clock arithmetic
    and would repeat readings across a DST change."""
    lines = ["point,timestamp,value"]
    for pid, kw in points.items():
        t, value = start.astimezone(dt.UTC), 0.0
        while t <= end:
            lines.append(f"{pid},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{value:.6f}")
            value += kw(t.astimezone(start.tzinfo)) * step_min / 60
            t += dt.timedelta(minutes=step_min)
    path.write_text("\n".join(lines) + "\n")


def test_us_urdb_tariff_across_march_dst(tmp_path):
    """America/New_York, Sun 2026-03-08 (23 h: 02:00 is skipped) and Mon 03-09.
    Load 1 kW, except 2 kW at 03:00–04:00 Sunday, 3 kW at 20:00–21:00 Monday (last peak
    hour) and 5 kW at 21:00–22:00 Monday (first off-peak hour after). URDB period 1 =
    weekdays 16–21. Sunday: 22 + 2 = 24 kWh in "0". Monday: "1" = 4 + 3 = 7;
    "0" = 16 + 5 + 2 = 23. So "0" = 47 kWh × (0.10 + 0.01; first tier only) = 5.17,
    "1" = 7 × 0.30 = 2.10; CO₂ at 0.4 kg/kWh."""
    ny = ZoneInfo("America/New_York")

    def load(t: dt.datetime) -> float:
        if t.day == 8 and t.hour == 3:
            return 2.0
        if t.day == 9 and t.hour == 20:
            return 3.0
        if t.day == 9 and t.hour == 21:
            return 5.0
        return 1.0

    write_counter(
        tmp_path / "readings.csv",
        {"main": load},
        dt.datetime(2026, 3, 8, tzinfo=ny),
        dt.datetime(2026, 3, 10, tzinfo=ny),
    )
    (tmp_path / "points.csv").write_text(
        "point,zone,purpose,quantity,unit\nmain,hq,01000,energy,kWh\n"
    )
    (tmp_path / "rate.json").write_text(json.dumps({"items": [URDB]}))
    res = civicwatt(
        "meter",
        "--readings",
        str(tmp_path / "readings.csv"),
        "--points",
        str(tmp_path / "points.csv"),
        "--tariff",
        str(tmp_path / "rate.json"),
        "--tz",
        "America/New_York",
        "--from",
        "2026-03-08",
        "--to",
        "2026-03-10",
        "--emission-factor",
        "0.4",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    rows = json.loads(res.stdout)["rows"]
    electricity = {"zone": "hq", "purpose": "01000", "energy": "electricity", "unit": "kWh"}
    assert rows == [
        {**electricity, "period": "0", "amount": 47.0, "kwh": 47.0, "cost": 5.17,
         "kgce": 5.7763, "co2_kg": 18.8},
        {**electricity, "period": "1", "amount": 7.0, "kwh": 7.0, "cost": 2.1,
         "kgce": 0.8603, "co2_kg": 2.8},
    ]


def test_beijing_offline_json_and_table(tmp_path):
    """Two zones, June 2026 (30 days), constant 1 and 2 kW. Beijing 'other' season:
    valley 8 h, flat 8 h, peak 8 h a day → 240/240/240 and 480/480/480 kWh.
    CO₂ with the national table: 2026 has no factor yet → the 2023 value 0.5306."""
    tz = ZoneInfo("Asia/Shanghai")
    write_counter(
        tmp_path / "r.csv",
        {"m1": lambda t: 1.0, "m2": lambda t: 2.0},
        dt.datetime(2026, 6, 1, tzinfo=tz),
        dt.datetime(2026, 7, 1, tzinfo=tz),
    )
    (tmp_path / "p.csv").write_text(
        "point,zone,purpose,quantity,unit\nm1,F1,01A10,energy,kWh\nm2,F2,01B20,energy,kWh\n"
    )
    args = [
        "meter",
        "--readings",
        str(tmp_path / "r.csv"),
        "--points",
        str(tmp_path / "p.csv"),
        "--tariff",
        str(BEIJING),
        "--tz",
        "Asia/Shanghai",
        "--from",
        "2026-06-01",
        "--to",
        "2026-07-01",
    ]
    res = civicwatt(*args, "--json")
    assert res.returncode == 0, res.stderr
    rows = {(r["zone"], r["period"]): r for r in json.loads(res.stdout)["rows"]}
    assert set(rows) == {(z, p) for z in ("F1", "F2") for p in ("valley", "flat", "peak")}
    assert rows["F1", "peak"] == {
        "zone": "F1",
        "purpose": "01A10",
        "energy": "electricity",
        "period": "peak",
        "amount": 240.0,
        "unit": "kWh",
        "kwh": 240.0,
        "cost": 410.4,
        "kgce": 29.496,
        "co2_kg": 127.344,
    }
    assert rows["F2", "valley"]["cost"] == pytest.approx(480 * 0.36)
    table = civicwatt(*args)
    assert table.returncode == 0, table.stderr
    assert "peak" in table.stdout and "2,160.00" in table.stdout and "合计" in table.stdout


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        (
            "point,timestamp,value\nm1,2026-06-01T00:00:00Z,1\nm1,yesterday,2\n",
            "r.csv row 3, column timestamp: 'yesterday' is not ISO 8601",
        ),
        (
            "point,timestamp,value\nm1,2026-06-01T00:00:00,1\n",
            "row 2, column timestamp: '2026-06-01T00:00:00' is not ISO 8601 with an offset",
        ),
        (
            "point,timestamp,value\nm1,2026-06-01T00:00:00Z,abc\n",
            "row 2, column value: 'abc' is not a number",
        ),
        (
            "point,timestamp,value\nm9,2026-06-01T00:00:00Z,1\n",
            "row 2, column point: unknown point 'm9'; add it to the points file",
        ),
        ("point,time,value\nm1,2026-06-01T00:00:00Z,1\n", "missing timestamp"),
    ],
)
def test_bad_readings_csv_names_file_row_column(tmp_path, readings, expected):
    points = "point,zone,purpose,quantity,unit\nm1,F1,01A10,energy,kWh\n"
    assert_fails_with(offline_june_first(tmp_path, readings, points, "--json"), expected)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (
            "point,zone,purpose,quantity,unit\nm1,F1,02000,steam,t\n",
            "row 2, column quantity: 'steam' is not one of energy (or electricity), water, gas, "
            "heat, cooling, diesel, gasoline, lpg, coal, pv, power, temperature",
        ),
        (
            "point,zone,purpose,quantity,unit\nm1,F1,01A10,energy,kW\n",
            "row 2, column unit: 'kW' is not a unit of electricity; use kWh, Wh, MWh",
        ),
        (
            "point,zone,purpose,quantity,unit\nm1,F1,02000,water,kg\n",
            "row 2, column unit: 'kg' is not a unit of water; use m3, t, L",
        ),
        (
            "point,zone,purpose,quantity,unit\nm1,F1,04000,heat,kcal\n",
            "row 2, column unit: 'kcal' is not a unit of heat; use GJ, MJ, kWh, MWh",
        ),
        (
            "point,zone,purpose,quantity,unit,max_kw\nm1,F1,02000,water,m3,5\n",
            "row 2, column max_kw: water has no kW; give max_rate in its unit per hour",
        ),
        (
            "point,zone,purpose,quantity,unit,parent\nm1,F1,02000,water,m3,m9\n",
            "row 2, column parent: 'm9' is not a point of this file",
        ),
        (
            "point,zone,purpose,quantity,unit\nm1,F1,01A10,energy,kWh\nm1,F1,01A10,energy,kWh\n",
            "row 3, column point: 'm1' already defined on row 2",
        ),
        (
            "point,zone,purpose,quantity,unit,rollover\nm1,F1,01A10,energy,kWh,lots\n",
            "row 2, column rollover: 'lots' is not a number",
        ),
    ],
)
def test_bad_points_csv(tmp_path, points, expected):
    readings = "point,timestamp,value\nm1,2026-06-01T00:00:00Z,1\n"
    assert_fails_with(offline_june_first(tmp_path, readings, points), expected)


def offline_june_first(tmp_path, readings: str, points: str, *extra: str):
    """`civicwatt meter` offline over 2026-06-01 (Beijing tariff) on these two CSV texts."""
    (tmp_path / "r.csv").write_text(readings)
    (tmp_path / "p.csv").write_text(points)
    return civicwatt("meter", "--readings", str(tmp_path / "r.csv"), "--points",
                     str(tmp_path / "p.csv"), "--tariff", str(BEIJING), "--tz", "Asia/Shanghai",
                     "--from", "2026-06-01", "--to", "2026-06-02", *extra)


def assert_fails_with(res, expected: str) -> None:
    assert res.returncode == 1
    assert expected in res.stderr.replace("\n", " ")
    assert "Traceback" not in res.stderr


def test_bad_flags_and_tariff(tmp_path):
    (tmp_path / "r.csv").write_text("point,timestamp,value\n")
    (tmp_path / "p.csv").write_text("point,zone,purpose,quantity,unit\nm1,F1,01A10,energy,kWh\n")
    base = ["meter", "--readings", str(tmp_path / "r.csv"), "--points", str(tmp_path / "p.csv")]
    cases = [
        (
            [
                *base,
                "--tariff",
                str(BEIJING),
                "--tz",
                "Mars/Olympus",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-02",
            ],
            "not an IANA timezone",
        ),
        (
            [
                *base,
                "--tariff",
                str(BEIJING),
                "--tz",
                "Asia/Shanghai",
                "--from",
                "2026-06-02",
                "--to",
                "2026-06-01",
            ],
            "must be after --from",
        ),
        (
            [
                *base,
                "--tariff",
                str(BEIJING),
                "--tz",
                "Asia/Shanghai",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-02",
                "--interval",
                "7m",
            ],
            "must be whole minutes dividing 1 hour",
        ),
        (
            [
                *base,
                "--tariff",
                str(tmp_path / "none.yaml"),
                "--tz",
                "Asia/Shanghai",
                "--from",
                "2026-06-01",
                "--to",
                "2026-06-02",
            ],
            "none.yaml: file not found",
        ),
        (
            [
                *base,
                "--tariff",
                str(BEIJING),
                "--tz",
                "Asia/Shanghai",
                "--from",
                "2020-06-01",
                "--to",
                "2020-06-02",
            ],
            "starts on 2023-01-01; it has no version for 2020-06-01",
        ),
    ]
    for args, expected in cases:
        res = civicwatt(*args)
        assert res.returncode == 1, args
        assert expected in res.stderr.replace("\n", " "), res.stderr
        assert "Traceback" not in res.stderr


def test_invalid_tariff_file_lists_every_problem(tmp_path):
    bad = yaml.safe_load(BEIJING.read_text())
    other = bad["versions"][0]["seasons"][2]
    other["windows"][1]["end"] = "11:00"  # flat 07–11 now overlaps peak 10–13
    other["windows"][5]["start"] = "22:30"  # 22:00–22:30 uncovered
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    res = civicwatt("tariff", "check", str(tmp_path / "t.yaml"))
    assert res.returncode == 1
    err = res.stderr.replace("\n", " ")
    assert "season 'other': flat overlaps peak on workdays 10:00–11:00" in err
    assert "season 'other': no period covers weekends 22:00–22:30" in err


def test_tariff_import_urdb(tmp_path):
    (tmp_path / "rate.json").write_text(json.dumps(URDB))
    res = civicwatt("tariff", "import", str(tmp_path / "rate.json"), "-o", str(tmp_path / "t.yaml"))
    assert res.returncode == 0, res.stderr
    native = yaml.safe_load((tmp_path / "t.yaml").read_text())
    assert native["currency"] == "USD"
    season = native["versions"][0]["seasons"][0]
    assert season["months"] == list(range(1, 13))
    assert season["prices"] == {"0": pytest.approx(0.11), "1": 0.30}
    assert "period 0: 2 tiers, only the first is billed" in native["notes"]
    check = civicwatt("tariff", "check", str(tmp_path / "t.yaml"))
    assert check.returncode == 0, check.stderr

    broken = dict(URDB, energyweekdayschedule=[[0] * 24] * 11)
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    res = civicwatt("tariff", "import", str(tmp_path / "bad.json"))
    assert res.returncode == 1
    assert "'energyweekdayschedule' must be a 12 × 24 matrix" in res.stderr
    broken = dict(URDB, energyweekendschedule=[[0] * 23 + [5]] * 12)
    (tmp_path / "bad.json").write_text(json.dumps(broken))
    res = civicwatt("tariff", "import", str(tmp_path / "bad.json"))
    assert "month 1 hour 23: period 5 is not an index" in res.stderr


def test_readme_example():
    """The README's example data: a lighting meter (6 kW 08–18, else 0.5 kW) and an AHU meter
    (20 kW 09–17, else 2 kW) over 2026-06-01/02, the AHU with no readings 08:45–11:00 on
    06-01. AHU day 2: flat 07–10 (2+2+20) + 13–17 (80) + 22–23 (2) = 106, peak 10–13 (60) +
    17–22 (10) = 70. Day 1: the 40.5 kWh of 08:45–11:00 spread over 9 quarters (4.5 each):
    flat 3.5 + 22.5 + 80 + 2 = 108, peak 18 + 40 + 10 = 68. Valley 16 h × 2 kW = 32."""
    data = ROOT / "tests" / "data" / "metering"
    res = civicwatt(
        "meter",
        "--readings",
        str(data / "readings.csv"),
        "--points",
        str(data / "points.csv"),
        "--tariff",
        str(BEIJING),
        "--tz",
        "Asia/Shanghai",
        "--from",
        "2026-06-01",
        "--to",
        "2026-06-03",
        "--json",
    )
    assert res.returncode == 0, res.stderr
    rows = {(r["purpose"], r["period"]): r["kwh"] for r in json.loads(res.stdout)["rows"]}
    assert rows == {
        ("01A10", "valley"): 8,
        ("01A10", "flat"): 74,
        ("01A10", "peak"): 52,
        ("01B20", "valley"): 32,
        ("01B20", "flat"): 214,
        ("01B20", "peak"): 138,
    }


def test_unknown_holiday_country_is_a_tariff_error_not_a_traceback(tmp_path):
    bad = yaml.safe_load(BEIJING.read_text())
    bad["calendar"]["country"] = "XX"
    (tmp_path / "t.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    res = civicwatt("tariff", "check", str(tmp_path / "t.yaml"))
    assert res.returncode == 1
    assert "calendar.country 'XX' is not a supported ISO 3166 code" in res.stderr
    assert "Traceback" not in res.stderr
