"""The subscriber's packet codec: what it sends byte for byte, and splitting what it receives."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector.mqtt import wire


def publish(topic: bytes, payload: bytes, mid: int = 0, qos: int = 1, dup: bool = False,
            props: bytes | None = None) -> bytes:
    body = struct.pack("!H", len(topic)) + topic + (struct.pack("!H", mid) if qos else b"")
    if props is not None:  # MQTT 5
        body += wire.varint(len(props)) + props
    return wire.packet(0x30 | (0x08 if dup else 0) | (qos << 1), body + payload)


def test_varint_matches_the_spec_examples():
    assert [wire.varint(n) for n in (0, 127, 128, 16_383, 16_384, 268_435_455)] == [
        b"\x00", b"\x7f", b"\x80\x01", b"\xff\x7f", b"\x80\x80\x01", b"\xff\xff\xff\x7f"]


def test_connect_311_and_5():
    assert wire.connect("c1", 30, v5=False) == (
        b"\x10\x0e\x00\x04MQTT\x04\x00\x00\x1e\x00\x02c1")
    packet = wire.connect("c1", 30, v5=True, username="u", password="p", session_expiry=60,
                          receive_maximum=1000)
    assert packet == (b"\x10\x1d\x00\x04MQTT\x05\xc0\x00\x1e"
                      b"\x08\x11\x00\x00\x00\x3c\x21\x03\xe8\x00\x02c1\x00\x01u\x00\x01p")
    assert wire.connect("c", 5, v5=False, clean=True)[9] == 0x02


def test_subscribe_unsubscribe_and_acks():
    assert wire.subscribe(2, ["a/+", "b"], v5=False) == (
        b"\x82\x0c\x00\x02\x00\x03a/+\x01\x00\x01b\x01")
    assert wire.subscribe(2, ["a"], v5=True) == b"\x82\x07\x00\x02\x00\x00\x01a\x11"
    assert wire.unsubscribe(1, ["a"], v5=True) == b"\xa2\x06\x00\x01\x00\x00\x01a"
    assert wire.unsubscribe(1, ["a"], v5=False) == b"\xa2\x05\x00\x01\x00\x01a"
    assert wire.pubacks([1, 0xABCD]) == b"\x40\x02\x00\x01\x40\x02\xab\xcd"


def test_connack_codes_and_server_keep_alive():
    assert wire.parse_connack(b"\x01\x00", v5=False) == wire.Connack(True, 0, None)
    assert wire.parse_connack(b"\x00\x05", v5=False) == wire.Connack(False, 5, None)
    props = b"\x13\x00\x3c" + b"\x12\x00\x02id" + b"\x26\x00\x01k\x00\x01v"
    body = b"\x00\x00" + wire.varint(len(props)) + props
    assert wire.parse_connack(body, v5=True) == wire.Connack(False, 0, 60)
    assert wire.parse_connack(b"\x00\x87\x00", v5=True).code == 0x87
    with pytest.raises(wire.ProtocolError):
        wire.parse_connack(b"\x00", v5=False)
    with pytest.raises(wire.ProtocolError):  # the properties claim more than there is
        wire.parse_connack(b"\x00\x00\x05\x13\x00", v5=True)


def test_suback_codes():
    assert wire.parse_codes(b"\x00\x02\x01\x80", v5=False) == (2, b"\x01\x80")
    assert wire.parse_codes(b"\x00\x02\x03\x1f\x00\x00\x01", v5=True) == (2, b"\x01")
    assert wire.parse_disconnect(b"\x8e") == 0x8E and wire.parse_disconnect(b"") == 0


def test_split_takes_whole_packets_and_keeps_the_rest():
    a = publish(b"t/1", b"1.5", mid=7)
    b = publish(b"t/2", b'{"value": 2}', mid=8, dup=True)
    ping = b"\xd0\x00"
    data = a + ping + b
    pubs, others, rest, dup = wire.split(data + b[:5], False, 1000)
    assert pubs == [(b"t/1", b"1.5", 1000, 7, 1, 0), (b"t/2", b'{"value": 2}', 1001, 8, 1, 8)]
    assert others == [(0xD0, b"")] and rest == b[:5] and dup == 8
    assert wire.split(a, False, 5)[3] == 0  # no redelivery in this read


def test_split_skips_mqtt5_properties_and_reads_long_lengths():
    props = b"\x23\x00\x01" + b"\x0b" + wire.varint(300)  # topic alias, subscription id
    big = b"x" * 200_000
    data = publish(b"t", big, mid=1, props=props) + publish(b"u", b"2", qos=0, props=b"")
    pubs, _, rest, _ = wire.split(data, True, 0)
    assert [(p[0], len(p[1]), p[3], p[4]) for p in pubs] == [(b"t", 200_000, 1, 1),
                                                               (b"u", 1, 0, 0)]
    assert rest == b""
    long_props = b"\x26" + (b"\x00\x01k\x00\x01v") * 30  # property length > 127
    assert wire.split(publish(b"t", b"3", mid=2, props=long_props), True, 0)[0][0][1] == b"3"


@given(st.lists(st.tuples(st.binary(min_size=1, max_size=30), st.binary(max_size=300)),
                max_size=20), st.integers(1, 64))
def test_split_is_the_same_whatever_the_reads(messages, step):
    data = b"".join(publish(t, p, mid=i + 1) for i, (t, p) in enumerate(messages))
    got, rest = [], b""
    for i in range(0, len(data), step):
        pubs, _, rest, _ = wire.split(rest + data[i:i + step], False, 0)
        got += [(p[0], p[1]) for p in pubs]
    assert got == messages and rest == b""


def test_split_refuses_what_a_qos1_subscriber_cannot_get():
    with pytest.raises(wire.ProtocolError, match="QoS 2"):
        wire.split(publish(b"t", b"1", mid=1, qos=2), False, 0)
    with pytest.raises(wire.ProtocolError, match="remaining length|variable-length"):
        wire.split(b"\x30\xff\xff\xff\xff\x01", False, 0)
    short = wire.packet(0x32, b"\x00\x05t")  # topic length past the packet's end
    with pytest.raises(wire.ProtocolError, match="shorter"):
        wire.split(short, False, 0)
