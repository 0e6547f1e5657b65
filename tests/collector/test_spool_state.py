"""The spool's bounded dead-letter table (held overflow) and the late-data state tables."""

from __future__ import annotations

import logging
import sqlite3

import pytest

from collector.spool import Spool
from collector.spool_state import MERGE_GAP_NS
from collector.writer import Writer
from store import open_store

T0 = 1_795_000_000 * 10**9
HOUR = 3600 * 10**9


def lines(n: int, start: int = 0, t0: int = T0) -> list[str]:
    return [f"energy,point=p{i % 7},site=s value={i}.25 {t0 + i * 10**9}"
            for i in range(start, start + n)]


def bad(n: int) -> list[tuple]:
    return [(T0 + i, "a/b", b"x%d" % i, "non_numeric", "not a number") for i in range(n)]


def test_good_readings_keep_flowing_when_the_dead_letter_table_is_full(tmp_path):
    spool = Spool(tmp_path / "s.db", capacity=1000, dead_capacity=3)
    assert spool.append_lines(lines(10), bad(2))
    assert not spool.dead_full and spool.held == 0
    assert spool.append_lines(lines(10, 10), bad(4))  # 1 fits, 3 are held: nothing blocks
    assert (spool.dead, spool.held, spool.depth, spool.dead_full) == (3, 3, 20, True)
    assert spool.append_lines(lines(10, 20), bad(1))
    again = Spool(tmp_path / "s.db", capacity=1000, dead_capacity=3)
    assert (again.dead, again.held, again.depth) == (3, 4, 30)  # counted from the file
    rows = again.dead_letters(limit=None)
    assert [r.held for r in rows] == [0, 0, 0, 1, 1, 1, 1]  # oldest under the cap


def test_held_messages_use_the_spools_capacity_so_the_broker_holds_the_rest(tmp_path):
    spool = Spool(tmp_path / "s.db", capacity=10, dead_capacity=1)
    assert spool.append_lines(lines(5), bad(1))
    assert not spool.append_lines(lines(1, 5), bad(6))  # 5 + 1 + 5 held > 10: refused whole
    assert (spool.depth, spool.dead, spool.held) == (5, 1, 0)
    assert spool.append_lines(lines(1, 5), bad(4))  # 6 readings + 4 held = 10: fits
    assert (spool.depth, spool.held) == (6, 4)


def test_store_refused_lines_never_push_the_table_past_its_cap(tmp_path):
    spool = Spool(tmp_path / "s.db", dead_capacity=2)
    spool.append_lines(lines(4))
    spool.delete(spool.peek(10), [(b"bad %d" % i, "HTTP 400: unable to parse") for i in range(5)])
    assert (spool.depth, spool.dead, spool.held) == (0, 2, 3)
    count = sqlite3.connect(tmp_path / "s.db").execute(
        "SELECT count(*) FROM dead_letters WHERE held = 0").fetchone()[0]
    assert count == 2


def test_purge_frees_places_that_the_oldest_held_rows_take(tmp_path):
    spool = Spool(tmp_path / "s.db", dead_capacity=3)
    old = [(T0 + i, "a", b"old", "too_old", "d") for i in range(3)]
    spool.append_lines([], old)
    spool.append_lines([], [(T0 + 10 * HOUR + i, "a", b"new%d" % i, "too_old", "d")
                            for i in range(4)])
    assert (spool.dead, spool.held) == (3, 4)
    assert spool.count_dead(before_ns=T0 + HOUR) == 3
    assert spool.purge_dead(T0 + HOUR, chunk=2) == 3
    assert (spool.dead, spool.held) == (3, 1)
    rows = spool.dead_letters(limit=None)
    assert [r.payload for r in rows] == [b"new0", b"new1", b"new2", b"new3"]
    assert [r.held for r in rows] == [0, 0, 0, 1]


