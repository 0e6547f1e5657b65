"""The registry of platform profiles: one named entry per platform dialect.

`gb-2008` is our reading of the MOHURD 2008 data-transfer guideline (reference
`platform-upload.md`). Another province's dialect is a new entry here with its own codec and
messages, never a tweak of this one. A profile knows its code table, its building-id format,
the units it expects per energy class and how to build a connection's codec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Profile:
    name: str
    summary: str
    building_id: re.Pattern[str]
    building_id_help: str
    classes: Mapping[str, str]  # class code → default unit
    codes: frozenset[str]  # the platform's code table (class, level-1, level-2)
    codec: Callable[..., object]  # (aes_key | None, encrypt | None) → Codec
    messages: Callable[[], ModuleType]

    def accepts(self, code: str) -> bool:
        """In the table, or a level-3 code (`01B11`) under a level-2 code of the table."""
        return code in self.codes or (
            len(code) == 5 and code[4] != "0" and code[:4] + "0" in self.codes
            and code[3] != "0")


def _gb2008_codec(aes_key: bytes | None, encrypt: bool | None):
    from civicwatt.platform.codec import Codec
    return Codec(aes_key, encrypt)


def _gb2008_messages() -> ModuleType:
    from civicwatt.platform import messages
    return messages


_GB2008_CODES = frozenset({
    "01000", "02000", "03000", "04000", "05000", "06000",
    "01A00", "01A10", "01A20", "01A30",
    "01B00", "01B10", "01B20",
    "01C00", "01C10", "01C20", "01C30",
    "01D00", "01D10", "01D20", "01D30", "01D40", "01D50", "01D60",
})

PROFILES: dict[str, Profile] = {
    "gb-2008": Profile(
        name="gb-2008",
        summary="MOHURD 2008 family: 68681616 frame, CRC-16/XMODEM, AES-128-CBC, MD5 handshake",
        building_id=re.compile(r"^\d{6}[A-H]\d{3}$"),
        building_id_help="6-digit division code, a type letter A–H and a 3-digit serial, "
                         "e.g. 110101A001",
        classes={"01000": "kWh", "02000": "m3", "03000": "m3", "04000": "GJ", "05000": "GJ",
                 "06000": "kg"},
        codes=_GB2008_CODES,
        codec=_gb2008_codec,
        messages=_gb2008_messages,
    ),
}


def get(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown platform profile {name!r}; known: "
                         f"{', '.join(sorted(PROFILES))}") from None
