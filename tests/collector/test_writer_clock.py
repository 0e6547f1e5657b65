"""The writer on a test clock: the log line of each state change (outage, change of cause,
reminder, recovery, refused lines), the latency it counts, how it polls an empty spool, and how
it stops while the store is down (written for survivors of mutation testing, see
tests/MUTATION.md).

`collector.writer.time` is replaced by `Clock`, which moves only when the writer sleeps or a
write takes time, so every timing is exact and no test waits in real time. Spool and store are
real SQLite files; `Flaky` wraps the SQLite store to be unavailable with a chosen cause and to
take a chosen time per write (a real SQLite store cannot be made to fail with an HTTP cause on
demand; the real outages are in test_writer_outage.py and tests/integration).
"""

from __future__ import annotations

import logging
import threading
from time import localtime, strftime

import pytest

import collector.writer as writer_module
from collector.spool import Spool
from collector.writer import Writer
from store import open_store
from store.errors import CAUSES, StoreUnavailable

T0 = 1_795_000_000 * 10**9


class Clock:
    """Stands in for the `time` module in collector.writer."""

    def __init__(self) -> None:
        self.now = 1_795_000_000.0  # wall clock, epoch s
        self.mono = 5_000.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.mono

    perf_counter = monotonic

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        self.mono += seconds

    strftime = staticmethod(strftime)
    localtime = staticmethod(localtime)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(writer_module, "time", fake)
    return fake


class Flaky:
    """The SQLite store, unavailable with cause `down` while it is set; each write costs
    `cost` seconds of the clock; `retry_after` is sent with each failure."""

    def __init__(self, tmp_path, clock: Clock, cost: float = 0.0) -> None:
        self.inner = open_store(f"sqlite://{tmp_path}/store.db")
        self.description = self.inner.description
        self.clock, self.cost = clock, cost
        self.down: str | None = None
        self.retry_after: float | None = None
        self.script: list[str | None] = []  # causes for the next attempts, then `down`
        self.attempts = 0
        self.sizes: list[int] = []  # readings per write request

    def write(self, rows) -> None:
        self.attempts += 1
        self.sizes.append(len(rows))
        self.clock.advance(self.cost)
        down = self.script.pop(0) if self.script else self.down
        if down:
            raise StoreUnavailable(f"{down} failure", down, self.retry_after)
        self.inner.write(rows)


class ClockWaits(threading.Event):
    """The writer's stop or wake event: each wait moves the clock and is recorded; `then`
    is called after each wait with the seconds since the first wait began."""

    def __init__(self, clock: Clock, then) -> None:
        super().__init__()
        self.clock, self.then, self.seen = clock, then, []
        self.start = clock.mono

    def wait(self, timeout: float | None = None) -> bool:
        self.seen.append(timeout)
        self.clock.advance(timeout)
        self.then(self.clock.mono - self.start)
        return self.is_set()


def spooled(tmp_path, *batches: list[str]) -> Spool:
    spool = Spool(tmp_path / "s.db")
    for lines in batches:
        assert spool.append_lines(lines)
    return spool


def messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "collector.writer"]


def test_latency_adds_up_each_write_in_milliseconds(tmp_path, clock):
    store = Flaky(tmp_path, clock, cost=0.02)
    spool = spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"],
                    [f"energy,point=m value=2.0 {T0 + 1}"])
    writer = Writer(spool, store, batch_lines=1)
    assert writer.drain_once() == 1 and writer.drain_once() == 1
    assert writer.stats.latency_ms_total == pytest.approx(40.0, abs=1e-6)
    assert writer.stats.batches == 2 and writer.stats.written == 2


