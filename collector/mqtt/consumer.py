"""The MQTT consumer: QoS 1, persistent session, acknowledge only after the spool commit.

The session thread (`session.py`) appends each socket read's PUBLISH packets
to a deque, stamped with their receipt time. A batcher thread takes everything
there every ~20 ms, decodes it, commits lines and dead letters to the spool in
one transaction, and only then acknowledges the messages (one buffer of
PUBACKs, in the order received). A crash at any point loses nothing: what was
not acknowledged is redelivered, and idempotent writes absorb the duplicates.

- Receipt stamps are durable: a message without a time of its own is stored
  at its receipt time, and that stamp is committed with its readings (spool
  table `receipts`, by session and packet id). A redelivery (DUP flag) of a
  committed message gets the same stamp back, so it overwrites its own point
  instead of adding a second one.
- Acks go only to the connection that delivered the message. When the broker
  resumes the session after a reconnect it redelivers what was not
  acknowledged, so messages of the old connection not yet committed are
  dropped (they come again); without a resumed session they are kept.
- Every (re)connect resubscribes; filters a previous run subscribed to and the
  config no longer lists are unsubscribed (remembered in the spool's meta).
- Bounded memory, whatever the broker does: the consumer holds at most
  `receive_maximum` messages (or `HOLD_BYTES` of payload) received and not yet
  acknowledged; at that bound the session stops reading the socket, so TCP flow
  control makes the broker keep the rest. A broker that ignores the receive
  maximum (MQTT 3.1.1 has none; Mosquitto 2.0 after its own restart sends a
  restored session's whole queue at once) thus cannot swell the process, and a
  full spool holds the backlog on the broker, not here. Each spool transaction
  takes at most `BATCH_MESSAGES`, so a redelivery burst becomes several
  ordinary batches instead of one that needs tens of MB at once (bench/README.md,
  soak: the step in RSS this removed).
"""

from __future__ import annotations

import collections
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable

from collector.mqtt import wire
from collector.mqtt.decode import Decoder
from collector.mqtt.session import MqttStartError, Session
from collector.mqtt.settings import MqttSettings
from collector.mqtt.topics import filter_matches
from collector.spool import Spool

__all__ = ["Consumer", "ConsumerStats", "MqttStartError"]
log = logging.getLogger(__name__)
#: Most messages one spool transaction takes (plus the rest of one socket read).
BATCH_MESSAGES = 5_000
#: Most payload bytes held unacknowledged, so that large payloads are bounded too.
HOLD_BYTES = 32 << 20


class ConsumerStats:
    """Counters the monitor reads; written only by the batcher thread."""

    def __init__(self) -> None:
        self.received = 0  # messages
        self.accepted = 0  # readings committed to the spool
        self.rejected: dict[str, int] = collections.defaultdict(int)  # readings by reason
        self.full_waits = 0


