"""The writer: drains the spool into the store, in order, deleting only what was accepted.

- InfluxDB 1.x and 2.x/3.x get the spool's line protocol as is (`write_lines`); other
  stores get `Row`s parsed back from it.
- `StoreUnavailable` (credentials, missing database, rate limit, 5xx, network — the store
  classifies): an outage. Nothing is deleted; the same batch is retried with exponential
  backoff (0.25 s doubling to `max_backoff`, longer if the store sends Retry-After). One log
  line when the outage starts or its cause changes, a reminder every 10 minutes, one when
  it ends: never one per attempt.
- `StoreRejected` (a 400 naming a bad line): bisect the batch so each bad line goes to
  dead-letter (`store_rejected`) and every other line lands.
- Late readings (older than the spool's metering watermark) are marked dirty in the same
  commit that deletes them, so the metering job meters their days again.
Writes are idempotent (same series + time overwrite), so a batch written twice after a
crash between write and delete never double counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from collector.lines import late_span, parse_line
from collector.spool import Spool, SpoolError
from store.base import Store
from store.errors import CAUSES, StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)

REMIND_EVERY_S = 600.0
#: the longest wait a store's Retry-After may impose
MAX_RETRY_AFTER_S = 300.0


@dataclass
class Outage:
    """Why the writer cannot write, since when, and how often it has tried."""

    cause: str  # a key of store.errors.CAUSES, or "spool" / "internal"
    error: str
    since: float  # epoch seconds
    attempts: int = 1

    @property
    def hint(self) -> str:
        return CAUSES.get(self.cause, "see the error")


class WriterStats:
    """Counters the monitor reads; each is written by the writer thread only."""

    def __init__(self) -> None:
        self.written = 0
        self.dead = 0
        self.batches = 0
        self.requests = 0  # write attempts sent to the store, bisection included
        self.latency_ms_total = 0.0
        self.outage: Outage | None = None
        self.tried = False  # False until the first write attempt

    @property
    def store_ok(self) -> bool:
        return self.outage is None

    @property
    def last_error(self) -> str:
        return self.outage.error if self.outage else ""

    def status(self) -> str:
        """For status lines: "ok", "not tried yet" or "DOWN since … (cause)"."""
        if self.outage is not None:
            since = time.strftime("%H:%M:%S", time.localtime(self.outage.since))
            return f"DOWN since {since} ({self.outage.cause})"
        return "ok" if self.tried else "not tried yet"


class Writer:
    def __init__(self, spool: Spool, store: Store, batch_lines: int = 50_000,
                 max_backoff: float = 30.0) -> None:
        self.spool = spool
        self.store = store
        self.batch_lines = batch_lines
        self.max_backoff = max_backoff
        self.stats = WriterStats()
        self._write_body: Callable[[bytes], None] = (
            getattr(store, "write_lines", None) or self._write_rows)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._reminded = 0.0

    def _write_rows(self, body: bytes) -> None:
        try:
            rows = [parse_line(line) for line in body.decode().split("\n")]
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreRejected(f"unparseable line in the spool: {exc}") from exc
        try:
            self.store.write(rows)
        except ValueError as exc:  # e.g. NaN, which SQLite cannot hold: that line is bad
            raise StoreRejected(str(exc)) from exc

    def _send(self, body: bytes) -> None:
        self.stats.requests += 1
        self.stats.tried = True
        self._write_body(body)

    def notify(self) -> None:
        """Tell the writer new batches are in the spool (it also polls every 50 ms)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # -- one step ----------------------------------------------------------------------
    def drain_once(self) -> int:
        """Write the oldest batches once; returns readings written (0 if the spool is empty).

        Raises StoreUnavailable (nothing deleted) so the caller can back off.
        """
        batches = self.spool.peek(self.batch_lines)
        if not batches:
            return 0
        body = b"\n".join(b.lines for b in batches)
        n = sum(b.n for b in batches)
        dead: list[tuple[bytes, str]] = []
        started = time.perf_counter()
        try:
            self._send(body)
        except StoreRejected as exc:
            log.warning("store refused a batch of %d readings (%s); bisecting to find the bad "
                        "line(s)", n, exc)
            dead = self._bisect(body.split(b"\n"), str(exc))
        self.stats.latency_ms_total += (time.perf_counter() - started) * 1000
        self.stats.batches += 1
        # read after the write: a metering run that raised it since has read the store after
        # our write, or our late readings are marked below (see collector/spool_state.py)
        watermark = self.spool.watermark()
        late = late_span(body, watermark) if watermark else None
        self.spool.delete(batches, dead, late)
        self.stats.written += n - len(dead)
        self.stats.dead += len(dead)
        return n

    def _bisect(self, lines: list[bytes], error: str) -> list[tuple[bytes, str]]:
        """Write what the store accepts; return (line, error) for each line it refuses."""
        if len(lines) == 1:
            log.warning("store refused line %r: %s; moved to dead-letter", lines[0][:200], error)
            return [(lines[0], error)]
        half = len(lines) // 2
        dead: list[tuple[bytes, str]] = []
        for part in (lines[:half], lines[half:]):
            try:
                self._send(b"\n".join(part))
            except StoreRejected as exc:
                dead += self._bisect(part, str(exc))
        return dead

    # -- outage bookkeeping: one log line per state change --------------------------------
    def _down(self, cause: str, error: str) -> None:
        outage = self.stats.outage
        what = (f"store {self.store.description} unavailable" if cause in CAUSES
                else "the spool writer is failing")
        if outage is not None and outage.cause == cause:
            outage.attempts += 1
            outage.error = error
            if time.monotonic() - self._reminded >= REMIND_EVERY_S:
                self._reminded = time.monotonic()
                log.warning("%s for %.0f min now (%s), %d attempts; %d readings wait in the "
                            "spool", what, (time.time() - outage.since) / 60, cause,
                            outage.attempts, self.spool.counted_depth)
            return
        self.stats.outage = Outage(cause, error, outage.since if outage else time.time())
        self._reminded = time.monotonic()
        log.warning("%s (%s): %s; keeping %d readings in the spool and retrying with backoff "
                    "up to %g s: %s", what, cause, error, self.spool.counted_depth,
                    self.max_backoff, CAUSES.get(cause, "see the error"))

    def _up(self) -> None:
        outage = self.stats.outage
        if outage is not None:
            log.info("store %s is back after %.0f s (%s, %d attempts); draining %d readings",
                     self.store.description, time.time() - outage.since, outage.cause,
                     outage.attempts, self.spool.counted_depth)
            self.stats.outage = None

    # -- the loop ----------------------------------------------------------------------
    def run(self, drain_timeout: float = 10.0) -> None:
        """Drain until stopped; on stop, keep draining up to `drain_timeout` s, then return."""
        backoff = 0.25
        stop_deadline: float | None = None
        while True:
            if self._stop.is_set() and stop_deadline is None:
                stop_deadline = time.monotonic() + drain_timeout
            if stop_deadline is not None and time.monotonic() > stop_deadline:
                left = self.spool.depth
                if left:
                    log.warning("stopping with %d readings still in the spool %s; they are safe "
                                "and will be written on the next start", left, self.spool.path)
                return
            wait = backoff
            try:
                written = self.drain_once()
            except StoreUnavailable as exc:
                self._down(exc.cause, str(exc))
                wait = min(max(backoff, exc.retry_after or 0.0), MAX_RETRY_AFTER_S)
            except SpoolError as exc:
                self._down("spool", str(exc))
            except Exception as exc:  # a bug must not silently stop the draining
                if self.stats.outage is None or self.stats.outage.cause != "internal":
                    log.exception("writer failed; retrying with backoff")
                self._down("internal", f"{type(exc).__name__}: {exc}")
                if stop_deadline is not None:
                    return
            else:
                self._up()
                backoff = 0.25
                if written == 0:
                    if stop_deadline is not None:
                        return
                    self._wake.wait(0.05)
                    self._wake.clear()
                continue
            if stop_deadline is None:
                self._stop.wait(wait)
            else:
                time.sleep(max(0.0, min(wait, stop_deadline - time.monotonic())))
            backoff = min(backoff * 2, self.max_backoff)
