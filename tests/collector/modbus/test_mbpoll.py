"""`civicwatt modbus read` agrees with Debian's mbpoll (a real Modbus master) reading the same
registers of a real pymodbus server. mbpoll decodes 16-bit, 32-bit int and float (CDAB by
default, ABCD with -B) and bits; for every other type and order the raw words mbpoll shows
must be the words our decoder turns into the held value."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from typer.testing import CliRunner

from civicwatt.cli import app
from collector.modbus.decode import decode
from collector.modbus.simulator import SimulatedDevice
from tests.services import require_binary

pytestmark = pytest.mark.integration

UNIT = 7


@pytest.fixture(scope="module")
def mbpoll_bin() -> str:
    return require_binary("mbpoll")


def mbpoll(binary: str, port: int, *args: str) -> list[str]:
    out = subprocess.run([binary, "-m", "tcp", "-p", str(port), "-a", str(UNIT), "-0", "-1",
                          "-o", "2", *args, "127.0.0.1"], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return re.findall(r"^\[\d+\]:\s+(.+)$", out, flags=re.M)


def ours(port: int, *args: str) -> dict:
    result = CliRunner().invoke(app, ["modbus", "read", f"127.0.0.1:{port}", "--unit",
                                      str(UNIT), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def meter(modbus_server):
    dev = SimulatedDevice(UNIT, size=128)
    dev.set_value("holding", 0, -200, "int16")
    dev.set_value("holding", 1, 51234, "uint16")
    dev.set_value("holding", 10, -123456, "int32", "CDAB")
    dev.set_value("holding", 12, 7654321, "int32", "ABCD")
    dev.set_value("holding", 20, 3.25, "float32", "CDAB")
    dev.set_value("holding", 22, -0.125, "float32", "ABCD")
    dev.set_value("input", 0, 230.5, "float32", "ABCD")
    dev.set_value("input", 2, 231.25, "float32", "ABCD")
    dev.set_bits("coil", 3, [True, False, True, True])
    dev.set_bits("discrete", 5, [False, True])
    return dev, modbus_server(dev)


def test_16_bit_and_32_bit_values_match_mbpoll(meter, mbpoll_bin):
    _, server = meter
    p = server.port
    assert mbpoll(mbpoll_bin, p, "-t", "4", "-r", "0") == ["65336 (-200)"]
    assert ours(p, "--address", "0", "--type", "int16")["values"] == [-200]
    assert ours(p, "--address", "1", "--type", "uint16")["values"] == [int(
        mbpoll(mbpoll_bin, p, "-t", "4:hex", "-r", "1")[0], 16)] == [51234]
    assert ours(p, "--address", "10", "--type", "int32", "--order", "CDAB")["values"] == [
        int(mbpoll(mbpoll_bin, p, "-t", "4:int", "-r", "10")[0])] == [-123456]
    assert ours(p, "--address", "12", "--type", "int32")["values"] == [
        int(mbpoll(mbpoll_bin, p, "-t", "4:int", "-B", "-r", "12")[0])] == [7654321]
    assert ours(p, "--address", "20", "--type", "float32", "--order", "CDAB")["values"] == [
        float(mbpoll(mbpoll_bin, p, "-t", "4:float", "-r", "20")[0])] == [3.25]
    assert ours(p, "--address", "22", "--type", "float32")["values"] == [
        float(mbpoll(mbpoll_bin, p, "-t", "4:float", "-B", "-r", "22")[0])] == [-0.125]
    got = ours(p, "--function", "input", "--address", "0", "--type", "float32", "--count", "2")
    assert got == {"unit": UNIT, "address": 0, "type": "float32", "order": "ABCD",
                   "function": "input", "values": [230.5, 231.25]}
    assert [float(v) for v in mbpoll(mbpoll_bin, p, "-t", "3:float", "-B", "-r", "0",
                                     "-c", "2")] == [230.5, 231.25]


def test_bits_match_mbpoll(meter, mbpoll_bin):
    _, server = meter
    p = server.port
    coils = ours(p, "--function", "coil", "--address", "3", "--type", "bool", "--count", "4")
    assert coils["values"] == [True, False, True, True]
    assert [v == "1" for v in mbpoll(mbpoll_bin, p, "-t", "0", "-r", "3", "-c", "4")] == \
        coils["values"]
    discretes = ours(p, "--function", "discrete", "--address", "5", "--type", "bool",
                     "--count", "2")
    assert [v == "1" for v in mbpoll(mbpoll_bin, p, "-t", "1", "-r", "5", "-c", "2")] == \
        discretes["values"] == [False, True]


CASES = [
    ("uint48", "ABCD", 0x0123456789AB), ("int48", "CDAB", -98765432101),
    ("uint64", "DCBA", 0xFEDCBA9876543210), ("int64", "BADC", -1234567890123456789),
    ("float64", "CDAB", 12345.678), ("float32", "BADC", 1.5), ("float32", "DCBA", -42.0),
    ("uint32", "DCBA", 4000000000), ("int16", "BADC", -2), ("string", "ABCD", "SDM630"),
    ("string", "BADC", "iEM3155"),
]


@pytest.mark.parametrize(("type_", "order", "value"), CASES)
def test_other_types_decode_the_words_mbpoll_reads(meter, mbpoll_bin, type_, order, value):
    dev, server = meter
    words = dev.set_value("holding", 40, value, type_, order,
                          length=6 if type_ == "string" else None)
    raw = [int(w, 16) for w in mbpoll(mbpoll_bin, server.port, "-t", "4:hex", "-r", "40",
                                      "-c", str(len(words)))]
    assert raw == words
    args = ["--address", "40", "--type", type_, "--order", order]
    if type_ == "string":
        args += ["--count", "6"]
    got = ours(server.port, *args)["values"]
    assert got == [decode(raw, type_, order)] == [value]


def test_scale(meter):
    _, server = meter
    got = ours(server.port, "--address", "12", "--type", "int32", "--scale", "0.001")
    assert got["values"] == [pytest.approx(7654.321)]
