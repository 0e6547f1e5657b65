"""One subscriber connection to the broker, kept up: connect, subscribe, read, acknowledge.

All socket I/O happens on the session's own thread (TLS objects must not be
read and written from two threads); the consumer hands it PUBACK bytes with
`ack()`, which wakes the thread. Messages are handed to `deliver(gen, publishes,
dup)` one socket read at a time, stamped with the time they were received.
While `room()` says the consumer holds enough, the thread does not read: the
broker keeps the rest (TCP flow control) and gets PINGREQs meanwhile, so it
does not drop the connection; the answer is not awaited, as it queues behind
the messages not read yet.

An unreachable broker is retried with exponential backoff (1 s doubling to
60 s). The log says it once when the state changes, then reminds every 10
minutes; `status()` tells `/healthz`. A refusal at start (bad password, TLS,
unknown host, refused subscription) raises `MqttStartError` with the fix;
an unreachable broker at start does not: collection starts and keeps trying.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable

from collector.mqtt import wire
from collector.mqtt.connection import MqttStartError, connack_message
from collector.mqtt.settings import MqttSettings

log = logging.getLogger("collector.mqtt.consumer")
MAX_BACKOFF = 60.0
REMIND_EVERY = 600.0
_READ = 1 << 18


class _Refused(Exception):
    """The broker answered but refused (CONNACK or SUBACK): permanent until the config changes."""


class Session:
    def __init__(self, settings: MqttSettings, filters: list[str],
                 deliver: Callable[[int, list, int], None],
                 on_connected: Callable[[int, bool], None] = lambda gen, resumed: None,
                 on_subscribed: Callable[[bool], None] = lambda first: None,
                 room: Callable[[], bool] = lambda: True) -> None:
        self.settings = settings
        self.filters = filters
        self.stale: list[str] = []  # unsubscribed on the next connect
        self.v5 = settings.protocol == "5"
        self.deliver = deliver
        self.on_connected = on_connected
        self.on_subscribed = on_subscribed
        self.room = room
        self.where = f"MQTT broker {settings.host}:{settings.port}"
        self.tls = _tls_context(settings) if settings.uses_tls else None
        self.gen = 0  # connection generation: acks go only to the connection that delivered
        self._lock = threading.Lock()
        self._out = bytearray()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_w.setblocking(False)  # a wake-up already pending is enough
        self._stopping = threading.Event()
        self._outcome = threading.Event()  # the first attempt's result is known
        self._start_error: str | None = None
        self._subscribed_once = False
        self._connected = False
        self.keepalive = settings.keepalive
        self.session_present = False
        self._thread: threading.Thread | None = None
        self._opening: socket.socket | None = None  # during the handshake
        # for /healthz and the log: since when in this state, why, how often tried
        self.since = time.time()
        self.last_error = ""
        self.attempts = 0
        self.next_retry = 0.0

    # -- control (consumer's threads) --------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        """Connect in the background; raise MqttStartError if the broker refuses us."""
        self._thread = threading.Thread(target=self._run, name="mqtt-session", daemon=True)
        self._thread.start()
        self._outcome.wait(timeout)
        if self._start_error is not None:
            self.stop()
            raise MqttStartError(self._start_error)

    def is_connected(self) -> bool:
        return self._connected

    def ack(self, gen: int, data: bytes) -> bool:
        """Queue PUBACKs for the connection `gen`; False (dropped) if it is gone."""
        with self._lock:
            if gen != self.gen or not self._connected:
                return False
            self._out += data
        self._wake()
        return True

    def _wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._wake_w.send(b"\0")

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, DISCONNECT (the session stays on the broker), close."""
        self._stopping.set()
        self._wake()
        opening = self._opening
        if opening is not None:  # a handshake the broker does not answer: cut it short
            with contextlib.suppress(OSError):
                opening.shutdown(socket.SHUT_RDWR)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout if self._connected else min(timeout, 1.0))

    def status(self) -> dict:
        state = "connected" if self._connected else ("stopped" if self._stopping.is_set()
                                                      else "unreachable")
        out: dict = {"broker": self.where, "state": state, "since": self.since}
        if not self._connected:
            out.update(last_error=self.last_error, attempts=self.attempts,
                       next_retry_in_s=round(max(0.0, self.next_retry - time.monotonic()), 1))
        return out

    # -- the session thread ------------------------------------------------------------------
    def _run(self) -> None:
        backoff = 1.0
        down_since = reminded = 0.0
        while not self._stopping.is_set():
            try:
                sock = self._open()
            except _Refused as exc:
                error, permanent = str(exc), True
            except ssl.SSLError as exc:
                error, permanent = (f"{self.where}: TLS handshake failed: {exc.reason or exc}; "
                                    "check mqtt.tls.ca_file (the CA that signed the broker's "
                                    "certificate), the host name in the URL and the client "
                                    "certificate"), True
            except socket.gaierror as exc:
                error, permanent = (f"{self.where}: unknown host ({exc}); check the URL "
                                    "(--mqtt or mqtt.url)"), True
            except (OSError, wire.ProtocolError) as exc:
                error, permanent = f"{self.where}: cannot connect ({exc})", False
            else:
                backoff = 1.0
                if down_since:
                    log.info("%s reachable again after %.0f s", self.where,
                             time.monotonic() - down_since)
                down_since = 0.0
                self.attempts = 0
                error = self._serve(sock)
                if error is None:
                    return
                permanent = False
            if permanent and not self._subscribed_once:
                self._start_error = error
                self._outcome.set()
                return
            now = time.monotonic()
            self.attempts += 1
            if not down_since or error.split(" (")[0] != self.last_error.split(" (")[0]:
                log.warning("%s; retrying with backoff up to %.0f s (a reminder every %.0f min "
                            "while it lasts)", error, MAX_BACKOFF, REMIND_EVERY / 60)
                down_since = down_since or now
                reminded = now
                self.since = time.time()
            elif now - reminded >= REMIND_EVERY:
                reminded = now
                log.warning("still no connection to %s after %.0f min and %d attempts: %s",
                            self.where, (now - down_since) / 60, self.attempts, error)
            self.last_error = error
            self._outcome.set()  # start() returns: collection runs, the session keeps trying
            self.next_retry = now + backoff
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _open(self) -> socket.socket:
        """TCP (+TLS), CONNECT, CONNACK; raises _Refused if the broker says no."""
        s = self.settings
        sock = socket.create_connection((s.host, s.port), timeout=10)
        self._opening = sock
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_hostname=s.host)
            password = s.password.get_secret_value() if s.password is not None else None
            sock.sendall(wire.connect(
                s.client_id, s.keepalive, v5=self.v5, username=s.user, password=password,
                session_expiry=s.session_expiry, receive_maximum=s.receive_maximum))
            first, body = _read_packet(sock)
            if first & 0xF0 != wire.CONNACK:
                raise wire.ProtocolError(f"expected CONNACK, got packet type {first >> 4}")
            connack = wire.parse_connack(body, v5=self.v5)
            if connack.code:
                raise _Refused(connack_message(self.where, connack.code, s.user))
        except BaseException:
            sock.close()
            raise
        finally:
            self._opening = None
        self.keepalive = connack.keepalive or s.keepalive
        self.session_present = connack.session_present
        return sock

    def _serve(self, sock: socket.socket) -> str | None:
        """Subscribe and pump the connection until it fails (→ the reason) or we stop (None)."""
        with self._lock:
            self.gen += 1
            gen = self.gen
            self._out.clear()
            self._connected = True
        self.since = time.time()
        self.on_connected(gen, self.session_present)
        log.info("connected to %s (session %s); subscribing to %d filter(s)", self.where,
                 "resumed" if self.session_present else "new", len(self.filters))
        sock.setblocking(False)
        try:
            if self.stale:
                self._send(sock, wire.unsubscribe(1, self.stale, v5=self.v5))
            self._send(sock, wire.subscribe(2, self.filters, v5=self.v5))
            return self._pump(sock, gen)
        except _Refused as exc:
            if not self._subscribed_once:
                self._start_error = str(exc)
                self._outcome.set()
                self._stopping.set()
                return None
            return str(exc)
        except (OSError, wire.ProtocolError) as exc:
            return f"{self.where}: connection lost ({exc})"
        except Exception as exc:  # a bug must not end the session thread: reconnect
            log.exception("unexpected error on the connection to %s", self.where)
            return f"{self.where}: connection dropped ({type(exc).__name__}: {exc})"
        finally:
            with self._lock:
                self._connected = False
            sock.close()

    def _pump(self, sock: socket.socket, gen: int) -> str | None:
        rest = b""
        last_in = last_out = time.monotonic()
        ping_sent = 0.0
        keepalive = self.keepalive
        watch = [sock, self._wake_r]
        while True:
            with self._lock:
                out = bytes(self._out)
                self._out.clear()
            if out:
                self._send(sock, out)
                last_out = time.monotonic()
            if self._stopping.is_set():
                self._send(sock, wire.DISCONNECT_PACKET)
                return None
            reading = self.room()
            pending_tls = reading and self.tls is not None and sock.pending()  # type: ignore
            readable = [sock] if pending_tls else select.select(
                watch if reading else watch[1:], [], [], 1.0)[0]
            if self._wake_r in readable:
                self._wake_r.recv(4096)
            now = time.monotonic()
            if sock in readable:
                data = _recv(sock)
                if data == b"":
                    return f"{self.where} closed the connection"
                if data is not None:
                    last_in = now
                    ping_sent = 0.0
                    pubs, others, rest, dup = wire.split(rest + data if rest else data, self.v5,
                                                         time.time_ns())
                    if pubs:
                        self.deliver(gen, pubs, dup)
                    for first, body in others:
                        self._control(first, body)
            if not reading:
                ping_sent = 0.0  # its PINGRESP waits behind the messages not read yet
            if ping_sent and now - ping_sent > keepalive:
                return f"{self.where} did not answer a ping within {keepalive} s"
            if not ping_sent and now - max(last_in, last_out) > keepalive * 0.5:
                self._send(sock, wire.PINGREQ_PACKET)
                last_out = ping_sent = now

    def _control(self, first: int, body: bytes) -> None:
        kind = first & 0xF0
        if kind == wire.SUBACK:
            _, codes = wire.parse_codes(body, v5=self.v5)
            refused = [f"{f}: reason {c:#04x}" for f, c in zip(self.filters, codes, strict=False)
                       if c >= 0x80 or c > 1]
            if refused:
                log.error("%s refused subscription(s): %s", self.where, "; ".join(refused))
                raise _Refused(f"{self.where} refused subscriptions: {'; '.join(refused)}")
            first_time = not self._subscribed_once
            self._subscribed_once = True
            self._outcome.set()
            self.on_subscribed(first_time)
        elif kind == wire.UNSUBACK:
            log.info("unsubscribed filters no longer in the config: %s", ", ".join(self.stale))
            self.stale = []
        elif kind == wire.DISCONNECT:
            raise wire.ProtocolError(f"the broker disconnected us (reason "
                                     f"{wire.parse_disconnect(body):#04x})")

    def _send(self, sock: socket.socket, data: bytes) -> None:
        """Write all of `data` on the non-blocking socket (waiting while its buffer is full)."""
        view = memoryview(data)
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                select.select([], [sock], [], 1.0)
                continue
            view = view[sent:]


def _recv(sock: socket.socket) -> bytes | None:
    """One read: data, b"" at end of stream, None if nothing was ready after all."""
    try:
        return sock.recv(_READ)
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return None


def _read_packet(sock: socket.socket) -> tuple[int, bytes]:
    """One whole packet from a blocking socket (used for CONNACK only)."""
    head = _exactly(sock, 2)
    length, shift, byte = 0, 0, head[1]
    while True:
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
        if shift > 21:
            raise wire.ProtocolError("malformed remaining length")
        byte = _exactly(sock, 1)[0]
    return head[0], _exactly(sock, length)


def _exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the broker closed the connection during the handshake")
        data += chunk
    return data


def _tls_context(settings: MqttSettings) -> ssl.SSLContext:
    tls = settings.tls
    try:
        context = ssl.create_default_context(
            cafile=str(tls.ca_file) if tls and tls.ca_file else None)
        if tls and tls.cert_file:
            context.load_cert_chain(str(tls.cert_file), str(tls.key_file))
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise MqttStartError(
            f"mqtt.tls: cannot load the CA / client certificate ({exc}); check that "
            "ca_file, cert_file and key_file are readable PEM files") from exc
    if tls and tls.insecure_skip_verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
