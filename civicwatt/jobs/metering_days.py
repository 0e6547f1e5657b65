"""Which local days the service's metering job meters, and its bookkeeping in the state file.

Each run meters, within `metering.late_days` of today:

- yesterday and today (the first run of a process: `service.catch_up_days` back);
- every day since the first one recorded in `metered` that no run has metered since it
  ended (the days a failing run missed, e.g. while the store was down);
- the local days late data touched: the spool's `dirty` ranges (late readings the writer
  drained, imports, fills), widened by the metering gap on both sides because a reading
  changes the intervals up to its neighbours.

Before it reads the store the job raises the watermark to today's local midnight, so every
reading the writer commits from then on is either read by this run or marked dirty (see
collector/spool_state.py). Afterwards it records the run's start for each metered day and
clears exactly the dirty rows it read. Dirty days older than `late_days` are dropped with a
warning that names the `civicwatt meter` command to run for them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from civicwatt.config import SiteConfig
from civicwatt.jobs.metering import JobSummary, meter_site
from civicwatt.metering.settings import parse_duration
from collector.spool import Spool
from collector.spool_state import DirtyRange
from rules.clock import local_midnight_ns, parse_interval
from store import Store

log = logging.getLogger(__name__)


def local_days(start_ns: int, end_ns: int, zone: ZoneInfo) -> list[dt.date]:
    """The local days [start_ns, end_ns) touches."""
    first = dt.datetime.fromtimestamp(start_ns // 10**9, dt.UTC).astimezone(zone).date()
    last = dt.datetime.fromtimestamp((end_ns - 1) // 10**9, dt.UTC).astimezone(zone).date()
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def due_days(today: dt.date, zone: ZoneInfo, metered: Mapping[str, int],
             dirty: Sequence[DirtyRange], regular_days: int, late_days: int,
             widen_ns: int) -> tuple[list[dt.date], list[dt.date]]:
    """(days to meter, dirty days too old to meter), both sorted. Pure."""
    oldest = today - dt.timedelta(days=late_days)
    due = {today - dt.timedelta(days=k) for k in range(regular_days + 1)}
    if metered:
        day = max(dt.date.fromisoformat(min(metered)), oldest)
        while day < today:
            ended = local_midnight_ns(day + dt.timedelta(days=1), zone)
            if metered.get(day.isoformat(), 0) < ended:
                due.add(day)
            day += dt.timedelta(days=1)
    late: set[dt.date] = set()
    for r in dirty:
        late.update(local_days(r.start_ns - widen_ns, r.end_ns + widen_ns, zone))
    too_old = sorted(d for d in late if d < oldest)
    due.update(d for d in late if oldest <= d <= today)
    return sorted(d for d in due if d >= oldest), too_old


def runs(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Consecutive days as [first, end) ranges, so each range is one `meter_site` call."""
    out: list[tuple[dt.date, dt.date]] = []
    for day in sorted(days):
        if out and out[-1][1] == day:
            out[-1] = (out[-1][0], day + dt.timedelta(days=1))
        else:
            out.append((day, day + dt.timedelta(days=1)))
    return out


def meter_due(site: SiteConfig, store: Store, state: Spool, now: dt.datetime,
              regular_days: int = 1) -> JobSummary:
    """One run of the service's metering job (see the module docstring)."""
    m = site.metering
    assert m is not None
    zone = ZoneInfo(site.site.timezone)
    today = now.astimezone(zone).date()
    started_ns = int(now.timestamp()) * 10**9  # the run's clock (the service's, in tests)
    state.raise_watermark(local_midnight_ns(today, zone))
    dirty = state.dirty_ranges()
    widen = parse_duration(m.max_gap) if m.max_gap else 2 * parse_interval(m.interval)
    days, too_old = due_days(today, zone, state.metered_days(), dirty, regular_days,
                             m.late_days, widen)
    if too_old:
        log.warning("Late readings for %s (%d local days) are older than metering.late_days "
                    "(%d) and were not metered; meter them with: civicwatt meter --config "
                    "SITE.yaml --from %s --to %s", _span(too_old), len(too_old), m.late_days,
                    too_old[0], too_old[-1] + dt.timedelta(days=1))
    total = JobSummary()
    for first, end in runs(days):
        part = meter_site(site, store, first, end)
        _add(total, part)
        state.mark_metered([d.isoformat() for d in _each(first, end)], started_ns)
    state.clear_dirty(dirty)
    return total


def _each(first: dt.date, end: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=k) for k in range((end - first).days)]


def _span(days: Sequence[dt.date]) -> str:
    return f"{days[0]}" if len(days) == 1 else f"{days[0]} … {days[-1]}"


def _add(total: JobSummary, part: JobSummary) -> None:
    total.days += part.days
    total.points = max(total.points, part.points)
    total.rows += part.rows
    total.kwh += part.kwh
    total.estimated += part.estimated
    total.events += part.events
    total.balances += part.balances
    total.notes += [n for n in part.notes if n not in total.notes]
