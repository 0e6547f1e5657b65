"""MQTT configuration: the broker connection, subscriptions and per-point topic bindings.

`MqttSettings` is the `mqtt:` section of the site YAML; `MqttBinding` is a
point's `mqtt: {topic, value_path, ts_path}`. Secrets (username, password)
arrive already expanded from `${ENV}` by the site loader; they are kept as
`SecretStr` so that no repr, log line or error message ever shows them.

Durations are seconds. Times inside are UTC epoch nanoseconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from rules.energy import QUANTITIES as _QUANTITY_UNITS

#: The quantities civicwatt stores, each its own InfluxDB measurement (one list: rules.energy).
QUANTITIES = tuple(_QUANTITY_UNITS)

#: Tags a topic template may fill, besides `quantity` (which names the measurement).
TEMPLATE_FIELDS = ("site", "building", "zone", "purpose", "point", "quantity")

_PATH = re.compile(r"^[^.\s]+(\.[^.\s]+)*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_path(value: str) -> str:
    if not _PATH.match(value):
        raise ValueError(f"{value!r} is not a dotted path like `value` or `data.energy.0`")
    return value


def check_filter(text: str) -> str:
    """Validate an MQTT topic filter: `+` fills a whole level, `#` only the last one."""
    if not text or len(text.encode()) > 65535:
        raise ValueError("a topic filter must be 1..65535 bytes")
    if text.startswith("$share/"):
        raise ValueError(f"{text!r}: give the plain filter; the shared group goes in `group`")
    levels = text.split("/")
    for i, level in enumerate(levels):
        if "#" in level and (level != "#" or i != len(levels) - 1):
            raise ValueError(f"{text!r}: `#` must be a whole level and the last one")
        if "+" in level and level != "+":
            raise ValueError(f"{text!r}: `+` must fill a whole level (e.g. `site/+/meter`)")
    if "\0" in text:
        raise ValueError(f"{text!r}: NUL is not allowed in topics")
    return text


class Subscription(_Model):
    """One topic filter; with a template, topics map to points by their levels.

    Template levels: a literal, `{field}` (one of site, building, zone, purpose,
    point, quantity), `_` (ignore the level) or a final `#` (ignore the rest).
    Without a template, a topic must match a point's explicit `mqtt.topic`.
    """

    filter: str
    template: str | None = None
    value_path: str = "value"
    ts_path: str = "ts"
    quantity: str = "energy"

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: str) -> str:
        return check_filter(value)

    @field_validator("value_path", "ts_path")
    @classmethod
    def _paths(cls, value: str) -> str:
        return _check_path(value)

    @field_validator("quantity")
    @classmethod
    def _known_quantity(cls, value: str) -> str:
        if value not in QUANTITIES:
            raise ValueError(f"unknown quantity {value!r}; use one of {', '.join(QUANTITIES)}")
        return value

    @model_validator(mode="after")
    def _template_fits_filter(self) -> Subscription:
        if self.template is not None:
            from collector.mqtt.topics import TopicTemplate  # noqa: PLC0415 (no cycle at import)

            TopicTemplate.compile(self.filter, self.template)  # raises ValueError with detail
        return self


class TlsSettings(_Model):
    """TLS to the broker: a CA file to trust, optionally a client certificate and key.

    Relative paths are resolved against the config file's folder by the command;
    missing files are reported when the collector connects.
    """

    ca_file: Path | None = None
    cert_file: Path | None = None
    key_file: Path | None = None
    insecure_skip_verify: bool = False

    @field_validator("ca_file", "cert_file", "key_file", mode="before")
    @classmethod
    def _unset_if_empty(cls, value: object) -> object:
        return None if value == "" else value  # `${CIVICWATT_MQTT_CA_FILE:-}` left unset

    @model_validator(mode="after")
    def _pair(self) -> TlsSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("give both cert_file and key_file for a client certificate, "
                             "or neither")
        return self

    def resolved(self, base: Path) -> TlsSettings:
        """Paths made absolute against `base`; raises ValueError naming a missing file."""
        found = {}
        for name in ("ca_file", "cert_file", "key_file"):
            path = getattr(self, name)
            if path is not None:
                path = Path(path) if Path(path).is_absolute() else base / path
                if not path.is_file():
                    raise ValueError(f"mqtt.tls.{name}: {str(path)!r} does not exist or is "
                                     "not a file")
            found[name] = path
        return self.model_copy(update=found)


class MqttSettings(_Model):
    """The broker a collector subscribes to, and what it subscribes to."""

    url: str = "mqtt://127.0.0.1:1883"
    protocol: Literal["5", "3.1.1"] = "5"
    client_id: str = Field("civicwatt-collector", min_length=1, max_length=64)
    session_expiry: int = Field(7 * 86400, ge=0, le=0xFFFFFFFF, description="s; MQTT 5 only")
    keepalive: int = Field(30, ge=5, le=65535)
    tls: TlsSettings | None = None
    username: str | None = None
    password: SecretStr | None = None
    subscriptions: list[Subscription] = Field(default_factory=list)
    group: str | None = Field(None, description="shared-subscription group ($share/<group>/…); "
                               "MQTT 5, or 3.1.1 on brokers that accept it (Mosquitto, EMQX)")
    receive_maximum: int = Field(20000, ge=1, le=65535,
                                 description="unacknowledged QoS 1 messages in flight (MQTT 5); "
                                 "also the most the collector holds in memory, any protocol")
    max_payload_bytes: int = Field(256 * 1024, ge=16)
    future_skew: float = Field(300.0, ge=0, description="s a timestamp may run ahead")
    retention: float = Field(400 * 86400.0, gt=0, description="s; older readings are rejected")
    qos: Literal[1] = 1

    @model_validator(mode="before")
    @classmethod
    def _unset_if_empty(cls, data: object) -> object:
        """Empty values (`${NAME:-}` of an unset variable) are no value: no user name, no
        password, and a `tls:` section with every field empty is no section (TLS then follows
        the URL's scheme alone). One config thus serves an open test broker and a locked-down
        one."""
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if not (k in ("username", "password") and v == "")}
        tls = data.get("tls")
        if isinstance(tls, dict) and all(v in (None, "", False) for v in tls.values()):
            data.pop("tls")
        return data

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"{value!r}: use mqtt://host:1883 or mqtts://host:8883")
        if not parts.hostname:
            raise ValueError(f"{value!r} names no host")
        if parts.password:
            raise ValueError("put the password in `password: ${MQTT_PASSWORD}`, not in the URL")
        try:
            parts.port  # noqa: B018 (validates the port)
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}") from exc
        return value

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, value: str) -> str:
        if any(c in value for c in "/+#\0"):
            raise ValueError(f"{value!r}: a client id may not contain / + # or NUL")
        return value

    @field_validator("group")
    @classmethod
    def _group(cls, value: str | None) -> str | None:
        if value is not None and (not value or any(c in value for c in "/+#")):
            raise ValueError(f"{value!r}: a share group is one topic level without / + #")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> MqttSettings:
        filters = [s.filter for s in self.subscriptions]
        duplicates = sorted({f for f in filters if filters.count(f) > 1})
        if duplicates:
            raise ValueError(f"subscription filters listed twice: {duplicates}")
        return self

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def uses_tls(self) -> bool:
        return urlsplit(self.url).scheme == "mqtts" or self.tls is not None

    @property
    def user(self) -> str | None:
        return self.username or urlsplit(self.url).username

    def subscribe_filter(self, topic_filter: str) -> str:
        """The filter as sent to the broker: `$share/<group>/<filter>` in a group."""
        return f"$share/{self.group}/{topic_filter}" if self.group else topic_filter


class MqttBinding(_Model):
    """A point's explicit MQTT source: an exact topic and where its value and time are."""

    topic: str
    value_path: str = "value"
    ts_path: str = "ts"
    scale: float = Field(1.0, description="stored value = raw value × scale")

    @field_validator("value_path", "ts_path")
    @classmethod
    def _paths(cls, value: str) -> str:
        return _check_path(value)

    @field_validator("topic")
    @classmethod
    def _exact(cls, value: str) -> str:
        check_filter(value)
        if "+" in value.split("/") or "#" in value.split("/"):
            raise ValueError(f"{value!r}: a point's topic is exact, without + or #; "
                             "use a subscription template for wildcards")
        return value
