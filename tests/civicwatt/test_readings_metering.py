"""Manual readings and bills through the metering job: a monthly pair meters to its linear share
per day, a profile point follows its reference, a bill prorates and its cost overrides, a void
leaves metering, a fill is estimated, and an import's dirty days are metered by the service's
job without a `meter` run. SQLite, and a real InfluxDB 1.x for the monthly pair."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest

from civicwatt.config import load_site
from civicwatt.jobs.metering import meter_site
from civicwatt.jobs.metering_days import meter_due
from civicwatt.readings.apply import FILLED, apply_plan, void
from civicwatt.readings.audit import AuditLog
from civicwatt.readings.fill import FillError, plan_fill
from civicwatt.readings.sheets import Cell
from civicwatt.readings.validate import plan_import
from collector.spool import Spool
from store import Row, Series, open_store
from tests.civicwatt.readings_site import SH, make_site, ns

OCT1, NOV1 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


class Site:
    def __init__(self, folder: Path, url: str = "") -> None:
        self.site = load_site(make_site(folder, url))
        self.store = open_store(self.site.store.url, self.site.base_dir)
        self.audit = AuditLog(folder / "spool.db")

    def enter(self, *rows: dict, user: str = "alice", reason: str = "walk") -> list[str]:
        cells = [Cell("s", k + 2, "bills" if "from" in r else "readings", r)
                 for k, r in enumerate(rows)]
        plan = plan_import(self.site, self.store, self.audit, cells)
        assert not plan.problems, plan.problems
        apply_plan(self.site, self.store, self.audit, plan, "import", user, reason)
        return plan.notes

    def meter(self, first: dt.date, end: dt.date):
        return meter_site(self.site, self.store, first, end)

    def daily(self, point: str, field: str = "amount") -> dict[dt.date, float]:
        out: dict[dt.date, float] = defaultdict(float)
        for row in self.store.read_rows("energy_interval", 0, 2**62, where={"point": point}):
            day = dt.datetime.fromtimestamp(row.time_ns / 1e9, SH).date()
            out[day] += row.fields.get(field, 0.0)
        return {d: round(v, 6) for d, v in out.items()}

    def flags(self, point: str) -> set[tuple[bool, bool]]:
        return {(bool(r.fields["manual"]), bool(r.fields["estimated"]))
                for r in self.store.read_rows("energy_interval", 0, 2**62,
                                              where={"point": point})}

    def close(self) -> None:
        self.store.close()
        self.audit.close()


@pytest.fixture
def s(tmp_path):
    site = Site(tmp_path)
    yield site
    site.close()


def reading(point: str, when: str, value: float, note: str | None = None) -> dict:
    return {"point": point, "timestamp": when, "value": value, "note": note}


def monthly_pair(s: Site) -> None:
    """310 m³ over October's 31 days: 10 m³ a day."""
    s.enter(reading("water", "2026-10-01T00:00+08:00", 100),
            reading("water", "2026-11-01T00:00+08:00", 410))


def check_monthly_pair(s: Site) -> None:
    monthly_pair(s)
    summary = s.meter(OCT1 + dt.timedelta(days=9), OCT1 + dt.timedelta(days=12))  # a chunk inside
    assert s.daily("water") == {OCT1 + dt.timedelta(days=k): 10.0 for k in (9, 10, 11)}
    assert s.daily("water", "cost") == {OCT1 + dt.timedelta(days=k): 71.5 for k in (9, 10, 11)}
    assert s.flags("water") == {(True, True)}  # manual, and estimated (a month-long gap)
    assert summary.manual == 3 * 96


def test_a_monthly_reading_pair_meters_to_the_linear_share_per_day(s):
    check_monthly_pair(s)


def test_the_monthly_pair_on_influxdb(influx_url, tmp_path):
    site = Site(tmp_path, influx_url)
    try:
        check_monthly_pair(site)
    finally:
        site.close()


def test_a_profile_point_follows_its_reference(s):
    """gas read at Oct 1 and Oct 3 (30 m³); the building's electricity ran at 1 kW on Oct 1
    and 2 kW on Oct 2, so gas meters 10 and 20, not 15 and 15."""
    series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                       point="main")
    start = ns(OCT1)
    rows, value = [], 0.0
    for k in range(4 * 48 + 1):
        rows.append(Row(series, start + k * 900 * 10**9, {"value": value}))
        value += 0.25 if k < 96 else 0.5
    s.store.write(rows)
    s.enter(reading("gas", "2026-10-01T00:00+08:00", 0), reading("gas", "2026-10-03", 30))
    s.meter(OCT1, OCT1 + dt.timedelta(days=2))
    assert s.daily("gas") == {OCT1: 10.0, OCT1 + dt.timedelta(days=1): 20.0}
    assert s.daily("main") == {OCT1: 24.0, OCT1 + dt.timedelta(days=1): 48.0}
    assert s.flags("main") == {(False, False)}  # collected: neither manual nor estimated


def test_a_bill_prorates_over_its_days_and_its_cost_overrides(s):
    """20 GJ billed for 1–10 October (the `to` date inclusive) at 1,000 CNY: 2 GJ and 100 CNY a
    day, against 2 × 40 = 80 computed: the run reports +200 over the 10 days."""
    s.enter({"point": "heat", "from": "2026-10-01", "to": "2026-10-10", "amount": 20,
             "cost": 1000, "note": None})
    summary = s.meter(dt.date(2026, 9, 30), dt.date(2026, 10, 12))
    days = {OCT1 + dt.timedelta(days=k) for k in range(10)}
    assert s.daily("heat") == {d: 2.0 for d in days}
    assert s.daily("heat", "cost") == {d: 100.0 for d in days}
    assert s.flags("heat") == {(True, True)}
    note = next(n for n in summary.notes if n.startswith("bill heat"))
    assert "billed cost 1000.00 replaces the computed 800.00 (difference +200.00)" in note


