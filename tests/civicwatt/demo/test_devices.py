"""The demo's BMS over a real Mosquitto: a long history is published whole."""

import os
import signal
import threading
import time

from civicwatt.demo.building import DemoBuilding, midnight_days_ago_ns
from civicwatt.demo.devices import SimulatedBMS, history_times

NOW = 1_795_000_000 * 10**9
IDS = 65_535  # MQTT message ids are 16-bit


def test_a_history_longer_than_the_mqtt_message_ids_is_published_and_acknowledged(
        mosquitto_factory):
    """`demo --days 92` is 88,000 QoS 1 messages. While the broker is slow to acknowledge
    (here: paused), more than 65,535 outstanding messages reuse a queued one's id and paho
    refuses the publish (ERR_QUEUE_SIZE); the BMS waits for acks before it gets there."""
    broker = mosquitto_factory()
    start = midnight_days_ago_ns("Asia/Shanghai", 70, NOW)
    building = DemoBuilding("Asia/Shanghai", 8000, start)
    times = history_times(start, NOW)
    bms = SimulatedBMS(building, broker.port, "5")
    published, publish = [0], bms.client.publish

    def counted(*args, **kwargs):
        published[0] += 1
        return publish(*args, **kwargs)

    def resume_when_stalled_or_past_the_ids() -> None:
        seen = -1
        while published[0] != seen and published[0] <= IDS:
            seen = published[0]
            time.sleep(2)
        os.kill(broker.proc.pid, signal.SIGCONT)

    bms.client.publish = counted
    os.kill(broker.proc.pid, signal.SIGSTOP)
    resumer = threading.Thread(target=resume_when_stalled_or_past_the_ids, daemon=True)
    resumer.start()
    try:
        expected = len(times) * (len(bms.points) + 1)  # each meter and the temperature
        assert expected > IDS
        assert bms.publish(times) == expected
        assert published[0] == expected
    finally:
        resumer.join(30)
        os.kill(broker.proc.pid, signal.SIGCONT)
        bms.close()
