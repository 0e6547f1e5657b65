"""`civicwatt modbus read|scan|plan` as a user runs them: real pymodbus server, real process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from collector.modbus.simulator import SimulatedDevice
from tests.collector.modbus.conftest import modbus_server  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.integration


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "civicwatt", *args], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"},
                          capture_output=True, text=True, timeout=60)


def test_read_json_exact_format(modbus_server):  # noqa: F811
    dev = SimulatedDevice(3, size=400)
    dev.set_value("input", 342, 1234.5, "float32")
    dev.set_value("input", 344, float("nan"), "float32")
    server = modbus_server(dev)
    r = cli("modbus", "read", server.address, "--unit", "3", "--address", "342", "--type",
            "float32", "--function", "input", "--count", "2", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"unit": 3, "address": 342, "type": "float32",
                                    "order": "ABCD", "function": "input",
                                    "values": [1234.5, None]}
    table = cli("modbus", "read", server.address, "--unit", "3", "--address", "342",
                "--type", "float32", "--function", "input")
    assert table.returncode == 0 and "449A 5000" in table.stdout and "1234.5" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--address", "200", "--type", "uint16"], "illegal data address"),
        (["--address", "0", "--type", "float16"], "--type 'float16' is not a type"),
        (["--address", "0", "--type", "uint16", "--order", "ABDC"], "ABCD, CDAB, BADC or DCBA"),
        (["--address", "0", "--type", "uint16", "--function", "coil"], "use --type bool"),
        (["--address", "0", "--type", "float32", "--count", "63"], "at most 125"),
    ],
)
def test_read_errors_are_one_clear_message(modbus_server, args, message):  # noqa: F811
    server = modbus_server(SimulatedDevice(3, size=64))
    r = cli("modbus", "read", server.address, "--unit", "3", *args)
    assert r.returncode == 1
    assert message in r.stderr
    assert "Traceback" not in r.stderr


def test_read_unreachable_and_silent_units():
    r = cli("modbus", "read", "127.0.0.1:1", "--unit", "1", "--address", "0", "--type",
            "uint16", "--timeout", "0.5")
    assert r.returncode == 1 and "cannot connect to 127.0.0.1:1" in r.stderr
    assert "Traceback" not in r.stderr
    r = cli("modbus", "read", "not a host:x", "--unit", "1", "--address", "0", "--type",
            "uint16")
    assert r.returncode == 1 and "HOST[:PORT]" in r.stderr


def test_read_missing_unit_behind_gateway(modbus_server):  # noqa: F811
    server = modbus_server(SimulatedDevice(3))
    r = cli("modbus", "read", server.address, "--unit", "4", "--address", "0", "--type",
            "uint16")
    assert r.returncode == 1
    assert "gateway target failed to respond" in r.stderr and "--unit" in r.stderr


def test_scan_lists_units_that_answer(modbus_server):  # noqa: F811
    dead = SimulatedDevice(9)
    dead.mode = "dead"
    busy = SimulatedDevice(5)
    busy.busy_for = 1000
    server = modbus_server(SimulatedDevice(2), SimulatedDevice(3), busy, dead)
    r = cli("modbus", "scan", server.address, "--units", "1-10", "--timeout", "0.3")
    assert r.returncode == 0, r.stderr
    assert re.findall(r"^\W+(\d+) \W", r.stdout, flags=re.M) == ["2", "3", "5"]
    assert "device busy" in r.stdout and "3 unit(s) answer" in r.stdout
    r = cli("modbus", "scan", server.address, "--units", "20-22", "--timeout", "0.2")
    assert r.returncode == 1 and "no unit answered among 3" in r.stdout
    r = cli("modbus", "scan", server.address, "--units", "0-300")
    assert r.returncode == 1 and "unit ids are 1-247" in r.stderr


def test_plan_prints_every_device(tmp_path):
    r = cli("modbus", "plan", "--config", "config/example-site.yaml")
    assert r.returncode == 0, r.stderr
    assert "b2-main unit 1: 2 reads covering 4 registers for 2 points" in r.stdout
    assert "input 72-73 (2): b2.main" in r.stdout
    assert "8 read(s) per cycle for 8 point(s)" in r.stdout


def test_plan_reports_config_problems(tmp_path):
    text = (ROOT / "config" / "example-site.yaml").read_text()
    bad = tmp_path / "site.yaml"
    bad.write_text(text.replace("{id: b2-hvac, gateway: gw-b2, unit: 3,",
                                "{id: b2-hvac, gateway: gw-b9, unit: 3,")
                   .replace("points_csv: example-points.csv",
                            f"points_csv: {ROOT / 'config' / 'example-points.csv'}"))
    r = cli("modbus", "plan", "--config", str(bad))
    assert r.returncode == 1
    assert "modbus.devices[2].gateway" in r.stderr and "gw-b9" in r.stderr
    assert "Traceback" not in r.stderr


def test_build_poller_from_site_config_and_its_health(modbus_server):  # noqa: F811
    """The wiring `civicwatt collect` uses: site points -> tagged rows, metrics, /healthz."""
    import asyncio

    from civicwatt.config import load_site
    from civicwatt.service.modbus import build_poller, poller_check, poller_metrics

    site = load_site(ROOT / "config" / "example-site.yaml")
    server = modbus_server(*[SimulatedDevice(u, size=400) for u in (1, 2, 3, 4)])  # 5 is dead
    gateways = [g.model_copy(update={"port": server.port, "timeout": 0.3})
                for g in site.modbus.gateways]
    site = site.model_copy(update={"modbus": site.modbus.model_copy(
        update={"gateways": gateways})})
    server.devices[1].set_value("input", 72, 1500.5, "float32")
    rows: list = []
    poller = build_poller(site, rows.extend)
    assert sorted(poller.devices) == ["b2-hvac", "b2-kitchen", "b2-light", "b2-main", "b2-power"]

    async def poll_all():
        return await asyncio.gather(*(poller.poll_device(d) for d in poller.devices))

    results = dict(zip(poller.devices, asyncio.run(poll_all()), strict=True))
    poller.close()
    main = {r.series.tag("point"): r for r in results["b2-main"]}
    assert main["b2.main"].fields == {"value": 1500.5, "quality": 0}
    assert main["b2.main"].series.measurement == "energy"
    assert main["b2.main"].series.tag_dict == {
        "site": site.site.id, "building": "b2", "zone": "b2", "purpose": "01000",
        "point": "b2.main"}
    assert results["b2-kitchen"] == []  # unit 5 does not answer: no readings, offline
    healthy, detail = poller_check(poller)
    assert not healthy and detail["devices"]["b2-kitchen"] == "offline"  # an offline device is 503
    assert "b2-kitchen" in detail["offline"]
    assert [p for p in detail["problems"] if p.startswith("device b2-kitchen offline")]
    online = {m.labels["device"]: m.value for m in poller_metrics(poller)
              if m.name == "civicwatt_modbus_online"}
    assert online == {"b2-main": 1.0, "b2-light": 1.0, "b2-hvac": 1.0, "b2-power": 1.0,
                      "b2-kitchen": 0.0}
    shards = [set(build_poller(site, rows.extend, (i, 2)).devices) for i in range(2)]
    assert shards[0] | shards[1] == set(poller.devices) and not shards[0] & shards[1]
