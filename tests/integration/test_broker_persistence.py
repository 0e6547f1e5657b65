"""The test broker keeps an offline session's QoS 1 queue across a restart, as `deploy/` does.

The soak found it did not: Mosquitto started as root drops to user `mosquitto`, could not
write its database into the root-owned temporary folder, logged "Error saving in-memory
database" and lost 447,089 queued readings on a broker restart. Every test that restarts
the broker relies on this.
"""

from __future__ import annotations

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.services import wait_until

pytestmark = pytest.mark.integration


def client(broker, client_id: str, got: list | None = None) -> mqtt.Client:
    c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False,
                    protocol=mqtt.MQTTv311)
    if got is not None:
        c.on_message = lambda _c, _u, msg: got.append(msg.payload)
    c.connect(broker.host, broker.port)
    c.loop_start()
    return c


def test_a_restart_keeps_what_an_offline_session_has_not_received(mosquitto_factory):
    broker = mosquitto_factory()
    sub = client(broker, "keeper")
    subscribed: list = []
    sub.on_subscribe = lambda *args: subscribed.append(1)
    sub.subscribe("keep/#", qos=1)
    wait_until(lambda: subscribed, 10, "the subscription")
    sub.disconnect()
    sub.loop_stop()
    pub = client(broker, "sender")
    for info in [pub.publish(f"keep/{i}", str(i), qos=1) for i in range(100)]:
        info.wait_for_publish(10)
    pub.disconnect()
    pub.loop_stop()
    broker.restart()
    assert "Error saving" not in broker.log.read_text()
    got: list = []
    again = client(broker, "keeper", got)
    try:
        wait_until(lambda: len(got) == 100, 20, "the queued messages after the restart")
    finally:
        again.disconnect()
        again.loop_stop()
