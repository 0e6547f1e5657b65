"""Payload encryption and the `id_validate` digest of profile `gb-2008` (reference §3, §5.1).

AES-128-CBC with the IV equal to the key, the XML padded with zero bytes to a multiple of 16
(nothing added when it is aligned). Decryption keeps the plaintext up to its last `>`, which
strips zero, PKCS#7-style or space padding alike. Pure functions over bytes.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

BLOCK = 16
Md5Order = Literal["seq+key", "key+seq"]
_HEX_KEY = re.compile(r"^[0-9A-Fa-f]{32}$")


class CryptoError(ValueError):
    """A payload that cannot be decrypted with this key."""


def parse_aes_key(text: str) -> bytes:
    """16 ASCII characters, or 32 hex digits, → the 16-byte key; anything else is refused."""
    if _HEX_KEY.match(text):
        return bytes.fromhex(text)
    raw = text.encode("utf-8")
    if len(raw) != BLOCK or not text.isascii():
        raise ValueError(f"an AES-128 key is 16 ASCII characters or 32 hex digits; this one is "
                         f"{len(raw)} bytes")
    return raw


def _cipher(key: bytes):
    """AES-128-CBC with IV = key (imported here: check-config needs no cipher)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(key))


def encrypt(key: bytes, plaintext: bytes) -> bytes:
    padded = plaintext + b"\x00" * (-len(plaintext) % BLOCK)
    encryptor = _cipher(key).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def decrypt(key: bytes, ciphertext: bytes) -> bytes:
    if not ciphertext or len(ciphertext) % BLOCK:
        raise CryptoError(f"an AES payload is a non-empty multiple of 16 bytes, not "
                          f"{len(ciphertext)}")
    decryptor = _cipher(key).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    end = plain.rfind(b">")
    if end < 0:
        raise CryptoError("the decrypted payload is not XML (wrong AES key?)")
    return plain[: end + 1]


def md5_digest(sequence: str, auth_key: str, order: Md5Order = "seq+key") -> str:
    """32 lower-case hex digits of MD5(UTF-8(sequence + key)), or key + sequence."""
    text = sequence + auth_key if order == "seq+key" else auth_key + sequence
    return hashlib.md5(text.encode("utf-8")).hexdigest()
