"""The writer: drains the spool into the store, in order, deleting only what was accepted.

- InfluxDB 1.x gets the spool's line protocol as is (`write_lines`); other
  stores get `Row`s parsed back from it.
- `StoreUnavailable` (down, 5xx, timeout): retry the same batch with
  exponential backoff (0.25 s doubling to 30 s); nothing is deleted.
- `StoreRejected` (400: a bad line): bisect the batch so the one bad line goes
  to dead-letter (`store_rejected`) and every other line lands.
Writes are idempotent (same series + time overwrite), so a batch written twice
after a crash between write and delete never double counts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from collector.lines import parse_line
from collector.spool import Spool, SpoolError
from store.base import Store
from store.errors import StoreRejected, StoreUnavailable

log = logging.getLogger(__name__)


class WriterStats:
    """Counters the monitor reads; each is written by the writer thread only."""

    def __init__(self) -> None:
        self.written = 0
        self.dead = 0
        self.batches = 0
        self.latency_ms_total = 0.0
        self.store_ok = True
        self.last_error = ""


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

    def _write_rows(self, body: bytes) -> None:
        try:
            rows = [parse_line(line) for line in body.decode().split("\n")]
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreRejected(f"unparseable line in the spool: {exc}") from exc
        self.store.write(rows)

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
            self._write_body(body)
        except StoreRejected as exc:
            log.warning("store refused a batch of %d readings (%s); bisecting to find the bad "
                        "line(s)", n, exc)
            dead = self._bisect(body.split(b"\n"), str(exc))
        self.stats.latency_ms_total += (time.perf_counter() - started) * 1000
        self.stats.batches += 1
        self.spool.delete(batches, dead)
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
                self._write_body(b"\n".join(part))
            except StoreRejected as exc:
                dead += self._bisect(part, str(exc))
        return dead

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
            try:
                written = self.drain_once()
            except (StoreUnavailable, SpoolError) as exc:
                if self.stats.store_ok:
                    log.warning("cannot write (%s); keeping readings in the spool and retrying "
                                "with backoff", exc)
                self.stats.store_ok = False
                self.stats.last_error = str(exc)
                if stop_deadline is None:
                    self._stop.wait(backoff)
                else:
                    time.sleep(max(0.0, min(backoff, stop_deadline - time.monotonic())))
                backoff = min(backoff * 2, self.max_backoff)
                continue
            except Exception as exc:  # a bug must not silently stop the draining
                log.exception("writer failed; retrying in %.1f s", backoff)
                self.stats.store_ok = False
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                if stop_deadline is not None:
                    return
                continue
            if not self.stats.store_ok:
                log.info("store is back (%s); draining the spool", self.store.description)
                self.stats.store_ok = True
            backoff = 0.25
            if written == 0:
                if stop_deadline is not None:
                    return
                self._wake.wait(0.05)
                self._wake.clear()
