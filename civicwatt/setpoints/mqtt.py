"""The MQTT 5 link of the setpoint job: publish commands, receive states, responses and DR levels.

Commands go out QoS 1, never retained, with a Message Expiry Interval (the
broker drops a command nobody took in time), a Response Topic and Correlation
Data (the command_id) for the acknowledgement, and user properties
(command_id, expires_at, rule, issuer). A command is published only while
connected: paho would otherwise queue it and send it after a reconnect with
its full expiry, i.e. late.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Inbound:
    topic: str
    payload: bytes
    retain: bool
    correlation: bytes | None


class SetpointLink:
    """One paho client (MQTT 5, clean start: civicwatt needs no queued backlog)."""

    def __init__(self, url: str, client_id: str, subscriptions: list[str],
                 username: str | None = None, password: str | None = None,
                 ca_file: str | None = None, cert_file: str | None = None,
                 key_file: str | None = None) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
        self.subscriptions = sorted(set(subscriptions))
        self.inbox: queue.Queue[Inbound] = queue.Queue()
        self._connected = threading.Event()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        if username:
            self.client.username_pw_set(username, password)
        if parts.scheme == "mqtts":
            self.client.tls_set(ca_certs=ca_file, certfile=cert_file, keyfile=key_file,
                                cert_reqs=ssl.CERT_REQUIRED)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 30)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, wait: float = 5.0) -> bool:
        """Connect in the background; True once connected and subscribed (or within `wait`)."""
        try:
            self.client.connect_async(self.host, self.port, keepalive=30, clean_start=True)
        except (OSError, ValueError) as exc:
            log.warning("setpoints: cannot reach MQTT broker %s:%s: %s", self.host, self.port,
                        exc)
        self.client.loop_start()
        return self._connected.wait(wait)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self._connected.clear()

    def publish_command(self, topic: str, payload: bytes, command_id: str, expiry_s: int,
                        response_topic: str, user: list[tuple[str, str]],
                        timeout: float = 5.0) -> bool:
        """Publish one command; True once the broker has it (PUBACK)."""
        if not self.connected:
            return False
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = max(1, int(expiry_s))
        props.ResponseTopic = response_topic
        props.CorrelationData = command_id.encode()
        props.ContentType = "application/json"
        props.PayloadFormatIndicator = 1
        props.UserProperty = [("command_id", command_id), *user]
        info = self.client.publish(topic, payload, qos=1, retain=False, properties=props)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return False
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError):
            return False
        return info.is_published()

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
            log.warning("setpoints: broker refused the connection: %s", reason_code)
            return
        for topic in self.subscriptions:
            client.subscribe(topic, qos=1)
        self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()

    def _on_message(self, client, userdata, message) -> None:
        props = getattr(message, "properties", None)
        correlation = getattr(props, "CorrelationData", None) if props is not None else None
        self.inbox.put(Inbound(message.topic, message.payload, bool(message.retain),
                               correlation))