def test_bad_lines_in_both_halves_are_all_dead_lettered_and_logged(tmp_path, caplog):
    nan0, nan2 = (f"energy,point=m value=nan {T0 + i}" for i in (0, 2))
    spool = spooled(tmp_path, [nan0, f"energy,point=m value=2.0 {T0 + 1}", nan2,
                               f"energy,point=m value=4.0 {T0 + 3}"])
    store = open_store(f"sqlite://{tmp_path}/store.db")
    writer = Writer(spool, store)
    with caplog.at_level(logging.WARNING, logger="collector.writer"):
        assert writer.drain_once() == 4
    dead = spool.dead_letters()
    assert sorted(d.payload for d in dead) == [nan0.encode(), nan2.encode()]
    assert all("not finite" in d.detail for d in dead)
    assert store.read_raw("energy", T0, T0 + 10).value.tolist() == [2.0, 4.0]
    assert (writer.stats.written, writer.stats.dead, spool.depth) == (2, 2, 0)
    logged = messages(caplog)
    assert logged[0].startswith("store refused a batch of 4 readings (energy,point=m at ")
    assert logged[0].endswith("not finite; the store cannot hold NaN or infinity); "
                              "bisecting to find the bad line(s)")
    refused = [m for m in logged if m.startswith("store refused line ")]
    assert refused == [f"store refused line {line.encode()!r}: energy,point=m at {T0 + i}: "
                       "field values {'value': nan} are not finite; the store cannot hold "
                       "NaN or infinity; moved to dead-letter"
                       for i, line in ((0, nan0), (2, nan2))]
    # a later batch of one bad line: the count goes on, the reason is the store's own
    assert spool.append_lines([f"energy,point=m value=inf {T0 + 5}"])
    assert writer.drain_once() == 1
    assert writer.stats.dead == 3 and writer.stats.written == 2
    last = [d for d in spool.dead_letters() if b"inf" in d.payload]
    assert len(last) == 1 and "not finite" in last[0].detail


def test_the_log_shows_the_first_200_bytes_of_a_long_refused_line(tmp_path, caplog):
    line = f"energy,point={'m' * 300} value=nan {T0}"
    writer = Writer(spooled(tmp_path, [line]), open_store(f"sqlite://{tmp_path}/store.db"))
    with caplog.at_level(logging.WARNING, logger="collector.writer"):
        assert writer.drain_once() == 1
    (refused,) = [m for m in messages(caplog) if m.startswith("store refused line ")]
    assert refused.startswith(f"store refused line {line.encode()[:200]!r}: ")


def test_an_outage_logs_its_start_cause_changes_reminders_and_end(tmp_path, clock, caplog):
    """Every attempt is 60 s apart (Retry-After 60); auth fails for 21 minutes, then the
    server errors for 11 minutes, then the store is back: six lines in 32 minutes."""
    store = Flaky(tmp_path, clock)
    store.down, store.retry_after = "auth", 60.0
    writer = Writer(spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"]), store,
                    max_backoff=60.0)
    errors: list[str] = []

    def then(elapsed: float) -> None:
        errors.append(writer.stats.last_error)
        if elapsed == 1260:
            store.down = "server_error"
        if elapsed == 1920:
            store.down = None
            writer._stop.set()

    writer._stop = ClockWaits(clock, then)
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        writer.run(drain_timeout=0.0)
    what = f"store {store.description} unavailable"
    assert messages(caplog) == [
        f"{what} (auth): auth failure; keeping 1 readings in the spool and retrying with "
        f"backoff up to 60 s: {CAUSES['auth']}",
        f"{what} for 10 min now (auth), 11 attempts; 1 readings wait in the spool",
        f"{what} for 20 min now (auth), 21 attempts; 1 readings wait in the spool",
        f"{what} (server_error): server_error failure; keeping 1 readings in the spool and "
        f"retrying with backoff up to 60 s: {CAUSES['server_error']}",
        f"{what} for 31 min now (server_error), 11 attempts; 1 readings wait in the spool",
        # logged after the first batch landed: what is still waiting (here nothing)
        f"store {store.description} is back after 1920 s (server_error, 11 attempts); "
        "draining 0 readings",
    ]
    assert errors[0] == "auth failure" and errors[-1] == "server_error failure"
    assert writer._stop.seen == [60.0] * 32
    assert writer.stats.store_ok and writer.stats.written == 1 and store.attempts == 33


