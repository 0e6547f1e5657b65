"""Forecast outdoor temperature from a weather service: a CSV file or a retained MQTT message.

Both carry hour starts with a UTC offset and °C:
- CSV `timestamp,temp_c`, read by the one hourly-CSV reader (`civicwatt.hourly_csv`);
- MQTT: the retained message on a topic, JSON `[{"ts": "2024-07-01T08:00:00+08:00",
  "temp_c": 31.5}, ...]` (`timestamp` is accepted for `ts`; `ts` may also be epoch seconds).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from civicwatt.hourly_csv import CsvError, parse_timestamps, read_timestamped_csv
from collector.mqtt.settings import MqttSettings

__all__ = ["TemperatureSourceError", "read_temperature_csv", "read_temperature_topic"]


class TemperatureSourceError(Exception):
    """The forecast temperature cannot be used; the message says where and why."""


def read_temperature_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """`timestamp,temp_c` (hour starts) → (epoch ns UTC, °C), sorted; the same reader and
    errors as every hourly CSV (`civicwatt.hourly_csv`)."""
    try:
        time_ns, values = read_timestamped_csv(path, ("temp_c",))
    except CsvError as exc:
        raise TemperatureSourceError(str(exc)) from None
    return time_ns, values["temp_c"]


def parse_payload(payload: bytes, where: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        items = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TemperatureSourceError(f"{where}: payload is not JSON ({exc})") from exc
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise TemperatureSourceError(f"{where}: payload must be a JSON list of "
                                     '{"ts": ..., "temp_c": ...} objects')
    stamps, temps, epoch = [], [], []
    for n, item in enumerate(items, 1):
        ts = item.get("ts", item.get("timestamp"))
        value = item.get("temp_c")
        if ts is None or not isinstance(value, int | float):
            raise TemperatureSourceError(f"{where}: item {n}: needs 'ts' and a numeric 'temp_c'")
        (epoch if isinstance(ts, int | float) else stamps).append(ts)
        temps.append(float(value))
    if epoch and stamps:
        raise TemperatureSourceError(f"{where}: mix of epoch and ISO timestamps")
    try:
        t = (np.asarray(epoch, dtype=np.float64) * 1e9).astype(np.int64) if epoch else \
            parse_timestamps([str(s) for s in stamps], where, first_line=1, item="item")
    except CsvError as exc:
        raise TemperatureSourceError(str(exc)) from None
    order = np.argsort(t)
    return t[order], np.asarray(temps)[order]


def read_temperature_topic(mqtt: MqttSettings, topic: str, timeout_s: float = 5.0,
                           ) -> tuple[np.ndarray, np.ndarray]:
    """The retained message on `topic`, waited for at most `timeout_s` seconds."""
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    where = f"MQTT topic {topic!r}"
    url = urlsplit(mqtt.url)
    protocol = paho.MQTTv5 if mqtt.protocol == "5" else paho.MQTTv311
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"{mqtt.client_id}-forecast",
                         protocol=protocol)
    if mqtt.username:
        client.username_pw_set(mqtt.username, mqtt.password.get_secret_value()
                               if mqtt.password else None)
    if mqtt.tls or url.scheme == "mqtts":
        tls = mqtt.tls
        client.tls_set(ca_certs=tls.ca_file if tls else None,
                       certfile=tls.cert_file if tls else None,
                       keyfile=tls.key_file if tls else None)
    got: list[bytes] = []
    done = threading.Event()

    def on_connect(c, _userdata, _flags, reason, _props=None):
        c.subscribe(topic, qos=1)

    def on_message(_c, _userdata, message):
        got.append(message.payload)
        done.set()

    client.on_connect, client.on_message = on_connect, on_message
    port = url.port or (8883 if url.scheme == "mqtts" else 1883)
    try:
        client.connect(url.hostname or "127.0.0.1", port, keepalive=mqtt.keepalive)
    except OSError as exc:
        raise TemperatureSourceError(f"{where}: cannot connect to {url.hostname}:{port} "
                                     f"({exc})") from exc
    client.loop_start()
    try:
        if not done.wait(timeout_s):
            raise TemperatureSourceError(f"{where}: no retained message within {timeout_s:g} s "
                                         "(the weather service should publish with retain)")
    finally:
        client.disconnect()
        client.loop_stop()
    return parse_payload(got[0], where)
