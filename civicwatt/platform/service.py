"""The platform upload in `civicwatt run`: the upload job, one link thread per building,
and what /healthz and /metrics show (connection state, pending hours, last ack).

The job (every `platform.every_s`) offers metered hours to the outbox and wakes the links;
each link holds its building's connection (see `uploader.py`). Each run reads the last
`RECENT_DAYS` (what the metering job re-meters every time); once an hour it reads the whole
`lookback_days`, where late data and imports re-meter older days (bench/platform_scan.py).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from civicwatt.platform.hourly import NS
from civicwatt.platform.outbox import Outbox
from civicwatt.platform.plan import plan_buildings
from civicwatt.platform.profiles import get
from civicwatt.platform.scan import scan
from civicwatt.platform.uploader import Uploader
from civicwatt.service.health import Metric
from store import Store

log = logging.getLogger(__name__)
DAY_NS = 86_400 * NS
RECENT_DAYS = 2
FULL_SCAN_NS = 3600 * NS


class PlatformLink:
    def __init__(self, site, store: Store, state_path: Path) -> None:
        self.site = site
        self.settings = site.platform
        self.store = store
        profile = get(self.settings.profile)
        self.plans = plan_buildings(site, self.settings, profile)
        self.outbox = Outbox(state_path)
        self.stop_event = threading.Event()
        self.uploaders = [Uploader(self.settings, profile, self.outbox, plan, self.stop_event)
                          for plan in self.plans]
        self.threads: list[threading.Thread] = []
        self.last_scan: dict = {}
        self._last_full_ns: int | None = None

    def scan(self, now_ns: int | None = None) -> None:
        """The upload job: offer new and re-metered hours, then wake the links."""
        now = now_ns or time.time_ns()
        full = self._last_full_ns is None or now - self._last_full_ns >= FULL_SCAN_NS
        days = self.settings.lookback_days if full else min(RECENT_DAYS,
                                                             self.settings.lookback_days)
        result = scan(self.store, self.site, self.plans, self.outbox, now - days * DAY_NS, now,
                      now)
        if full:
            self._last_full_ns = now
        self.last_scan = {"at": now / NS, "days": days, "ready": result.ready,
                          "changed": result.changed, "waiting": len(result.waiting)}
        log.info("Platform upload: %d ready hours in the last %d days, %d new or changed, %d "
                 "waiting for metering to complete", result.ready, days, result.changed,
                 len(result.waiting))
        for uploader in self.uploaders:
            uploader.wake.set()

    def start(self) -> None:
        for uploader in self.uploaders:
            thread = threading.Thread(target=self._serve, args=(uploader,), daemon=True,
                                      name=f"platform-{uploader.plan.building}")
            thread.start()
            self.threads.append(thread)

    def _serve(self, uploader: Uploader) -> None:
        while not self.stop_event.is_set():
            try:
                uploader.serve()
            except Exception:  # never let the link die silently; back off and go on
                log.exception("Platform link for building %s failed; restarting in 60 s",
                              uploader.plan.building)
                uploader.status.state = "backing_off"
                self.stop_event.wait(60)

    def request_stop(self) -> None:
        """Send nothing new from now on; the packet in flight still gets its ack."""
        self.stop_event.set()
        for uploader in self.uploaders:
            uploader.wake.set()

    def stop(self, timeout_s: float | None = None) -> None:
        """Let each link finish the packet in flight (at most one reply timeout), then close."""
        self.request_stop()
        for thread in self.threads:
            thread.join(timeout_s or self.settings.reply_timeout_s + 5)
        self.outbox.close()

    # -- health ------------------------------------------------------------------------------
    def check(self) -> tuple[bool, dict]:
        statuses = {s.building: s for s in self.outbox.status([p.building for p in self.plans])}
        buildings = {}
        for uploader in self.uploaders:
            b = uploader.plan.building
            state = uploader.status
            row = statuses[b]
            buildings[b] = {
                "platform_id": uploader.plan.platform_id, "state": state.state,
                "pending_hours": row.pending, "refused_hours": row.refused,
                "acked_hours": row.acked,
                "last_ack": _iso(state.last_ack_ns or row.last_ack_ns),
                "last_acked_hour": _iso(row.last_acked_hour_ns),
                "last_error": state.last_error}
        ok = all(u.status.state not in ("backing_off", "key_refused") for u in self.uploaders)
        return ok, {"platform": f"{self.settings.host}:{self.settings.port}",
                    "profile": self.settings.profile, "buildings": buildings,
                    "last_scan": self.last_scan}

    def metrics(self) -> list[Metric]:
        statuses = {s.building: s for s in self.outbox.status([p.building for p in self.plans])}
        out = []
        for uploader in self.uploaders:
            b = {"building": uploader.plan.building}
            state, row = uploader.status, statuses[uploader.plan.building]
            out += [
                Metric("civicwatt_platform_connected", float(state.state == "authenticated"),
                       labels=b, help="1 while authenticated to the platform"),
                Metric("civicwatt_platform_pending_hours", row.pending, labels=b,
                       help="hours waiting for the platform's ack"),
                Metric("civicwatt_platform_refused_hours", row.refused, labels=b),
                Metric("civicwatt_platform_last_ack_timestamp_seconds",
                       (row.last_ack_ns or 0) / NS, labels=b),
                Metric("civicwatt_platform_last_acked_hour_timestamp_seconds",
                       (row.last_acked_hour_ns or 0) / NS, labels=b),
                Metric("civicwatt_platform_connects_total", state.connects, "counter", b),
            ]
            out += [Metric("civicwatt_platform_packets_total", n, "counter", {**b, "kind": k})
                    for k, n in sorted(state.sent.items())]
            out += [Metric("civicwatt_platform_acks_total", n, "counter", {**b, "result": r})
                    for r, n in sorted(state.results.items())]
        return out


def _iso(time_ns: int | None) -> str | None:
    if not time_ns:
        return None
    import datetime as dt
    return dt.datetime.fromtimestamp(time_ns / NS, dt.UTC).isoformat(timespec="seconds")