def test_a_void_removes_the_reading_from_metering_and_keeps_it_in_the_audit(s):
    monthly_pair(s)
    void(s.site, s.store, s.audit, "water", ns(NOV1), "bob", "meter swapped")
    s.meter(OCT1, OCT1 + dt.timedelta(days=3))
    assert s.daily("water") == {}  # one reading left: nothing to spread
    assert [e.status for e in s.audit.entries("water")] == ["active", "void"]
    bill = {"point": "heat", "from": "2026-10-01", "to": "2026-10-02", "amount": 5,
            "cost": None, "note": None}
    s.enter(bill)
    void(s.site, s.store, s.audit, "heat", ns(OCT1), "bob", "duplicate bill")
    s.meter(OCT1, OCT1 + dt.timedelta(days=3))
    assert s.daily("heat") == {}
    assert [e.status for e in s.audit.entries("heat")] == ["void"]


def test_a_correction_of_a_collected_reading_is_metered_and_marked_manual(s):
    series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                       point="main")
    s.store.write([Row(series, ns(OCT1, h), {"value": 10.0 * h, "quality": 0})
                   for h in range(25)])
    s.enter(reading("main", "2026-10-01T12:00+08:00", 115))  # was 120
    s.meter(OCT1, OCT1 + dt.timedelta(days=1))
    rows = s.store.read_rows("energy_interval", ns(OCT1, 11), ns(OCT1, 13),
                             where={"point": "main"})
    assert {r.fields["manual"] for r in rows} == {True}
    assert s.daily("main") == {OCT1: 240.0}
    entries = s.audit.entries("main")
    assert [(e.source, e.value, e.status) for e in entries] == [
        ("collected", 120.0, "superseded"), ("import", 115.0, "active")]


def test_fill_writes_estimated_readings_for_a_gap(s):
    series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                       point="main")
    quarters = [k for k in range(97) if not 24 < k < 72]  # offline 06:00–18:00
    s.store.write([Row(series, ns(OCT1, k / 4), {"value": 2.5 * k, "quality": 0})
                   for k in quarters])
    plan = plan_fill(s.site, s.store, s.audit, "main", ns(OCT1, 6), ns(OCT1, 18), "linear", None)
    assert len(plan.changes) == 47 and plan.changes[0].entry.value == pytest.approx(62.5)
    apply_plan(s.site, s.store, s.audit, plan, "fill", "ops", "meter offline", FILLED)
    s.meter(OCT1, OCT1 + dt.timedelta(days=1))
    rows = s.store.read_rows("energy_interval", ns(OCT1), ns(OCT1, 24), where={"point": "main"})
    gap = {(bool(r.fields["manual"]), bool(r.fields["estimated"])) for r in rows
           if ns(OCT1, 6) <= r.time_ns < ns(OCT1, 18)}
    rest = {(bool(r.fields["manual"]), bool(r.fields["estimated"])) for r in rows
            if not ns(OCT1, 6) <= r.time_ns < ns(OCT1, 18)}
    assert gap == {(True, True)} and rest == {(False, False)}
    assert s.daily("main") == {OCT1: 240.0}
    with pytest.raises(FillError, match="between --from and --to"):
        plan_fill(s.site, s.store, s.audit, "main", ns(OCT1, 5), ns(OCT1, 19), "linear", None)


def test_an_import_is_metered_by_the_services_job_without_a_meter_run(s, tmp_path):
    spool = Spool(tmp_path / "spool.db")
    now = dt.datetime(2026, 11, 3, 9, tzinfo=SH)
    meter_due(s.site, s.store, spool, now)  # the service has metered up to today
    assert s.daily("water") == {}
    monthly_pair(s)
    assert {r.reason for r in spool.dirty_ranges()} == {"import"}
    meter_due(s.site, s.store, spool, now)
    daily = s.daily("water")
    assert daily[OCT1] == 10.0 and daily[dt.date(2026, 10, 31)] == 10.0 and len(daily) == 31
    assert spool.dirty_ranges() == []
    spool.close()


def test_the_reports_completeness_lists_manual_and_estimated_shares_per_meter(s):
    """A day of the monthly water pair next to a fully measured electricity meter."""
    from types import SimpleNamespace

    import numpy as np

    from civicwatt.config.meters import meter_tree
    from civicwatt.reports.anomalies import completeness
    from civicwatt.reports.data import Intervals
    from store import RawReadings
    series = Series.of("energy", site="hq", building="b1", zone="b1", purpose="01000",
                       point="main")
    s.store.write([Row(series, ns(OCT1, k / 4), {"value": 2.5 * k}) for k in range(97)])
    monthly_pair(s)
    s.meter(OCT1, OCT1 + dt.timedelta(days=1))
    rows = s.store.read_rows("energy_interval", ns(OCT1), ns(OCT1, 24))
    empty = RawReadings((), np.empty(0, np.int32), np.empty(0, np.int64), np.empty(0))
    inputs = SimpleNamespace(start_ns=ns(OCT1), end_ns=ns(OCT1, 24), tz="Asia/Shanghai",
                             day_rows=Intervals.from_rows(rows), history=empty, raw=empty)
    found = {c.point: c for c in completeness(meter_tree(s.site), inputs, 900 * 10**9)}
    water, main = found["water"], found["main"]
    assert (water.expected, water.measured, water.estimated, water.manual) == (96, 0, 96, 96)
    assert (water.estimated_share, water.manual_share, water.share) == (1.0, 1.0, 0.0)
    assert (main.measured, main.estimated, main.manual, main.manual_share) == (96, 0, 0, 0.0)
