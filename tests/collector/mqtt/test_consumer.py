"""The consumer's batching without a broker: commit first, then acknowledge, in order.

The session is replaced by a recorder of the PUBACK buffers it is handed (the
real one is exercised against Mosquitto in tests/integration/test_mqtt_acks.py);
the spool is a real SQLite spool.
"""

from __future__ import annotations

import json
import logging
import struct

import pytest

from collector.mqtt.consumer import BATCH_MESSAGES, HOLD_BYTES, Consumer, digest
from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.spool import Spool

NOW_NS = 1_790_000_000 * 10**9
TOPIC = b"site/b1/meter/m1/energy"


class Acks:
    """Stands in for the session: records (gen, packet ids) per ack call."""

    where = "MQTT broker 127.0.0.1:1883"

    def __init__(self, current: int = 1) -> None:
        self.current = current
        self.calls: list[tuple[int, list[int]]] = []

    def ack(self, gen: int, data: bytes) -> bool:
        mids = [word & 0xFFFF for word in struct.unpack(f"!{len(data) // 4}I", data)]
        assert all(word >> 16 == 0x4002 for word in struct.unpack(f"!{len(data) // 4}I", data))
        self.calls.append((gen, mids))
        return gen == self.current

    def is_connected(self) -> bool:
        return True

    def status(self) -> dict:
        return {"state": "connected"}

    @property
    def mids(self) -> list[int]:
        return [m for _, mids in self.calls for m in mids]


def settings(**extra) -> MqttSettings:
    return MqttSettings(client_id="unit", subscriptions=[{
        "filter": "site/+/meter/+/energy",
        "template": "site/{building}/meter/{point}/{quantity}"}], **extra)


@pytest.fixture
def consumer(tmp_path):
    s = settings()
    c = Consumer(s, Decoder(s, site="hq"), Spool(tmp_path / "s.db"))
    c.client = Acks()
    return c


def msg(mid: int, payload: dict | str, *, qos: int = 1, dup: int = 0, topic: bytes = TOPIC,
        stamp: int = NOW_NS):
    body = payload if isinstance(payload, str) else json.dumps(payload)
    return (topic, body.encode(), stamp + mid, mid, qos, dup)


def lines(spool: Spool) -> list[str]:
    return [line for b in spool.peek(10**6) for line in b.lines.decode().split("\n")]


def test_commits_then_acks_every_qos1_message_in_order(consumer):
    spooled = []
    consumer.on_spooled = lambda: spooled.append(len(lines(consumer.spool)))
    consumer._deliver(1, [msg(7, {"value": 1.5, "ts": 1_789_999_000}),
                          msg(3, {"value": 2.5, "ts": 1_789_999_001}),
                          msg(9, {"value": 3.5, "ts": 1_789_999_002}, qos=0)], 0)
    consumer._deliver(1, [msg(4, {"value": 4.5, "ts": 1_789_999_003})], 0)
    assert consumer.flush() == 4
    assert consumer.client.calls == [(1, [7, 3, 4])]  # one buffer, received order, no QoS 0
    assert spooled == [4]  # the writer is told after the commit
    assert lines(consumer.spool) == [
        f"energy,building=b1,point=m1,site=hq value={v} {t * 10**9}"
        for v, t in ((1.5, 1_789_999_000), (2.5, 1_789_999_001), (3.5, 1_789_999_002),
                     (4.5, 1_789_999_003))]
    assert (consumer.stats.received, consumer.stats.accepted) == (4, 4)
    assert consumer.flush() == 0 and len(consumer.client.calls) == 1


def test_counters_add_up_over_batches(consumer):
    consumer._deliver(1, [msg(1, {"value": 1.0}), msg(2, "bad")], 0)
    consumer.flush()
    consumer._deliver(1, [msg(3, {"value": 2.0}), msg(4, "bad"), msg(5, "7.5")], 0)
    consumer.flush()
    stats = consumer.stats
    assert (stats.received, stats.accepted, dict(stats.rejected)) == (5, 3,
                                                                      {"non_numeric": 2})


