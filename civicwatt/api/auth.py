"""Who is asking: the one dependency that turns a request's key into a `Principal` or refuses.

No key → 401; a malformed, unknown, wrong, revoked or expired key → 401 (the log says which,
with the key's name when the id is known; never the key); a client address past
`api.auth_failures_per_min` failed attempts → 429 before any hashing; a key past its rate
limit (`api.rate_limit`, a token bucket per key) → 429 with `Retry-After`. Scopes are checked
by `require_*` and, for a building, by `civicwatt.api.ids`.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from civicwatt.api.keys import ApiKey, ApiKeyError, Verifier
from civicwatt.api.problems import ApiError
from civicwatt.api.settings import ApiSettings

_BEARER = HTTPBearer(auto_error=False, description="Authorization: Bearer KEY")
_HEADER = APIKeyHeader(name="X-API-Key", auto_error=False, description="X-API-Key: KEY")
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="civicwatt"'}


@dataclass(frozen=True)
class Principal:
    key: ApiKey

    @property
    def name(self) -> str:
        return self.key.name

    def reads(self, building: str | None = None) -> bool:
        """May read the whole site (building None) or this building."""
        return "read" in self.key.scopes or (
            building is not None and f"read:building:{building}" in self.key.scopes)

    def reads_some(self) -> bool:
        return any(s == "read" or s.startswith("read:") for s in self.key.scopes)


class _Buckets:
    """Token buckets by key id: `rate` a second, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when the request may go, else the seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, then = self._state.get(key, (float(self.burst), now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._state[key] = (tokens - 1, now)
                return 0.0
            self._state[key] = (tokens, now)
            return (1 - tokens) / self.rate


class _Failures:
    """Failed authentications per client address in the last minute."""

    def __init__(self, limit: int, clock=time.monotonic) -> None:
        self.limit, self.clock = limit, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def wait(self, client: str) -> float:
        now = self.clock()
        with self._lock:
            times = self._seen.get(client)
            while times and now - times[0] >= 60:
                times.popleft()
            if not times:
                self._seen.pop(client, None)
                return 0.0
            return 60 - (now - times[0]) if len(times) >= self.limit else 0.0

    def add(self, client: str) -> None:
        with self._lock:
            if len(self._seen) > 100_000:  # a flood of addresses: forget the oldest half
                for stale in list(self._seen)[:50_000]:
                    del self._seen[stale]
            self._seen.setdefault(client, deque()).append(self.clock())


class Guard:
    """The API's authentication and rate limits; `principal` is the FastAPI dependency."""

    def __init__(self, verifier: Verifier, settings: ApiSettings, clock=time.monotonic) -> None:
        self.verifier = verifier
        self.buckets = _Buckets(settings.rate_limit.per_s, settings.rate_limit.burst, clock)
        self.failures = _Failures(settings.auth_failures_per_min, clock)

    async def principal(
        self, request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Security(_BEARER)] = None,
        header: Annotated[str | None, Security(_HEADER)] = None,
    ) -> Principal:
        text = header or (bearer.credentials if bearer is not None else None)
        if not text:
            raise ApiError(401, "no API key: send 'Authorization: Bearer KEY' or 'X-API-Key: "
                           "KEY' (make one with civicwatt apikey create)", _CHALLENGE, "no key")
        client = request.client.host if request.client else "-"
        wait = self.failures.wait(client)
        if wait:
            raise ApiError(429, f"too many failed API keys from {client}; wait "
                           f"{math.ceil(wait)} s", {"Retry-After": str(math.ceil(wait))},
                           "failed-authentication limit")
        try:
            outcome = self.verifier.quick(text) or await run_in_threadpool(
                self.verifier.verify, text)
        except ApiKeyError as exc:
            raise ApiError(503, "API keys cannot be read right now; try again shortly",
                           {"Retry-After": "5"}, str(exc)) from None
        if outcome.key is not None:
            request.state.key_name = outcome.key.name
            request.state.key_id = outcome.key.id
        if outcome.reason != "ok":
            self.failures.add(client)
            raise ApiError(401, f"API key refused: it is {_WHY[outcome.reason]}", _CHALLENGE,
                           f"{outcome.reason} key")
        wait = self.buckets.take(outcome.key.id)
        if wait:
            seconds = max(1, math.ceil(wait))
            raise ApiError(429, f"rate limit of this key reached; retry in {seconds} s "
                           "(api.rate_limit)", {"Retry-After": str(seconds)}, "rate limit")
        return Principal(outcome.key)


_WHY = {"malformed": "not a civicwatt key (cw_<id>_<secret>)", "unknown": "not known here",
        "wrong secret": "not valid", "revoked": "revoked", "expired": "expired"}


def require_site(principal: Principal) -> Principal:
    """Site-wide data (reports): the `read` scope."""
    if not principal.reads():
        raise ApiError(403, f"key {principal.name!r} (scope {principal.key.scope}) may not read "
                       "site-wide data; that needs scope read", reason="scope")
    return principal


def require_reader(principal: Principal) -> Principal:
    if not principal.reads_some():
        raise ApiError(403, f"key {principal.name!r} (scope {principal.key.scope}) may not read; "
                       "that needs scope read or read:building:ID", reason="scope")
    return principal
