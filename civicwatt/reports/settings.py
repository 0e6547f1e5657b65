"""The `report:` section of the site config: language, e-mail, schedule, anomaly thresholds.

Secrets (the SMTP password) are written as `${NAME}` in the YAML and expanded
from the environment by the loader; they are held as `SecretStr`, so they are
never printed in errors or logs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

_ADDRESS = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"
_DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SmtpSettings(_Model):
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535,
                             description="default: 587 starttls, 465 tls, 25 none")
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = Field(default=None, description="write ${NAME}, never the secret")
    timeout_s: float = Field(default=30, gt=0)
    ca_file: str | None = Field(default=None, description="PEM CA bundle for a private relay's "
                                                          "certificate; default: system CAs")

    @property
    def effective_port(self) -> int:
        return self.port or _DEFAULT_PORTS[self.security]

    @model_validator(mode="after")
    def _credentials_pair(self) -> SmtpSettings:
        if (self.password is not None and self.password.get_secret_value()) and not self.username:
            raise ValueError("a password without a username: give `username` too")
        return self


class EmailSettings(_Model):
    """Who gets the report and how it is sent."""

    recipients: list[str] = Field(min_length=1)
    sender: str = Field(pattern=_ADDRESS, description="the From: address")
    subject: str = Field(default="{site} — {title} {date}",
                         description="placeholders: {site}, {title}, {date}")
    smtp: SmtpSettings
    attempts: int = Field(default=3, ge=1, le=10, description="tries before giving up")
    retry_delay_s: float = Field(default=30, ge=0, description="first back-off; doubles")

    @field_validator("subject")
    @classmethod
    def _placeholders(cls, subject: str) -> str:
        try:
            subject.format(site="", title="", date="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"unknown placeholder {exc}; use {{site}}, {{title}}, {{date}} "
                             "(double braces for a literal brace)") from None
        return subject

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, recipients: list[str]) -> list[str]:
        import re
        bad = [r for r in recipients if not re.match(_ADDRESS, r)]
        if bad:
            raise ValueError(f"not e-mail addresses: {', '.join(bad)}")
        return recipients


class AnomalyThresholds(_Model):
    """When the report calls something an anomaly. Ratios are fractions (0.3 = 30 %)."""

    history_days: int = Field(default=28, ge=7, le=120,
                              description="days before the report day that define 'usual'")
    after_hours: str = Field(default="22:00-06:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                             description="local after-hours window, may wrap midnight")
    after_hours_ratio: float = Field(default=0.3, gt=0,
                                     description="flag night load above usual × (1 + ratio)")
    after_hours_min_kw: float = Field(default=1.0, ge=0, description="...and at least this much")
    non_working_ratio: float = Field(default=0.3, gt=0)
    non_working_min_kwh: float = Field(default=10.0, ge=0)
    silent_hours: float = Field(default=2.0, gt=0, description="no reading for this long = silent")
    imbalance: float = Field(default=0.10, gt=0, lt=1,
                             description="|parent − Σ children| / parent beyond this is flagged")
    imbalance_min_kwh: float = Field(default=10.0, ge=0)
    completeness_min: float = Field(default=0.95, ge=0, le=1)
    water_night: str = Field(default="01:00-05:00", pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$",
                             description="local hours of the minimum night flow")
    water_leak_m3_per_h: float = Field(default=0.1, gt=0,
                                       description="a leak: minimum hourly night flow above this")
    water_leak_nights: int = Field(default=2, ge=1, le=14, description="...for this many nights")
    gas_closed_ratio: float = Field(default=0.5, gt=0, description="gas on a closed day above "
                                    "this share of a usual working day's")
    gas_closed_min_m3: float = Field(default=5.0, ge=0, description="...and at least this much")
    heat_ratio: float = Field(default=0.2, gt=0, description="heat above the weather-normalised "
                              "expectation × (1 + ratio)")
    heat_min_gj: float = Field(default=1.0, ge=0, description="...and by at least this much")
    heat_base_c: float = Field(default=18.0, description="base temperature of heating degree "
                               "days")

    @property
    def night(self) -> tuple[int, int]:
        """(start, end) minutes after local midnight."""
        start, end = self.after_hours.split("-")
        return _minutes(start), _minutes(end)

    @property
    def water_hours(self) -> tuple[int, int]:
        """(start, end) minutes after local midnight of the night-flow window."""
        start, end = self.water_night.split("-")
        return _minutes(start), _minutes(end)

    @field_validator("after_hours", "water_night")
    @classmethod
    def _clock(cls, text: str) -> str:
        for part in text.split("-"):
            hours, minutes = map(int, part.split(":"))
            if hours > 24 or minutes > 59 or (hours == 24 and minutes):
                raise ValueError(f"{part} is not a time of day (00:00–24:00)")
        return text


    @field_validator("water_night")
    @classmethod
    def _same_night(cls, text: str) -> str:
        start, end = (_minutes(part) for part in text.split("-"))
        if start >= end:
            raise ValueError(f"{text}: the night window lies within one night, after midnight "
                             "(e.g. 01:00-05:00)")
        return text


def _minutes(text: str) -> int:
    hours, minutes = map(int, text.split(":"))
    return hours * 60 + minutes


class ReportSettings(_Model):
    """`report:` — every key optional; without `email` the report is only written to files.

    When the service runs it is `service.report_at` (local time), not a key here.
    """

    language: Literal["zh", "en"] | None = Field(default=None,
                                                 description="default: site.language")
    out_dir: str = Field(default="reports", description="relative to the config file")
    font: str | None = Field(default=None, description="CJK font family; default: first found "
                                                      "of Noto Sans CJK SC, Source Han Sans SC, …")
    email: EmailSettings | None = None
    anomalies: AnomalyThresholds = Field(default_factory=AnomalyThresholds)