def digest(topic: bytes, payload: bytes) -> bytes:
    """What identifies a redelivered message besides its packet id."""
    return hashlib.blake2b(topic + b"\0" + payload, digest_size=16).digest()


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
        self.key = f"{settings.host}:{settings.port}.{settings.client_id}"
        self._pending: collections.deque = collections.deque()  # (gen, publishes, dup, size)
        self._held = [0, 0]  # messages and payload bytes received, not yet acked or dropped
        self._held_lock = threading.Lock()
        self._drop_before = 0  # connections older than this were resumed: their messages return
        self._stopping = threading.Event()
        self._accepting = True
        self._full = False
        self._thread: threading.Thread | None = None
        self.client = Session(settings, self.filters, self._deliver, self._on_connected,
                              self._on_subscribed, room=self.has_room)

    # -- session callbacks (session thread) --------------------------------------------------
    def _deliver(self, gen: int, publishes: list, dup: int) -> None:
        if self._accepting:
            size = sum(len(m[1]) for m in publishes)
            with self._held_lock:
                self._held[0] += len(publishes)
                self._held[1] += size
            self._pending.append((gen, publishes, dup, size))

    def has_room(self) -> bool:
        """Whether the session may read more messages off the socket (else the broker keeps
        them): below `receive_maximum` messages and `HOLD_BYTES` held."""
        messages, size = self._held
        return messages < self.settings.receive_maximum and size < HOLD_BYTES

    def _release(self, chunks: list[tuple]) -> None:
        """Acknowledged or dropped: no longer held."""
        with self._held_lock:
            self._held[0] -= sum(len(c[1]) for c in chunks)
            self._held[1] -= sum(c[3] for c in chunks)

    def _on_connected(self, gen: int, resumed: bool) -> None:
        if resumed:
            self._drop_before = gen

    def _on_subscribed(self, first: bool) -> None:
        if first:
            self.spool.set_meta(self._meta_key(), json.dumps(self.filters))
            shown = ", ".join(self.filters[:5]) + (
                f" and {len(self.filters) - 5} more" if len(self.filters) > 5 else "")
            log.info("consuming from %s as %r: %s", self.client.where, self.settings.client_id,
                     shown)

    # -- control -------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        """Connect, subscribe and start consuming; raise MqttStartError with the fix if the
        broker refuses. An unreachable broker is not an error: it is retried with backoff."""
        previous = json.loads(self.spool.get_meta(self._meta_key()) or "[]")
        self.client.stale = [f for f in previous if f not in self.filters]
        self.client.start(timeout)
        self._thread = threading.Thread(target=self._run_batches, name="mqtt-batcher",
                                        daemon=True)
        self._thread.start()

    def _meta_key(self) -> str:
        return f"mqtt.filters.{self.key}"

    def check(self) -> tuple[bool, dict]:
        """For /healthz: is the broker connection up, and if not since when and why."""
        return self.client.is_connected(), self.client.status()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop taking messages, spool and acknowledge what was taken, then disconnect."""
        self._accepting = False
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.flush()
        finally:
            self.client.stop()

    # -- batching (batcher thread) -------------------------------------------------------------
    def _run_batches(self) -> None:
        while not self._stopping.wait(self.batch_interval if not self._full else 0.25):
            try:
                self.flush()
            except Exception:  # never let the batcher die silently: log, keep going
                log.exception("batch failed; its messages stay unacknowledged")
                time.sleep(0.5)

    def flush(self) -> int:
        """Spool and acknowledge everything received so far, `BATCH_MESSAGES` at a time;
        returns readings committed (stops early, keeping the rest, if the spool is full)."""
        total = 0
        while self._pending:
            total += self._flush_batch()
            if self._full:
                break
        return total

    def _flush_batch(self) -> int:
        """Spool and acknowledge the oldest messages, up to about `BATCH_MESSAGES`."""
        pending = self._pending
        taken: list[tuple] = []
        messages = 0
        while pending and messages < BATCH_MESSAGES:
            chunk = pending.popleft()
            taken.append(chunk)
            messages += len(chunk[1])
        drop = self._drop_before
        chunks = [c for c in taken if c[0] >= drop]
        if len(chunks) < len(taken):
            self._release([c for c in taken if c[0] < drop])
            if not chunks:
                return 0
        batch: list[tuple] = []
        for _, publishes, dup, _ in chunks:
            batch += self._restamp(publishes) if dup else publishes
        out = self.decoder.decode(batch, time.time_ns())
        receipts = [(self.key, m[3], digest(m[0], m[1]), m[2])
                    for m in (batch[i] for i in out.stamped) if m[4]]
        try:
            appended = self.spool.append_lines(out.lines, out.dead, receipts=receipts)
        except Exception:
            pending.extendleft(reversed(chunks))  # keep them (unacked) for the next try
            raise
        if not appended:
            pending.extendleft(reversed(chunks))  # full: keep, don't ack; the broker waits
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
        self._ack(chunks)
        self._release(chunks)
        stats = self.stats
        stats.received += len(batch)
        stats.accepted += len(out.lines)
        for reason, count in out.rejected.items():
            stats.rejected[reason] += count
        self.on_spooled()
        return len(out.lines)

    def _restamp(self, publishes: list) -> list:
        """Redelivered messages committed before get their committed receipt stamp back."""
        known = self.spool.receipts(self.key, [m[3] for m in publishes if m[5]])
        if not known:
            return publishes
        out = []
        for m in publishes:
            hit = known.get(m[3]) if m[5] else None
            if hit is not None and hit[0] == digest(m[0], m[1]):
                m = (m[0], m[1], hit[1], *m[3:])
            out.append(m)
        return out

    def _ack(self, chunks: list[tuple]) -> None:
        """One PUBACK buffer per connection, in the order received; none for QoS 0."""
        by_gen: dict[int, list[int]] = {}
        for gen, publishes, _, _ in chunks:
            by_gen.setdefault(gen, []).extend(m[3] for m in publishes if m[4])
        for gen, mids in by_gen.items():
            if mids:
                self.client.ack(gen, wire.pubacks(mids))