def test_purge_by_reason_leaves_the_others(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool.append_lines([], [(T0, "a", b"1", "too_old", "d"), (T0, "a", b"2", "future", "d")])
    assert spool.purge_dead(T0 + 1, reason="future") == 1
    assert [r.reason for r in spool.dead_letters()] == ["too_old"]
    assert spool.purge_dead(T0) == 0  # received at T0 is not before T0


def test_a_spool_from_before_the_cap_is_migrated(tmp_path):
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE batches (id INTEGER PRIMARY KEY, n INTEGER NOT NULL, lines BLOB NOT NULL,
            created_ns INTEGER NOT NULL);
        CREATE TABLE dead_letters (id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL,
            source TEXT NOT NULL, topic TEXT, payload BLOB NOT NULL, reason TEXT NOT NULL,
            detail TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
            updated_ns INTEGER NOT NULL);
        INSERT INTO dead_letters VALUES (1, 5, 'mqtt', 't', x'00', 'bad_json', 'd', 0, 5);
        INSERT INTO batches VALUES (1, 2, CAST('a v=1 1' || char(10) || 'a v=2 2' AS BLOB), 1);
    """)
    db.commit()
    db.close()
    spool = Spool(path, create=False)
    assert (spool.depth, spool.dead, spool.held) == (2, 1, 0)
    assert spool.dead_letters()[0].held == 0


def test_only_a_spool_is_opened_without_create(tmp_path):
    from collector.spool import SpoolError

    store = tmp_path / "civicwatt.db"
    open_store(f"sqlite://{store}").close()
    before = store.read_bytes()
    with pytest.raises(SpoolError) as caught:
        Spool(store, create=False)
    assert str(caught.value) == (
        f"spool {store}: an SQLite file but not a civicwatt spool (no batches or dead_letters "
        "table); give the spool file (service.spool in the site config, default spool.db next "
        "to it), not the store")
    assert store.read_bytes() == before  # no spool tables slipped into the store
    (tmp_path / "notes.txt").write_text("hello, not a database at all" * 100)
    with pytest.raises(SpoolError) as caught:
        Spool(tmp_path / "notes.txt", create=False)
    assert str(caught.value).startswith(f"spool {tmp_path / 'notes.txt'}: not an SQLite file (")
    assert str(caught.value).endswith("); give the spool file (service.spool in the site "
                                      "config, default spool.db next to it)")
    with pytest.raises(SpoolError, match="no such spool file"):
        Spool(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


# -- late data -------------------------------------------------------------------------
def test_mark_dirty_merges_close_ranges_of_one_reason_and_keeps_others_apart(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool.mark_dirty(T0, T0 + HOUR, "late")
    spool.mark_dirty(T0 + HOUR + MERGE_GAP_NS, T0 + 3 * HOUR, "late")  # just close enough
    spool.mark_dirty(T0, T0 + 10, "import")
    spool.mark_dirty(T0 + 3 * HOUR + MERGE_GAP_NS + 1, T0 + 9 * HOUR, "late")  # too far
    got = [(r.start_ns, r.end_ns, r.reason) for r in spool.dirty_ranges()]
    assert got == [(T0, T0 + 3 * HOUR, "late"), (T0, T0 + 10, "import"),
                   (T0 + 3 * HOUR + MERGE_GAP_NS + 1, T0 + 9 * HOUR, "late")]
    with pytest.raises(ValueError, match="empty"):
        spool.mark_dirty(T0, T0, "late")


def test_clear_dirty_keeps_a_row_extended_after_it_was_read(tmp_path):
    spool = Spool(tmp_path / "s.db")
    spool.mark_dirty(T0, T0 + HOUR, "late")
    spool.mark_dirty(T0 + 5 * HOUR, T0 + 6 * HOUR, "import")
    read = spool.dirty_ranges()
    spool.mark_dirty(T0 + 5 * HOUR, T0 + 7 * HOUR, "import")  # the writer, meanwhile
    spool.clear_dirty(read)
    assert [(r.start_ns, r.end_ns) for r in spool.dirty_ranges()] == [(T0 + 5 * HOUR,
                                                                       T0 + 7 * HOUR)]


def test_watermark_and_metered_days_only_move_forward(tmp_path):
    spool = Spool(tmp_path / "s.db")
    assert spool.watermark() == 0 and spool.metered_days() == {}
    spool.raise_watermark(9)
    spool.raise_watermark(10)  # "10" < "9" as text: compared as integers
    assert spool.watermark() == 10
    spool.raise_watermark(T0)
    spool.raise_watermark(T0 - HOUR)
    assert spool.watermark() == T0
    spool.mark_metered(["2026-11-01", "2026-11-02"], 200)
    spool.mark_metered(["2026-11-02"], 100)
    assert spool.metered_days() == {"2026-11-01": 200, "2026-11-02": 200}


def test_the_writer_marks_late_readings_dirty_in_the_commit_that_deletes_them(tmp_path):
    spool = Spool(tmp_path / "s.db")
    store = open_store(f"sqlite://{tmp_path}/store.db")
    writer = Writer(spool, store)
    spool.append_lines(lines(10))
    writer.drain_once()
    assert spool.dirty_ranges() == []  # no metering yet: nothing can be late
    spool.raise_watermark(T0 + 100 * 10**9)
    spool.append_lines(lines(5, 200))  # after the watermark: the regular run meters them
    writer.drain_once()
    assert spool.dirty_ranges() == []
    spool.append_lines([*lines(3, 300), *lines(4, 50)])  # four of them older than it
    writer.drain_once()
    (late,) = spool.dirty_ranges()
    assert (late.start_ns, late.end_ns, late.reason) == (T0 + 50 * 10**9,
                                                         T0 + 53 * 10**9 + 1, "late")
    assert spool.depth == 0


def test_the_80_percent_warning_counts_held_messages_and_is_said_once(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", capacity=10, dead_capacity=1)
    with caplog.at_level(logging.WARNING, logger="collector.spool"):
        assert spool.append_lines(lines(5), bad(4))  # 5 readings + 3 held = 80 %: warn
        assert spool.append_lines(lines(1, 5))  # 90 %: no second warning
    warnings = [r.getMessage() for r in caplog.records if "% full" in r.getMessage()]
    assert warnings == [f"spool {tmp_path / 's.db'} is 80% full (5 of 10 readings): the store is "
                        "not keeping up or is down; at 100% collectors stop acknowledging and "
                        "the broker holds the backlog"]


def test_the_dead_letter_table_filling_up_is_logged_once_with_what_to_do(tmp_path, caplog):
    spool = Spool(tmp_path / "s.db", dead_capacity=1)
    with caplog.at_level(logging.ERROR, logger="collector.spool"):
        spool.append_lines([], bad(2))
        spool.append_lines([], bad(2))
    (error,) = [r.getMessage() for r in caplog.records]
    path = tmp_path / "s.db"
    assert error == (f"dead-letter table of spool {path} is full (1 rows): further bad messages "
                     "are held in the spool (good readings keep flowing); export and purge: "
                     f"civicwatt deadletter export --spool {path} --out FILE, then deadletter "
                     "purge --before DATE --yes")


def test_held_messages_count_against_the_room_even_for_an_empty_spool(tmp_path):
    spool = Spool(tmp_path / "s.db", capacity=10, dead_capacity=1)
    assert spool.append_lines(lines(5), bad(6))  # 5 readings, 5 held: full
    assert not spool.append_lines(lines(1, 5))
    spool.delete(spool.peek(100))  # the store took the readings; the held ones stay
    assert (spool.depth, spool.held) == (0, 5)
    assert not spool.append_lines(lines(6, 10))  # 5 held + 6 > 10, even though none wait
    assert spool.append_lines(lines(5, 10))


def test_a_failed_append_rolls_back_and_the_spool_keeps_working(tmp_path):
    from collector.spool import SpoolError

    spool = Spool(tmp_path / "s.db")
    with pytest.raises(SpoolError, match="append failed"):
        spool.append_lines(lines(3), [(T0, "t", b"x", None, "reason missing")])  # NOT NULL
    assert spool.append_lines(lines(2, 10))
    assert Spool(tmp_path / "s.db").depth == 2 and spool.dead_letters() == []


def test_the_modbus_sink_keeps_the_configured_cap_and_says_when_there_is_room(tmp_path):
    from collector.spool import SpoolSink

    sink = SpoolSink(tmp_path / "s.db", capacity=3, dead_capacity=7)
    assert Spool(tmp_path / "s.db", create=False).dead_capacity == 7
    assert sink.has_room(4)  # an empty spool takes any one batch
    sink.spool.append_lines(lines(1))
    assert sink.has_room(2) and not sink.has_room(3)
    sink.spool.append_lines(lines(2, 1))
    assert not sink.has_room()
