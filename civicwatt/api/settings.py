"""The `api:` section of the site config: the read API `civicwatt run` serves on `service.http`.

Off by default; `/healthz` and `/metrics` are served either way. Rules that need other
sections or the file system (TLS files, a public address without TLS) are in `check_api`.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimit(_Model):
    """A token bucket per API key: `per_s` requests a second on average, `burst` at once."""

    per_s: float = Field(default=20.0, gt=0, le=100_000, description="requests a second per key")
    burst: int = Field(default=60, ge=1, le=1_000_000, description="requests at once per key")


class ApiTls(_Model):
    """uvicorn's own TLS (without a reverse proxy); files relative to the config."""

    cert_file: str = Field(description="PEM certificate chain")
    key_file: str = Field(description="PEM private key (unencrypted, readable only by civicwatt)")


class ApiSettings(_Model):
    enabled: bool = Field(default=False, description="serve /api/v1 beside /healthz and /metrics")
    cors_origins: list[str] = Field(default_factory=list, description="browser origins allowed "
                                    "to call the API (https://portal.example.org); none: no CORS")
    rate_limit: RateLimit = Field(default_factory=RateLimit)
    auth_failures_per_min: int = Field(default=10, ge=1, le=10_000, description="failed "
                                       "authentications a client address may make a minute "
                                       "before it gets 429 (each costs a memory-hard hash)")
    max_body_bytes: int = Field(default=1 << 20, ge=1024, le=64 << 20,
                                description="larger request bodies get 413")
    max_url_bytes: int = Field(default=4096, ge=256, le=65_536,
                               description="longer request targets (path + query) get 414")
    cache_s: float = Field(default=300, ge=0, le=86_400, description="energy answers are kept "
                           "this long (and until the next metering run); 0: never")
    store_concurrency: int = Field(default=4, ge=1, le=64, description="store queries in "
                                   "flight at once; more requests wait their turn")
    forwarded_allow_ips: list[str] = Field(default_factory=list, description="reverse proxies "
                                           "whose X-Forwarded-For/-Proto are trusted")
    tls: ApiTls | None = None

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            parts = urlsplit(origin)
            if origin == "*" or parts.scheme not in ("http", "https") or not parts.hostname \
                    or parts.path not in ("",) or parts.query or parts.fragment:
                raise ValueError(f"{origin!r}: an origin is scheme://host[:port], e.g. "
                                 "https://portal.example.org (no path, no wildcard: keys "
                                 "must not be usable from any web page)")
        return origins

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r}: an IP address or network such as 127.0.0.1 or "
                                 "10.0.0.0/24") from None
        return values


def check_api(api: ApiSettings | None, base: Path) -> list[tuple]:
    """(path, value, why) for TLS files that are not there."""
    found: list[tuple] = []
    if api is None or api.tls is None:
        return found
    for key in ("cert_file", "key_file"):
        name = getattr(api.tls, key)
        if not (base / name).is_file():
            found.append((("api", "tls", key), name, f"no such file next to the config "
                          f"({base / name}); give the PEM file's path, relative to the config"))
    return found


def plain_public_address(api: ApiSettings, http: str) -> bool:
    """The API would answer on a non-loopback address without TLS (keys in clear text)."""
    host = http.rsplit(":", 1)[0].strip("[]")
    if not api.enabled or api.tls is not None or host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True
