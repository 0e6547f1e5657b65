"""MQTT 3.1.1 and 5 packets for a subscriber: encode what it sends, split what it receives.

Pure (bytes in, bytes and tuples out). Only what a QoS 1 subscriber needs:
CONNECT, SUBSCRIBE, UNSUBSCRIBE, PUBACK, PINGREQ, DISCONNECT out; CONNACK,
PUBLISH, SUBACK, UNSUBACK, PINGRESP, DISCONNECT in. `split` turns a whole
socket read into PUBLISH tuples in one pass, without an object per packet:
that is where a general-purpose client spends most of its time per message.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

CONNACK, PUBLISH, PUBACK, SUBACK, UNSUBACK, PINGRESP, DISCONNECT, AUTH = (
    0x20, 0x30, 0x40, 0x90, 0xB0, 0xD0, 0xE0, 0xF0)
PINGREQ_PACKET = b"\xc0\x00"
DISCONNECT_PACKET = b"\xe0\x00"
_PUBACK_HEAD = 0x4002_0000  # 0x40 0x02 <mid>: a success PUBACK, the same in 3.1.1 and 5
_SESSION_EXPIRY, _RECEIVE_MAXIMUM, _SERVER_KEEP_ALIVE = 0x11, 0x21, 0x13


class ProtocolError(Exception):
    """The broker sent something this subscriber cannot parse: drop the connection."""


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(data: bytes) -> bytes:
    return struct.pack("!H", len(data)) + data


def packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + varint(len(body)) + body


def connect(client_id: str, keepalive: int, *, v5: bool, clean: bool = False,
            username: str | None = None, password: str | None = None,
            session_expiry: int = 0, receive_maximum: int = 65535) -> bytes:
    flags = (0x02 if clean else 0) | (0x80 if username is not None else 0) | (
        0x40 if password is not None else 0)
    body = _string(b"MQTT") + bytes([5 if v5 else 4, flags]) + struct.pack("!H", keepalive)
    if v5:
        props = struct.pack("!BIBH", _SESSION_EXPIRY, session_expiry, _RECEIVE_MAXIMUM,
                            receive_maximum)
        body += varint(len(props)) + props
    body += _string(client_id.encode())
    if username is not None:
        body += _string(username.encode())
    if password is not None:
        body += _string(password.encode())
    return packet(0x10, body)


def subscribe(mid: int, filters: Sequence[str], *, v5: bool) -> bytes:
    """QoS 1; in MQTT 5 retained messages only for a new subscription (retain handling 1),
    so a persistent session does not get stale retained copies on every reconnect."""
    option = b"\x11" if v5 else b"\x01"
    body = struct.pack("!H", mid) + (b"\x00" if v5 else b"")
    body += b"".join(_string(f.encode()) + option for f in filters)
    return packet(0x82, body)


def unsubscribe(mid: int, filters: Sequence[str], *, v5: bool) -> bytes:
    body = struct.pack("!H", mid) + (b"\x00" if v5 else b"")
    return packet(0xA2, body + b"".join(_string(f.encode()) for f in filters))


def pubacks(mids: Sequence[int]) -> bytes:
    """PUBACKs for many messages as one buffer (one write instead of one per message)."""
    return struct.pack(f"!{len(mids)}I", *[_PUBACK_HEAD | m for m in mids])


class Connack(NamedTuple):
    session_present: bool
    code: int  # 0 = accepted; 3.1.1 return code or MQTT 5 reason code
    keepalive: int | None  # the server's keep alive (MQTT 5), which then replaces ours


def _read_varint(data: bytes, i: int) -> tuple[int, int]:
    """The variable-length integer at `i`: (value, index after it), or (0, -1) if `data`
    ends inside it."""
    value = shift = 0
    while i < len(data):
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7
        if shift > 21:
            raise ProtocolError("malformed variable-length integer")
    return 0, -1


def _varint_in(body: bytes, i: int) -> tuple[int, int]:
    """A variable-length integer inside a complete packet (where running out is an error)."""
    value, i = _read_varint(body, i)
    if i < 0:
        raise ProtocolError("truncated variable-length integer")
    return value, i


def _properties(body: bytes, i: int) -> tuple[dict[int, int], int]:
    """Numeric properties we may need (others skipped by their type); returns (props, end)."""
    length, i = _varint_in(body, i)
    end = i + length
    found: dict[int, int] = {}
    while i < end:
        pid, i = _varint_in(body, i)
        if pid in (0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2A):  # byte
            found[pid] = body[i]
            i += 1
        elif pid in (0x13, 0x21, 0x22, 0x23):  # two-byte integer
            found[pid] = int.from_bytes(body[i:i + 2], "big")
            i += 2
        elif pid in (0x02, 0x11, 0x18, 0x27):  # four-byte integer
            found[pid] = int.from_bytes(body[i:i + 4], "big")
            i += 4
        elif pid == 0x0B:  # subscription identifier: variable byte integer
            found[pid], i = _varint_in(body, i)
        elif pid == 0x26:  # user property: a string pair
            for _ in range(2):
                i += 2 + int.from_bytes(body[i:i + 2], "big")
        else:  # strings and binary data: two-byte length + bytes
            i += 2 + int.from_bytes(body[i:i + 2], "big")
    if i != end:
        raise ProtocolError("malformed properties")
    return found, end


def parse_connack(body: bytes, *, v5: bool) -> Connack:
    if len(body) < 2:
        raise ProtocolError("short CONNACK")
    keepalive = None
    if v5 and len(body) > 2:
        keepalive = _properties(body, 2)[0].get(_SERVER_KEEP_ALIVE)
    return Connack(bool(body[0] & 1), body[1], keepalive)


def parse_codes(body: bytes, *, v5: bool) -> tuple[int, bytes]:
    """SUBACK / UNSUBACK: (packet id, one reason code per filter; empty for 3.1.1 UNSUBACK)."""
    if len(body) < 2:
        raise ProtocolError("short acknowledgement")
    mid = int.from_bytes(body[:2], "big")
    start = _properties(body, 2)[1] if v5 else 2
    return mid, body[start:]


def parse_disconnect(body: bytes) -> int:
    """The reason code of a broker's DISCONNECT (MQTT 5; 0 when absent)."""
    return body[0] if body else 0


