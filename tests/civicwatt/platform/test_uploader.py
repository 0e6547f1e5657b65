"""The socket loop against the receiver on loopback: backfill, reports, drops, re-metered
hours, refusals, heartbeats and stopping with a packet in flight."""

from __future__ import annotations

import json
import threading
import time

import pytest

from civicwatt.platform.hourly import HOUR_NS, Hour
from civicwatt.platform.messages import beijing_time
from civicwatt.platform.outbox import Outbox
from civicwatt.platform.plan import BuildingPlan
from civicwatt.platform.profiles import PROFILES
from civicwatt.platform.receiver import ReceiverSettings
from civicwatt.platform.settings import PlatformSettings
from civicwatt.platform.uploader import Uploader
from tests.civicwatt.platform.gate import Gate
from tests.services import wait_until

KEY = "0123456789ABCDEF"
T0 = (time.time_ns() // HOUR_NS - 5) * HOUR_NS  # recent hours: found on time, they go as report
OLD = 1_772_380_800 * 10**9  # 2026-03-01: long past, so found late
PLAN = BuildingPlan("b1", "110101A001", ("m",), {"m": None}, ("m",), {"m": "01000"}, ("m",),
                    {"01000": "01000"}, {"01000": 1.0})


def hour(i: int, value: str = "1", code: str = "01000", start: int = T0) -> Hour:
    return Hour("b1", start + i * HOUR_NS, {code: value}, True, ())


@pytest.fixture
def link(tmp_path):
    """Start a receiver and an uploader thread; yields a factory, stops both after."""
    running = []

    def make(receiver_options=None, hold=None, **settings):
        receiver = Gate(ReceiverSettings(key=KEY, out=tmp_path / "rx.jsonl",
                                         **(receiver_options or {})), hold).start()
        options = {"host": "127.0.0.1", "port": receiver.address[1], "auth_key": KEY,
                   "buildings": {"b1": "110101A001"}, "reply_timeout_s": 10, **settings}
        outbox = Outbox(tmp_path / "spool.db")
        uploader = Uploader(PlatformSettings(**options), PROFILES["gb-2008"], outbox, PLAN)
        thread = threading.Thread(target=uploader.serve, daemon=True)
        running.append((receiver, uploader, thread, outbox))
        return receiver, uploader, outbox, thread

    yield make
    for receiver, uploader, thread, outbox in running:
        uploader.stop.set()
        uploader.wake.set()
        if thread.is_alive():
            thread.join(10)
        receiver.release.set()
        receiver.stop()
        outbox.close()


def received(tmp_path) -> list[tuple[str, str, str]]:
    path = tmp_path / "rx.jsonl"
    if not path.exists():
        return []
    return [(r["time"], r["kind"], str(r["value"])) for r in
            map(json.loads, path.read_text().splitlines())]


def stamp(i: int) -> str:
    return beijing_time(T0 + i * HOUR_NS)


def test_backfill_then_reports_then_a_drop_resent_as_continuous(link, tmp_path):
    receiver, uploader, outbox, thread = link({"drop_after": 6})
    outbox.offer([hour(2), hour(0), hour(1)])
    thread.start()
    wait_until(lambda: len(received(tmp_path)) == 3, 30, what="the backfill")
    assert received(tmp_path) == [(stamp(0), "continuous", "1.0"), (stamp(1), "continuous", "1.0"),
                                  (stamp(2), "continuous", "1.0")]
    outbox.offer([hour(3)])  # a newly metered hour while connected
    uploader.wake.set()
    wait_until(lambda: len(received(tmp_path)) == 4, 30, what="a report")
    assert received(tmp_path)[3] == (stamp(3), "report", "1.0")
    outbox.offer([hour(0, start=OLD)])  # new to us but long past (a metering backlog)
    uploader.wake.set()
    wait_until(lambda: len(received(tmp_path)) == 5, 30, what="the late hour")
    assert received(tmp_path)[4] == (beijing_time(OLD), "continuous", "1.0")
    outbox.offer([hour(4)])  # the receiver resets the connection instead of acking this one
    uploader.wake.set()
    wait_until(lambda: len(received(tmp_path)) == 6, 30, what="the resend after the drop")
    assert received(tmp_path)[5] == (stamp(4), "continuous", "1.0")
    assert receiver.data_packets == 7 and uploader.status.connects == 2
    assert outbox.pending("b1") == []


def test_a_re_metered_hour_is_sent_again_as_continuous_and_nothing_else_is(link, tmp_path):
    receiver, uploader, outbox, thread = link()
    outbox.offer([hour(0, "10"), hour(1, "20")])
    thread.start()
    wait_until(lambda: len(received(tmp_path)) == 2, 30, what="the backfill")
    outbox.offer([hour(0, "10"), hour(1, "21.5")])  # late data changed hour 1
    uploader.wake.set()
    wait_until(lambda: len(received(tmp_path)) == 3, 30, what="the re-metered hour")
    assert received(tmp_path)[2] == (stamp(1), "continuous", "21.5")
    uploader.wake.set()  # nothing pending: nothing more is sent
    time.sleep(0.3)
    assert receiver.data_packets == 3


def test_a_refused_hour_is_logged_kept_and_not_resent(link, tmp_path, caplog):
    receiver, uploader, outbox, thread = link()
    outbox.offer([hour(0, "1", code="01Z00"), hour(1)])  # the platform refuses code 01Z00
    thread.start()
    wait_until(lambda: receiver.data_packets == 2, 30, what="both packets")
    wait_until(lambda: uploader.status.results["fail"] == 1, 30, what="the refusal")
    uploader.wake.set()
    time.sleep(0.3)
    assert receiver.data_packets == 2
    [status] = outbox.status(["b1"])
    assert (status.acked, status.refused, status.pending) == (1, 1, 0)
    assert f"Platform refused building b1 hour {stamp(0)}" in caplog.text


def test_heart_beat_when_idle_reads_the_platform_clock(link):
    _, uploader, _, thread = link(heartbeat_s=0.2)
    thread.start()
    wait_until(lambda: uploader.status.clock_skew_s is not None, 30, what="a heart_beat reply")
    assert abs(uploader.status.clock_skew_s) < 5
    assert uploader.status.state == "authenticated"


def test_a_wrong_key_is_reported_with_the_md5_order_and_retried_no_sooner_than_60_s(link):
    _, uploader, _, thread = link({"md5_order": "key+seq"})
    thread.start()
    wait_until(lambda: uploader.status.state == "key_refused", 30, what="the refusal")
    assert "refused the key" in uploader.status.last_error
    assert "md5_order seq+key" in uploader.status.last_error
    time.sleep(0.5)
    assert uploader.status.connects == 1


def test_stop_lets_the_packet_in_flight_finish_and_sends_no_more(link, tmp_path):
    receiver, uploader, outbox, thread = link(hold=2)
    outbox.offer([hour(i) for i in range(5)])
    thread.start()
    assert receiver.held.wait(10)  # packet 2 is recorded, its ack held back
    uploader.stop.set()
    uploader.wake.set()
    receiver.release.set()
    thread.join(10)
    assert not thread.is_alive()
    assert receiver.data_packets == 2
    assert [p.hour_ns for p in outbox.pending("b1")] == [T0 + i * HOUR_NS for i in (2, 3, 4)]
    [status] = outbox.status(["b1"])
    assert status.acked == 2  # the held packet's ack was recorded before stopping

