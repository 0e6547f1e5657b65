"""One authenticated connection to the platform for one building: the socket loop's parts.

`open()` connects and runs the `id_validate` handshake; `upload()` sends one hour and waits for
the ack with its sequence; `heartbeat()` sends `notify` and reads the platform's clock. Every
wait is bounded by `reply_timeout_s`; replies the session did not ask for (unknown operations,
stale acks) are skipped, never fatal. Failures are `LinkDown` (reconnect with backoff) or
`KeyRefused` (a wrong key does not fix itself).
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable

from civicwatt.platform import crypto
from civicwatt.platform.codec import Undecodable
from civicwatt.platform.messages import Ids, Message, parse_beijing_time
from civicwatt.platform.outbox import Pending
from civicwatt.platform.profiles import Profile
from civicwatt.platform.settings import PlatformSettings

log = logging.getLogger(__name__)
SKEW_WARN_S = 60


class PlatformError(Exception):
    """Base of what the link can fail with."""


class LinkDown(PlatformError):
    """No connection, a closed or reset socket, or no reply in time: reconnect later."""


class KeyRefused(PlatformError):
    """The platform answered the handshake with `fail`."""


def aes_key_of(settings: PlatformSettings) -> bytes | None:
    if not settings.encrypt:
        return None
    text = (settings.aes_key or settings.auth_key).get_secret_value()
    return crypto.parse_aes_key(text)


class Session:
    def __init__(self, settings: PlatformSettings, profile: Profile, platform_id: str,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.profile = profile
        self.messages = profile.messages()
        self.ids = Ids(platform_id, settings.gateway_id)
        self.clock = clock
        self.where = f"{settings.host}:{settings.port}"
        self.codec = None
        self.sock: socket.socket | None = None
        self.last_traffic = time.monotonic()
        self.skew_s: float | None = None
        self._unreadable: str | None = None

    # -- connection --------------------------------------------------------------------------
    def open(self) -> None:
        timeout = self.settings.reply_timeout_s
        try:
            self.sock = socket.create_connection((self.settings.host, self.settings.port),
                                                 timeout=timeout)
        except OSError as exc:
            raise LinkDown(f"cannot connect to the platform at {self.where}: "
                           f"{exc.strerror or exc}") from None
        self.codec = self.profile.codec(aes_key_of(self.settings), self.settings.encrypt)
        self._send(self.messages.request(self.ids))
        challenge = self._await(lambda m: m.operation == "sequence", "id_validate sequence")
        sequence = challenge.fields.get("sequence", "")
        digest = crypto.md5_digest(sequence, self.settings.auth_key.get_secret_value(),
                                   self.settings.md5_order)
        self._send(self.messages.md5(self.ids, digest))
        verdict = self._await(lambda m: m.operation == "result", "id_validate result")
        if verdict.fields.get("result", "").lower() != "pass":
            self.close()
            raise KeyRefused(
                f"the platform at {self.where} refused the key for building "
                f"{self.ids.building_id} (gateway {self.ids.gateway_id}): id_validate result "
                f"{verdict.fields.get('result') or 'empty'!r} with md5_order "
                f"{self.settings.md5_order}. Check platform.auth_key with the platform operator; "
                f"if the key is right, try md5_order: "
                f"{'key+seq' if self.settings.md5_order == 'seq+key' else 'seq+key'}, and check "
                f"building_id and gateway_id")
        log.info("Platform %s: building %s authenticated (gateway %s, %s)", self.where,
                 self.ids.building_id, self.ids.gateway_id,
                 "AES" if self.settings.encrypt else "plain XML")

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    # -- operations ----------------------------------------------------------------------------
    def upload(self, hour: Pending, kind: str, sequence: int, total: int | None = None,
               current: int | None = None) -> bool:
        """Send one hour; True when the platform acked `pass`, False on `fail`."""
        self._send(self.messages.data(self.ids, kind, sequence, hour.hour_ns, hour.items,
                                      total, current, self.settings.items_as))
        want = f"{kind}_ack"
        ack = self._await(lambda m: m.operation == want and m.number("sequence") == sequence,
                          f"{want} for sequence {sequence}")
        return ack.fields.get("result", "").lower() == "pass"

    def heartbeat(self) -> None:
        self._send(self.messages.notify(self.ids))
        reply = self._await(lambda m: m.element == "heart_beat" and m.operation == "time",
                            "heart_beat time")
        try:
            platform_s = parse_beijing_time(reply.fields.get("time", "")) / 1e9
        except ValueError:
            return
        self.skew_s = platform_s - self.clock()
        if abs(self.skew_s) > SKEW_WARN_S:
            log.warning("Platform %s clock differs from ours by %.0f s (its time %s, UTC+8): "
                        "check NTP on this host; civicwatt does not set the clock", self.where,
                        self.skew_s, reply.fields.get("time"))

    # -- the wire --------------------------------------------------------------------------------
    def _send(self, xml: str) -> None:
        if self.sock is None:
            raise LinkDown(f"not connected to {self.where}")
        try:
            self.sock.sendall(self.codec.pack(xml))
        except OSError as exc:
            self.close()
            raise LinkDown(f"connection to {self.where} lost while sending: "
                           f"{exc.strerror or exc}") from None
        self.last_traffic = time.monotonic()

    def _await(self, wanted: Callable[[Message], bool], what: str) -> Message:
        deadline = time.monotonic() + self.settings.reply_timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.close()
                hint = (f"; its replies could not be read: {self._unreadable} — check encrypt "
                        "and aes_key with the platform operator") if self._unreadable else (
                    "; if this repeats, the platform may not read our packets — check encrypt "
                    "and aes_key" if "id_validate" in what else "")
                raise LinkDown(f"no {what} from the platform at {self.where} within "
                               f"{self.settings.reply_timeout_s:g} s{hint}")
            for message in self._receive(left):
                if isinstance(message, Undecodable):
                    self._unreadable = message.reason
                    log.warning("Platform %s: unreadable reply skipped: %s", self.where,
                                message.reason)
                elif wanted(message):
                    return message
                else:
                    log.debug("Platform %s: %s/%s skipped while waiting for %s", self.where,
                              message.element, message.operation, what)

    def _receive(self, timeout: float) -> list:
        if self.sock is None:
            raise LinkDown(f"not connected to {self.where}")
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return []
        except OSError as exc:
            self.close()
            raise LinkDown(f"connection to {self.where} lost: {exc.strerror or exc}") from None
        if not data:
            self.close()
            raise LinkDown(f"the platform at {self.where} closed the connection")
        self.last_traffic = time.monotonic()
        return [message for _, message in self.codec.unpack(data)]

