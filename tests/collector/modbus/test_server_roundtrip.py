"""Every data type x byte order, held by a real pymodbus server, read back and decoded
exactly (hypothesis picks the values)."""

from __future__ import annotations

import asyncio
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.modbus.client import Link
from collector.modbus.decode import decode
from collector.modbus.settings import TYPE_WORDS
from collector.modbus.simulator import SimulatedDevice, SimulatorServer

pytestmark = pytest.mark.integration

ORDERS = ("ABCD", "DCBA", "BADC", "CDAB")
TYPES = (*sorted(TYPE_WORDS), "string")


@pytest.fixture(scope="module")
def server():
    dev = SimulatedDevice(9, size=64)
    with SimulatorServer([dev]) as srv:
        loop = asyncio.new_event_loop()
        link = Link("tcp", host="127.0.0.1", port=srv.port, timeout=2.0)
        yield dev, link, loop
        link.close()
        loop.close()


def values(type_: str):
    bits = TYPE_WORDS.get(type_, 0) * 16
    if type_ == "bool":
        return st.booleans()
    if type_ == "float32":  # NaN and ±inf included: meters do send them
        return st.floats(width=32)
    if type_ == "float64":
        return st.floats()
    if type_ == "string":
        return st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=16)
    if type_.startswith("u"):
        return st.integers(0, (1 << bits) - 1)
    return st.integers(-(1 << (bits - 1)), (1 << (bits - 1)) - 1)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("type_", TYPES)
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_server_held_value_decodes_exactly(server, type_, order, data):
    dev, link, loop = server
    value = data.draw(values(type_))
    function = data.draw(st.sampled_from(["holding", "input"]))
    address = data.draw(st.integers(0, 40))
    words = dev.set_value(function, address, value, type_, order,
                          length=8 if type_ == "string" else None)
    got = loop.run_until_complete(link.read(9, function, address, len(words)))
    assert got == words
    decoded = decode(got, type_, order)
    if isinstance(value, float) and math.isnan(value):
        assert math.isnan(decoded)
    else:
        assert decoded == value
