"""The writer at its edges: its counters and status words, lines a row store cannot take,
the exact backoff schedule, the Retry-After ceiling and the drain on stop (written for
survivors of mutation testing, see tests/MUTATION.md). Real SQLite spool; the store is the
SQLite store, a real InfluxDB 1.x address nobody listens on, or the fake 2.x server of
tests/store/fake_influx2.py (the only peer that answers 429 with Retry-After)."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest

from collector.spool import Spool
from collector.writer import Outage, Writer, WriterStats
from store import open_store
from store.errors import CAUSES
from tests.services import free_port
from tests.store.fake_influx2 import serving, url

fake = pytest.fixture(serving, name="fake")

T0 = 1_795_000_000 * 10**9


def spooled(tmp_path, lines: list[str]) -> Spool:
    spool = Spool(tmp_path / "s.db")
    assert spool.append_lines(lines)
    return spool


class Waits(threading.Event):
    """The writer's stop event, recording each backoff it waits and stopping after `n`."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n, self.seen = n, []

    def wait(self, timeout: float | None = None) -> bool:
        self.seen.append(timeout)
        if len(self.seen) >= self.n:
            self.set()
        return self.is_set()


def test_fresh_stats_are_zero_and_say_not_tried_yet():
    stats = WriterStats()
    assert (stats.written, stats.dead, stats.batches, stats.requests) == (0, 0, 0, 0)
    assert stats.latency_ms_total == 0.0
    assert stats.store_ok and stats.last_error == "" and not stats.tried
    assert stats.status() == "not tried yet"


def test_an_outage_counts_its_first_attempt_and_names_its_hint():
    since = time.time() - 3600
    outage = Outage("auth", "HTTP 401", since)
    assert outage.attempts == 1 and outage.hint == CAUSES["auth"]
    assert Outage("spool", "disk full", since).hint == "see the error"
    stats = WriterStats()
    stats.outage = outage
    clock = time.strftime("%H:%M:%S", time.localtime(since))
    assert stats.status() == f"DOWN since {clock} (auth)"
    assert not stats.store_ok and stats.last_error == "HTTP 401"


def test_a_bisected_batch_counts_every_request_and_reading(tmp_path):
    spool = spooled(tmp_path, [f"energy,point=m value={v} {T0 + i}"
                               for i, v in enumerate(["1.0", "2.0", "nan", "4.0"])])
    store = open_store(f"sqlite://{tmp_path}/store.db")
    writer = Writer(spool, store)
    assert writer.drain_once() == 4
    # the batch, then [1, 2] ok, [nan, 4] refused, then [nan] refused, [4] ok
    assert writer.stats.requests == 5 and writer.stats.tried
    assert (writer.stats.written, writer.stats.dead, writer.stats.batches) == (3, 1, 1)
    assert writer.stats.latency_ms_total > 0
    assert writer.stats.status() == "ok"
    assert store.read_raw("energy", T0, T0 + 10).value.tolist() == [1.0, 2.0, 4.0]
    assert writer.drain_once() == 0 and writer.stats.batches == 1


@pytest.mark.parametrize("bad", [b"energy,point=m", b"energy,point=m value=\xff 1"])
def test_a_line_a_row_store_cannot_parse_is_dead_lettered_with_the_reason(tmp_path, bad):
    spool = Spool(tmp_path / "s.db")
    assert spool.append_lines([f"energy,point=m value=1.0 {T0}", "placeholder"])
    # as stored, including bytes that are no UTF-8 (a damaged spool file)
    spool._db.execute("UPDATE batches SET lines = ?",
                      (f"energy,point=m value=1.0 {T0}\n".encode() + bad,))
    writer = Writer(spool, open_store(f"sqlite://{tmp_path}/store.db"))
    assert writer.drain_once() == 2
    (dead,) = spool.dead_letters()
    assert dead.reason == "store_rejected"
    assert dead.detail.startswith("unparseable line in the spool: ")
    assert writer.stats.written == 1


def drive(writer: Writer, n: int, caplog) -> list[float]:
    writer._stop = Waits(n)
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        writer.run(drain_timeout=0.0)
    return writer._stop.seen


def test_backoff_doubles_from_a_quarter_second_to_the_ceiling(tmp_path, caplog):
    store = open_store(f"influxdb1://u:pw@127.0.0.1:{free_port()}/db")
    writer = Writer(spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"]), store,
                    max_backoff=1.5)
    assert drive(writer, 5, caplog) == [0.25, 0.5, 1.0, 1.5, 1.5]
    assert writer.stats.outage.cause == "network" and writer.stats.outage.attempts >= 5
    assert "stopping with 1 readings still in the spool" in caplog.text


def test_default_ceiling_is_30_seconds(tmp_path, caplog):
    store = open_store(f"influxdb1://u:pw@127.0.0.1:{free_port()}/db")
    writer = Writer(spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"]), store)
    assert drive(writer, 10, caplog)[-3:] == [30.0, 30.0, 30.0]


def test_retry_after_is_obeyed_up_to_five_minutes(tmp_path, fake, caplog):
    writer = Writer(spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"]),
                    open_store(url(fake)), max_backoff=0.5)
    fake.fail_with, fake.fail_headers = 429, {"Retry-After": "3600"}
    assert drive(writer, 2, caplog) == [300.0, 300.0]
    fake.fail_headers = {"Retry-After": "0"}  # less than the backoff: the backoff wins
    assert drive(writer, 3, caplog) == [0.25, 0.5, 0.5]


def test_a_spool_failure_is_an_outage_of_its_own_that_backs_off(tmp_path, caplog):
    spool = spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"])
    writer = Writer(spool, open_store(f"sqlite://{tmp_path}/store.db"), max_backoff=2.0)
    spool._db.execute("PRAGMA busy_timeout = 50")  # the 30 s wait, shortened for the test
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the file: delete() fails
    assert drive(writer, 3, caplog) == [0.25, 0.5, 1.0]
    assert writer.stats.outage.cause == "spool" and "delete failed" in writer.stats.last_error
    other.execute("ROLLBACK")
    assert "the spool writer is failing (spool)" in caplog.text


def test_stop_drains_what_is_spooled_and_then_returns(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db")
    for i in range(5):  # five batches of one reading
        assert spool.append_lines([f"energy,point=m value={i}.0 {T0 + i}"])
    writer = Writer(spool, open_store(f"sqlite://{tmp_path}/store.db"), batch_lines=2)
    writer.stop()  # before it starts: it still drains everything, batch by batch
    thread = threading.Thread(target=writer.run, kwargs={"drain_timeout": 10.0})
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert spool.depth == 0 and writer.stats.written == 5 and writer.stats.batches == 3


def test_before_any_metering_run_no_reading_is_late_not_even_one_before_1970(tmp_path):
    # watermark 0 = nothing metered yet; a negative time (a device clock never set) must not
    # send the metering job to 1969 (late_span alone would call it older than 0)
    spool = spooled(tmp_path, ["energy,point=m value=1.0 -86400000000000"])
    assert spool.watermark() == 0
    writer = Writer(spool, open_store(f"sqlite://{tmp_path}/store.db"))
    assert writer.drain_once() == 1 and writer.stats.written == 1
    assert spool.dirty_ranges() == [] and spool.depth == 0
    # the same reading after a metering run is late, and marked
    spool.raise_watermark(T0)
    assert spool.append_lines(["energy,point=m value=2.0 -86400000000000"])
    assert writer.drain_once() == 1
    assert [(r.start_ns, r.end_ns, r.reason) for r in spool.dirty_ranges()] == [
        (-86400000000000, -86399999999999, "late")]
