"""The upload loop for one building: backfill, reports, heartbeats, reconnects with backoff.

After every (re)authentication it sends all pending hours as one `continuous` run (oldest
first, one packet in flight, a new sequence for each); while connected it sends hours metered
on time as `report` and late, re-sent or re-metered ones as a `continuous` run, and a
`heart_beat` after `heartbeat_s` of quiet. An ack is recorded before the next packet leaves,
so a drop or a restart re-sends at most the one hour in flight. A stop request lets the
packet in flight finish. Drops back off 1 s doubling to 60 s; a refused key at least 60 s.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from civicwatt.platform.hourly import HOUR_NS
from civicwatt.platform.messages import beijing_time
from civicwatt.platform.outbox import Outbox, Pending
from civicwatt.platform.plan import BuildingPlan
from civicwatt.platform.profiles import Profile
from civicwatt.platform.session import KeyRefused, LinkDown, Session
from civicwatt.platform.settings import PlatformSettings

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 60.0
KEY_BACKOFF_S = 60.0


def backoff_s(failures: int) -> float:
    """1, 2, 4, … 60 s after the 1st, 2nd, 3rd … consecutive failure."""
    return min(MAX_BACKOFF_S, 2.0 ** max(0, failures - 1))


@dataclass
class LinkState:
    """What the loop last did, for /healthz, /metrics and the push summary."""

    state: str = "idle"  # connecting, authenticated, backing_off, key_refused, stopped
    last_error: str | None = None
    last_ack_ns: int | None = None  # when (UTC ns)
    last_acked_hour_ns: int | None = None
    sent: Counter = field(default_factory=Counter)  # kind → packets
    results: Counter = field(default_factory=Counter)  # pass/fail → acks
    connects: int = 0
    heartbeats: int = 0
    clock_skew_s: float | None = None


class Uploader:
    def __init__(self, settings: PlatformSettings, profile: Profile, outbox: Outbox,
                 plan: BuildingPlan, stop: threading.Event | None = None,
                 on_packet: Callable[[Pending, str, bool], None] | None = None) -> None:
        self.settings = settings
        self.profile = profile
        self.outbox = outbox
        self.plan = plan
        self.stop = stop or threading.Event()
        self.wake = threading.Event()
        self.on_packet = on_packet
        self.status = LinkState()

    # -- one-shot: `civicwatt platform push` ---------------------------------------------------
    def push(self, start_ns: int, end_ns: int, retries: int) -> None:
        """Send the range's pending hours until none is left; raises `KeyRefused` at once and
        `LinkDown` after `retries` consecutive failed attempts (a success resets the count)."""
        failures = 0
        while not self.stop.is_set():
            pending = self.outbox.pending(self.plan.building, start_ns, end_ns)
            if not pending:
                return
            acks = self._acks()
            try:
                session = self._open()
                try:
                    self._run(session, pending, "continuous")
                finally:
                    session.close()
            except LinkDown as exc:
                failures = 1 if self._acks() > acks else failures + 1
                self._down(exc)
                if failures > retries:
                    raise LinkDown(f"{exc}; gave up after {retries} retries") from None
                self.stop.wait(backoff_s(failures))
        self.status.state = "stopped"

    # -- continuous: the service ----------------------------------------------------------------
    def serve(self) -> None:
        """Hold the connection until `stop`: backfill, then reports as `wake` signals new hours."""
        failures = 0
        while not self.stop.is_set():
            acks = self._acks()
            try:
                session = self._open()
            except KeyRefused as exc:
                self._refused(exc)
                self.stop.wait(max(KEY_BACKOFF_S, backoff_s(failures)))
                continue
            except LinkDown as exc:
                failures += 1
                self._down(exc)
                self.stop.wait(backoff_s(failures))
                continue
            try:
                self._run(session, self.outbox.pending(self.plan.building), "continuous")
                self._connected(session)
            except LinkDown as exc:
                # a link that drops before any ack keeps backing off; one that worked starts over
                failures = 1 if self._acks() > acks else failures + 1
                self._down(exc)
                self.stop.wait(backoff_s(failures))
            finally:
                session.close()
        self.status.state = "stopped"

    def _acks(self) -> int:
        """Replies to packets so far: progress that resets the backoff."""
        return self.status.results["pass"] + self.status.results["fail"] + self.status.heartbeats

    def _connected(self, session: Session) -> None:
        while not self.stop.is_set():
            quiet = time.monotonic() - session.last_traffic
            if self.wake.wait(max(0.0, self.settings.heartbeat_s - quiet)):
                self.wake.clear()
                if self.stop.is_set():
                    return
                pending = self.outbox.pending(self.plan.building)
                timely, late = [], []
                for hour in pending:
                    (timely if not hour.retry and self._timely(hour) else late).append(hour)
                self._run(session, late, "continuous")
                for hour in timely:
                    if not self._send(session, hour, "report"):
                        return
            elif time.monotonic() - session.last_traffic >= self.settings.heartbeat_s:
                session.heartbeat()
                self.status.heartbeats += 1
                self.status.clock_skew_s = session.skew_s

    def _timely(self, hour: Pending) -> bool:
        """Found on time: ended at most `incomplete_after_h` + 1 h ago. Older new hours (the
        first start, a metering backlog) are backfill, like hours lost at a drop."""
        window_ns = int((self.settings.incomplete_after_h + 1) * HOUR_NS)
        return time.time_ns() - (hour.hour_ns + HOUR_NS) <= window_ns

    # -- packets ---------------------------------------------------------------------------------
    def _open(self) -> Session:
        self.status.state = "connecting"
        self.status.connects += 1
        session = Session(self.settings, self.profile, self.plan.platform_id)
        session.open()
        self.status.state = "authenticated"
        self.status.last_error = None
        return session

    def _run(self, session: Session, hours: list[Pending], kind: str) -> None:
        """A run of packets; `continuous` numbers them total/current (1-based)."""
        if hours and kind == "continuous":
            log.info("Platform: building %s: sending %d hour(s) as continuous, %s … %s",
                     self.plan.building, len(hours), beijing_time(hours[0].hour_ns),
                     beijing_time(hours[-1].hour_ns))
        for current, hour in enumerate(hours, start=1):
            if not self._send(session, hour, kind, len(hours), current):
                return

    def _send(self, session: Session, hour: Pending, kind: str, total: int | None = None,
              current: int | None = None) -> bool:
        """One packet, its ack recorded; False (nothing sent) once a stop is requested."""
        if self.stop.is_set():
            return False
        sequence = self.outbox.reserve(hour)
        self.status.sent[kind] += 1
        passed = session.upload(hour, kind, sequence,
                                *((total, current) if kind == "continuous" else (None, None)))
        self.status.results["pass" if passed else "fail"] += 1
        if passed:
            self.outbox.acked(hour, sequence, kind)
            self.status.last_ack_ns = time.time_ns()
            self.status.last_acked_hour_ns = hour.hour_ns
        else:
            self.outbox.refused(hour, sequence)
            log.error("Platform refused building %s hour %s (%s, sequence %d): result fail. It "
                      "checks the time, codes, values and building id; this hour is not sent "
                      "again until its values change, or `civicwatt platform push --resend`",
                      self.plan.building, beijing_time(hour.hour_ns), kind, sequence)
        if self.on_packet is not None:
            self.on_packet(hour, kind, passed)
        return True

    def _down(self, exc: Exception) -> None:
        self.status.state = "backing_off"
        self.status.last_error = str(exc)
        log.warning("Platform link for building %s down: %s; reconnecting with backoff",
                    self.plan.building, exc)

    def _refused(self, exc: KeyRefused) -> None:
        self.status.state = "key_refused"
        self.status.last_error = str(exc)
        log.error("%s. Retrying in %.0f s", exc, KEY_BACKOFF_S)
