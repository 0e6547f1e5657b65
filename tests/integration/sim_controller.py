"""A simulated zone controller and an independent recorder, for the setpoint tests.

The controller behaves like a careful real one: it subscribes to its command
topic with a persistent MQTT 5 session, ignores retained commands, rejects
expired or older commands (by its own clock), applies within its own min/max,
answers on the command's Response Topic with its Correlation Data, publishes
its state retained, and falls back to its own schedule when a command expires.

The recorder is the real `mosquitto_sub` binary, printing every message on
`#` with its MQTT 5 properties (`-F %j`), so what civicwatt sent is checked
by a client that shares no code with it.
"""

from __future__ import annotations

import json
import subprocess
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.services import require_binary, wait_until


class SimController:
    def __init__(self, host: str, port: int, command_topic: str, state_topic: str,
                 clock: Callable[[], datetime], schedule: float, low: float = 16.0,
                 high: float = 30.0) -> None:
        self.host, self.port = host, port
        self.command_topic, self.state_topic = command_topic, state_topic
        self.clock = clock
        self.schedule = schedule  # its own (relinquish-default) setpoint
        self.setpoint = schedule
        self.low, self.high = low, high
        self.last_id = ""
        self.expires_at: datetime | None = None
        self.received: list[tuple[str, bytes, bool]] = []  # (topic, payload, retain)
        self.applied: list[tuple[str, float]] = []
        self.rejected: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.client_id = f"sim-{uuid.uuid4().hex[:8]}"
        self.client = self._client()

    def _client(self) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5)
        client.on_message = self._on_message
        return client

    def connect(self, clean: bool = True) -> None:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600  # the broker queues QoS 1 commands while we are away
        connected = threading.Event()
        self.client.on_connect = lambda *a: connected.set()
        self.client.connect(self.host, self.port, clean_start=clean, properties=props)
        self.client.loop_start()
        assert connected.wait(5), "simulated controller could not connect"
        if clean:
            subscribed = threading.Event()
            self.client.on_subscribe = lambda *a: subscribed.set()
            self.client.subscribe(self.command_topic, qos=1)
            assert subscribed.wait(5), "simulated controller could not subscribe"
            self.publish_state()

    def disconnect(self) -> None:
        """Go offline; the broker keeps the session (expiry 3600 s) and queues commands."""
        gone = threading.Event()
        self.client.on_disconnect = lambda *a: gone.set()
        self.client.disconnect()
        gone.wait(5)
        self.client.loop_stop()
        self.client = self._client()

    def publish_state(self, wait: bool = True) -> None:
        info = self.client.publish(self.state_topic, json.dumps({"value": self.setpoint}), qos=1,
                                   retain=True)
        if wait:  # never inside a paho callback: the network thread would block on itself
            info.wait_for_publish(5)

    def person_sets(self, value: float) -> None:
        """Someone turns the dial on the wall."""
        with self.lock:
            self.setpoint = value
            self.expires_at = None
        self.publish_state()

    def tick(self) -> None:
        """The controller's watchdog: an expired command falls back to its own schedule."""
        with self.lock:
            expired = self.expires_at is not None and self.clock() >= self.expires_at
            if expired:
                self.setpoint, self.expires_at = self.schedule, None
        if expired:
            self.publish_state()

    def _respond(self, message, body: dict) -> None:
        props = getattr(message, "properties", None)
        topic = getattr(props, "ResponseTopic", None)
        if not topic:
            return
        out = Properties(PacketTypes.PUBLISH)
        out.CorrelationData = getattr(props, "CorrelationData", b"")
        self.client.publish(topic, json.dumps(body), qos=1, properties=out)

    def _on_message(self, client, userdata, message) -> None:
        self.received.append((message.topic, message.payload, bool(message.retain)))
        try:
            cmd = json.loads(message.payload)
            command_id, value = str(cmd["command_id"]), float(cmd["value"])
            expires_at = datetime.fromisoformat(cmd["expires_at"])
        except (ValueError, KeyError, TypeError):
            self.rejected.append(("?", "malformed"))
            return
        reason = None
        if message.retain:
            reason = "retained command ignored"
        elif self.clock() >= expires_at:
            reason = "expired"
        elif command_id <= self.last_id:
            reason = "older than the last command"
        if reason:
            self.rejected.append((command_id, reason))
            self._respond(message, {"command_id": command_id, "status": "rejected",
                                    "reason": reason})
            return
        self._respond(message, {"command_id": command_id, "status": "acked"})
        with self.lock:
            self.last_id = command_id
            self.setpoint = min(max(value, self.low), self.high)
            self.expires_at = expires_at
            self.applied.append((command_id, self.setpoint))
        self.publish_state(wait=False)
        self._respond(message, {"command_id": command_id, "status": "applied",
                                "value": self.setpoint})


class Recorder:
    """`mosquitto_sub -t '#' -F %j`: every message with its retain flag and MQTT 5 properties."""

    def __init__(self, host: str, port: int, topic: str = "#") -> None:
        self.args = [require_binary("mosquitto_sub"), "-h", host, "-p", str(port), "-V", "mqttv5",
                     "-q", "1", "-t", topic, "-F", "%j", "-i", f"rec-{uuid.uuid4().hex[:6]}"]
        self.host, self.port = host, port
        self.lines: list[dict] = []
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        probe = f"recorder/probe/{uuid.uuid4().hex[:6]}"
        publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        publisher.connect(host, port)
        publisher.loop_start()

        def seen() -> bool:
            publisher.publish(probe, "x", qos=1).wait_for_publish(2)
            return any(m["topic"] == probe for m in self.lines)

        wait_until(seen, 10, "the recorder to subscribe")
        publisher.disconnect()
        publisher.loop_stop()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.strip():
                self.lines.append(json.loads(line))

    def commands(self) -> list[dict]:
        return [m for m in self.lines if m["topic"].endswith("/set")]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)

    def retained(self, topic: str) -> list[str]:
        """Whatever the broker holds retained under `topic` (a fresh `--retained-only` client)."""
        out = subprocess.run(
            [require_binary("mosquitto_sub"), "-h", self.host, "-p", str(self.port), "-V",
             "mqttv5", "-t", topic, "--retained-only", "-W", "1", "-v"],
            capture_output=True, text=True, timeout=10)
        return [line for line in out.stdout.splitlines() if line.strip()]
