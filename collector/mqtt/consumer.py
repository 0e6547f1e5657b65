"""The MQTT consumer: QoS 1, persistent session, acknowledge only after the spool commit.

paho-mqtt's network thread only appends (topic, payload, mid, qos, connection
generation) to a deque. A batcher thread takes everything
there every ~20 ms, decodes it, commits lines and dead letters to the spool in
one transaction, and only then acknowledges the messages (manual ack), in the
order received. A crash at any point loses nothing: what was not acknowledged
is redelivered, and idempotent writes absorb the duplicates.

- Acks are sent only on the connection that delivered the message (the
  generation check): after a reconnect the broker redelivers instead.
- Every (re)connect resubscribes; filters a previous run subscribed to and the
  config no longer lists are unsubscribed (remembered in the spool's meta).
- Spool full: messages stay unacknowledged in memory (bounded by the MQTT 5
  receive maximum) and the broker holds the rest; nothing is dropped.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from collector.mqtt.connection import MqttStartError, configure_client
from collector.mqtt.connection import connack_message as _connack_message
from collector.mqtt.decode import Decoded, Decoder
from collector.mqtt.settings import MqttSettings
from collector.mqtt.topics import filter_matches
from collector.spool import Spool

log = logging.getLogger(__name__)
_PUBACK = 0x40
_PUBACK_HEAD = 0x4002_0000


class ConsumerStats:
    """Counters the monitor reads; written only by the batcher thread (received: paho's)."""

    def __init__(self) -> None:
        self.received = 0  # messages
        self.accepted = 0  # readings committed to the spool
        self.rejected: dict[str, int] = collections.defaultdict(int)  # readings by reason
        self.full_waits = 0


class Consumer:
    def __init__(self, settings: MqttSettings, decoder: Decoder, spool: Spool,
                 on_spooled: Callable[[], None] | None = None,
                 batch_interval: float = 0.02) -> None:
        self.settings = settings
        self.decoder = decoder
        self.spool = spool
        self.on_spooled = on_spooled or (lambda: None)
        self.batch_interval = batch_interval
        self.stats = ConsumerStats()
        self.filters = [settings.subscribe_filter(s.filter) for s in settings.subscriptions]
        for binding in decoder.bindings:  # explicit point topics not under any filter
            if not any(filter_matches(s.filter, binding) for s in settings.subscriptions):
                self.filters.append(settings.subscribe_filter(binding))
        self._pending: collections.deque = collections.deque()
        self._gen = 0
        self._ack_lock = threading.Lock()
        self._connected = threading.Event()
        self._stopping = threading.Event()
        self._accepting = True
        self._connect_result: str | None = None
        self._suback: threading.Event = threading.Event()
        self._sub_errors: list[str] = []
        self._stale: list[str] = []
        self._full = False
        self._thread: threading.Thread | None = None
        self.client = self._make_client()

    # -- client set-up -----------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        s = self.settings
        v5 = s.protocol == "5"
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=s.client_id,
            clean_session=None if v5 else False,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311, manual_ack=True)
        client.reconnect_delay_set(1, 30)
        configure_client(client, s)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        return client

    def _where(self) -> str:
        return f"MQTT broker {self.settings.host}:{self.settings.port}"

    def start(self, timeout: float = 30.0) -> None:
        """Connect, subscribe and start consuming; raise MqttStartError with the fix if not."""
        previous = json.loads(self.spool.get_meta(self._meta_key()) or "[]")
        self._stale = [f for f in previous if f not in self.filters]
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._connect()
                break
            except ssl.SSLError as exc:
                raise MqttStartError(
                    f"{self._where()}: TLS handshake failed: {exc.reason or exc}; check "
                    "mqtt.tls.ca_file (the CA that signed the broker's certificate), the host "
                    "name in the URL and the client certificate") from exc
            except socket.gaierror as exc:
                raise MqttStartError(f"{self._where()}: unknown host ({exc}); check the "
                                     "URL (--mqtt or mqtt.url)") from exc
            except OSError as exc:
                if time.monotonic() > deadline:
                    raise MqttStartError(
                        f"{self._where()}: cannot connect ({exc}) for {timeout:.0f} s; check "
                        "that the broker runs and the URL (--mqtt or mqtt.url)") from exc
                log.warning("%s: cannot connect (%s); retrying", self._where(), exc)
                time.sleep(1.0)
        self.client.loop_start()
        if not self._suback.wait(max(1.0, deadline - time.monotonic())):
            self.client.loop_stop()
            reason = self._connect_result or "no answer"
            raise MqttStartError(f"{self._where()}: the broker did not accept the connection "
                                 f"within {timeout:.0f} s ({reason})")
        if self._connect_result is not None:
            self.client.loop_stop()
            self.client.disconnect()
            raise MqttStartError(self._connect_result)
        if self._sub_errors:
            self.client.disconnect()
            self.client.loop_stop()
            raise MqttStartError(f"{self._where()} refused subscriptions: "
                                 f"{'; '.join(self._sub_errors)}")
        self.spool.set_meta(self._meta_key(), json.dumps(self.filters))
        self._thread = threading.Thread(target=self._run_batches, name="mqtt-batcher",
                                        daemon=True)
        self._thread.start()
        shown = ", ".join(self.filters[:5]) + (
            f" and {len(self.filters) - 5} more" if len(self.filters) > 5 else "")
        log.info("consuming from %s as %r: %s", self._where(), self.settings.client_id, shown)

    def _meta_key(self) -> str:
        return f"mqtt.filters.{self.settings.host}:{self.settings.port}.{self.settings.client_id}"

    def _connect(self) -> None:
        s = self.settings
        if s.protocol == "5":
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = s.session_expiry
            props.ReceiveMaximum = s.receive_maximum
            self.client.connect(s.host, s.port, s.keepalive, clean_start=False, properties=props)
        else:
            self.client.connect(s.host, s.port, s.keepalive)

    # -- paho callbacks (network thread) -------------------------------------------------
    def _on_message(self, client, userdata, msg) -> None:
        try:
            topic = msg.topic
        except UnicodeDecodeError:
            topic = None
        if self._accepting:
            self._pending.append((topic, msg.payload, msg.mid, msg.qos, self._gen))

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._connect_result = _connack_message(self._where(), reason_code,
                                                    self.settings.user)
            if self._connected.is_set():  # at start, start() raises it instead
                log.error("%s", self._connect_result)
            else:
                self._suback.set()  # start() reports it
                client.disconnect()
            return
        self._connect_result = None
        self._connected.set()
        session = getattr(flags, "session_present", False)
        log.info("connected to %s (session %s); subscribing to %d filter(s)", self._where(),
                 "resumed" if session else "new", len(self.filters))
        if self._stale:
            client.unsubscribe(self._stale)
        # retainHandling=1: retained messages only for a new subscription, not again on
        # every reconnect of a persistent session (they would be stale duplicates)
        options = (SubscribeOptions(qos=1, retainHandling=1) if self.settings.protocol == "5"
                   else 1)
        client.subscribe([(f, options) for f in self.filters])

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        for topic_filter, code in zip(self.filters, reason_codes, strict=False):
            if code.is_failure or code.value > 1:
                self._sub_errors.append(f"{topic_filter}: {code}")
                log.error("%s refused subscription %s: %s", self._where(), topic_filter, code)
        self._suback.set()

    def _on_unsubscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        log.info("unsubscribed filters no longer in the config: %s", ", ".join(self._stale))
        self._stale = []

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._ack_lock:
            self._gen += 1
        if not self._stopping.is_set():
            log.warning("disconnected from %s (%s); reconnecting with backoff", self._where(),
                        reason_code)

    # -- batching (batcher thread) -------------------------------------------------------
    def _run_batches(self) -> None:
        while not self._stopping.wait(self.batch_interval if not self._full else 0.25):
            try:
                self.flush()
            except Exception:  # never let the batcher die silently: log, keep going
                log.exception("batch failed; its messages stay unacknowledged")
                time.sleep(0.5)

    def flush(self) -> int:
        """Spool and acknowledge everything received so far; returns readings committed."""
        pending = self._pending
        n = len(pending)
        if not n:
            return 0
        batch = [pending.popleft() for _ in range(n)]
        now = time.time_ns()  # the receive time of payloads without one (within ~20 ms)
        out = self.decoder.decode(((m[0], m[1], now) for m in batch), now, Decoded())
        try:
            appended = self.spool.append_lines(out.lines, out.dead)
        except Exception:
            pending.extendleft(reversed(batch))  # keep them (unacked) for the next try
            raise
        if not appended:
            pending.extendleft(reversed(batch))  # full: keep, don't ack; the broker waits
            if not self._full:
                log.warning("spool %s is full (%d readings): not acknowledging; the broker "
                            "holds the backlog until the store catches up", self.spool.path,
                            self.spool.capacity)
            self._full = True
            self.stats.full_waits += 1
            return 0
        if self._full:
            log.info("spool has room again; acknowledging")
            self._full = False
        self._ack(batch)
        stats = self.stats
        stats.received += n
        stats.accepted += len(out.lines)
        for reason, count in out.rejected.items():
            stats.rejected[reason] += count
        self.on_spooled()
        return len(out.lines)

    def _ack(self, batch: list[tuple]) -> None:
        """PUBACK each QoS 1 message, in order, if its connection is still the current one."""
        with self._ack_lock:
            gen = self._gen
            mids = [m[2] for m in batch if m[3] and m[4] == gen]
            if not mids:
                return
            queue = getattr(self.client, "_packet_queue", None)
            if queue is None:  # pragma: no cover - a paho without the internal queue
                for mid in mids:
                    self.client.ack(mid, 1)
                return
            # One write for the whole batch instead of one queued packet (and one wake-up
            # syscall) per message: PUBACK is 0x40 0x02 <mid>, i.e. one big-endian uint32
            # each; a success PUBACK has the same 4 bytes in MQTT 3.1.1 and 5.
            queue(_PUBACK, struct.pack(f"!{len(mids)}I", *[_PUBACK_HEAD | m for m in mids]),
                  0, 0)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, spool and acknowledge what was taken, then disconnect."""
        self._accepting = False
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.flush()
        finally:
            time.sleep(0.05)  # let paho write the last PUBACKs
            self.client.disconnect()
            self.client.loop_stop()
