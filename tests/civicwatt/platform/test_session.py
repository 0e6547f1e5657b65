"""The session against a scripted platform written without civicwatt.platform: acks are
matched by sequence, unknown operations are skipped, and a silent platform is a clear timeout."""

from __future__ import annotations

import re
import socket
import struct
import threading
import time

import pytest

from civicwatt.platform.hourly import Hour
from civicwatt.platform.outbox import Outbox, Pending
from civicwatt.platform.plan import BuildingPlan
from civicwatt.platform.profiles import PROFILES
from civicwatt.platform.session import LinkDown, Session
from civicwatt.platform.settings import PlatformSettings
from civicwatt.platform.uploader import Uploader
from tests.civicwatt.platform.rawclient import bitwise_crc, envelope

KEY = "0123456789ABCDEF"
HOUR = Pending("b1", 1_772_380_800 * 10**9, {"01000": "5"}, "d", 0, False)


def frame(xml: str) -> bytes:
    inner = struct.pack("<I", 9) + xml.encode()
    return (b"\x68\x68\x16\x16" + struct.pack("<I", len(inner)) + inner
            + struct.pack("<H", bitwise_crc(inner)) + b"\x55\xaa\x55\xaa")


def payloads(conn: socket.socket):
    """Plain XML payloads of the frames the client sends (encrypt: false)."""
    buffer = b""
    while True:
        data = conn.recv(65536)
        if not data:
            return
        buffer += data
        while (start := buffer.find(b"\x68\x68\x16\x16")) >= 0 and len(buffer) >= start + 8:
            (length,) = struct.unpack_from("<I", buffer, start + 4)
            end = start + 8 + length + 6
            if len(buffer) < end:
                break
            yield buffer[start + 12:start + 8 + length].decode()
            buffer = buffer[end:]


def scripted(replies, connections: int = 1) -> int:
    """A platform for `connections` connections, one after the other: `replies(xml)` → the
    frames to answer each message with, or None to close the connection."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with server:
            for _ in range(connections):
                conn, _ = server.accept()
                with conn:
                    for xml in payloads(conn):
                        answer = replies(xml)
                        if answer is None:
                            break
                        for reply in answer:
                            conn.sendall(reply)

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def handshake(xml: str) -> list[bytes] | None:
    ids = ("110101A001", "01")
    if 'operation="request"' in xml:
        return [frame(envelope(*ids, "sequence", '<id_validate operation="sequence">'
                                                 "<sequence>42</sequence></id_validate>"))]
    if 'operation="md5"' in xml:
        return [frame(envelope(*ids, "result", '<id_validate operation="result">'
                                               "<result>pass</result></id_validate>"))]
    return None


def ack(sequence: str, result: str) -> bytes:
    return frame(envelope("110101A001", "01", "report_ack", f'<data operation="report_ack">'
                          f"<sequence>{sequence}</sequence><result>{result}</result></data>"))


def session(port: int, **options) -> Session:
    settings = PlatformSettings(host="127.0.0.1", port=port, auth_key=KEY, encrypt=False,
                                buildings={"b1": "110101A001"}, **options)
    return Session(settings, PROFILES["gb-2008"], "110101A001")


def test_an_ack_counts_only_for_its_own_sequence_and_unknown_operations_are_skipped():
    def replies(xml: str) -> list[bytes]:
        found = handshake(xml)
        if found is not None:
            return found
        sequence = re.search(r"<sequence>(\d+)</sequence>", xml).group(1)
        query = frame(envelope("110101A001", "01", "query", '<data operation="query"/>'))
        return [ack(str(int(sequence) - 1), "fail"), query, b"junk", ack(sequence, "pass")]

    link = session(scripted(replies))
    link.open()
    assert link.upload(HOUR, "report", 1001) is True  # the stale `fail` for 1000 is ignored
    link.close()


def test_a_platform_that_never_acks_is_a_timeout_naming_what_was_awaited():
    link = session(scripted(lambda xml: handshake(xml) or []), reply_timeout_s=0.5)
    link.open()
    with pytest.raises(LinkDown, match="no report_ack for sequence 7 from the platform at "
                                       r"127.0.0.1:\d+ within 0.5 s"):
        link.upload(HOUR, "report", 7)


def test_a_platform_that_closes_instead_of_acking_is_link_down():
    link = session(scripted(handshake))  # None for the data packet: it closes
    link.open()
    with pytest.raises(LinkDown, match=r"the platform at 127.0.0.1:\d+ closed the connection"):
        link.upload(HOUR, "report", 7)


def test_a_platform_that_drops_every_packet_gets_a_growing_backoff(tmp_path):
    """Authentication alone is no progress: without an ack the wait doubles (1, 2, 4 s …)."""
    port = scripted(handshake, connections=10)  # authenticates, then closes on each packet
    outbox = Outbox(tmp_path / "spool.db")
    outbox.offer([Hour("b1", HOUR.hour_ns, {"01000": "5"}, True, ())])
    plan = BuildingPlan("b1", "110101A001", ("m",), {"m": None}, ("m",), {"m": "01000"},
                        ("m",), {"01000": "01000"}, {"01000": 1.0})
    uploader = Uploader(session(port).settings, PROFILES["gb-2008"], outbox, plan)
    thread = threading.Thread(target=uploader.serve, daemon=True)
    thread.start()
    time.sleep(6.5)
    uploader.stop.set()
    thread.join(10)
    assert uploader.status.connects in (3, 4)  # at 0, 1, 3 (and 7) s; not every second
    assert outbox.pending("b1")[0].sends == uploader.status.connects


def test_items_as_meters_puts_the_2008_meter_form_on_the_wire():
    seen: list[str] = []

    def replies(xml: str) -> list[bytes]:
        seen.append(xml)
        found = handshake(xml)
        if found is not None:
            return found
        return [ack(re.search(r"<sequence>(\d+)</sequence>", xml).group(1), "pass")]

    link = session(scripted(replies), items_as="meters")
    link.open()
    assert link.upload(HOUR, "report", 3) is True
    assert ('<meter id="1"><function id="1" coding="01000" error="0">5</function></meter>'
            in seen[-1]) and "energy_items" not in seen[-1]
