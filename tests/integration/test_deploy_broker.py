"""The shipped Mosquitto set-up (deploy/mosquitto): TLS only, passwords, and an ACL that keeps
each credential to its job — proved against a real broker running the shipped files.

The test makes the certificates with the shipped `make-certs.sh` and the password file with
`mosquitto_passwd`, as the README tells an operator to; only the container paths and the
port are rewritten for the test's folder.
"""

from __future__ import annotations

import os
import queue
import shutil
import ssl
import subprocess
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from tests.services import Mosquitto, require_binary, wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "deploy" / "mosquitto"
USERS = {"civicwatt": "svc-pw-1", "gateway-hq": "gw-pw-2", "b1.f2": "ctl-pw-3",
         "b1.f3": "ctl-pw-4"}
SET = "civicwatt/hq/b1/{zone}/hvac/temperature_high/set"
STATE = "civicwatt/hq/b1/{zone}/hvac/temperature_high/state"
NOT_AUTHORIZED = 0x87


class ShippedMosquitto(Mosquitto):
    """Mosquitto running deploy/mosquitto/mosquitto.conf and acl, paths moved into `folder`."""

    def command(self) -> list[str]:
        conf = (SHIPPED / "mosquitto.conf").read_text()
        conf = (conf.replace("/mosquitto/config/passwd", str(self.folder / "passwd"))
                .replace("/mosquitto/config/acl", str(self.folder / "acl"))
                .replace("/mosquitto/certs/", f"{self.folder}/certs/")
                .replace("/mosquitto/data/", f"{self.folder}/")
                .replace("listener 8883 0.0.0.0", f"listener {self.port} 127.0.0.1"))
        if os.geteuid() == 0:  # as root, mosquitto drops to user `mosquitto` unless told not to
            conf = "user root\n" + conf
        self.conf.write_text(conf)
        return [self.binary, "-c", str(self.conf)]


@pytest.fixture
def broker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deploy-broker")
    require_binary("openssl")
    subprocess.run([str(SHIPPED / "make-certs.sh"), "localhost"], check=True,
                   env={**os.environ, "CERTS_DIR": str(folder / "certs")}, capture_output=True)
    tool = shutil.which("mosquitto_passwd") or require_binary("mosquitto_passwd")
    for i, (user, password) in enumerate(USERS.items()):
        flags = ["-c"] if i == 0 else []
        subprocess.run([tool, "-b", *flags, str(folder / "passwd"), user, password], check=True)
    shutil.copy(SHIPPED / "acl", folder / "acl")
    server = ShippedMosquitto(folder)
    server.start()
    yield server
    server.stop()


