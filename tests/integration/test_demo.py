"""`civicwatt demo` end to end: its report's totals are the simulated meters' own counters."""

from __future__ import annotations

import csv
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from civicwatt.demo.building import HOUR_NS, MAIN, SUB_METERS, DemoBuilding
from civicwatt.demo.site import FLOOR_AREA_M2
from tests.services import require_binary

ROOT = Path(__file__).parents[2]
TZ = "Asia/Shanghai"


def run_demo(out: Path, path: str | None = None, days: int = 7,
             cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "civicwatt", "demo", "--days", str(days),
                           "--out", str(out), "--live", "3"], env=env, capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def report_row(out: Path, day: dt.date, scope: str) -> dict:
    with (out / "reports" / f"demo-{day}-summary.zh.csv").open(encoding="utf-8-sig") as f:
        return next(r for r in csv.DictReader(f) if r["scope"] == scope)


def simulated_kwh(day: dt.date, point: str) -> float:
    """The simulated meter's counter difference over the local day, from the building model."""
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(TZ)).timestamp())
    building = DemoBuilding(TZ, FLOOR_AREA_M2, start * 10**9)
    return sum(building.hour_energy(start * 10**9 + h * HOUR_NS)[point] for h in range(24))


def yesterday() -> dt.date:
    return dt.datetime.now(ZoneInfo(TZ)).date() - dt.timedelta(days=1)


@pytest.mark.integration
def test_demo_leaves_a_report_whose_totals_match_the_simulated_meters(tmp_path):
    require_binary("mosquitto")  # the amqtt fallback has its own test below
    day = yesterday()
    (tmp_path / "elsewhere").mkdir()
    result = run_demo(Path("demo"), cwd=tmp_path)  # a relative --out
    assert result.returncode == 0, result.stderr[-3000:]
    out = tmp_path / "demo"
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert f"{out}/reports/demo-{day}-report.zh.pdf" in result.stdout.replace("\n", "")
    assert (out / "reports" / f"demo-{day}-report.zh.html").stat().st_size > 10_000
    site = report_row(out, day, "site")
    assert float(site["kwh"]) == pytest.approx(simulated_kwh(day, MAIN.point), abs=0.01)
    with (out / "reports" / f"demo-{day}-purposes.zh.csv").open(encoding="utf-8-sig") as f:
        purposes = {r["key"]: float(r["kwh"]) for r in csv.DictReader(f)
                    if r["scope"] == "site" and r["residual"] == "0"}
    lighting = sum(simulated_kwh(day, m.point) for m in SUB_METERS if m.purpose == "01A10")
    assert purposes["01A10"] == pytest.approx(lighting, abs=0.01)
    assert float(site["last_week_kwh"]) > 0 and site["actual_vs_forecast"] != ""
    assert site["cost_unit"] == "CNY"  # the ratio tariff priced with the illustrative base price
    assert "docker compose up" in result.stdout  # ends with how to see it in Grafana
    # every command under "Next" runs as printed (through a pipe: no line wrapped), elsewhere
    commands = next_commands(result.stdout)
    assert len(commands) == 4 and any(len(c) > 120 for c in commands)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=tmp_path / "elsewhere", env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, (command, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stderr, command
    assert (out / "grafana" / "dashboards").is_dir()


def next_commands(stdout: str) -> list[str]:
    """The lines of the "Next" block, as printed."""
    block = stdout.split("\nNext", 1)[1].split("\n\n", 1)[0]
    return [line.strip() for line in block.splitlines()[1:] if line.strip()]


@pytest.mark.integration
def test_demo_without_mosquitto_uses_the_embedded_broker(tmp_path):
    """With no `mosquitto` on PATH the demo falls back to amqtt (MQTT 3.1.1); --days 1."""
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep)
                           if not (Path(p) / "mosquitto").exists())
    day = yesterday()
    result = run_demo(tmp_path / "demo", path=path, days=1)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "MQTT broker (amqtt)" in result.stderr
    site = report_row(tmp_path / "demo", day, "site")
    assert float(site["kwh"]) == pytest.approx(simulated_kwh(day, MAIN.point), abs=0.01)
    # --days 1 is below what a forecast and last week's comparison need: the demo says so
    # and back-fills enough, so the report still has both
    assert "--days 1 is too short" in result.stderr and "back-filling 7 days" in result.stderr
    assert "civicwatt demo: 7 days" in result.stdout
    assert float(site["last_week_kwh"]) > 0 and site["actual_vs_forecast"] != ""
