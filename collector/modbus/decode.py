"""Decode Modbus registers into values, and encode values back (for tests and simulators).

Byte/word order names follow the common convention where A is the most significant
byte of the value as the meter's manual prints it:

- ABCD: big-endian words, big-endian bytes (the Modbus default);
- CDAB: little-endian words ("word swapped"), big-endian bytes in each word;
- BADC: big-endian words, bytes swapped in each word;
- DCBA: little-endian words and bytes.

For 16-bit types the word order is moot, so ABCD/CDAB are AB and BADC/DCBA are BA.
For 48- and 64-bit types the same two rules (word order, byte order in a word) apply
to 3 and 4 words. Strings are bytes in register order (ABCD) or with each register's
two bytes swapped (BADC); trailing NULs and spaces are stripped.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from collector.modbus.settings import TYPE_WORDS, RegisterField

_WORD_SWAP = {"ABCD": False, "BADC": False, "CDAB": True, "DCBA": True}
_BYTE_SWAP = {"ABCD": False, "CDAB": False, "BADC": True, "DCBA": True}
_SIGNED = {"int16", "int32", "int48", "int64"}
_FLOAT = {"float32": ">f", "float64": ">d"}


def _swap16(word: int) -> int:
    return ((word & 0xFF) << 8) | (word >> 8)


def to_canonical(words: Sequence[int], order: str) -> list[int]:
    """Registers as read -> registers in ABCD order (most significant word first)."""
    out = [_swap16(w) for w in words] if _BYTE_SWAP[order] else list(words)
    if _WORD_SWAP[order]:
        out.reverse()
    return out


def from_canonical(words: Sequence[int], order: str) -> list[int]:
    """Registers in ABCD order -> registers as the device holds them (the inverse)."""
    out = list(words)
    if _WORD_SWAP[order]:
        out.reverse()
    return [_swap16(w) for w in out] if _BYTE_SWAP[order] else out


def decode(words: Sequence[int], type_: str, order: str = "ABCD") -> int | float | str | bool:
    """Decode the registers of one value (exactly its word count) as `type_` in `order`."""
    if type_ == "string":
        data = b"".join(
            (_swap16(w) if _BYTE_SWAP[order] else w).to_bytes(2, "big") for w in words
        )
        return data.split(b"\x00", 1)[0].decode("utf-8", errors="replace").rstrip()
    n = TYPE_WORDS[type_]
    if len(words) != n:
        raise ValueError(f"{type_} needs {n} register(s), got {len(words)}")
    if type_ == "bool":
        return words[0] != 0
    canon = to_canonical(words, order)
    raw = 0
    for w in canon:
        raw = (raw << 16) | (w & 0xFFFF)
    if type_ in _FLOAT:
        return struct.unpack(_FLOAT[type_], raw.to_bytes(2 * n, "big"))[0]
    if type_ in _SIGNED and raw >= 1 << (16 * n - 1):
        raw -= 1 << (16 * n)
    return raw


def encode(value: int | float | str | bool, type_: str, order: str = "ABCD",
           length: int | None = None) -> list[int]:
    """The registers a device holding `value` as `type_` in `order` returns (the inverse)."""
    if type_ == "string":
        data = str(value).encode("utf-8")
        size = 2 * (length if length is not None else (len(data) + 1) // 2)
        if len(data) > size:
            raise ValueError(f"string of {len(data)} bytes does not fit {size // 2} registers")
        data = data.ljust(size, b"\x00")
        words = [int.from_bytes(data[i:i + 2], "big") for i in range(0, size, 2)]
        return [_swap16(w) for w in words] if _BYTE_SWAP[order] else words
    if type_ == "bool":
        return [1 if value else 0]
    n = TYPE_WORDS[type_]
    if type_ in _FLOAT:
        raw = int.from_bytes(struct.pack(_FLOAT[type_], float(value)), "big")
    else:
        ivalue = int(value)
        lo = -(1 << (16 * n - 1)) if type_ in _SIGNED else 0
        hi = (1 << (16 * n - 1)) - 1 if type_ in _SIGNED else (1 << (16 * n)) - 1
        if not lo <= ivalue <= hi:
            raise ValueError(f"{value} is out of range for {type_}")
        raw = ivalue & ((1 << (16 * n)) - 1)
    canon = [(raw >> (16 * (n - 1 - i))) & 0xFFFF for i in range(n)]
    return from_canonical(canon, order)


def value_of(reg: RegisterField, words: Sequence[int] | None = None,
             bit: bool | None = None) -> float | str:
    """A register field's engineering value: decoded, bit-extracted, scaled and offset.

    Pass `words` for holding/input registers or `bit` for coils/discrete inputs.
    Strings come back as text (no scale); everything else as a float.
    """
    if bit is not None:
        raw: int | float | str | bool = bit
    else:
        if words is None:
            raise ValueError("value_of needs words or bit")
        type_ = "uint16" if reg.type == "bool" and reg.bit is not None else reg.type
        raw = decode(words, type_, reg.order)
    if isinstance(raw, str):
        return raw
    if reg.bit is not None:
        raw = (int(raw) >> reg.bit) & ((1 << reg.bits) - 1)
    return float(raw) * reg.scale + reg.offset