class Client:
    """A paho MQTT 5 client over TLS that records what it receives and its PUBACK codes."""

    def __init__(self, broker, user: str | None, password: str | None = None,
                 tls: bool = True) -> None:
        self.inbox: queue.Queue = queue.Queue()
        self.acks: dict[int, int] = {}
        self.connack: list[int] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"t-{user}",
                                  protocol=mqtt.MQTTv5)
        if user is not None:
            self.client.username_pw_set(user, password if password is not None else USERS[user])
        if tls:
            self.client.tls_set(ca_certs=str(broker.folder / "certs" / "ca.pem"),
                                cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        self.client.on_connect = lambda c, u, f, rc, p: self.connack.append(rc.value)
        self.client.on_message = lambda c, u, m: self.inbox.put((m.topic, m.payload))
        self.client.on_publish = lambda c, u, mid, rc, p: self.acks.__setitem__(mid, rc.value)
        self.client.connect("localhost", broker.port)
        self.client.loop_start()
        wait_until(lambda: self.connack, 10, f"CONNACK for {user}")

    @property
    def accepted(self) -> bool:
        return self.connack[-1] == 0

    def subscribe(self, topic: str) -> None:
        done: list = []
        self.client.on_subscribe = lambda c, u, mid, codes, p: done.append(codes)
        self.client.subscribe(topic, qos=1)
        wait_until(lambda: done, 10, f"SUBACK for {topic}")

    def publish(self, topic: str, payload: bytes) -> int:
        """Publish QoS 1 and return the broker's PUBACK reason code (0 = accepted)."""
        info = self.client.publish(topic, payload, qos=1)
        wait_until(lambda: info.mid in self.acks, 10, f"PUBACK for {topic}")
        return self.acks[info.mid]

    def received(self) -> list[tuple[str, bytes]]:
        out = []
        while not self.inbox.empty():
            out.append(self.inbox.get_nowait())
        return out

    def wait_for(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        """Everything received until (and including) `payload` on `topic`."""
        seen: list[tuple[str, bytes]] = []
        wait_until(lambda: (seen.extend(self.received()) or (topic, payload) in seen), 10,
                   f"{payload!r} on {topic}")
        return seen

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def clients(broker):
    made: list[Client] = []

    def make(user, password=None, tls=True) -> Client:
        made.append(Client(broker, user, password, tls))
        return made[-1]

    yield make
    for c in made:
        c.close()


def test_a_meter_credential_cannot_publish_a_setpoint(clients):
    gateway, civicwatt, f2 = clients("gateway-hq"), clients("civicwatt"), clients("b1.f2")
    civicwatt.subscribe("hq/#")
    f2.subscribe(SET.format(zone="b1.f2"))
    assert gateway.publish("hq/b1/main/energy", b'{"value": 1}') == 0  # its job: telemetry
    assert civicwatt.wait_for("hq/b1/main/energy", b'{"value": 1}')
    assert gateway.publish(SET.format(zone="b1.f2"), b'{"value": 18}') == NOT_AUTHORIZED
    assert gateway.publish("other-site/b1/main/energy", b"1") == NOT_AUTHORIZED
    assert civicwatt.publish(SET.format(zone="b1.f2"), b'{"value": 27}') == 0
    seen = f2.wait_for(SET.format(zone="b1.f2"), b'{"value": 27}')
    assert (SET.format(zone="b1.f2"), b'{"value": 18}') not in seen


def test_a_controller_cannot_read_another_zones_commands(clients):
    civicwatt, f2, f3 = clients("civicwatt"), clients("b1.f2"), clients("b1.f3")
    f2.subscribe("civicwatt/#")  # as greedy as it can be
    f3.subscribe(SET.format(zone="b1.f3"))
    assert civicwatt.publish(SET.format(zone="b1.f3"), b'{"value": 28}') == 0
    assert f3.wait_for(SET.format(zone="b1.f3"), b'{"value": 28}')
    assert civicwatt.publish(SET.format(zone="b1.f2"), b'{"value": 27}') == 0
    seen = f2.wait_for(SET.format(zone="b1.f2"), b'{"value": 27}')
    assert [topic for topic, _ in seen] == [SET.format(zone="b1.f2")]  # never b1.f3's
    # it reports its own state, not another zone's, and cannot command anyone
    assert f2.publish(STATE.format(zone="b1.f2"), b"27") == 0
    assert f2.publish(STATE.format(zone="b1.f3"), b"27") == NOT_AUTHORIZED
    assert f2.publish(SET.format(zone="b1.f3"), b'{"value": 30}') == NOT_AUTHORIZED
    assert f2.publish("hq/b1/main/energy", b"1") == NOT_AUTHORIZED  # nor fake telemetry


def test_no_anonymous_no_wrong_password_no_plain_tcp(broker, clients):
    assert not clients(None).accepted
    assert not clients("civicwatt", "wrong").accepted
    assert not clients("nobody", "x").accepted
    with pytest.raises((ConnectionError, OSError, TimeoutError)):
        plain = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        plain.username_pw_set("civicwatt", USERS["civicwatt"])
        plain.connect("localhost", broker.port)
        connack: list = []
        plain.on_connect = lambda c, u, f, rc, p: connack.append(rc)
        plain.loop_start()
        try:
            wait_until(lambda: connack, 3, "a plain-TCP CONNACK")
        finally:
            plain.loop_stop()
