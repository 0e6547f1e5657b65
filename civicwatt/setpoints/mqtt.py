"""The MQTT 5 link of the setpoint job: publish commands, receive states, responses and DR levels.

Commands go out QoS 1, never retained, with a Message Expiry Interval (the
broker drops a command nobody took in time), a Response Topic and Correlation
Data (the command_id) for the acknowledgement, and user properties
(command_id, expires_at, rule, issuer). A command is published only while
connected: paho would otherwise queue it and send it after a reconnect.

The link connects with the site's `mqtt:` settings exactly as the collector
does (`collector.mqtt.connection`): same credentials, same TLS (paths resolved
against the config folder by the caller), always MQTT 5 with a clean start
(the properties above need it; civicwatt needs no queued backlog).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from collector.mqtt.connection import MqttStartError, configure_client, connack_message
from collector.mqtt.settings import MqttSettings

log = logging.getLogger(__name__)

#: What became of one publish: the broker confirmed it (PUBACK), the client holds it but no
#: PUBACK came in time (it may still be delivered), or it never left (not connected, refused).
SENT, UNCONFIRMED, FAILED = "sent", "unconfirmed", "failed"


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None


class SetpointLink:
    """One paho client for the setpoint job, with a health check."""

    def __init__(self, settings: MqttSettings, subscriptions: list[str],
                 client_id: str | None = None, puback_timeout: float = 5.0) -> None:
        self.settings = settings
        self.subscriptions = sorted(set(subscriptions))
        self.puback_timeout = puback_timeout
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self._connected = threading.Event()
        self.last_error: str | None = None
        self.since: float = time.time()
        self.counts = {SENT: 0, UNCONFIRMED: 0, FAILED: 0}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"{settings.client_id}-setpoints",
                                  protocol=mqtt.MQTTv5)
        try:
            configure_client(self.client, settings)
        except MqttStartError as exc:
            self.last_error = str(exc)
            self.client = None  # type: ignore[assignment]  # cannot connect: say so in health
            log.error("setpoints: %s; no setpoint commands can be sent", exc)
            return
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 60)

    @property
    def where(self) -> str:
        return f"MQTT broker {self.settings.host}:{self.settings.port}"

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, wait: float = 5.0) -> bool:
        """Connect in the background; True once connected and subscribed (or within `wait`)."""
        if self.client is None:
            return False
        try:
            self.client.connect_async(self.settings.host, self.settings.port,
                                      keepalive=self.settings.keepalive, clean_start=True)
        except (OSError, ValueError) as exc:
            self.last_error = f"cannot reach {self.where}: {exc}"
            log.warning("setpoints: %s", self.last_error)
        self.client.loop_start()
        return self._connected.wait(wait)

    def stop(self) -> None:
        if self.client is None:
            return
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    def check(self) -> tuple[bool, dict]:
        """For `/healthz`: connected to the broker, and what went wrong last."""
        details: dict = {"broker": f"{self.settings.host}:{self.settings.port}",
                         "connected": self.connected,
                         "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.since)),
                         "commands": dict(self.counts)}
        if self.last_error and not self.connected:
            details["error"] = self.last_error
        return self.connected, details

    def publish_command(self, topic: str, payload: bytes, command_id: str, expiry_s: int,
                        response_topic: str, user: list[tuple[str, str]]) -> str:
        """Publish one command: SENT once the broker has it (PUBACK), UNCONFIRMED if paho holds
        it without a PUBACK in time, FAILED if it never left."""
        if self.client is None or not self.connected:
            return self._count(FAILED)
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = max(1, int(expiry_s))
        props.ResponseTopic = response_topic
        props.CorrelationData = command_id.encode()
        props.ContentType = "application/json"
        props.PayloadFormatIndicator = 1
        props.UserProperty = [("command_id", command_id), *user]
        info = self.client.publish(topic, payload, qos=1, retain=False, properties=props)
        if info.rc == mqtt.MQTT_ERR_NO_CONN:  # lost meanwhile: paho keeps it for the reconnect
            return self._count(UNCONFIRMED)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return self._count(FAILED)
        try:
            info.wait_for_publish(self.puback_timeout)
        except (RuntimeError, ValueError):
            return self._count(UNCONFIRMED)
        return self._count(SENT if info.is_published() else UNCONFIRMED)

    def _count(self, outcome: str) -> str:
        self.counts[outcome] += 1
        return outcome

    def drain(self) -> list[Inbound]:
        out: list[Inbound] = []
        while True:
            try:
                out.append(self.inbox.get_nowait())
            except queue.Empty:
                return out

    # paho callbacks (network thread)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            message = connack_message(self.where, reason_code, self.settings.user)
            if message != self.last_error:  # once per state change, not per retry
                log.warning("setpoints: %s", message)
            self.last_error = message
            return
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self._connected.set()
        self.last_error, self.since = None, time.time()
        log.info("setpoints: connected to %s", self.where)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set():
            self.last_error, self.since = f"disconnected from {self.where}: {reason_code}", \
                time.time()
            log.warning("setpoints: %s; commands are not sent until it is back", self.last_error)
        self._connected.clear()

    def _on_message(self, client, userdata, message) -> None:
        props = getattr(message, "properties", None)
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        self.inbox.put(Inbound(message.topic, message.payload, bool(message.retain),
                               correlation))