def test_bad_messages_are_dead_lettered_and_still_acknowledged(consumer):
    consumer._deliver(1, [msg(1, "not json {"), msg(2, {"value": "x"}),
                          msg(3, {"value": 1.0}, topic=b"other/topic")], 0)
    assert consumer.flush() == 0
    assert consumer.client.mids == [1, 2, 3]
    assert consumer.spool.dead_counts() == {"non_numeric": 2, "unknown_topic": 1}
    assert dict(consumer.stats.rejected) == {"non_numeric": 2, "unknown_topic": 1}
    assert consumer.stats.received == 3 and consumer.stats.accepted == 0


def test_each_connection_gets_only_its_own_acks(consumer):
    consumer.client.current = 2
    consumer._deliver(1, [msg(1, {"value": 1.0, "ts": 1_789_999_000})], 0)
    consumer._deliver(2, [msg(1, {"value": 2.0, "ts": 1_789_999_001})], 0)
    consumer.flush()
    assert consumer.client.calls == [(1, [1]), (2, [1])]  # the session drops gen 1's
    assert len(lines(consumer.spool)) == 2  # without a resumed session both are kept


def test_a_resumed_session_drops_what_the_old_connection_did_not_commit(consumer):
    consumer._deliver(1, [msg(5, {"value": 1.0})], 0)  # received, not yet committed
    consumer._on_connected(2, True)  # the broker resumed the session: it will send it again
    consumer._deliver(2, [msg(5, {"value": 1.0}, dup=8)], 8)
    consumer._deliver(2, [msg(6, {"value": 2.0})], 0)
    assert consumer.flush() == 2
    assert consumer.client.calls == [(2, [5, 6])]
    assert len(lines(consumer.spool)) == 2


def test_a_new_session_keeps_the_old_connections_messages(consumer):
    consumer._deliver(1, [msg(5, {"value": 1.0})], 0)
    consumer._on_connected(2, False)  # session lost on the broker: ours is the only copy
    assert consumer.flush() == 1


def test_a_full_spool_acknowledges_nothing_and_keeps_the_messages(tmp_path, caplog):
    s = settings()
    consumer = Consumer(s, Decoder(s), Spool(tmp_path / "s.db", capacity=2))
    consumer.client = Acks()
    consumer.spool.append_lines(["energy,point=x value=1 1", "energy,point=x value=2 2"])
    consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
    consumer._deliver(1, [msg(2, {"value": 2.0})], 0)
    assert consumer.flush() == 0
    full = (f"spool {tmp_path / 's.db'} is full (2 readings): not acknowledging; the broker "
            "holds the backlog until the store catches up")
    assert said(caplog) == [full]  # said when it happens ...
    assert consumer.flush() == 0
    assert consumer.client.calls == [] and consumer.stats.full_waits == 2
    assert said(caplog) == [full]  # ... once, not per batch
    assert len(consumer._pending) == 2 and consumer.stats.received == 0
    consumer.spool.delete(consumer.spool.peek(10))
    with caplog.at_level(logging.INFO):
        assert consumer.flush() == 2
    assert consumer.client.mids == [1, 2]
    assert said(caplog)[-1] == "spool has room again; acknowledging"
    assert consumer._full is False


def test_a_burst_is_spooled_in_bounded_transactions_and_acked_in_order(consumer):
    burst = [[msg(k, {"value": float(k), "ts": 1_789_000_000 + k}) for k in range(i, i + 3000)]
             for i in range(1, 12_001, 3000)]
    for chunk in burst:
        consumer._deliver(1, chunk, 0)
    assert consumer.flush() == 12_000
    sizes = [b.n for b in consumer.spool.peek(10**6)]
    assert sizes == [6000, 6000]  # BATCH_MESSAGES reached within the second socket read
    assert all(n < BATCH_MESSAGES + 3000 for n in sizes)
    assert consumer.client.mids == list(range(1, 12_001))
    assert consumer._held == [0, 0] and consumer.has_room()


