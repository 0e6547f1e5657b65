"""A real pymodbus server on a free loopback port, with devices that can be made busy,
slow, dead or given illegal addresses (collector.modbus.simulator)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from collector.modbus.simulator import SimulatedDevice, SimulatorServer


@pytest.fixture
def modbus_server() -> Iterator[Callable[..., SimulatorServer]]:
    """Factory: modbus_server(*devices, framer="socket"|"rtu") -> a started server."""
    servers: list[SimulatorServer] = []

    def start(*devices: SimulatedDevice, framer: str = "socket") -> SimulatorServer:
        server = SimulatorServer(devices, framer=framer).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
