"""Shipped device profiles (collector/modbus/devices/): valid, sourced, planned into few reads,
and decoded correctly from a simulated meter holding values in each profile's encoding."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from collector.modbus.plan import plan_per_point, plan_reads
from collector.modbus.poller import ModbusPoller, PointTarget, point_series
from collector.modbus.profiles import SHIPPED_DEVICES
from collector.modbus.settings import DeviceProfile, ModbusSettings
from collector.modbus.simulator import SimulatedDevice

DEVICES = SHIPPED_DEVICES

#: profile -> (points, reads the planner needs at the default max_gap of 10)
EXPECTED = {
    "eastron-sdm630": (40, 5),
    "schneider-iem3x5x": (28, 4),
    "carlo-gavazzi-em24-e1": (20, 1),
}


def load(name: str) -> DeviceProfile:
    return DeviceProfile.model_validate(yaml.safe_load((DEVICES / f"{name}.yaml").read_text()))


def test_every_shipped_profile_is_listed_here():
    assert sorted(p.stem for p in DEVICES.glob("*.yaml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_is_valid_and_cites_its_register_map(name):
    profile = load(name)
    assert profile.name == name
    assert len(profile.source) > 80 and ("@" in profile.source)  # document + pinned transcription
    assert all(reg.unit is not None and reg.description for reg in profile.registers.values())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_planner_request_count_for_full_point_list(name):
    profile = load(name)
    points, reads = EXPECTED[name]
    plan = plan_reads(profile.registers.items())
    assert (len(plan.points), len(plan.reads)) == (points, reads)
    assert all(r.count <= 125 for r in plan.reads)
    assert len(plan_per_point(profile.registers.items()).reads) == points


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_profile_decodes_a_simulated_meter(modbus_server, name):
    profile = load(name)
    top = max(r.addr + r.words for r in profile.registers.values())
    dev = SimulatedDevice(1, size=top + 8)
    expected = {}
    for i, (field, reg) in enumerate(profile.registers.items()):
        # a distinct engineering value per field, stored the way the meter stores it
        raw = (i + 1) * 3 - (7 if reg.type.startswith("int") else 0)
        if reg.type == "float32":
            raw = raw + 0.5
        dev.set_value(reg.fn, reg.addr, raw, reg.type, reg.order)
        expected[field] = raw * reg.scale + reg.offset
    server = modbus_server(dev)
    settings = ModbusSettings.model_validate({
        "gateways": [{"id": "gw", "host": "127.0.0.1", "port": server.port}],
        "devices": [{"id": "m", "gateway": "gw", "unit": 1, "profile": name}],
    })
    targets = [PointTarget(f, "m", reg, point_series("power", site="s", building="b", zone="",
                                                     purpose="", point=f))
               for f, reg in profile.registers.items()]
    poller = ModbusPoller(settings, targets, lambda rows: None, profiles={name: profile})
    rows = asyncio.run(poller.poll_device("m"))
    poller.close()
    got = {r.series.tag("point"): r.fields["value"] for r in rows}
    assert got == pytest.approx(expected)
    assert dev.requests == EXPECTED[name][1]
