"""The `platform:` section of the site config (see README, "Uploading to the energy-monitoring
platform"). Rules across sections — buildings, codes, keys, units — are in `checks.py`, which
never prints a key."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from civicwatt.platform.profiles import PROFILES


class PlatformSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profile: str = Field(default="gb-2008", description="a name in the profile registry")
    host: str = Field(min_length=1)
    port: int = Field(ge=1, le=65535)
    gateway_id: str = Field(default="01", pattern=r"^[0-9A-Za-z_-]{1,20}$",
                            description="the collector number the platform assigned")
    auth_key: SecretStr = Field(description="the key of the MD5 handshake; use ${ENV}")
    aes_key: SecretStr | None = Field(default=None, description="16 ASCII characters or 32 hex "
                                      "digits; default: auth_key")
    encrypt: bool = True
    md5_order: Literal["seq+key", "key+seq"] = "seq+key"
    buildings: dict[str, str] = Field(min_length=1, description="civicwatt building id → the "
                                      "platform's building_id")
    heartbeat_s: float = Field(default=60, gt=0, description="heart_beat after this much quiet")
    reply_timeout_s: float = Field(default=30, gt=0, description="wait this long for a reply")
    items_as: Literal["energy_items", "meters"] = "energy_items"
    units: dict[str, str] = Field(default_factory=dict, description="class code → unit the "
                                  "platform wants, e.g. {\"04000\": kWh}")
    codes: dict[str, str] = Field(default_factory=dict, description="site purpose code → "
                                  "platform code, for codes outside the profile's table")
    every_s: float = Field(default=300, gt=0, description="period of the upload job in run")
    lookback_days: int = Field(default=35, ge=1, le=400, description="the upload job looks this "
                               "far back for new and re-metered hours")
    incomplete_after_h: float = Field(default=3, ge=0, description="send an hour that is still "
                                      "missing a meter's intervals this long after it ended")

    @field_validator("profile")
    @classmethod
    def _known(cls, name: str) -> str:
        if name not in PROFILES:
            raise ValueError(f"one of the profiles {', '.join(sorted(PROFILES))} (another "
                             "platform's dialect is a new profile, see README)")
        return name
