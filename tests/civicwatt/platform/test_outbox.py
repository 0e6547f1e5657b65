"""The durable outbox: what is pending, acked, refused or re-metered survives a reopen."""

from __future__ import annotations

from civicwatt.platform.hourly import HOUR_NS, Hour
from civicwatt.platform.outbox import Outbox

T0 = 1_772_380_800 * 10**9  # an hour start


def hour(i: int, value: str = "1", building: str = "b1") -> Hour:
    return Hour(building, T0 + i * HOUR_NS, {"01000": value}, True, ())


def test_an_offered_hour_is_pending_until_acked_and_stays_acked_after_a_reopen(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    assert len(box.offer([hour(1), hour(0), hour(2)])) == 3
    pending = box.pending("b1")
    assert [p.hour_ns for p in pending] == [T0, T0 + HOUR_NS, T0 + 2 * HOUR_NS]  # oldest first
    assert not any(p.retry for p in pending)
    seq = box.reserve(pending[0])
    box.acked(pending[0], seq, "report")
    box.close()
    box = Outbox(tmp_path / "spool.db")
    assert [p.hour_ns for p in box.pending("b1")] == [T0 + HOUR_NS, T0 + 2 * HOUR_NS]
    assert box.offer([hour(0), hour(1), hour(2)]) == []  # same values: nothing changes
    [status] = box.status(["b1"])
    assert (status.hours, status.acked, status.pending, status.refused) == (3, 1, 2, 0)
    assert status.last_acked_hour_ns == T0


def test_a_hour_sent_but_not_acked_comes_back_as_a_retry(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0)])
    [p] = box.pending("b1")
    box.reserve(p)  # sent; the connection dropped before the ack
    [again] = Outbox(tmp_path / "spool.db").pending("b1")
    assert again.retry and again.sends == 1


def test_a_re_metered_hour_is_pending_again_and_marked_as_such(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0, "10")])
    [p] = box.pending("b1")
    box.acked(p, box.reserve(p), "report")
    assert box.offer([hour(0, "10.5")]) == [hour(0, "10.5")]
    [again] = box.pending("b1")
    assert again.items == {"01000": "10.5"} and again.was_acked and again.retry
    [status] = box.status(["b1"])
    assert (status.acked, status.pending, status.changed) == (0, 1, 1)


def test_an_ack_for_values_that_changed_in_flight_leaves_the_new_values_pending(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0, "10")])
    [sent] = box.pending("b1")
    box.offer([hour(0, "11")])  # re-metered while the packet was on its way
    box.acked(sent, box.reserve(sent), "report")
    [left] = box.pending("b1")
    assert left.items == {"01000": "11"}


def test_a_refused_hour_is_kept_not_resent_until_its_values_change(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0, "-5")])
    [p] = box.pending("b1")
    box.refused(p, box.reserve(p))
    assert box.pending("b1") == []
    assert box.refused_in(T0, T0 + HOUR_NS) == 1
    box.offer([hour(0, "5")])
    assert [q.items for q in box.pending("b1")] == [{"01000": "5"}]


def test_resend_makes_acked_and_refused_hours_of_a_range_pending(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0), hour(1), hour(2)])
    a, b, c = box.pending("b1")
    box.acked(a, box.reserve(a), "report")
    box.refused(b, box.reserve(b))
    assert box.resend("b1", T0, T0 + 2 * HOUR_NS) == 2
    assert [p.hour_ns for p in box.pending("b1")] == [a.hour_ns, b.hour_ns, c.hour_ns]


def test_sequences_never_repeat_across_reopens_and_start_from_the_clock(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0)])
    [p] = box.pending("b1")
    first = [box.reserve(p) for _ in range(3)]
    box.close()
    box = Outbox(tmp_path / "spool.db")
    again = box.reserve(p)
    assert box.pending("b1")[0].sends == 4
    assert first == sorted(set(first)) and again == first[-1] + 1
    assert first[0] > 1_700_000_000_000  # epoch ms: a lost state file does not reuse numbers
    assert len(str(again)) <= 20


def test_buildings_are_kept_apart(tmp_path):
    box = Outbox(tmp_path / "spool.db")
    box.offer([hour(0, building="b1"), hour(0, building="b2")])
    assert len(box.pending("b1")) == len(box.pending("b2")) == 1
