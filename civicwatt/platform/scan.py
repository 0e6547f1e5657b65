"""Offer the store's hours to the outbox: what the upload job and `push` do before sending.

An hour is ready once it has ended and metering has it complete, or once it ended
`incomplete_after_h` ago (then it goes with what is metered, and again as `continuous` when the
missing intervals arrive and change it). Offering an hour whose values equal the acked ones
changes nothing, so scanning the same range again is cheap and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from civicwatt.platform.hourly import HOUR_NS, NS, Hour, read_hours
from civicwatt.platform.messages import beijing_time, format_value
from civicwatt.platform.outbox import Outbox
from civicwatt.platform.plan import BuildingPlan
from rules.clock import local_midnight_ns, parse_interval
from store import Store

log = logging.getLogger(__name__)


@dataclass
class ScanResult:
    ready: int = 0  # hours offered
    changed: int = 0  # of which new or with new values
    waiting: list[Hour] = field(default_factory=list)  # ended but not complete yet
    incomplete: list[Hour] = field(default_factory=list)  # changed, offered short of a meter


def floor_hour(time_ns: int) -> int:
    return time_ns - time_ns % HOUR_NS


def day_range_ns(timezone: str, first: dt.date, last: dt.date) -> tuple[int, int]:
    """[start, end) of local days first … last (inclusive), hour-aligned."""
    zone = ZoneInfo(timezone)
    return (floor_hour(local_midnight_ns(first, zone)),
            floor_hour(local_midnight_ns(last + dt.timedelta(days=1), zone)))


def scan(store: Store, site, plans: list[BuildingPlan], outbox: Outbox, start_ns: int,
         end_ns: int, now_ns: int) -> ScanResult:
    settings = site.platform
    interval = parse_interval(site.metering.interval)
    grace_ns = int(settings.incomplete_after_h * 3600 * NS)
    result = ScanResult()
    end_ns = min(end_ns, floor_hour(now_ns))  # the hour under way is never sent
    count_from = end_ns - grace_ns - HOUR_NS  # older hours are ready whatever their counts
    for plan in plans:
        hours = read_hours(store, site.site.id, plan, floor_hour(start_ns), end_ns, interval,
                           format_value, count_from)
        ready = []
        for hour in hours:
            late = now_ns - (hour.hour_ns + HOUR_NS) >= grace_ns
            (ready if hour.complete or late else result.waiting).append(hour)
        result.ready += len(ready)
        changed = outbox.offer(ready, now_ns)
        result.changed += len(changed)
        result.incomplete += [h for h in changed if h.complete is False]
    for hour in result.incomplete:
        log.warning("Platform: building %s hour %s goes without metering complete %.0f h after "
                    "it ended; meters short of intervals: %s. It goes again when they arrive",
                    hour.building, beijing_time(hour.hour_ns), settings.incomplete_after_h,
                    ", ".join(hour.missing))
    return result
