"""The spool and the writer: bounded, durable, deletes only what the store accepted."""

import logging
import threading

import pytest

from collector.lines import parse_line
from collector.spool import Spool, SpoolFull, open_sink
from collector.writer import Writer
from store import open_store
from store.errors import StoreUnavailable
from store.lineprotocol import format_row
from store.types import Row, Series

T0 = 1_795_000_000 * 10**9


def lines(n: int, start: int = 0) -> list[str]:
    return [f"energy,point=p{i % 7},site=s value={i}.25 {T0 + i}" for i in range(start, start + n)]


def test_bounded_refuses_instead_of_dropping_and_warns_at_80_percent(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", capacity=1000)
    with caplog.at_level(logging.WARNING):
        assert spool.append_lines(lines(700))
        assert not caplog.records
        assert spool.append_lines(lines(150, 700))
    assert "85% full" in caplog.text
    assert not spool.append_lines(lines(151, 850))  # would pass 1000: refused, nothing written
    assert spool.depth == 850
    assert spool.append_lines(lines(150, 850))
    assert Spool(tmp_path / "s.db").depth == 1000  # durable, counted from the file


def test_an_empty_spool_takes_a_batch_larger_than_its_capacity(tmp_path):
    spool = Spool(tmp_path / "s.db", capacity=100)
    assert spool.append_lines(lines(150))  # else one big message would stall forever
    assert not spool.append_lines(lines(1, 150))


def test_dead_letters_commit_with_the_lines(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool.append_lines(lines(3), [(T0, "a/b", b"\xff", "non_numeric", "not a number")])
    (row,) = spool.dead_letters()
    assert (row.topic, row.payload, row.reason, row.source) == ("a/b", b"\xff", "non_numeric",
                                                                "mqtt")
    assert spool.dead_counts() == {"non_numeric": 1}


def test_rows_sink_round_trips_through_line_protocol(tmp_path):
    spool = Spool(tmp_path / "s.db")
    rows = [Row(Series.of("power", point="m 1,x", building="b=1"), T0, {"value": 2.5,
                                                                      "quality": 0})]
    assert spool.append_rows(rows)
    (batch,) = spool.peek(10)
    assert parse_line(batch.lines.decode()) == rows[0]
    assert format_row(rows[0]).encode() == batch.lines


def test_open_sink_is_the_modbus_poller_seam(tmp_path):
    sink = open_sink(tmp_path / "s.db", capacity=10)
    row = Row(Series.of("power", point="mb1"), T0, {"value": 1.5, "quality": 0})
    sink([row] * 10)
    with pytest.raises(SpoolFull, match="is full"):
        sink([row])
    assert Spool(tmp_path / "s.db").depth == 10


def test_writer_drains_into_sqlite(tmp_path):
    spool = Spool(tmp_path / "s.db")
    store = open_store(f"sqlite:///{tmp_path}/store.db")
    for k in range(5):
        spool.append_lines(lines(1000, k * 1000))
    writer = Writer(spool, store, batch_lines=1500)
    while writer.drain_once():
        pass
    assert spool.depth == 0 and writer.stats.written == 5000
    got = store.read_raw("energy", T0, T0 + 10**9)
    assert len(got) == 5000 and sorted(got.value)[:2] == [0.25, 1.25]


@pytest.mark.integration
def test_writer_retries_while_influxdb_is_down_and_deletes_only_after(tmp_path,
                                                                     influxdb_factory):
    server = influxdb_factory()
    spool = Spool(tmp_path / "s.db")
    store = open_store(server.url("w"))
    spool.append_lines(lines(2000))
    server.stop()
    writer = Writer(spool, store)
    with pytest.raises(StoreUnavailable):
        writer.drain_once()
    assert spool.depth == 2000  # nothing deleted
    thread = threading.Thread(target=writer.run, daemon=True)
    thread.start()
    server.start()
    from tests.services import wait_until
    wait_until(lambda: Spool(tmp_path / "s.db").depth == 0, 30, "the spool to drain")
    writer.stop()
    thread.join(15)
    count = server.query("SELECT count(value) FROM energy", "w")
    assert count["results"][0]["series"][0]["values"][0][1] == 2000


@pytest.mark.integration
def test_a_rejected_line_is_bisected_out_and_the_rest_land(tmp_path, influxdb):
    spool = Spool(tmp_path / "s.db")
    db = "bisect"
    store = open_store(influxdb.url(db))
    good = lines(99)
    bad = "energy,point=bad value=notanumber 1"
    spool.append_lines([*good[:40], bad, *good[40:]])
    writer = Writer(spool, store)
    assert writer.drain_once() == 100
    assert writer.stats.written == 99 and writer.stats.dead == 1
    (dead,) = spool.dead_letters()
    assert dead.reason == "store_rejected" and dead.payload == bad.encode()
    count = influxdb.query("SELECT count(value) FROM energy", db)
    assert count["results"][0]["series"][0]["values"][0][1] == 99
    assert spool.depth == 0


def test_one_spool_shared_by_threads_keeps_every_append(tmp_path):
    """The pipeline's sink is used by the poller and the monitor threads at once."""
    import threading

    spool = Spool(tmp_path / "shared.db")
    errors: list[BaseException] = []

    def append(tag: str) -> None:
        try:
            for i in range(500):
                assert spool.append_lines([f"energy,point={tag} value={i}.0 {i}"])
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=append, args=(f"p{k}",)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    spool.refresh()
    assert spool.depth == 1500
