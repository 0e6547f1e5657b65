"""Register decoding: every type x byte order, scale/offset/bits; checked against known
words from vendor conventions and against pymodbus's own converter where it has one."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pymodbus.client.mixin import ModbusClientMixin

from collector.modbus.decode import decode, encode, value_of
from collector.modbus.settings import TYPE_WORDS, RegisterField

ORDERS = ["ABCD", "DCBA", "BADC", "CDAB"]


@pytest.mark.parametrize(
    ("type_", "order", "words", "expected"),
    [
        ("float32", "ABCD", [0x3F80, 0x0000], 1.0),
        ("float32", "CDAB", [0x0000, 0x3F80], 1.0),
        ("float32", "BADC", [0x803F, 0x0000], 1.0),
        ("float32", "DCBA", [0x0000, 0x803F], 1.0),
        ("float32", "ABCD", [0x4348, 0x0000], 200.0),
        ("int32", "ABCD", [0x0102, 0x0304], 0x01020304),
        ("int32", "CDAB", [0x0304, 0x0102], 0x01020304),
        ("int32", "BADC", [0x0201, 0x0403], 0x01020304),
        ("int32", "DCBA", [0x0403, 0x0201], 0x01020304),
        ("int32", "ABCD", [0xFFFF, 0xFFFE], -2),
        ("uint32", "ABCD", [0xFFFF, 0xFFFE], 0xFFFFFFFE),
        ("uint48", "ABCD", [0x0102, 0x0304, 0x0506], 0x010203040506),
        ("uint48", "CDAB", [0x0506, 0x0304, 0x0102], 0x010203040506),
        ("uint48", "BADC", [0x0201, 0x0403, 0x0605], 0x010203040506),
        ("uint48", "DCBA", [0x0605, 0x0403, 0x0201], 0x010203040506),
        ("int48", "ABCD", [0xFFFF, 0xFFFF, 0xFFFF], -1),
        ("int48", "ABCD", [0x8000, 0x0000, 0x0000], -(1 << 47)),
        ("int16", "ABCD", [0xFF38], -200),
        ("int16", "BADC", [0x38FF], -200),
        ("int16", "CDAB", [0xFF38], -200),
        ("int16", "DCBA", [0x38FF], -200),
        ("uint16", "ABCD", [0xFF38], 0xFF38),
        ("uint64", "ABCD", [0x0001, 0x0002, 0x0003, 0x0004], 0x0001000200030004),
        ("uint64", "CDAB", [0x0004, 0x0003, 0x0002, 0x0001], 0x0001000200030004),
        ("int64", "ABCD", [0xFFFF] * 4, -1),
        ("float64", "ABCD", [0x4009, 0x21FB, 0x5444, 0x2D18], math.pi),
        ("float64", "CDAB", [0x2D18, 0x5444, 0x21FB, 0x4009], math.pi),
        ("bool", "ABCD", [0], False),
        ("bool", "ABCD", [0x0100], True),
        ("string", "ABCD", [0x5344, 0x4D36, 0x3330, 0x0000], "SDM630"),
        ("string", "BADC", [0x4453, 0x364D, 0x3033, 0x0000], "SDM630"),
        ("string", "ABCD", [0x4142, 0x2020], "AB"),
    ],
)
def test_known_words_decode(type_, order, words, expected):
    assert decode(words, type_, order) == expected
    if type_ == "bool" or (type_ == "string" and words[-1] != 0):
        return  # many words decode to True, and blank-padded strings lose their blanks
    length = len(words) if type_ == "string" else None
    assert encode(expected, type_, order, length) == words


PYMODBUS_TYPES = {
    "int16": ModbusClientMixin.DATATYPE.INT16, "uint16": ModbusClientMixin.DATATYPE.UINT16,
    "int32": ModbusClientMixin.DATATYPE.INT32, "uint32": ModbusClientMixin.DATATYPE.UINT32,
    "int64": ModbusClientMixin.DATATYPE.INT64, "uint64": ModbusClientMixin.DATATYPE.UINT64,
    "float32": ModbusClientMixin.DATATYPE.FLOAT32,
    "float64": ModbusClientMixin.DATATYPE.FLOAT64,
}


@given(data=st.data())
def test_abcd_and_cdab_agree_with_pymodbus_converter(data):
    type_ = data.draw(st.sampled_from(sorted(PYMODBUS_TYPES)))
    words = data.draw(st.lists(st.integers(0, 0xFFFF), min_size=TYPE_WORDS[type_],
                               max_size=TYPE_WORDS[type_]))
    for order, word_order in (("ABCD", "big"), ("CDAB", "little")):
        ours = decode(words, type_, order)
        theirs = ModbusClientMixin.convert_from_registers(
            words, PYMODBUS_TYPES[type_], word_order=word_order)
        if isinstance(ours, float) and math.isnan(ours):
            assert math.isnan(theirs)
        else:
            assert ours == theirs


def _value_strategy(type_: str):
    n = TYPE_WORDS.get(type_, 0) * 16
    if type_.startswith("uint"):
        return st.integers(0, (1 << n) - 1)
    if type_.startswith("int"):
        return st.integers(-(1 << (n - 1)), (1 << (n - 1)) - 1)
    if type_ == "float32":  # NaN and ±inf included: meters do send them
        return st.floats(width=32)
    if type_ == "float64":
        return st.floats()
    if type_ == "bool":
        return st.booleans()
    return st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("type_", [*sorted(TYPE_WORDS), "string"])
@given(data=st.data())
def test_round_trip_every_type_and_order(type_, order, data):
    value = data.draw(_value_strategy(type_))
    length = 10 if type_ == "string" else None
    words = encode(value, type_, order, length)
    assert all(0 <= w <= 0xFFFF for w in words)
    got = decode(words, type_, order)
    if isinstance(value, float) and math.isnan(value):
        assert isinstance(got, float) and math.isnan(got)  # a NaN stays NaN: the poller drops it
    else:
        assert got == value


@pytest.mark.parametrize(
    ("field", "words", "expected"),
    [
        ({"type": "uint32", "scale": 0.01}, [0x0001, 0x86A0], 1000.0),
        ({"type": "int16", "scale": 0.1, "offset": -40}, [650], 25.0),
        ({"type": "uint16", "bit": 3}, [0b1000], 1.0),
        ({"type": "uint16", "bit": 3}, [0b0111], 0.0),
        ({"type": "uint16", "bit": 4, "bits": 4}, [0xABCD], 0xC),
        ({"type": "bool", "bit": 15}, [0x8000], 1.0),
        ({"type": "bool"}, [0x8000], 1.0),
        ({"type": "int16", "bit": 15}, [0x8000], 1.0),
        ({"type": "float32", "order": "CDAB", "scale": 1000}, [0x0000, 0x3FC0], 1500.0),
        ({"type": "string", "length": 2}, [0x4142, 0x4300], "ABC"),
    ],
)
def test_value_of_applies_bits_scale_and_offset(field, words, expected):
    assert value_of(RegisterField(address=0, **field), words) == expected


def test_value_of_coil():
    reg = RegisterField.model_validate({"ref": 1})
    assert value_of(reg, bit=True) == 1.0
    assert value_of(reg, bit=False) == 0.0


@pytest.mark.parametrize(
    ("value", "type_", "match"),
    [(70000, "uint16", "out of range"), (-1, "uint32", "out of range"),
     (1 << 47, "int48", "out of range"), ("too long", "string", "does not fit")],
)
def test_encode_rejects_values_that_do_not_fit(value, type_, match):
    with pytest.raises(ValueError, match=match):
        encode(value, type_, "ABCD", 2 if type_ == "string" else None)


def test_decode_rejects_wrong_word_count():
    with pytest.raises(ValueError, match="float32 needs 2"):
        decode([1], "float32")