def split(buf: bytes, v5: bool, received_ns: int
          ) -> tuple[list[tuple], list[tuple[int, bytes]], bytes, int]:
    """Complete packets in `buf` → (publishes, other packets, the incomplete rest, dup).

    A publish is (topic bytes, payload, received_ns, packet id, qos, dup), with
    `received_ns + k` for the k-th publish so that two readings of one point
    without a time of their own never share a stamp. Others are (type, body);
    `dup` is non-zero if any publish is a redelivery (its DUP flag set).
    """
    pubs: list[tuple] = []
    dup = 0
    others: list[tuple[int, bytes]] = []
    n = len(buf)
    i = 0
    stamp = received_ns
    try:
        while i + 2 <= n:
            first = buf[i]
            length = buf[i + 1]
            j = i + 2
            if length & 0x80:
                length, j = _read_varint(buf, i + 1)
                if j < 0:
                    break
            end = j + length
            if end > n:
                break
            if first & 0xF0 == PUBLISH:
                k = j + 2 + ((buf[j] << 8) | buf[j + 1])
                topic = buf[j + 2:k]
                qos = (first >> 1) & 3
                mid = 0
                if qos:
                    if qos == 3 or qos == 2:
                        raise ProtocolError(f"PUBLISH with QoS {qos} on a QoS 1 subscription")
                    mid = (buf[k] << 8) | buf[k + 1]
                    k += 2
                if v5:
                    plen = buf[k]
                    if plen & 0x80:
                        plen, k = _varint_in(buf, k)
                        k += plen
                    else:
                        k += 1 + plen
                if k > end:
                    raise ProtocolError("PUBLISH shorter than its headers")
                pubs.append((topic, buf[k:end], stamp, mid, qos, first & 0x08))
                dup |= first & 0x08
                stamp += 1
            else:
                others.append((first, buf[j:end]))
            i = end
    except IndexError:  # a header that runs past the end of the data
        raise ProtocolError("PUBLISH shorter than its headers") from None
    return pubs, others, buf[i:], dup