def test_a_failing_writer_logs_the_traceback_once_and_names_no_store_cause(tmp_path, clock,
                                                                           caplog):
    store = Flaky(tmp_path, clock)
    store.write = lambda rows: (_ for _ in ()).throw(RuntimeError("boom"))
    writer = Writer(spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"]), store)
    writer._stop = ClockWaits(clock, lambda elapsed: elapsed >= 0.75 and writer._stop.set())
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        writer.run(drain_timeout=10.0)
    records = [r for r in caplog.records if r.name == "collector.writer"]
    assert records[0].getMessage() == "writer failed; retrying with backoff"
    assert [r for r in records if r.exc_info] == [records[0]]
    assert "RuntimeError: boom" in caplog.text
    assert records[1].getMessage() == (
        "the spool writer is failing (internal): RuntimeError: boom; keeping 1 readings in "
        "the spool and retrying with backoff up to 30 s: see the error")
    # the stop came while failing: run returned at once instead of waiting 10 s
    assert writer._stop.seen == [0.25, 0.5] and writer.stats.outage.attempts == 3


def test_stop_while_the_store_is_down_retries_until_the_drain_timeout(tmp_path, clock,
                                                                      caplog):
    """Each attempt takes 0.5 s; the sleeps between them are the backoff, cut to what is
    left of the default 10 s: 0.25, 0.5, 1, 2, then 3.75 (not 4) to reach the deadline,
    an attempt exactly at the deadline, then none."""
    store = Flaky(tmp_path, clock, cost=0.5)
    store.down = "network"
    spool = spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"])
    writer = Writer(spool, store)
    writer.stop()
    start = clock.mono
    with caplog.at_level(logging.INFO, logger="collector.writer"):
        writer.run()
    assert clock.slept == [0.25, 0.5, 1.0, 2.0, 3.75, 0.0]
    assert store.attempts == 6 and clock.mono - start == 10.5
    assert messages(caplog)[-1] == (
        f"stopping with 1 readings still in the spool {spool.path}; they are safe and will be "
        "written on the next start")
    assert spool.depth == 1


def test_backoff_starts_again_at_a_quarter_second_after_a_write_succeeds(tmp_path, clock):
    store = Flaky(tmp_path, clock, cost=0.01)
    spool = spooled(tmp_path, [f"energy,point=m value=1.0 {T0}"],
                    [f"energy,point=m value=2.0 {T0 + 1}"])
    writer = Writer(spool, store, batch_lines=1)
    store.script, store.down = ["server_error"] * 3 + [None], "server_error"  # 4th lands
    writer._stop = ClockWaits(clock, lambda elapsed: len(writer._stop.seen) == 5
                              and writer._stop.set())
    writer.run(drain_timeout=0.0)
    assert writer._stop.seen == [0.25, 0.5, 1.0, 0.25, 0.5]
    assert writer.stats.written == 1 and spool.depth == 1


def test_an_empty_spool_is_polled_every_50_ms_and_a_stop_returns_at_once(tmp_path, clock):
    writer = Writer(Spool(tmp_path / "s.db"), Flaky(tmp_path, clock))
    # each poll moves the clock by its wait; the third one asks the writer to stop
    writer._wake = ClockWaits(clock, lambda elapsed: len(writer._wake.seen) == 3
                              and writer._stop.set())
    thread = threading.Thread(target=writer.run, daemon=True)  # default 10 s drain timeout
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    assert writer._wake.seen == [0.05, 0.05, 0.05]
    # no write, no backoff sleep, no waiting out the drain timeout: 3 polls of 50 ms
    assert writer.stats.requests == 0 and clock.slept == []
    assert clock.mono == pytest.approx(5_000.15)


def test_a_default_request_carries_at_most_50000_readings(tmp_path, clock):
    """Batches are whole spool transactions: 50,000 then 1 go as two requests."""
    store = Flaky(tmp_path, clock)
    store.down = "server_error"  # records the request without writing 50,000 rows
    spool = spooled(tmp_path, [f"energy,point=m value=1.0 {T0 + i}" for i in range(50_000)],
                    [f"energy,point=m value=2.0 {T0 + 50_000}"])
    with pytest.raises(StoreUnavailable):
        Writer(spool, store).drain_once()
    assert store.sizes == [50_000] and spool.depth == 50_001
