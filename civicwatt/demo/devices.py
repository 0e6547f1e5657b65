"""The demo's devices: a BMS publishing over MQTT and SDM630 meters answering over Modbus.

Both read the same `DemoBuilding`, so whichever path a reading takes, it is
the simulated meter's counter at that moment.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from civicwatt.demo.building import HOUR_NS, DemoBuilding
from civicwatt.demo.site import MODBUS_UNITS, topic
from collector.modbus.simulator import SimulatedDevice, SimulatorServer

ENERGY_IMPORT, POWER = 72, 52  # SDM630 input registers 30073 (kWh) and 30053 (W), 0-based
#: QoS 1 messages published before waiting for their acks: MQTT message ids are 16-bit, so
#: past 65,535 outstanding a new one takes a queued one's id and paho refuses it (a 92-day
#: history is 88,000 messages)
OUTSTANDING = 20_000


class SimulatedBMS:
    """Publishes the MQTT meters' counters and the outdoor temperature, QoS 1."""

    def __init__(self, building: DemoBuilding, broker_port: int, protocol: str) -> None:
        self.building = building
        self.points = [p for p in building.points if p not in MODBUS_UNITS]
        version = mqtt.MQTTv5 if protocol == "5" else mqtt.MQTTv311
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="demo-bms",
                                  protocol=version)
        self.client.max_inflight_messages_set(100)
        self.client.connect("127.0.0.1", broker_port)
        self.client.loop_start()

    def publish(self, times_ns: np.ndarray) -> int:
        """Publish every MQTT meter and the temperature at each time; wait until acked."""
        counters = self.building.counters(times_ns)
        temperature = self.building.temperature(times_ns)
        sent: list[mqtt.MQTTMessageInfo] = []
        count = 0
        for i, t in enumerate(times_ns.tolist()):
            ts = t / 1e9
            if len(sent) >= OUTSTANDING:
                count += _acked(sent)
            for point in self.points:
                payload = json.dumps({"ts": ts, "value": round(float(counters[point][i]), 4)})
                sent.append(self.client.publish(topic(point), payload, qos=1))
            sent.append(self.client.publish("demo/weather/temperature", json.dumps(
                {"ts": ts, "value": float(temperature[i])}), qos=1))
        return count + _acked(sent)

    def glitch(self) -> None:
        """A reading a real BMS sends now and then: a sensor fault in place of a number."""
        self.client.publish("demo/weather/temperature", json.dumps(
            {"ts": time.time(), "value": "sensor fault"}), qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


class SimulatedMeters:
    """SDM630-style meters on a pymodbus server, their registers following the building."""

    def __init__(self, building: DemoBuilding) -> None:
        self.building = building
        self.devices = {point: SimulatedDevice(unit) for point, unit in MODBUS_UNITS.items()}
        self.server = SimulatorServer(self.devices.values())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="demo-meters", daemon=True)

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> SimulatedMeters:
        self.update(time.time_ns())
        self.server.start()
        self._thread.start()
        return self

    def update(self, now_ns: int) -> None:
        counters = self.building.counters(np.array([now_ns]))
        power = self.building.power(now_ns)
        for point, device in self.devices.items():
            device.set_value("input", ENERGY_IMPORT, float(counters[point][0]), "float32")
            device.set_value("input", POWER, power[point] * 1000.0, "float32")

    def _follow(self) -> None:
        while not self._stop.wait(0.5):
            self.update(time.time_ns())

    def stop(self) -> None:
        self._stop.set()
        self.server.stop()


def _acked(sent: list[mqtt.MQTTMessageInfo]) -> int:
    """Wait until the broker has acknowledged each message; empty the list; how many."""
    for info in sent:
        info.wait_for_publish(60)
        if not info.is_published():
            raise RuntimeError(f"the demo broker did not acknowledge message {info.mid} "
                               "within 60 s")
    count = len(sent)
    sent.clear()
    return count


def history_times(start_ns: int, end_ns: int, step_ns: int = HOUR_NS // 4) -> np.ndarray:
    """Reading times every 15 min in [start, end), as a BMS that logs quarter-hours sends them."""
    first = -(-start_ns // step_ns) * step_ns
    return np.arange(first, end_ns, step_ns, dtype=np.int64)


