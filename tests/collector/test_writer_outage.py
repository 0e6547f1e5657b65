"""The writer through an outage: one log line per state change, backoff, Retry-After.

The store is the InfluxDB 2.x/3.x backend on the fake 2.x server of
tests/store/fake_influx2.py (no real 2.x can run here; see there): it is the only peer that
can answer 429 with Retry-After or switch from 503 to 401 on cue. The real InfluxDB 1.x
with a wrong password is tests/integration/test_store_outage.py.
"""

from __future__ import annotations

import logging
import threading
import time

import pytest

import collector.writer as writer_module
from collector.spool import Spool
from collector.writer import Writer
from store import open_store
from tests.services import free_port, wait_until
from tests.store.fake_influx2 import FakeInfluxDB2, serving, url

fake = pytest.fixture(serving, name="fake")

T0 = 1_795_000_000 * 10**9


def spooled(tmp_path, n: int = 10) -> Spool:
    spool = Spool(tmp_path / "s.db")
    spool.append_lines([f"energy,point=m value={i}.0 {T0 + i}" for i in range(n)])
    return spool


def run(writer: Writer) -> threading.Thread:
    thread = threading.Thread(target=writer.run, kwargs={"drain_timeout": 0.5}, daemon=True)
    thread.start()
    return thread


def writes(fake: FakeInfluxDB2) -> int:
    return sum(r["path"] == "/api/v2/write" for r in fake.requests)


def test_one_line_per_state_change_a_reminder_and_one_when_back(tmp_path, fake, caplog):
    spool = spooled(tmp_path)
    writer = Writer(spool, open_store(url(fake)), max_backoff=0.05)
    fake.fail_with = 503
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        thread = run(writer)
        wait_until(lambda: writer.stats.outage and writer.stats.outage.attempts >= 5, 10,
                   "retries on 503")
        fake.fail_with, fake.fail_body = 401, {"code": "unauthorized", "message": "no"}
        wait_until(lambda: writer.stats.outage.cause == "auth", 10, "the cause to change")
        attempts = writer.stats.outage.attempts
        writer._reminded -= writer_module.REMIND_EVERY_S  # ten minutes later, as it were
        wait_until(lambda: writer.stats.outage.attempts >= attempts + 3, 10, "more retries")
        fake.fail_with = None
        wait_until(lambda: spool.depth == 0, 10, "the drain")
        writer.stop()
        thread.join(5)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "unavailable (server_error)" in m]) == 1
    assert len([m for m in messages if "unavailable (auth)" in m]) == 1
    (reminder,) = [m for m in messages if "min now" in m]
    assert "(auth)" in reminder and "10 readings wait in the spool" in reminder
    assert len([m for m in messages if "is back after" in m]) == 1
    assert writes(fake) >= 9  # many attempts, still only the four lines above
    assert spool.dead_letters() == []


def test_the_writer_waits_as_long_as_retry_after_says(tmp_path, fake):
    spool = spooled(tmp_path)
    writer = Writer(spool, open_store(url(fake)), max_backoff=0.05)
    fake.fail_with, fake.fail_headers = 429, {"Retry-After": "1"}
    thread = run(writer)
    time.sleep(2.5)
    attempts = writes(fake)
    fake.fail_with = None
    wait_until(lambda: spool.depth == 0, 10, "the drain")
    writer.stop()
    thread.join(5)
    assert 2 <= attempts <= 4  # 1 s apart, not every 0.05 s
    assert writer.stats.requests == writes(fake)


def test_requests_are_bounded_by_the_backoff_while_the_store_refuses(tmp_path):
    """The 401-storm figure of bench/README.md in small: attempts double their spacing."""
    store = open_store(f"influxdb1://civicwatt:pw@127.0.0.1:{free_port()}/db")
    writer = Writer(spooled(tmp_path), store, max_backoff=0.4)
    thread = run(writer)
    time.sleep(3.0)
    attempts = writer.stats.requests
    writer.stop()
    thread.join(5)
    # at 0, 0.25, 0.65, 1.05, ... s (0.25 s doubling to 0.4 s): 9 in 3 s, never a busy loop
    assert 4 <= attempts <= 10
    assert writer.stats.outage.cause == "network"


def test_a_line_sqlite_cannot_hold_is_dead_lettered_not_retried_forever(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool.append_lines(["energy,point=m value=1.0 1", "energy,point=m value=nan 2",
                        "energy,point=m value=3.0 3"])
    store = open_store(f"sqlite://{tmp_path}/store.db")
    writer = Writer(spool, store)
    assert writer.drain_once() == 3
    (dead,) = spool.dead_letters()
    assert dead.payload == b"energy,point=m value=nan 2" and "not finite" in dead.detail
    assert store.read_raw("energy", 0, 10).value.tolist() == [1.0, 3.0]


def test_an_unexpected_error_is_logged_once_with_its_traceback(tmp_path, caplog):
    class Broken:
        description = "broken://"

        def write_lines(self, body: bytes) -> None:
            raise RuntimeError("a bug")

    writer = Writer(spooled(tmp_path), Broken(), max_backoff=0.01)
    with caplog.at_level(logging.ERROR, logger="collector.writer"):
        thread = run(writer)
        wait_until(lambda: writer.stats.outage and writer.stats.outage.attempts >= 5, 10,
                   "retries")
        writer.stop()
        thread.join(5)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    assert writer.stats.outage.cause == "internal" and "RuntimeError: a bug" in \
        writer.stats.last_error
    assert writer.spool.depth == 10
