"""TLS with a CA made by the test, user name + password; a wrong password fails at start."""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
import time

import paho.mqtt.client as mqtt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from collector.mqtt.consumer import Consumer, MqttStartError
from collector.mqtt.decode import Decoder
from collector.mqtt.settings import MqttSettings
from collector.spool import Spool
from tests.integration.mqtt_helpers import CollectorProcess, count, publish_all, stored
from tests.services import free_port, require_binary, wait_until

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"


def _key_and_cert(subject: str, issuer_key=None, issuer_name=None, ca: bool = False):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name)
               .issuer_name(issuer_name or name).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def _write(path, key, cert) -> None:
    path.with_suffix(".key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
    path.with_suffix(".pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture
def secured_broker(tmp_path, mosquitto_factory):
    """Mosquitto with a TLS listener (test CA) and a plain one, both needing a password."""
    certs = tmp_path / "certs"
    certs.mkdir()
    ca_key, ca_cert = _key_and_cert("civicwatt test CA", ca=True)
    server_key, server_cert = _key_and_cert("127.0.0.1", ca_key, ca_cert.subject)
    _write(certs / "ca", ca_key, ca_cert)
    _write(certs / "server", server_key, server_cert)
    passwd = certs / "passwd"
    tool = shutil.which("mosquitto_passwd") or require_binary("mosquitto_passwd")
    subprocess.run([tool, "-b", "-c", str(passwd), "meter", PASSWORD], check=True)
    for path in certs.iterdir():
        path.chmod(0o644)
    certs.chmod(0o755)
    tls_port = free_port()
    broker = mosquitto_factory(
        f"allow_anonymous false\npassword_file {passwd}\n"
        f"listener {tls_port} 127.0.0.1\ncafile {certs / 'ca.pem'}\n"
        f"certfile {certs / 'server.pem'}\nkeyfile {certs / 'server.key'}\n")
    wait_until(lambda: __import__("socket").create_connection(("127.0.0.1", tls_port), 1), 10,
               "the TLS listener")
    broker.tls_port = tls_port
    broker.ca = certs / "ca.pem"
    return broker


def _tls_publisher(broker) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="tls-pub")
    client.tls_set(ca_certs=str(broker.ca), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    client.username_pw_set("meter", PASSWORD)
    client.connect("127.0.0.1", broker.tls_port)
    client.loop_start()
    return client


SITE = """\
version: 1
site: {id: hq, name: Test HQ, timezone: Asia/Shanghai}
buildings:
  - {id: b1, floor_area_m2: 1000, occupants: 10}
points:
  - {id: b1.main, building: b1, purpose: "01000", quantity: energy, unit: kWh,
     mqtt: {topic: hq/b1/main/energy}}
  - {id: b1.temp, building: b1, quantity: temperature, unit: °C, min: -10, max: 50,
     mqtt: {topic: hq/b1/temp, value_path: t}}
mqtt:
  url: mqtts://127.0.0.1:%(port)d
  client_id: civicwatt-tls-test
  username: meter
  password: ${CW_TEST_MQTT_PASSWORD}
  tls: {ca_file: certs/ca.pem}
store:
  url: %(store)s
"""


def test_tls_and_password_from_the_site_config(tmp_path, secured_broker, influxdb, influx_url):
    db = influx_url.rsplit("/", 1)[1]
    config = tmp_path / "site.yaml"
    config.write_text(SITE % {"port": secured_broker.tls_port, "store": influx_url})
    collector = CollectorProcess(tmp_path, "--config", str(config), "--spool",
                                 str(tmp_path / "s.db"),
                                 env={"CW_TEST_MQTT_PASSWORD": PASSWORD})
    now = int(time.time())
    try:
        collector.start()
        pub = _tls_publisher(secured_broker)
        publish_all(pub, [("hq/b1/main/energy", f'{{"value": {i}.5, "ts": {now - 100 + i}}}')
                          for i in range(50)] + [("hq/b1/temp", f'{{"t": 21.5, "ts": {now}}}')])
        pub.loop_stop()
        wait_until(lambda: count(influxdb, db) == 50, 30, "energy readings over TLS")
        assert stored(influxdb, db, "temperature") == {("b1.temp", now * 10**9): 21.5}
        tags = influxdb.query("SHOW TAG VALUES FROM energy WITH KEY IN (site, building, zone, "
                              "purpose)", db)["results"][0]["series"][0]["values"]
        assert sorted(tags) == [["building", "b1"], ["purpose", "01000"], ["site", "hq"],
                                ["zone", "b1"]]
        assert collector.terminate() == 0
        assert PASSWORD not in collector.text()
    finally:
        collector.close()


def test_wrong_password_fails_at_start_with_a_clear_message(tmp_path, secured_broker):
    collector = CollectorProcess(
        tmp_path, "--mqtt", f"mqtt://meter@127.0.0.1:{secured_broker.port}",
        "--topic", "a/+", "--template", "a/{point}", "--spool", str(tmp_path / "s.db"),
        "--store", f"sqlite:///{tmp_path}/store.db",
        env={"CIVICWATT_MQTT_PASSWORD": "wrong password"})
    collector.start(wait=False)
    assert collector.proc.wait(60) == 1
    text = collector.text()
    assert "bad user name or password for user 'meter'" in text
    assert "Traceback" not in text and "wrong password" not in text


def test_wrong_password_over_tls_in_process(tmp_path, secured_broker):
    settings = MqttSettings(url=f"mqtts://127.0.0.1:{secured_broker.tls_port}",
                            username="meter", password="nope", tls={"ca_file": secured_broker.ca},
                            subscriptions=[{"filter": "a/+", "template": "a/{point}"}])
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    with pytest.raises(MqttStartError, match="bad user name or password"):
        consumer.start(timeout=20)


def test_untrusted_ca_fails_at_start_with_a_clear_message(tmp_path, secured_broker):
    other_key, other_ca = _key_and_cert("someone else's CA", ca=True)
    _write(tmp_path / "other", other_key, other_ca)
    settings = MqttSettings(url=f"mqtts://127.0.0.1:{secured_broker.tls_port}",
                            username="meter", password=PASSWORD,
                            tls={"ca_file": tmp_path / "other.pem"},
                            subscriptions=[{"filter": "a/+", "template": "a/{point}"}])
    consumer = Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
    with pytest.raises(MqttStartError, match="TLS handshake failed.*ca_file"):
        consumer.start(timeout=10)


def test_a_certificate_file_that_is_not_pem_is_a_clear_error(tmp_path):
    (tmp_path / "ca.pem").write_text("not a certificate")
    settings = MqttSettings(url="mqtts://127.0.0.1:8883", tls={"ca_file": tmp_path / "ca.pem"})
    with pytest.raises(MqttStartError, match="cannot load the CA"):
        Consumer(settings, Decoder(settings), Spool(tmp_path / "s.db"))
