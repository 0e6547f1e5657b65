"""One contract, every backend that runs here: embedded SQLite and a real InfluxDB 1.x."""

from __future__ import annotations

import numpy as np
import pytest

from store import Row, Series, StoreUnavailable, open_store

HOUR = 3_600_000_000_000
T0 = 1_779_998_400_000_000_000  # 2026-05-28 20:00 UTC, hour-aligned (buckets align to the epoch)


def reading(point: str, t: int, value: float, zone: str = "一层 东区", quantity="energy") -> Row:
    series = Series.of(quantity, site="总部", building="b1", zone=zone, purpose="01A10",
                       point=point)
    return Row(series, t, {"value": value, "quality": 0})


def test_writes_100k_readings_with_chinese_tags_and_reads_them_back_exactly(store):
    zones = ["一层 东区", "二层,西区", "机房=A", "roof terrace"]
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 1e6, 100_000).round(6)
    rows = [reading(f"p{i % 50:02d}", T0 + (i // 50) * 1_000_000_000, float(values[i]),
                    zones[i % 50 % 4]) for i in range(100_000)]
    store.write(rows)
    raw = store.read_raw("energy", T0, T0 + HOUR * 24)
    assert len(raw) == 100_000
    assert raw.points == tuple(f"p{i:02d}" for i in range(50))
    times, got = raw.of("p07")
    expected = [(r.time_ns, r.fields["value"]) for r in rows if r.series.tag("point") == "p07"]
    assert times.tolist() == [t for t, _ in expected]
    assert got.tolist() == [v for _, v in expected]

    store.write(rows)  # a replay after a crash: same series and times overwrite
    assert len(store.read_raw("energy", T0, T0 + HOUR * 24)) == 100_000

    by_zone = store.read_rows("energy", T0, T0 + 2_000_000_000, where={"zone": "二层,西区"})
    assert {r.series.tag("zone") for r in by_zone} == {"二层,西区"}
    assert {r.series.tag("site") for r in by_zone} == {"总部"}


def test_read_raw_filters_points_range_and_field(store):
    store.write([reading("a", T0 + i * HOUR, float(i)) for i in range(10)]
                + [reading("b", T0 + i * HOUR, 100.0 + i) for i in range(10)])
    raw = store.read_raw("energy", T0 + 2 * HOUR, T0 + 5 * HOUR, points=["b"])
    assert raw.points == ("b",)
    assert raw.value.tolist() == [102.0, 103.0, 104.0]  # end exclusive
    quality = store.read_raw("energy", T0, T0 + 10 * HOUR, points=["a"], field="quality")
    assert quality.value.tolist() == [0.0] * 10
    assert len(store.read_raw("energy", T0, T0 + HOUR, points=[])) == 0
    assert len(store.read_raw("power", T0, T0 + 10 * HOUR)) == 0


def test_same_time_merges_fields_like_influxdb(store):
    series = Series.of("setpoint_command", site="s", zone="z", point="ahu1", rule="sharp")
    store.write([Row(series, T0, {"value": 26.0, "status": "sent", "previous": 24.0})])
    store.write([Row(series, T0, {"status": "acked"})])
    (row,) = store.read_rows("setpoint_command", T0, T0 + 1)
    assert row.fields["status"] == "acked"
    assert float(row.fields["value"]) == 26.0
    assert float(row.fields["previous"]) == 24.0
    assert row.series == series


def test_fields_keep_their_types(store):
    series = Series.of("civicwatt", component="collector", instance="c1")
    store.write([Row(series, T0, {"received": 12, "ratio": 0.25, "state": 'on "line"',
                                  "ok": True})])
    (row,) = store.read_rows("civicwatt", T0, T0 + 1)
    assert row.fields == {"received": 12, "ratio": 0.25, "state": 'on "line"', "ok": True}


def test_aggregate_by_bucket_and_tag(store):
    rows = []
    for i in range(8):  # 15-min intervals over two hours, two zones
        for zone, kwh in (("z1", 1.0), ("z2", 2.5)):
            series = Series.of("energy_interval", zone=zone, point=f"m-{zone}", period="peak")
            rows.append(Row(series, T0 + i * HOUR // 4, {"kwh": kwh + i, "cost": 0.1}))
    store.write(rows)
    buckets = store.aggregate("energy_interval", "kwh", T0, T0 + 2 * HOUR, HOUR, "sum",
                              group_by=["zone"])
    got = {(b.time_ns - T0, b.group): b.value for b in buckets}
    assert got == {(0, ("z1",)): 10.0, (0, ("z2",)): 16.0,
                   (HOUR, ("z1",)): 26.0, (HOUR, ("z2",)): 32.0}
    maxima = store.aggregate("energy_interval", "kwh", T0, T0 + 2 * HOUR, 2 * HOUR, "max",
                             where={"zone": "z2"})
    assert [(b.group, b.value) for b in maxima] == [((), 9.5)]
    last = store.aggregate("energy_interval", "kwh", T0, T0 + 2 * HOUR, 2 * HOUR, "last",
                           where={"zone": "z1"})
    assert [b.value for b in last] == [8.0]
    count = store.aggregate("energy_interval", "kwh", T0, T0 + 2 * HOUR, 2 * HOUR, "count")
    assert [b.value for b in count] == [16.0]


def test_non_finite_values_are_refused_before_they_reach_the_database(store):
    with pytest.raises(ValueError, match="not finite"):
        store.write([reading("a", T0, float("nan"))])


@pytest.mark.integration
def test_influxdb_down_raises_store_unavailable_and_recovers(influxdb_factory):
    server = influxdb_factory()
    store = open_store(server.url("down_test"))
    store.write([reading("a", T0, 1.0)])
    server.stop()
    with pytest.raises(StoreUnavailable, match="influxdb1://127.0.0.1"):
        store.write([reading("a", T0 + 1, 2.0)])
    with pytest.raises(StoreUnavailable):
        store.ping()
    server.start()
    store.write([reading("a", T0 + 1, 2.0)])
    assert store.read_raw("energy", T0, T0 + 2).value.tolist() == [1.0, 2.0]


def test_delete_removes_only_the_range_and_tags_asked_for(store):
    def interval(site: str, period: str, t: int) -> Row:
        series = Series.of("energy_interval", site=site, point="m", period=period)
        return Row(series, T0 + t * HOUR, {"kwh": 1.0})

    store.write([interval("hq", "peak", t) for t in range(4)] + [interval("hq", "flat", 1),
                                                              interval("other", "peak", 1)])
    store.delete("energy_interval", T0 + HOUR, T0 + 3 * HOUR, where={"site": "hq"})
    left = {(r.series.tag("site"), r.series.tag("period"), (r.time_ns - T0) // HOUR)
            for r in store.read_rows("energy_interval", T0, T0 + 4 * HOUR)}
    assert left == {("hq", "peak", 0), ("hq", "peak", 3), ("other", "peak", 1)}
    store.delete("never_written", T0, T0 + HOUR)  # nothing there: no error


def test_the_embedded_store_syncs_every_commit_like_the_spool(tmp_path):
    """The writer forgets a batch once write() returns: a power cut must not undo that commit
    (synchronous=FULL = 2; NORMAL, the old setting, may lose the last commits in WAL mode)."""
    from collector.spool import Spool

    store = open_store(f"sqlite://{tmp_path}/store.db")
    spool = Spool(tmp_path / "spool.db")
    level = store._db.execute("PRAGMA synchronous").fetchone()[0]
    assert level == spool._db.execute("PRAGMA synchronous").fetchone()[0] == 2
