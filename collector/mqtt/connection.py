"""Credentials and TLS of a paho client from `MqttSettings`, shared by every civicwatt client.

The collector's consumer and the setpoint link connect to the same broker with
the same `mqtt:` settings; they set up user name, password and TLS here, so a
`tls:` section, a client certificate or `insecure_skip_verify` mean the same
thing to both, and both name a refused connection the same way.
"""

from __future__ import annotations

import ssl

import paho.mqtt.client as mqtt

from collector.mqtt.settings import MqttSettings


class MqttStartError(Exception):
    """A client cannot start: bad credentials, TLS failure, unreachable broker."""


def configure_client(client: mqtt.Client, settings: MqttSettings) -> None:
    """Apply the credentials and TLS of `settings` (TLS paths already resolved)."""
    if settings.user is not None:
        client.username_pw_set(settings.user, settings.password.get_secret_value()
                               if settings.password is not None else None)
    if not settings.uses_tls:
        return
    tls = settings.tls
    try:
        client.tls_set(
            ca_certs=str(tls.ca_file) if tls and tls.ca_file else None,
            certfile=str(tls.cert_file) if tls and tls.cert_file else None,
            keyfile=str(tls.key_file) if tls and tls.key_file else None,
            cert_reqs=ssl.CERT_REQUIRED, tls_version=ssl.PROTOCOL_TLS_CLIENT)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise MqttStartError(
            f"mqtt.tls: cannot load the CA / client certificate ({exc}); check that "
            "ca_file, cert_file and key_file are readable PEM files") from exc
    if tls and tls.insecure_skip_verify:
        client.tls_insecure_set(True)


def connack_message(where: str, code, user: str | None) -> str:
    """What a refused CONNACK means, and what to check (`code`: paho's reason code or the raw
    byte; MQTT 5 codes are 0x80 and above, so the two protocols' codes never clash)."""
    value = getattr(code, "value", code)
    shown = f"code {value:#04x}" if isinstance(code, int) else str(code)
    if value in (0x86, 0x04, 0x87, 0x05):  # Mosquitto 2 answers "not authorized" to both
        who = f" for user {user!r}" if user else " (no user name given)"
        return (f"{where} refused the connection: bad user name or password{who} ({shown}); "
                "check mqtt.username, the password's environment variable (mqtt.password: "
                "${MQTT_PASSWORD}, or CIVICWATT_MQTT_PASSWORD with --mqtt) and the broker's "
                "password file / ACL")
    if value in (0x85, 0x02):
        return f"{where} refused the client id; choose another mqtt.client_id / --client-id"
    return f"{where} refused the connection ({shown})"
