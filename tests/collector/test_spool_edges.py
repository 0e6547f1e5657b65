"""The spool at its edges: where it is created, how long it waits for a lock, its warnings,
the dead-letter cap, and its errors (written for survivors of mutation testing, see
tests/MUTATION.md; real SQLite files throughout)."""

import logging
import sqlite3

import pytest

from collector.spool import CACHE_KIB, Spool, SpoolError, SpoolSink

T0 = 1_795_000_000 * 10**9


def lines(n: int, start: int = 0) -> list[str]:
    return [f"energy,point=p{i % 7},site=s value={i}.25 {T0 + i}" for i in range(start, start + n)]


def bad(n: int) -> list[tuple]:
    return [(T0 + i, "t/x", b"{", "bad_json", "not JSON") for i in range(n)]


def test_a_spool_in_a_folder_that_does_not_exist_yet_is_created_with_its_parents(tmp_path):
    spool = Spool(tmp_path / "var" / "lib" / "civicwatt" / "spool.db")
    assert spool.append_lines(lines(3))
    assert Spool(tmp_path / "var" / "lib" / "civicwatt" / "spool.db").depth == 3


def test_the_spool_is_fully_synchronous_and_waits_for_another_process_lock(tmp_path):
    """A power cut after a commit keeps the commit (FULL = 2), and a writer holding the file
    for a few seconds (the store's WAL checkpoint, a deadletter purge) is waited for."""
    spool = Spool(tmp_path / "s.db")
    assert spool._db.execute("PRAGMA synchronous").fetchone()[0] == 2
    assert spool._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert spool._db.execute("PRAGMA busy_timeout").fetchone()[0] >= 30_000


def test_every_spool_connection_caps_its_page_cache(tmp_path):
    """Several connections share the file (consumer, writer, monitor, poller): each keeps at
    most CACHE_KIB of pages, however deep the spool grows during a store outage."""
    first, second = Spool(tmp_path / "s.db"), Spool(tmp_path / "s.db")
    assert first.append_lines(lines(20_000))
    for spool in (first, second):
        assert spool._db.execute("PRAGMA cache_size").fetchone()[0] == -CACHE_KIB
        spool.refresh()
        assert spool.depth == 20_000
    assert CACHE_KIB <= 512


def test_a_lock_held_past_the_timeout_is_a_spool_error_and_nothing_is_written(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool._db.execute("PRAGMA busy_timeout = 50")  # the 30 s wait, shortened for the test
    other = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(SpoolError, match=r"s\.db: append failed: database is locked"):
        spool.append_lines(lines(2))
    other.execute("ROLLBACK")
    assert spool.append_lines(lines(2))  # the connection is usable again, not stuck in a
    assert Spool(tmp_path / "s.db").depth == 2  # half-open transaction


def test_a_spool_that_cannot_be_opened_says_where_and_what_to_do(tmp_path):
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(SpoolError) as caught:
        Spool(tmp_path / "dir.db")
    message = str(caught.value)
    assert f"spool {tmp_path / 'dir.db'}: cannot open:" in message
    assert "check the path is a writable file" in message
    assert "only after `civicwatt deadletter list` shows nothing you need" in message


def test_has_room_by_default_asks_for_one_reading(tmp_path):
    sink = SpoolSink(tmp_path / "s.db", capacity=10)
    assert sink.spool.append_lines(lines(9))
    assert sink.has_room()
    assert not sink.has_room(2)


def test_room_for_readings_alone_ignores_a_full_dead_letter_table(tmp_path):
    spool = Spool(tmp_path / "s.db", capacity=10, dead_capacity=1)
    assert spool.append_lines(lines(8), dead=bad(1))
    assert spool.dead_full and spool.held == 0
    assert spool.room_for(2)  # readings only: the full dead-letter table takes nothing
    assert not spool.room_for(2, dead=1)  # one more bad message would be held: 11 > 10


def test_reopening_a_spool_already_over_80_percent_warns(tmp_path, caplog):
    assert Spool(tmp_path / "s.db", capacity=10).append_lines(lines(9))
    caplog.clear()  # the first connection's own warning
    with caplog.at_level(logging.WARNING, logger="collector.spool"):
        Spool(tmp_path / "s.db", capacity=10)
    assert "90% full (9 of 10 readings)" in caplog.text


def test_the_80_percent_warning_is_logged_once_until_the_spool_drops_below_70(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", capacity=10)
    with caplog.at_level(logging.WARNING, logger="collector.spool"):
        assert spool.append_lines(lines(8))  # 80 %: warns
        assert spool.append_lines(lines(1, 8))  # 90 %: still the same episode
        spool.refresh()
        assert len(caplog.records) == 1
        spool.delete(spool.peek(1))  # the first batch (8)
        spool.refresh()  # 10 %: the episode is over
        assert spool.append_lines(lines(7, 9))  # 80 % again: a new episode warns
    assert len(caplog.records) == 2


def test_at_exactly_70_percent_the_warning_episode_is_not_over(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", capacity=10)
    with caplog.at_level(logging.WARNING, logger="collector.spool"):
        assert spool.append_lines(lines(1))
        assert spool.append_lines(lines(7, 1))  # 80 %: warns
        spool.delete(spool.peek(1))
        spool.refresh()  # 70 %: hysteresis holds
        assert spool.depth == 7
        assert spool.append_lines(lines(1, 8))  # 80 % again, same episode
    assert len(caplog.records) == 1


def test_a_full_dead_letter_table_is_logged_once_when_holding_starts(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", dead_capacity=2)
    with caplog.at_level(logging.ERROR, logger="collector.spool"):
        assert spool.append_lines([], dead=bad(2))
        assert not caplog.records
        assert spool.append_lines([], dead=bad(1))  # the first held: say so, and how to fix
        assert len(caplog.records) == 1
        assert spool.append_lines([], dead=bad(1))
    assert spool.held == 2
    assert len(caplog.records) == 1
    assert "dead-letter table of spool" in caplog.text
    assert "deadletter export" in caplog.text and "purge --before DATE --yes" in caplog.text
