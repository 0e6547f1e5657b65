"""`civicwatt platform push`: send the hours of some local days, building by building.

The store's hours of the range are offered to the outbox first (so `push` and the service
share one record of what the platform holds), then each building's pending hours of the
range go as one `continuous` run per connection until all are acked, refused or the retry
budget is spent.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from civicwatt.platform.outbox import Outbox, Pending
from civicwatt.platform.plan import BuildingPlan, plan_buildings
from civicwatt.platform.profiles import get
from civicwatt.platform.scan import ScanResult, day_range_ns, scan
from civicwatt.platform.uploader import Uploader
from store import open_store


@dataclass
class Push:
    site: object
    plans: list[BuildingPlan]
    outbox: Outbox
    start_ns: int
    end_ns: int
    scanned: ScanResult
    resent: int = 0

    def pending(self) -> dict[str, list[Pending]]:
        return {p.building: self.outbox.pending(p.building, self.start_ns, self.end_ns)
                for p in self.plans}

    def refused(self) -> int:
        """Hours of the range whose current values the platform refused."""
        return self.outbox.refused_in(self.start_ns, self.end_ns)

    def close(self) -> None:
        self.outbox.close()


def prepare(site, first: dt.date, last: dt.date, resend: bool = False,
            now_ns: int | None = None) -> Push:
    """Offer the range's hours; with `resend`, make acked and refused ones pending again."""
    settings = site.platform
    plans = plan_buildings(site, settings, get(settings.profile))
    start, end = day_range_ns(site.site.timezone, first, last)
    outbox = Outbox(site.base_dir / site.service.spool)
    store = open_store(site.store.url, site.base_dir)
    try:
        scanned = scan(store, site, plans, outbox, start, end, now_ns or time.time_ns())
    except BaseException:
        outbox.close()
        raise
    finally:
        store.close()
    push = Push(site, plans, outbox, start, end, scanned)
    if resend:
        push.resent = sum(outbox.resend(p.building, start, end) for p in plans)
    return push


def send(push: Push, retries: int, stop: threading.Event,
         on_packet: Callable[[Pending, str, bool], None] | None = None) -> list[Uploader]:
    """Drain every building's pending hours of the range; raises `KeyRefused` or `LinkDown`."""
    profile = get(push.site.platform.profile)
    done = []
    for plan in push.plans:
        uploader = Uploader(push.site.platform, profile, push.outbox, plan, stop, on_packet)
        uploader.push(push.start_ns, push.end_ns, retries)
        done.append(uploader)
    return done