def test_a_transaction_takes_exactly_batch_messages_when_they_come_one_by_one(consumer):
    for k in range(1, BATCH_MESSAGES + 2):
        consumer._deliver(1, [msg(k, {"value": float(k), "ts": 1_789_000_000 + k})], 0)
    assert consumer.flush() == BATCH_MESSAGES + 1
    assert [b.n for b in consumer.spool.peek(10**6)] == [BATCH_MESSAGES, 1]


def test_what_a_resumed_session_drops_is_released_once_and_counts_as_nothing(consumer):
    consumer._deliver(1, [msg(1, {"value": 1.0}), msg(2, {"value": 2.0})], 0)
    consumer._on_connected(2, True)  # resumed: the broker sends both again
    assert consumer.flush() == 0  # nothing committed: the batch held only dropped messages
    assert consumer._held == [0, 0] and consumer.client.calls == []
    consumer._deliver(2, [msg(1, {"value": 1.0}, dup=8)], 8)
    consumer._on_connected(3, True)
    consumer._deliver(3, [msg(1, {"value": 1.0}, dup=8), msg(2, {"value": 2.0}, dup=8)], 8)
    assert consumer.flush() == 2  # one batch: connection 2's copy dropped, 3's kept
    assert consumer._held == [0, 0] and consumer.client.calls == [(3, [1, 2])]


def test_room_ends_at_receive_maximum_and_returns_once_acknowledged(tmp_path):
    s = settings(receive_maximum=3)
    consumer = Consumer(s, Decoder(s), Spool(tmp_path / "s.db"))
    consumer.client = Acks()
    consumer._deliver(1, [msg(1, {"value": 1.0}), msg(2, {"value": 2.0})], 0)
    assert consumer.has_room()
    consumer._deliver(1, [msg(3, {"value": 3.0})], 0)
    assert not consumer.has_room() and consumer._held == [3, 42]
    assert consumer.flush() == 3
    assert consumer.has_room() and consumer._held == [0, 0]


def test_room_ends_at_the_payload_byte_bound(consumer):
    consumer._deliver(1, [msg(1, "1" * (HOLD_BYTES - 1))], 0)
    assert consumer.has_room()
    consumer._deliver(1, [msg(2, "2")], 0)
    assert not consumer.has_room()


def test_a_full_spool_keeps_holding_and_dropped_messages_are_released(tmp_path):
    s = settings(receive_maximum=2)
    consumer = Consumer(s, Decoder(s), Spool(tmp_path / "s.db", capacity=1))
    consumer.client = Acks(current=2)
    consumer.spool.append_lines(["energy,point=x value=1 1"])
    consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
    consumer._deliver(2, [msg(2, {"value": 2.0})], 0)
    assert consumer.flush() == 0 and not consumer.has_room()  # full: still held, unacked
    consumer._on_connected(3, True)  # resumed: the broker sends both again
    consumer.flush()
    assert consumer._held == [0, 0] and consumer.client.calls == []


