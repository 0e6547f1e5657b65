"""`Store.totals` and `Store.latest` on every backend that runs here: local calendar buckets
summed by the database, checked against sums computed row by row in Python."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from store import Row, Series
from store.calendar import calendar

NS = 1_000_000_000
Q = 900 * NS


def utc_ns(*args) -> int:
    return int(dt.datetime(*args, tzinfo=dt.UTC).timestamp()) * NS


def intervals(start_ns: int, n: int, point: str, energy: str | None = "electricity",
              building: str = "b1", period: str = "flat") -> list[Row]:
    tags = {"site": "s", "building": building, "point": point, "period": period}
    if energy:
        tags["energy"] = energy
    series = Series("energy_interval", tuple(tags.items()))
    fields = {"amount": 1.0, "kwh": 1.0, "cost": 0.5} if energy else {"kwh": 2.0}
    return [Row(series, start_ns + i * Q, {**fields, "amount": 1.0 + (i % 7)} if energy
                else fields) for i in range(n)]


def expected(rows: list[Row], tz: str, label, field: str) -> dict:
    zone = ZoneInfo(tz)
    sums: dict = defaultdict(float)
    for row in rows:
        local = dt.datetime.fromtimestamp(row.time_ns / NS, dt.UTC).astimezone(zone)
        sums[label(local)] += row.fields[field]
    return dict(sums)


def local_key(time_ns: int, tz: str, fmt: str) -> str:
    return dt.datetime.fromtimestamp(time_ns / NS, dt.UTC).astimezone(ZoneInfo(tz)).strftime(fmt)


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/London", "Asia/Kathmandu"])
@pytest.mark.parametrize("every,fmt", [("day", "%Y-%m-%d"), ("month", "%Y-%m"),
                                       ("hour", "%Y-%m-%d %H%z")])
def test_local_buckets_equal_row_by_row_sums_across_dst(store, tz, every, fmt):
    start = utc_ns(2026, 3, 20)  # London springs forward on 2026-03-29
    rows = intervals(start, 96 * 20, "m1")
    store.write(rows)
    zone = ZoneInfo(tz)
    first = int(dt.datetime(2026, 3, 21, tzinfo=zone).timestamp()) * NS
    last = int(dt.datetime(2026, 4, 7, tzinfo=zone).timestamp()) * NS
    inside = [r for r in rows if first <= r.time_ns < last]
    got = store.totals("energy_interval", ["amount", "kwh"], first, last, every, tz)
    assert {local_key(t.time_ns, tz, fmt): t.values[0] for t in got} == pytest.approx(
        expected(inside, tz, lambda d: d.strftime(fmt), "amount"))
    if every == "day" and tz == "Europe/London":
        spring = [t for t in got if local_key(t.time_ns, tz, "%m-%d") == "03-29"]
        assert spring[0].values[1] == 92.0  # 23 hours of quarter hours
    assert all(t.group == () for t in got)


def test_groups_filters_and_missing_fields(store):
    start = utc_ns(2026, 6, 30, 16)  # 2026-07-01 00:00 Asia/Shanghai
    store.write(intervals(start, 96 * 2, "m1") + intervals(start, 96 * 2, "w1", "water")
                + intervals(start, 96, "old", energy=None)
                + intervals(start, 96, "other", building="b2"))
    got = store.totals("energy_interval", ["amount", "kwh", "cost"], start, start + 2 * 86400 * NS,
                       "day", "Asia/Shanghai", group_by=["point", "energy"],
                       where={"site": "s", "building": "b1"})
    by = {(t.group, local_key(t.time_ns, "Asia/Shanghai", "%d")): t.values for t in got}
    assert set(by) == {((p, e), d) for p, e in [("m1", "electricity"), ("w1", "water")]
                       for d in ("01", "02")} | {(("old", ""), "01")}
    assert by[(("old", ""), "01")] == (None, 192.0, None)  # rows before energy classes
    m1 = [r for r in intervals(start, 96, "m1")]
    assert by[(("m1", "electricity"), "01")] == (sum(r.fields["amount"] for r in m1), 96.0, 48.0)


def test_a_range_with_nothing_is_empty_and_the_end_is_exclusive(store):
    start = utc_ns(2026, 7, 1)
    store.write(intervals(start, 8, "m1"))
    assert store.totals("energy_interval", ["kwh"], start + 8 * Q, start + 80 * Q, "15m",
                        "UTC") == []
    got = store.totals("energy_interval", ["kwh"], start, start + 4 * Q, "15m", "UTC")
    assert [t.time_ns for t in got] == [start + i * Q for i in range(4)]


def test_latest_reading_and_count_per_point(store):
    start = utc_ns(2026, 7, 1)
    rows = [Row(Series.of("energy", site="s", building="b1", point=p), start + i * 60 * NS,
                {"value": 100.0 * k + i}) for k, p in enumerate(["a", "b"], 1)
            for i in range(30 if p == "a" else 10)]
    rows.append(Row(Series.of("energy", site="s", building="b2", point="c"), start, {"value": 1.0}))
    store.write(rows)
    got = store.latest("energy", start, start + 3600 * NS, where={"building": "b1"})
    assert [(x.group, x.time_ns, x.value, x.count) for x in got] == [
        (("a",), start + 29 * 60 * NS, 129.0, 30), (("b",), start + 9 * 60 * NS, 209.0, 10)]
    assert store.latest("energy", start + 3600 * NS, start + 7200 * NS) == []


def test_calendar_folds_days_into_months_and_keys_runs_of_equal_days():
    tz = "Europe/London"
    london = ZoneInfo(tz)
    cal = calendar("month", int(dt.datetime(2026, 3, 1, tzinfo=london).timestamp()) * NS,
                   int(dt.datetime(2026, 5, 1, tzinfo=london).timestamp()) * NS, tz)
    assert [local_key(t, tz, "%Y-%m-%d") for t in cal.starts] == ["2026-03-01", "2026-04-01"]
    assert len(cal.fold) == 61 and cal.fold.count(0) == 31
    assert cal.sql_key("t").count("WHEN") == 2  # 28 days, the 23-hour day, the rest
    with pytest.raises(ValueError, match="one of 15m, hour, day, month, year"):
        calendar("week", 0, NS, tz)


def test_all_is_one_sum_over_the_range_and_only_counts_flagged_rows(store):
    start = utc_ns(2026, 6, 30, 16)  # 2026-07-01 00:00 Asia/Shanghai
    rows = intervals(start, 96 * 3, "m1")
    flagged = [Row(r.series, r.time_ns, {**r.fields, "estimated": i % 4 == 0})
               for i, r in enumerate(rows)]
    store.write(flagged)
    end = start + 2 * 86400 * NS  # the third day stays outside
    inside = flagged[:96 * 2]
    got = store.totals("energy_interval", ["amount", "cost"], start, end, "all",
                       "Asia/Shanghai", group_by=["point"])
    assert [(t.time_ns, t.group) for t in got] == [(start, ("m1",))]
    assert got[0].values == pytest.approx((sum(r.fields["amount"] for r in inside),
                                           sum(r.fields["cost"] for r in inside)))
    days = store.totals("energy_interval", ["amount"], start, end, "day", "Asia/Shanghai")
    assert got[0].values[0] == pytest.approx(sum(t.values[0] for t in days))
    est = store.totals("energy_interval", ["amount"], start, end, "all", "Asia/Shanghai",
                       only=["estimated"])
    assert est[0].values[0] == pytest.approx(
        sum(r.fields["amount"] for r in inside if r.fields["estimated"]))
    assert store.totals("energy_interval", ["amount"], start, end, "all", "Asia/Shanghai",
                        only=["manual"]) == []  # no row has the flag
