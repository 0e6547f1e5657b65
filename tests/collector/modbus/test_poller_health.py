"""The poller's health: devices that never answered, and a full spool that stops polling."""

from __future__ import annotations

import asyncio
import time

import pytest

from civicwatt.service.modbus import poller_check, poller_metrics
from collector.modbus.poller import ModbusPoller, PointTarget, point_series
from collector.modbus.settings import ModbusSettings, RegisterField
from collector.modbus.simulator import SimulatedDevice
from collector.modbus.state import NEVER_ANSWERED_INTERVALS
from collector.spool import SpoolSink
from tests.services import free_port, wait_until


def modbus(port: int, devices: list[dict]) -> ModbusSettings:
    return ModbusSettings.model_validate({
        "gateways": [{"id": "gw", "host": "127.0.0.1", "port": port, "timeout": 0.2}],
        "devices": [{"gateway": "gw", "retries": 0, **d} for d in devices]})


def target(device: str, point: str, address: int = 1) -> PointTarget:
    return PointTarget(point, device, RegisterField(address=address, type="uint16"),
                       point_series("power", site="hq", building="b1", zone="b1",
                                    purpose="01000", point=point))


def test_a_device_that_never_answered_is_offline_after_a_few_intervals():
    clock = [1000.0]
    poller = ModbusPoller(modbus(free_port(), [{"id": "m", "unit": 1, "interval": 10}]),
                          [target("m", "p")], lambda rows: None, clock=lambda: clock[0])
    assert poller.status("m")[0] == "unknown" and poller_check(poller)[0]
    clock[0] += NEVER_ANSWERED_INTERVALS * 10 - 0.1
    assert poller.status("m")[0] == "unknown"
    clock[0] += 0.1
    state, error = poller.status("m")
    assert state == "offline" and "never answered" in error and "30 s" in error
    ok, detail = poller_check(poller)
    assert not ok and detail["devices"] == {"m": "offline"}
    assert detail["problems"] == [f"device m offline: {error}"]


def test_one_offline_device_among_answering_ones_makes_modbus_unhealthy(modbus_server):
    server = modbus_server(SimulatedDevice(1))
    poller = ModbusPoller(modbus(server.port, [{"id": "up", "unit": 1},
                                               {"id": "down", "unit": 9}]),
                          [target("up", "a"), target("down", "b")], lambda rows: None)

    async def poll_both():
        return await poller.poll_device("up"), await poller.poll_device("down")

    asyncio.run(poll_both())
    poller.close()
    ok, detail = poller_check(poller)
    assert not ok and detail["devices"] == {"up": "online", "down": "offline"}
    assert list(detail["offline"]) == ["down"]


@pytest.mark.integration
def test_a_full_spool_stops_the_polling_counts_the_drops_and_says_so(tmp_path, modbus_server):
    """The poller must not read what it cannot keep: while the spool is full it backs off
    and asks the spool for room before reading again."""
    device = SimulatedDevice(1)
    server = modbus_server(device)
    sink = SpoolSink(tmp_path / "spool.db", capacity=4)
    asked: list[bool] = []

    def room() -> bool:
        asked.append(sink.has_room())
        return asked[-1]

    poller = ModbusPoller(modbus(server.port, [{"id": "m", "unit": 1, "interval": 0.2}]),
                          [target("m", "a", 1), target("m", "b", 2)], sink, room=room,
                          max_backoff=0.4)
    poller.start_background()
    try:
        wait_until(lambda: poller.gate.refusing, 15, "the spool to refuse")
        reads = poller.links["m"].requests
        time.sleep(1.5)
        # at most one probing read after each backoff (0.2 s doubling to 0.4 s) got through
        assert poller.links["m"].requests - reads <= 4
        assert asked and not any(asked)
        ok, detail = poller_check(poller)
        assert not ok and detail["problems"][-1].startswith("spool full: Modbus readings are "
                                                            "dropped")
        dropped = {m.labels["reason"]: m.value for m in poller_metrics(poller)
                   if m.name == "civicwatt_readings_dropped_total"}
        assert dropped["spool_full"] >= 2 and dropped["spool_full"] % 2 == 0
        sink.spool.delete(sink.spool.peek(100))  # the writer drains
        wait_until(lambda: not poller.gate.refusing, 15, "polling to resume")
        assert poller_check(poller)[0]
        assert sink.spool.depth >= 2
    finally:
        poller.stop()
