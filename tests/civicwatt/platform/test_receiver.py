"""The commissioning receiver (`civicwatt platform serve`) against an independent client."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from civicwatt.platform.receiver import Receiver, ReceiverSettings
from tests.civicwatt.platform.rawclient import RawClient

KEY = "0123456789ABCDEF"


@pytest.fixture
def start(tmp_path):
    started = []

    def make(**options) -> tuple[Receiver, int]:
        settings = ReceiverSettings(**{"key": KEY, "out": tmp_path / "rx.jsonl", **options})
        receiver = Receiver(settings).start()
        started.append(receiver)
        return receiver, receiver.address[1]

    yield make
    for receiver in started:
        receiver.stop()


def lines(tmp_path) -> list[dict]:
    path = tmp_path / "rx.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize(("aes", "order"), [(True, "seq+key"), (False, "seq+key"),
                                            (True, "key+seq")])
def test_handshake_report_and_ack_with_items_written_before_the_ack(start, tmp_path, aes, order):
    _, port = start(md5_order=order)
    client = RawClient(port, KEY.encode() if aes else None)
    assert client.authenticate(KEY, order) == "pass"
    sent = client.report("1042", "20250115090000", {"01A00": "12.5", "01B00": "30.25"})
    instruction, ack = client.receive()
    assert instruction == sent  # the platform echoes the instruction number
    assert '<data operation="report_ack"><sequence>1042</sequence><result>pass</result>' in ack
    assert "<building_id>110101A001</building_id><gateway_id>01</gateway_id>" in ack
    assert lines(tmp_path) == [
        {"building_id": "110101A001", "gateway_id": "01", "time": "20250115090000",
         "code": "01A00", "value": 12.5, "kind": "report"},
        {"building_id": "110101A001", "gateway_id": "01", "time": "20250115090000",
         "code": "01B00", "value": 30.25, "kind": "report"}]
    client.close()


def test_a_wrong_digest_gets_fail_and_the_connection_is_closed(start, tmp_path):
    _, port = start()
    client = RawClient(port, KEY.encode())
    assert client.authenticate("0123456789ABCDEX") == "fail"
    with pytest.raises((ConnectionError, OSError)):
        client.receive()


def test_the_md5_order_matters(start):
    _, port = start(md5_order="key+seq")
    assert RawClient(port, KEY.encode()).authenticate(KEY, "seq+key") == "fail"


def test_nothing_is_acked_or_written_before_authentication(start, tmp_path):
    _, port = start(idle_timeout_s=1)
    client = RawClient(port, KEY.encode())
    client.report("1", "20250115090000", {"01000": "1"})
    with pytest.raises((ConnectionError, OSError)):  # no reply; closed when idle
        client.receive()
    assert lines(tmp_path) == []


@pytest.mark.parametrize(("time", "items", "why"), [
    ("20250115093000", {"01000": "1"}, "start of an hour"),
    ("2025011509", {"01000": "1"}, "YYYYMMDDhhmmss"),
    ("20250115090000", {"01Z00": "1"}, "not in profile"),
    ("20250115090000", {"01000": "1e3"}, "plain finite decimal"),
    ("20250115090000", {"01000": "nan"}, "plain finite decimal"),
])
def test_a_bad_packet_gets_fail_and_is_not_written(start, tmp_path, caplog, time, items, why):
    _, port = start()
    client = RawClient(port, KEY.encode())
    client.authenticate(KEY)
    client.report("7", time, items, kind="continuous")
    _, ack = client.receive()
    assert "<result>fail</result>" in ack and "continuous_ack" in ack
    assert lines(tmp_path) == []
    assert why in caplog.text


def test_drop_after_resets_the_nth_data_packet_once(start, tmp_path):
    receiver, port = start(drop_after=2)
    client = RawClient(port, KEY.encode())
    client.authenticate(KEY)
    client.report("1", "20250115090000", {"01000": "1"})
    client.receive()
    client.report("2", "20250115100000", {"01000": "2"})
    with pytest.raises(ConnectionResetError):
        client.receive()
    again = RawClient(port, KEY.encode())
    again.authenticate(KEY)
    again.report("3", "20250115100000", {"01000": "2"}, kind="continuous")
    assert "<result>pass</result>" in again.receive()[1]
    assert [x["time"] for x in lines(tmp_path)] == ["20250115090000", "20250115100000"]
    assert receiver.data_packets == 3


def test_heart_beat_gets_the_platform_clock_in_beijing_time(start):
    _, port = start()
    client = RawClient(port, None)
    client.authenticate(KEY)
    client.send("notify", '<heart_beat operation="notify"/>', junk=b"\x00\x68junk")
    _, reply = client.receive()
    stamp = re.search(r'<heart_beat operation="time"><time>(\d{14})</time>', reply).group(1)
    when = dt.datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(
        tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert abs((when - dt.datetime.now(dt.UTC)).total_seconds()) < 5


def test_only_the_given_building_ids_are_accepted(start):
    _, port = start(building_ids=frozenset({"110101A001"}))
    other = RawClient(port, None, building="110101A002")
    other.send("request", '<id_validate operation="request"/>')
    assert '<id_validate operation="result"><result>fail</result>' in other.receive()[1]
    with pytest.raises((ConnectionError, OSError)):
        other.receive()
    assert RawClient(port, None).authenticate(KEY) == "pass"


def test_insisting_on_aes_ignores_plain_packets(start, caplog):
    _, port = start(encrypt=True, idle_timeout_s=1)
    client = RawClient(port, None)
    client.send("request", '<id_validate operation="request"/>')
    with pytest.raises((ConnectionError, OSError)):
        client.receive()
    assert "frame skipped" in caplog.text


def test_without_a_16_character_key_it_takes_plain_xml_only(start, tmp_path):
    receiver, port = start(key="short-key")
    assert receiver.encrypt is False
    client = RawClient(port, None)
    assert client.authenticate("short-key") == "pass"