def test_a_failing_commit_keeps_the_messages_unacknowledged(consumer, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk gone")

    consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
    monkeypatch.setattr(consumer.spool, "append_lines", broken)
    with pytest.raises(OSError):
        consumer.flush()
    assert consumer.client.calls == [] and len(consumer._pending) == 1
    monkeypatch.undo()
    assert consumer.flush() == 1 and consumer.client.mids == [1]


def test_stopped_consumer_takes_no_more_messages(consumer):
    consumer._accepting = False
    consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
    assert consumer.flush() == 0 and not consumer._pending


def test_receipt_stamps_are_committed_for_qos1_messages_without_a_time(consumer):
    no_time, timed, qos0 = (msg(11, {"value": 1.0}), msg(12, {"value": 2.0, "ts": 1_789_999_000}),
                            msg(13, {"value": 3.0}, qos=0))
    consumer._deliver(1, [no_time, timed, qos0], 0)
    consumer.flush()
    assert consumer.spool.receipts(consumer.key, [11, 12, 13]) == {
        11: (digest(TOPIC, no_time[1]), no_time[2])}
    assert consumer.spool.receipts("another session", [11]) == {}


def test_a_redelivery_gets_the_committed_stamp_back(consumer):
    first = msg(21, {"value": 1.0}, stamp=NOW_NS)
    consumer._deliver(1, [first], 0)
    consumer.flush()
    again = msg(21, {"value": 1.0}, stamp=NOW_NS + 5 * 10**9, dup=8)  # after a crash, 5 s later
    other = msg(22, {"value": 2.0}, stamp=NOW_NS + 5 * 10**9, dup=8)  # never committed
    consumer._deliver(2, [again, other], 8)
    consumer.flush()
    stored = lines(consumer.spool)
    assert stored[0] == stored[1]  # the same point again, not a second one
    assert stored[2].endswith(f" {NOW_NS + 5 * 10**9 + 22}")
    assert consumer.client.calls == [(1, [21]), (2, [21, 22])]
    assert consumer.spool.receipts(consumer.key, list(range(1, 100))) == {
        21: (digest(TOPIC, first[1]), NOW_NS + 21),
        22: (digest(TOPIC, other[1]), NOW_NS + 5 * 10**9 + 22)}


def test_a_reused_packet_id_is_not_mistaken_for_a_redelivery(consumer):
    consumer._deliver(1, [msg(31, {"value": 1.0}, stamp=NOW_NS)], 0)
    consumer.flush()
    later = NOW_NS + 60 * 10**9
    consumer._deliver(1, [msg(31, {"value": 9.0}, stamp=later, dup=8),  # other payload
                          msg(31, {"value": 1.0}, stamp=later + 10**9)], 8)  # no DUP flag
    consumer.flush()
    stamps = [int(line.rsplit(" ", 1)[1]) for line in lines(consumer.spool)]
    assert stamps == [NOW_NS + 31, later + 31, later + 10**9 + 31]


def test_bindings_outside_every_filter_are_subscribed_too(tmp_path):
    from collector.mqtt.decode import PointInfo
    from collector.mqtt.settings import MqttBinding

    s = settings(group="g1")
    points = [PointInfo("a", "energy", mqtt=MqttBinding(topic="site/b1/meter/a/energy")),
              PointInfo("b", "power", mqtt=MqttBinding(topic="plant/b/kw"))]
    consumer = Consumer(s, Decoder(s, points), Spool(tmp_path / "s.db"))
    assert consumer.filters == ["$share/g1/site/+/meter/+/energy", "$share/g1/plant/b/kw"]


def test_the_first_subscription_remembers_the_filters_and_says_so(consumer, caplog):
    caplog.set_level(logging.INFO)
    consumer._on_subscribed(False)
    assert consumer.spool.get_meta(consumer._meta_key()) is None
    consumer._on_subscribed(True)
    assert json.loads(consumer.spool.get_meta(consumer._meta_key())) == consumer.filters
    assert "consuming from MQTT broker 127.0.0.1:1883 as 'unit'" in caplog.text


def test_check_reports_the_session_state(consumer):
    assert consumer.check() == (True, {"state": "connected"})


def test_the_session_is_wired_to_this_consumer(tmp_path):
    s = settings()
    consumer = Consumer(s, Decoder(s), Spool(tmp_path / "s.db"))
    session = consumer.client
    assert session.filters is consumer.filters and session.settings is s
    session.deliver(3, [msg(1, {"value": 1.0})], 0)
    assert list(consumer._pending) == [(3, [msg(1, {"value": 1.0})], 0, 14)]
    assert session.room == consumer.has_room
    session.on_connected(4, True)
    assert consumer._drop_before == 4
    session.on_subscribed(True)
    assert consumer.spool.get_meta(consumer._meta_key()) == json.dumps(consumer.filters)


class StubSession(Acks):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.stale: list[str] = []

    def start(self, timeout: float) -> None:
        self.events.append(f"start {timeout}")

    def stop(self) -> None:
        self.events.append("stop")


def test_start_unsubscribes_filters_the_config_dropped_and_runs_the_batcher(consumer):
    consumer.spool.set_meta(consumer._meta_key(), json.dumps(
        ["site/+/meter/+/energy", "old/+/power", "older/#"]))
    consumer.client = session = StubSession()
    consumer.start(timeout=7)
    try:
        assert session.events == ["start 7"]
        # a daemon: the batcher never keeps a dying process alive (unacked work is redelivered)
        assert consumer._thread.daemon and consumer._thread.name == "mqtt-batcher"
        assert session.stale == ["old/+/power", "older/#"]
        consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
        wait_for(lambda: session.mids == [1])  # the batcher thread committed and acked it
    finally:
        consumer.stop()
    assert session.events == ["start 7", "stop"]


def test_start_without_a_previous_run_unsubscribes_nothing(consumer):
    consumer.client = session = StubSession()
    consumer.start()
    consumer.stop()
    assert session.stale == [] and session.events == ["start 30.0", "stop"]


def test_stop_spools_and_acks_what_was_taken_then_closes_the_session(consumer):
    consumer.client = session = StubSession()
    consumer._deliver(1, [msg(1, {"value": 1.0}), msg(2, {"value": 2.0})], 0)

    def stop() -> None:  # the session closes only after the last acks were handed over
        session.events.append(f"stop after {session.mids}")

    session.stop = stop
    consumer.stop()
    assert session.events == ["stop after [1, 2]"]
    assert len(lines(consumer.spool)) == 2
    consumer._deliver(1, [msg(3, {"value": 3.0})], 0)  # nothing is taken after stop
    assert not consumer._pending


def test_the_batcher_survives_a_failing_batch(consumer, monkeypatch, caplog):
    consumer.client = session = StubSession()
    real = consumer.spool.append_lines
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(consumer.spool, "append_lines", flaky)
    consumer.start()
    try:
        consumer._deliver(1, [msg(1, {"value": 1.0})], 0)
        wait_for(lambda: session.mids == [1])
    finally:
        consumer.stop()
    assert "batch failed; its messages stay unacknowledged" in caplog.messages
    assert len(lines(consumer.spool)) == 1


@pytest.mark.parametrize(("count", "shown"), [
    (5, "f0/+, f1/+, f2/+, f3/+, f4/+"),
    (6, "f0/+, f1/+, f2/+, f3/+, f4/+ and 1 more"),
    (7, "f0/+, f1/+, f2/+, f3/+, f4/+ and 2 more")])
def test_the_subscription_log_line_lists_five_filters(tmp_path, caplog, count, shown):
    caplog.set_level(logging.INFO)
    s = MqttSettings(client_id="many", subscriptions=[
        {"filter": f"f{i}/+", "template": f"f{i}/{{point}}"}
        for i in range(count)])
    consumer = Consumer(s, Decoder(s), Spool(tmp_path / "s.db"))
    consumer._on_subscribed(True)
    assert caplog.messages[-1] == f"consuming from MQTT broker 127.0.0.1:1883 as 'many': {shown}"


def test_the_receipt_digest_is_a_stable_format():
    """Receipts are stored in the spool: the digest must not change between versions, or a
    redelivery after an upgrade would not find its stamp."""
    import hashlib

    assert digest(b"a/b", b"1.5") == hashlib.blake2b(b"a/b\x001.5", digest_size=16).digest()
    assert digest(b"a/b", b"1.5") != digest(b"a/b1", b".5")


def said(caplog) -> list[str]:
    """What the consumer itself logged."""
    return [r.getMessage() for r in caplog.records if r.name == "collector.mqtt.consumer"]


def wait_for(condition, timeout: float = 10.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)
