"""A platform client written independently of civicwatt.platform, for testing its receiver.

Frames are packed with `struct` and a bitwise CRC, AES is called on `cryptography` directly and
the XML is written out by hand, so a mistake shared by the uploader and the receiver (both use
civicwatt.platform's codec) cannot hide here.
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def bitwise_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def envelope(building: str, gateway: str, type_: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><root><common><building_id>{building}'
            f"</building_id><gateway_id>{gateway}</gateway_id><type>{type_}</type></common>"
            f"{body}</root>")


class RawClient:
    def __init__(self, port: int, key: bytes | None, building: str = "110101A001",
                 gateway: str = "01") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.key = key
        self.building, self.gateway = building, gateway
        self.buffer = b""
        self.instruction = 100

    def send(self, type_: str, body: str, junk: bytes = b"") -> int:
        payload = envelope(self.building, self.gateway, type_, body).encode()
        if self.key:
            payload += b"\x00" * (-len(payload) % 16)
            enc = Cipher(algorithms.AES(self.key), modes.CBC(self.key)).encryptor()
            payload = enc.update(payload) + enc.finalize()
        self.instruction += 1
        inner = struct.pack("<I", self.instruction) + payload
        self.sock.sendall(junk + b"\x68\x68\x16\x16" + struct.pack("<I", len(inner)) + inner
                          + struct.pack("<H", bitwise_crc(inner)) + b"\x55\xaa\x55\xaa")
        return self.instruction

    def receive(self) -> tuple[int, str]:
        """(instruction, xml) of the next frame; raises on timeout, close or reset."""
        while True:
            start = self.buffer.find(b"\x68\x68\x16\x16")
            if start >= 0 and len(self.buffer) >= start + 8:
                (length,) = struct.unpack_from("<I", self.buffer, start + 4)
                end = start + 8 + length + 6
                if len(self.buffer) >= end:
                    inner = self.buffer[start + 8:start + 8 + length]
                    assert struct.unpack_from("<H", self.buffer, start + 8 + length)[0] == \
                        bitwise_crc(inner)
                    assert self.buffer[end - 4:end] == b"\x55\xaa\x55\xaa"
                    self.buffer = self.buffer[end:]
                    payload = inner[4:]
                    if self.key:
                        dec = Cipher(algorithms.AES(self.key), modes.CBC(self.key)).decryptor()
                        payload = (dec.update(payload) + dec.finalize()).rstrip(b"\x00")
                    return struct.unpack_from("<I", inner)[0], payload.decode()
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("closed")
            self.buffer += data

    def authenticate(self, auth_key: str, order: str = "seq+key") -> str:
        """Run the handshake; the result text (pass or fail)."""
        self.send("request", '<id_validate operation="request"/>')
        _, challenge = self.receive()
        sequence = re.search(r"<sequence>(\w+)</sequence>", challenge).group(1)
        text = sequence + auth_key if order == "seq+key" else auth_key + sequence
        digest = hashlib.md5(text.encode()).hexdigest()
        self.send("md5", f'<id_validate operation="md5"><md5>{digest.upper()}</md5>'
                         "</id_validate>")
        _, verdict = self.receive()
        return re.search(r"<result>(\w+)</result>", verdict).group(1)

    def report(self, sequence: str, time: str, items: dict[str, str],
               kind: str = "report") -> int:
        extra = "<total>1</total><current>1</current>" if kind == "continuous" else ""
        body = "".join(f'<energy_item code="{c}">{v}</energy_item>' for c, v in items.items())
        return self.send(kind, f'<data operation="{kind}"><sequence>{sequence}</sequence>'
                               f"<parser>yes</parser><time>{time}</time>{extra}"
                               f"<energy_items>{body}</energy_items></data>")

    def close(self) -> None:
        self.sock.close()
