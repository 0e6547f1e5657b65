"""Modbus config models and the cross-reference checker."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from collector.modbus.settings import (
    DeviceProfile,
    ModbusBinding,
    ModbusSettings,
    RegisterField,
    check_modbus,
    ref_to_address,
)


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        (1, ("coil", 0)),
        (9999, ("coil", 9998)),
        ("000001", ("coil", 0)),
        ("065536", ("coil", 65535)),
        (10001, ("discrete", 0)),
        (100001, ("discrete", 0)),
        (30001, ("input", 0)),
        (30343, ("input", 342)),
        (300001, ("input", 0)),
        (365536, ("input", 65535)),
        (40001, ("holding", 0)),
        (49999, ("holding", 9998)),
        (400001, ("holding", 0)),
        ("465536", ("holding", 65535)),
    ],
)
def test_reference_numbers_convert_to_protocol_addresses(ref, expected):
    assert ref_to_address(ref) == expected


@pytest.mark.parametrize("ref", [0, 10000, 20001, 29999, 50000, 99999, 465537, 200001, "4x001", -1])
def test_bad_reference_numbers_are_rejected(ref):
    with pytest.raises(ValueError, match="outside|not a number"):
        ref_to_address(ref)


def test_register_field_accepts_ref_and_derives_function():
    reg = RegisterField.model_validate({"ref": 30013, "type": "float32", "order": "CDAB"})
    assert (reg.fn, reg.addr, reg.words) == ("input", 12, 2)
    coil = RegisterField.model_validate({"ref": 5})
    assert (coil.fn, coil.addr, coil.type) == ("coil", 4, "bool")
    assert RegisterField(address=7).fn == "holding"


@pytest.mark.parametrize(
    ("data", "match"),
    [
        ({"ref": 40001, "function": "input"}, "holding reference but function is 'input'"),
        ({"ref": 40001, "address": 0}, "not both"),
        ({"type": "int16"}, "needs `address`"),
        ({"address": 70000}, "less than or equal to 65535"),
        ({"address": 1, "type": "float16"}, "float32"),
        ({"address": 1, "order": "ABDC"}, "CDAB"),
        ({"address": 1, "colour": "red"}, "Extra inputs"),
    ],
)
def test_bad_register_fields_fail_validation(data, match):
    with pytest.raises(ValidationError, match=match):
        RegisterField.model_validate(data)


def test_gateway_transport_defaults_to_tcp_and_serial_is_one_in_flight():
    s = ModbusSettings.model_validate({"gateways": [
        {"id": "a", "host": "10.0.0.5"},
        {"id": "b", "transport": "rtu_over_tcp", "host": "10.0.0.6", "port": 4001},
        {"id": "c", "transport": "rtu", "serial_port": "/dev/ttyUSB0", "baudrate": 19200,
         "parity": "E"},
        {"id": "d", "host": "10.0.0.7", "one_in_flight": True},
    ]})
    assert [g.transport for g in s.gateways] == ["tcp", "rtu_over_tcp", "rtu", "tcp"]
    assert [g.serialized for g in s.gateways] == [False, True, True, True]
    with pytest.raises(ValidationError, match="transport must be"):
        ModbusSettings.model_validate({"gateways": [{"id": "x", "transport": "udp"}]})
    with pytest.raises(ValidationError, match="serial_port"):
        ModbusSettings.model_validate({"gateways": [{"id": "x", "transport": "rtu"}]})


def test_binding_needs_exactly_one_of_field_or_register():
    assert ModbusBinding(device="m1", field="energy").field == "energy"
    b = ModbusBinding.model_validate({"device": "m1", "register": {"ref": 30001}})
    assert b.inline is not None and b.inline.fn == "input"
    for bad in ({"device": "m1"}, {"device": "m1", "field": "x", "register": {"address": 0}}):
        with pytest.raises(ValidationError, match="exactly one"):
            ModbusBinding.model_validate(bad)


PROFILE = DeviceProfile(
    name="meter-x", source="test", registers={"energy": RegisterField(address=0, type="uint32")}
)


def test_check_modbus_reports_every_problem_with_path_value_and_rule():
    s = ModbusSettings.model_validate({
        "gateways": [{"id": "g1", "host": "h"}, {"id": "g1", "host": "h2"}],
        "devices": [
            {"id": "d1", "gateway": "g1", "unit": 3, "profile": "meter-x"},
            {"id": "d2", "gateway": "nope", "unit": 4, "profile": "meter-y"},
            {"id": "d3", "gateway": "g1", "unit": 3, "registers": {
                "a": {"address": 65535, "type": "float32"},
                "b": {"address": 1, "type": "uint16", "bit": 15, "bits": 2},
                "c": {"address": 1, "type": "string"},
                "d": {"address": 1, "type": "int16", "length": 4},
                "e": {"address": 1, "function": "coil", "type": "int16"},
                "f": {"address": 1, "type": "float32", "bit": 1},
            }},
            {"id": "d1", "gateway": "g1", "unit": 5, "profile": "meter-x"},
        ],
    })
    bindings = {
        "points[p1].source": ModbusBinding(device="d1", field="energy"),
        "points[p2].source": ModbusBinding(device="d1", field="power"),
        "points[p3].source": ModbusBinding(device="zz", field="energy"),
        "points[p4].source": ModbusBinding.model_validate(
            {"device": "d1", "register": {"address": 65534, "type": "uint64"}}),
    }
    problems = check_modbus(s, {"meter-x": PROFILE}, bindings)
    got = {(p.path, p.value) for p in problems}
    assert got == {
        ("modbus.gateways[1].id", "g1"),
        ("modbus.devices[1].gateway", "nope"),
        ("modbus.devices[1].profile", "meter-y"),
        ("modbus.devices[2].unit", 3),
        ("modbus.devices[2].registers.a.address", 65535),
        ("modbus.devices[2].registers.b.bit", 15),
        ("modbus.devices[2].registers.c.length", None),
        ("modbus.devices[2].registers.d.length", 4),
        ("modbus.devices[2].registers.e.type", "int16"),
        ("modbus.devices[2].registers.f.bit", 1),
        ("modbus.devices[3].id", "d1"),
        ("points[p2].source.field", "power"),
        ("points[p3].source.device", "zz"),
        ("points[p4].source.register.address", 65534),
    }
    text = {p.path: str(p) for p in problems}
    assert "one of the gateway ids ['g1']" in text["modbus.devices[1].gateway"]
    assert "<= 65536" in text["modbus.devices[2].registers.a.address"]
    assert "a register of device d1: energy" in text["points[p2].source.field"]


def test_check_modbus_accepts_a_clean_config():
    s = ModbusSettings.model_validate({
        "gateways": [{"id": "g1", "host": "h"}],
        "devices": [{"id": "d1", "gateway": "g1", "unit": 247, "profile": "meter-x",
                     "registers": {"s": {"address": 65532, "type": "string", "length": 4}}}],
    })
    bindings = [("p", ModbusBinding(device="d1", field="energy"))]
    assert check_modbus(s, {"meter-x": PROFILE}, bindings) == []
    strings = [("q", ModbusBinding(device="d1", field="s"))]
    assert [(p.path, p.value) for p in check_modbus(s, {"meter-x": PROFILE}, strings)] == [
        ("q.field", "s")]
