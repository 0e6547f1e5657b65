"""A receiver of profile `gb-2008`, for commissioning without the real platform.

`civicwatt platform serve` runs it. It plays the platform's side as the reference (§9)
describes: the `id_validate` challenge (12 random digits) and its check, `heart_beat` times,
and a `report_ack`/`continuous_ack` for each data packet, written as JSON lines — one per item,
flushed before the ack. A data packet with a bad time, code or value, or for another building,
gets `fail`. `drop_after=N` resets the connection instead of acking the N-th data packet (once,
counted across connections), to rehearse a drop. With `encrypt=None` it follows each client's
choice (and logs it); True or False insists on one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import secrets
import socket
import socketserver
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from civicwatt.platform import crypto, messages
from civicwatt.platform.codec import Codec, Undecodable
from civicwatt.platform.messages import Ids, Message, MessageError, parse_beijing_time
from civicwatt.platform.profiles import Profile, get

log = logging.getLogger("civicwatt.platform.receiver")
_SEQUENCE = re.compile(r"^\d{1,20}$")


@dataclass(frozen=True)
class ReceiverSettings:
    key: str
    out: Path
    aes_key: str | None = None
    encrypt: bool | None = None  # None: follow the client
    md5_order: crypto.Md5Order = "seq+key"
    building_ids: frozenset[str] = frozenset()  # empty: any well-formed id
    drop_after: int | None = None
    idle_timeout_s: float = 300.0
    host: str = "127.0.0.1"
    port: int = 0
    profile: str = "gb-2008"


class Receiver:
    def __init__(self, settings: ReceiverSettings) -> None:
        self.settings = settings
        self.profile: Profile = get(settings.profile)
        usable = settings.aes_key or len(settings.key.encode()) == 16
        self.aes_key = crypto.parse_aes_key(settings.aes_key or settings.key) \
            if settings.encrypt is not False and usable else None
        if settings.encrypt and self.aes_key is None:
            raise ValueError("AES needs a 16-character --key or an --aes-key")
        # following the client needs a key to follow it into AES; without one: plain XML only
        self.encrypt = settings.encrypt if self.aes_key is not None else False
        self._out = settings.out.open("a", encoding="utf-8")
        self._lock = threading.Lock()
        self.data_packets = 0
        self.dropped = False
        self.items_written = 0
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                _Connection(receiver, self.request, self.client_address).serve()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server((settings.host, settings.port), Handler)
        self.address = self.server.server_address[:2]
        self._thread = threading.Thread(target=self.server.serve_forever, name="receiver",
                                        daemon=True)
        self._connections: set[socket.socket] = set()

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        with self._lock:
            for sock in list(self._connections):
                _close(sock, wake=True)
        self.server.server_close()
        self._out.close()

    # -- shared state ----------------------------------------------------------------------
    def count_data(self) -> bool:
        """Count a data packet; True when this one is to be dropped."""
        with self._lock:
            self.data_packets += 1
            if self.settings.drop_after == self.data_packets and not self.dropped:
                self.dropped = True
                return True
        return False

    def record(self, ids: Ids, time_text: str, kind: str,
               items: list[tuple[str, float]]) -> None:
        lines = "".join(json.dumps({"building_id": ids.building_id, "gateway_id": ids.gateway_id,
                                    "time": time_text, "code": code, "value": value,
                                    "kind": kind}, ensure_ascii=False) + "\n"
                        for code, value in items)
        with self._lock:
            self._out.write(lines)
            self._out.flush()
            self.items_written += len(items)

    def track(self, sock: socket.socket, alive: bool) -> None:
        with self._lock:
            (self._connections.add if alive else self._connections.discard)(sock)


class _Connection:
    def __init__(self, receiver: Receiver, sock: socket.socket, peer) -> None:
        self.r = receiver
        self.sock = sock
        self.peer = f"{peer[0]}:{peer[1]}"
        self.codec = Codec(receiver.aes_key, receiver.encrypt)
        self.challenge: str | None = None
        self.ids: Ids | None = None
        self.authed = False

    def serve(self) -> None:
        self.r.track(self.sock, True)
        log.info("%s connected", self.peer)
        self.sock.settimeout(self.r.settings.idle_timeout_s)
        try:
            while True:
                try:
                    data = self.sock.recv(65536)
                except TimeoutError:
                    log.info("%s silent for %.0f s: closed", self.peer,
                             self.r.settings.idle_timeout_s)
                    return
                if not data:
                    log.info("%s closed the connection", self.peer)
                    return
                for instruction, message in self.codec.unpack(data):
                    if not self.handle(instruction, message):
                        return
        except OSError as exc:
            log.info("%s: %s", self.peer, exc)
        finally:
            self.r.track(self.sock, False)
            _close(self.sock)

    def reply(self, instruction: int, xml: str) -> None:
        self.sock.sendall(self.codec.pack(xml, instruction))

    def handle(self, instruction: int, m: Message | Undecodable) -> bool:
        """Answer one message; False closes the connection."""
        if isinstance(m, Undecodable):
            log.warning("%s: frame skipped: %s", self.peer, m.reason)
            return True
        op = m.operation
        if op == "request":
            if not self._ids_ok(m.ids):
                self.reply(instruction, messages.result(m.ids, False))
                return False
            self.ids = m.ids
            self.challenge = "".join(secrets.choice("0123456789") for _ in range(12))
            self.reply(instruction, messages.challenge(m.ids, self.challenge))
        elif op == "md5":
            want = crypto.md5_digest(self.challenge or "", self.r.settings.key,
                                     self.r.settings.md5_order)
            self.authed = (self.challenge is not None and m.ids == self.ids
                           and m.fields.get("md5", "").lower() == want)
            self.reply(instruction, messages.result(m.ids, self.authed))
            log.info("%s: building %s gateway %s %s", self.peer, m.ids.building_id,
                     m.ids.gateway_id, "authenticated" if self.authed else
                     f"REFUSED (md5 does not match with md5_order {self.r.settings.md5_order})")
            return self.authed
        elif not self.authed:
            log.info("%s: %s before authentication ignored", self.peer, op)
        elif op == "notify":
            self.reply(instruction, messages.clock(m.ids, time.time_ns()))
        elif op in ("report", "continuous"):
            return self._data(instruction, m, op)
        else:
            log.info("%s: unknown operation %r ignored", self.peer, op)
        return True

    def _ids_ok(self, ids: Ids) -> bool:
        allowed = self.r.settings.building_ids
        ok = bool(ids.gateway_id) and (ids.building_id in allowed if allowed else
                                       bool(self.r.profile.building_id.match(ids.building_id)))
        if not ok:
            log.info("%s: building %r gateway %r not accepted", self.peer, ids.building_id,
                     ids.gateway_id)
        return ok

    def _data(self, instruction: int, m: Message, kind: str) -> bool:
        if self.r.count_data():
            log.info("%s: data packet %d dropped as asked (--drop-after): connection reset",
                     self.peer, self.r.data_packets)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return False
        sequence = m.fields.get("sequence", "")
        problem = self._check(m, sequence)
        if problem:
            log.warning("%s: %s packet %s refused: %s", self.peer, kind, sequence, problem)
            self.reply(instruction, messages.data_ack(m.ids, kind, sequence, False))
            return True
        self.r.record(m.ids, m.fields["time"], kind,
                      [(code, float(value)) for code, value in m.items])
        self.reply(instruction, messages.data_ack(m.ids, kind, sequence, True))
        return True

    def _check(self, m: Message, sequence: str) -> str | None:
        if m.ids != self.ids:
            return f"building/gateway {m.ids} differ from the authenticated {self.ids}"
        if not _SEQUENCE.match(sequence):
            return f"sequence {sequence!r} is not 1–20 digits"
        try:
            start = parse_beijing_time(m.fields.get("time", ""))
        except MessageError as exc:
            return str(exc)
        if start % 3_600_000_000_000:
            return f"time {m.fields['time']} is not the start of an hour"
        if not m.items:
            return "no items"
        for code, value in m.items:
            if not self.r.profile.accepts(code):
                return f"code {code!r} is not in profile {self.r.profile.name}'s table"
            try:
                number = float(value)
            except ValueError:
                return f"value {value!r} of {code} is not a number"
            if not math.isfinite(number) or "e" in value.lower():
                return f"value {value!r} of {code} is not a plain finite decimal"
        return None


def _close(sock: socket.socket, wake: bool = False) -> None:
    """Close; `wake` shuts it down first so a thread blocked in recv returns."""
    with contextlib.suppress(OSError):
        if wake:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
