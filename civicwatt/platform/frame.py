"""The `gb-2008` frame: header, little-endian length and instruction, payload, CRC, tail.

    68 68 16 16 | L = 4+M (u32 LE) | instruction (u32 LE) | payload (M) | CRC (u16 LE) | 55AA55AA

The CRC is CRC-16/XMODEM over instruction + payload (reference §2). Pure: bytes in, bytes
out. `FrameDecoder` is incremental, so the socket loop feeds it whatever `recv` returned; it
skips junk before a header and drops a frame with a bad length, tail or CRC, resynchronising
one byte after the header it rejected (there is no NAK: the sender's reply timeout covers it).
"""

from __future__ import annotations

import binascii
import struct
from dataclasses import dataclass

HEADER = bytes.fromhex("68681616")
TAIL = bytes.fromhex("55AA55AA")
MAX_LENGTH = 1 << 20  # L ≤ 1 MiB
_PREFIX = 8  # header + length
_SUFFIX = 6  # CRC + tail


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM: poly 0x1021, init 0, no reflection, no final XOR ("123456789" → 0x31C3)."""
    return binascii.crc_hqx(data, 0)


def encode_frame(instruction: int, payload: bytes) -> bytes:
    """One frame around `payload` (already encrypted, or plain XML)."""
    if len(payload) + 4 > MAX_LENGTH:
        raise ValueError(f"payload of {len(payload)} bytes exceeds the 1 MiB frame limit")
    body = struct.pack("<I", instruction & 0xFFFFFFFF) + payload
    return HEADER + struct.pack("<I", len(body)) + body + struct.pack("<H", crc16_xmodem(body)) \
        + TAIL


@dataclass(frozen=True)
class Frame:
    instruction: int
    payload: bytes


class FrameDecoder:
    """Feed bytes as they arrive; get whole, valid frames back. `dropped` counts rejects."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.dropped = 0

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames = []
        while (frame := self._next()) is not None:
            frames.append(frame)
        return frames

    def _next(self) -> Frame | None:
        buf = self._buffer
        while True:
            start = buf.find(HEADER)
            if start < 0:
                del buf[: max(0, len(buf) - (len(HEADER) - 1))]  # keep a possible header start
                return None
            del buf[:start]
            if len(buf) < _PREFIX:
                return None
            (length,) = struct.unpack_from("<I", buf, 4)
            if not 4 <= length <= MAX_LENGTH:
                self._reject()
                continue
            end = _PREFIX + length + _SUFFIX
            if len(buf) < end:
                return None
            body = bytes(buf[_PREFIX:_PREFIX + length])
            (crc,) = struct.unpack_from("<H", buf, _PREFIX + length)
            if buf[end - len(TAIL):end] != TAIL or crc != crc16_xmodem(body):
                self._reject()
                continue
            del buf[:end]
            (instruction,) = struct.unpack_from("<I", body, 0)
            return Frame(instruction, body[4:])

    def _reject(self) -> None:
        """Drop the header at the front and look for the next one a byte later."""
        self.dropped += 1
        del self._buffer[:1]
