"""A load generator that is not the bottleneck: pre-encoded MQTT 3.1.1 QoS 1 PUBLISH packets.

Each worker process opens one raw TCP connection, encodes all its packets
before the clock starts, then writes them in large `sendall` chunks while a
reader thread counts PUBACKs (4 bytes each). At most `window` packets are
unacknowledged (packet ids are 16-bit and must not be reused in flight).
A paho publisher manages about 7,000 QoS 1 messages/s on this machine; this
one several times that per process.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import socket
import struct
import threading
import time


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: bytes) -> bytes:
    return struct.pack("!H", len(text)) + text


def connect_packet(client_id: str, keepalive: int = 60) -> bytes:
    body = _string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive)
    body += _string(client_id.encode())
    return b"\x10" + _remaining_length(len(body)) + body


def publish_packet(topic: bytes, payload: bytes, mid: int) -> bytes:
    body = _string(topic) + struct.pack("!H", mid) + payload
    return b"\x32" + _remaining_length(len(body)) + body


def messages(kind: str, start: int, count: int, points: int, t0: int,
             per_message: int = 100) -> list[tuple[bytes, bytes]]:
    """Deterministic messages `start`..`start+count` of a run.

    kind "object": message i is point i % points at t0 + i // points seconds, value i + 0.25.
    kind "array": message j carries `per_message` readings of point j % points.
    """
    out = []
    for i in range(start, start + count):
        p = i % points
        topic = f"site/b{p % 4}/meter/m{p:04d}/energy".encode()
        if kind == "object":
            payload = json.dumps({"value": i + 0.25, "ts": t0 + i // points}).encode()
        else:
            base = (i // points) * per_message
            payload = json.dumps([{"value": p * 1e6 + base + k + 0.25, "ts": t0 + base + k}
                                  for k in range(per_message)]).encode()
        out.append((topic, payload))
    return out


def _worker(host: str, port: int, client_id: str, kind: str, start: int, count: int,
            points: int, t0: int, window: int, ready, go, done) -> None:
    packets = [publish_packet(t, p, (start + i) % 65535 + 1)
               for i, (t, p) in enumerate(messages(kind, start, count, points, t0))]
    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet(client_id))
    connack = sock.recv(4)
    if len(connack) != 4 or connack[3] != 0:
        raise RuntimeError(f"CONNACK refused: {connack!r}")
    received = [0]

    def read_acks() -> None:
        while received[0] < 4 * count:
            chunk = sock.recv(1 << 16)
            if not chunk:
                return
            received[0] += len(chunk)

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    ready.put(1)
    go.wait()
    sent = 0
    while sent < count:
        while sent - received[0] // 4 > window:
            time.sleep(0.0005)
        chunk = packets[sent:sent + 500]
        sock.sendall(b"".join(chunk))
        sent += len(chunk)
    reader.join(120)
    sock.sendall(b"\xe0\x00")
    sock.close()
    done.put(received[0] // 4)


def publish(host: str, port: int, kind: str, total: int, points: int, t0: int,
            processes: int = 2, window: int = 20_000, tag: str = "load") -> tuple[float, float]:
    """Publish `total` messages from `processes` workers; returns (start, end) monotonic times.

    Returns once every PUBACK is in: the broker holds every message.
    """
    ctx = mp.get_context("fork")
    ready, go, done = ctx.Queue(), ctx.Event(), ctx.Queue()
    share = -(-total // processes)
    workers = []
    for w in range(processes):
        start, count = w * share, min(share, total - w * share)
        if count <= 0:
            continue
        workers.append(ctx.Process(target=_worker, args=(
            host, port, f"{tag}-{w}", kind, start, count, points, t0, window, ready, go, done)))
    for proc in workers:
        proc.start()
    for _ in workers:  # every packet is encoded and every connection open: start the clock
        ready.get(timeout=300)
    started = time.monotonic()
    go.set()
    acked = sum(done.get(timeout=300) for _ in workers)
    ended = time.monotonic()
    for proc in workers:
        proc.join(10)
    if acked != total:
        raise RuntimeError(f"only {acked} of {total} publishes acknowledged")
    return started, ended
