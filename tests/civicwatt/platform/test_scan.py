"""Offering the store's hours: complete hours at once, incomplete ones after the grace, and
re-metered hours again — from the demo building metered by the real metering job."""

from __future__ import annotations

import datetime as dt

import pytest

from civicwatt.config import load_site
from civicwatt.platform.hourly import HOUR_NS, NS
from civicwatt.platform.outbox import Outbox
from civicwatt.platform.plan import plan_buildings
from civicwatt.platform.profiles import PROFILES
from civicwatt.platform.scan import day_range_ns, scan
from civicwatt.platform.service import PlatformLink
from store import Row, open_store
from tests.civicwatt.platform import demo_hours
from tests.civicwatt.platform.demo_hours import FIRST


@pytest.fixture
def metered(demo_config, monkeypatch):
    monkeypatch.setenv("PLATFORM_KEY", demo_hours.KEY)
    return load_site(demo_config)


@pytest.fixture
def state(metered, tmp_path):
    store = open_store(metered.store.url)
    yield metered, store, Outbox(tmp_path / "spool.db")
    store.close()


def plans(site):
    return plan_buildings(site, site.platform, PROFILES["gb-2008"])


def test_every_metered_hour_of_the_days_is_offered_once(state):
    site, store, outbox = state
    start, end = day_range_ns(site.site.timezone, FIRST, FIRST + dt.timedelta(days=1))
    result = scan(store, site, plans(site), outbox, start, end, end + HOUR_NS)
    assert (result.ready, result.changed, result.waiting) == (48, 48, [])
    assert len(outbox.pending("demo")) == 48
    again = scan(store, site, plans(site), outbox, start, end, end + HOUR_NS)
    assert (again.ready, again.changed) == (48, 0)


def test_an_hour_missing_a_meters_intervals_waits_then_goes_after_the_grace(state, caplog):
    site, store, outbox = state
    start, end = day_range_ns(site.site.timezone, FIRST, FIRST)
    last = end - HOUR_NS
    kept = store.read_rows("energy_interval", last, end, where={"point": "demo.lifts"})
    store.delete("energy_interval", last, end, where={"point": "demo.lifts"})
    try:
        soon = scan(store, site, plans(site), outbox, start, end, end + 10 * 60 * NS)
        assert soon.ready == 23 and [h.hour_ns for h in soon.waiting] == [last]
        assert soon.waiting[0].missing == ("demo.lifts",)
        late = scan(store, site, plans(site), outbox, start, end,
                    end + int(site.platform.incomplete_after_h * HOUR_NS))
        assert late.ready == 24 and late.waiting == []
        assert [h.hour_ns for h in late.incomplete] == [last]
        assert "meters short of intervals: demo.lifts" in caplog.text
        [sent] = [p for p in outbox.pending("demo") if p.hour_ns == last]
        assert "01C10" not in sent.items  # the lifts' code: nothing metered for it yet
    finally:
        store.write(kept)


def test_the_hour_under_way_is_never_offered(state):
    site, store, outbox = state
    start, end = day_range_ns(site.site.timezone, FIRST, FIRST)
    result = scan(store, site, plans(site), outbox, start, end, end - HOUR_NS // 2)
    assert max(p.hour_ns for p in outbox.pending("demo")) == end - 2 * HOUR_NS
    assert result.ready == 23


def test_the_service_rescans_recent_days_each_run_and_everything_hourly(state, tmp_path):
    site, store, _ = state
    link = PlatformLink(site, store, tmp_path / "link.db")
    start, end = day_range_ns(site.site.timezone, FIRST, FIRST + dt.timedelta(days=1))
    now = end + 3 * 86_400 * NS  # the data is 3–5 days old: outside the recent window
    link.scan(now)
    assert link.last_scan["ready"] == 48 and link.last_scan["days"] == site.platform.lookback_days
    [row] = store.read_rows("energy_interval", start, start + 1, where={"point": "demo.main"})
    store.write([Row(row.series, row.time_ns, {**row.fields, "kwh": row.fields["kwh"] + 1})])
    try:
        link.scan(now + 300 * NS)  # a run five minutes later reads the recent days only
        assert link.last_scan["days"] == 2 and link.last_scan["changed"] == 0
        link.scan(now + 3601 * NS)  # the hourly full scan finds the re-metered hour
        assert link.last_scan["changed"] == 1
        [changed] = link.outbox.pending("demo")[:1]
        assert changed.hour_ns == start and changed.items["01000"] != "0"
    finally:
        store.write([row])
        link.outbox.close()
