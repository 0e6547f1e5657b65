"""What the poller knows about its devices and its sink, for /healthz, /metrics and logs.

- `DeviceState`: per device online/offline, last error, counters. A device that has not
  answered within `NEVER_ANSWERED_INTERVALS` of its intervals since start is offline, not
  "unknown" (a dead gateway must not look healthy).
- `SinkGate`: the sink (the spool) refused readings because it is full. Polling stops and
  backs off (1 s doubling to the poller's `max_backoff`); before reading again it asks
  `room()`, so no device is read for values that cannot be kept. What is not taken or not
  kept is counted in `dropped` by reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_LOG = logging.getLogger("collector.modbus.poller")

#: a device with no answer after this many of its intervals since start is offline
NEVER_ANSWERED_INTERVALS = 3
SPOOL_FULL = "spool_full"  # readings not spooled, or not read while the spool was full
NOT_FINITE = "not_finite"  # NaN/inf a device reported for "not available"


@dataclass
class DeviceState:
    """What self-monitoring exports per device."""

    device: str
    gateway: str
    unit: int
    online: bool | None = None  # None: not polled yet
    last_error: str = ""
    last_ok_ns: int = 0
    failures: int = 0  # consecutive polls that got no answer
    polls: int = 0
    reads_ok: int = 0
    reads_failed: int = 0
    readings: int = 0
    next_poll: float = 0.0  # epoch seconds
    last_poll_s: float = 0.0  # duration of the last poll
    errors_seen: set[str] = field(default_factory=set, repr=False)

    def fields(self) -> dict[str, float | int | str | bool]:
        return {
            "online": int(bool(self.online)), "failures": self.failures, "polls": self.polls,
            "reads_ok": self.reads_ok, "reads_failed": self.reads_failed,
            "readings": self.readings, "last_error": self.last_error,
            "last_poll_s": round(self.last_poll_s, 4),
        }

    def status(self, interval: float, since_start: float) -> tuple[str, str]:
        """("online" | "offline" | "unknown", last error)."""
        if self.online is not None:
            return ("online" if self.online else "offline"), self.last_error
        if since_start >= NEVER_ANSWERED_INTERVALS * interval:
            return "offline", self.last_error or (
                f"never answered: no poll completed in {since_start:.0f} s since start "
                f"({NEVER_ANSWERED_INTERVALS} intervals of {interval:g} s); check the "
                "gateway, the wiring and the unit id")
        return "unknown", self.last_error


class SinkGate:
    """Backs the poller off while its sink refuses, and counts what is dropped."""

    def __init__(self, room: Callable[[], bool] | None, max_backoff: float) -> None:
        self.room = room
        self.max_backoff = max_backoff
        self.refusing = False
        self.dropped: dict[str, int] = {}
        self._retry_at = 0.0  # monotonic
        self._backoff = 1.0

    def refused(self, device: str, n: int, exc: Exception) -> None:
        self.drop(SPOOL_FULL, n)
        if not self.refusing:
            _LOG.warning("modbus %s: %d readings not spooled (%s); polling backs off until the "
                         "spool has room, and counts what it drops in readings_dropped_total",
                         device, n, exc)
            self.refusing = True
            self._backoff = 1.0
        self._wait()

    def accepted(self) -> None:
        if self.refusing:
            _LOG.warning("modbus: the spool accepts readings again (%d dropped while it was "
                         "full)", self.dropped.get(SPOOL_FULL, 0))
            self.refusing = False

    def blocked(self) -> bool:
        """While refusing: True until the backoff has passed and `room()` agrees."""
        if not self.refusing or time.monotonic() < self._retry_at:
            return self.refusing
        if self.room is not None and not self.room():
            self._wait()
            return True
        return False  # poll once; the delivery says whether the spool takes it

    def drop(self, reason: str, n: int) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + n

    def _wait(self) -> None:
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, self.max_backoff)
