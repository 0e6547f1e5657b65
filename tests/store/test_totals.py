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


def test_a_tag_may_be_one_of_many_values_matched_literally(store):
    start = utc_ns(2026, 7, 1)
    names = ["b1.main", "b1Xmain", "a/b's (1)", "x|y", "main", "b1.main.sub"]
    store.write([r for name in names for r in intervals(start, 4, name)])
    sums = store.totals("energy_interval", ["kwh"], start, start + 86400 * NS, "all", "UTC",
                        ["point"], {"site": "s", "point": {"b1.main", "a/b's (1)", "x|y"}})
    # `.`, `/`, `'`, `(`, `|` are characters, never a pattern: b1Xmain, main and the
    # sub-meter whose id starts with a wanted one stay out
    assert {t.group[0]: t.values[0] for t in sums} == {"b1.main": 4.0, "a/b's (1)": 4.0,
                                                       "x|y": 4.0}
    raw = store.read_raw("energy_interval", start, start + 86400 * NS, ["x|y", "main"],
                         field="kwh")
    assert raw.points == ("main", "x|y") and len(raw) == 8


def test_an_empty_set_of_values_matches_nothing_not_the_rows_without_the_tag(store):
    start = utc_ns(2026, 7, 1)
    store.write(intervals(start, 4, "m1") + [
        Row(Series.of("energy_interval", site="s"), start, {"kwh": 5.0})])  # no point tag
    for where in ({"point": set()}, {"site": "s", "point": ()}):
        assert store.totals("energy_interval", ["kwh"], start, start + 86400 * NS, "all",
                            "UTC", where=where) == []
        assert store.read_rows("energy_interval", start, start + 86400 * NS, where) == []
        assert store.count_days("energy_interval", ["kwh"], start, start + 86400 * NS, "UTC",
                                where=where) == {}


def test_thousands_of_values_fit_one_query(store):
    """A portfolio's meters: a filter longer than any URL may be (influxd answers a 1 MB
    request line with 431), so a long query travels as a form."""
    start = utc_ns(2026, 7, 1)
    store.write(intervals(start, 2, "m000017") + intervals(start, 2, "m119999")
                + intervals(start, 2, "x1"))
    wanted = {f"m{i:06d}" for i in range(120_000)}
    got = store.totals("energy_interval", ["kwh"], start, start + 86400 * NS, "all", "UTC",
                       ["point"], {"point": wanted})
    assert [(t.group, t.values) for t in got] == [(("m000017",), (2.0,)), (("m119999",), (2.0,))]


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Europe/London"])
def test_count_days_counts_local_days_with_any_of_the_fields(store, tz):
    zone = ZoneInfo(tz)

    def at(day: int, hour: int, minute: int = 0) -> int:
        return int(dt.datetime(2026, 3, day, hour, minute, tzinfo=zone).timestamp()) * NS

    b1 = {"site": "s", "building": "b1"}
    rows = [Row(Series.of("energy_interval", **b1, point="m1"), at(27, 23, 30), {"amount": 1.0}),
            Row(Series.of("energy_interval", **b1, point="m1"), at(28, 0, 30), {"amount": 1.0}),
            Row(Series.of("energy_interval", **b1, point="m1"), at(28, 9), {"amount": 2.0}),
            # before energy classes: kwh only, on a day nothing else has (London's 23-hour day)
            Row(Series.of("energy_interval", **b1, point="old"), at(29, 12), {"kwh": 3.0}),
            Row(Series.of("energy_interval", **b1, point="m1"), at(30, 1), {"cost": 1.0}),
            Row(Series.of("energy_interval", site="s", building="b2", point="m2"), at(30, 23, 45),
                {"amount": 1.0}),
            Row(Series.of("energy_interval", site="s", building="b2", point="m2"), at(31, 0),
                {"amount": 1.0})]  # the range's end: outside
    store.write(rows)
    counted = store.count_days("energy_interval", ["amount", "kwh"], at(27, 0), at(31, 0), tz,
                               ["building"], {"site": "s"})
    # b1: the 27th, 28th (two readings, one day) and 29th; the 30th has neither field
    assert counted == {("b1",): 3, ("b2",): 1}
    assert store.count_days("energy_interval", ["amount"], at(27, 0), at(31, 0), tz) == {(): 3}
