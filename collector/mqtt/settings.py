"""MQTT configuration: the broker, the subscriptions and a point's topic binding.

Minimal spine version; the MQTT collector extends it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TlsSettings(_Model):
    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None


class Subscription(_Model):
    """A topic filter, optionally with a template that names its levels."""

    filter: str = Field(min_length=1, description="e.g. bms/+/+/+")
    template: str | None = Field(default=None, description="e.g. bms/{building}/{point}/{quantity}")
    value_path: str = "value"
    ts_path: str = "ts"


class MqttSettings(_Model):
    url: str = Field(pattern=r"^mqtts?://", description="mqtt://host:1883 or mqtts://host:8883")
    protocol: Literal["5", "3.1.1"] = "5"
    client_id: str = Field(default="civicwatt-collector", min_length=1)
    session_expiry: int = Field(default=86400, ge=0, description="seconds")
    keepalive: int = Field(default=30, ge=5)
    tls: TlsSettings | None = None
    username: str | None = None
    password: SecretStr | None = None
    group: str | None = Field(default=None, description="shared-subscription group")
    subscriptions: list[Subscription] = Field(default_factory=list)

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int | float) else value


class MqttBinding(_Model):
    """A point's explicit MQTT source."""

    topic: str = Field(min_length=1)
    value_path: str = "value"
    ts_path: str = "ts"
    scale: float = 1.0

    @field_validator("topic")
    @classmethod
    def _no_wildcards(cls, topic: str) -> str:
        if "+" in topic or "#" in topic:
            raise ValueError("a point's topic is one exact topic, without + or # wildcards "
                             "(use a subscription template for many points)")
        return topic
