"""One connection's wire codec for `gb-2008`: XML ⇄ (encrypted) payload ⇄ frame.

Either side of a connection uses it: the uploader with its configured mode, the
commissioning receiver possibly in `auto` mode, where it learns from the first payload
whether the client encrypts (plain XML starts with `<`) and answers in kind.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from civicwatt.platform import crypto, messages
from civicwatt.platform.frame import FrameDecoder, encode_frame

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Undecodable:
    """A frame whose payload was not a message: why, for the log and the error message."""

    reason: str


class Codec:
    """`encrypt` True/False, or None to detect it from the peer's first payload."""

    def __init__(self, aes_key: bytes | None, encrypt: bool | None) -> None:
        if encrypt is not False and aes_key is None:
            raise ValueError("encryption needs an AES key")
        self.aes_key = aes_key
        self.encrypt = encrypt
        self.decoder = FrameDecoder()
        self._instruction = 0

    def pack(self, xml: str, instruction: int | None = None) -> bytes:
        """A frame carrying `xml`; the instruction number counts up unless one is given."""
        if instruction is None:
            self._instruction = (self._instruction + 1) & 0xFFFFFFFF
            instruction = self._instruction
        payload = xml.encode("utf-8")
        if self.encrypt:
            payload = crypto.encrypt(self.aes_key, payload)
        return encode_frame(instruction, payload)

    def unpack(self, data: bytes) -> list[tuple[int, messages.Message | Undecodable]]:
        """(instruction, message) for each whole frame in what has arrived so far."""
        out = []
        for frame in self.decoder.feed(data):
            out.append((frame.instruction, self._message(frame.payload)))
        return out

    def _message(self, payload: bytes) -> messages.Message | Undecodable:
        if self.encrypt is None:
            self.encrypt = not payload.lstrip().startswith(b"<")
            log.info("Peer sends %s payloads", "AES-encrypted" if self.encrypt else "plain XML")
        try:
            plain = crypto.decrypt(self.aes_key, payload) if self.encrypt else payload
            return messages.parse(plain)
        except (crypto.CryptoError, messages.MessageError) as exc:
            mode = "AES" if self.encrypt else "plain XML"
            return Undecodable(f"{exc} (this side expects {mode})")
