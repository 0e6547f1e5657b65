"""API keys: made once, stored hashed in the site's state file, verified fast.

A key reads `cw_<id>_<secret>`: the 12-hex-digit id is public (it names the key in
`apikey list` and lets a request find its record), the secret is 32 random bytes. The table
`api_keys` in the spool file (`service.spool`, docs/growth.md §5) holds the argon2id hash of
the whole key, never the key.

argon2id costs ~50 ms and 64 MiB on purpose, which no request can pay. `Verifier` pays it
once per key and process, then remembers the key's SHA-256 digest and compares later
requests with it in constant time. It re-reads the table at most every `refresh_s`, so a key
revoked or expired by another process (`civicwatt apikey revoke`) stops working within that
time, and drops its remembered digest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from civicwatt.statefile import open_state

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL,
    created_ns INTEGER NOT NULL, expires_ns INTEGER, revoked_ns INTEGER);
"""
KEY_PATTERN = re.compile(r"^cw_([0-9a-f]{12})_[A-Za-z0-9_\-]{43}$")
NAME_PATTERN = r"^[^\x00-\x1f\x7f]{1,64}$"
SCOPE_PATTERN = re.compile(r"^(read|read:building:[A-Za-z0-9_][A-Za-z0-9_.\-]*|write:readings)$")
_HASHER = PasswordHasher()


class ApiKeyError(OSError):
    """A key operation the user can fix (a name taken, none to revoke, an unreadable file)."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    scopes: tuple[str, ...]
    created_ns: int
    expires_ns: int | None
    revoked_ns: int | None

    def status(self, now_ns: int) -> str:
        if self.revoked_ns is not None:
            return "revoked"
        if self.expires_ns is not None and now_ns >= self.expires_ns:
            return "expired"
        return "active"

    @property
    def scope(self) -> str:
        return " ".join(self.scopes)


class KeyStore:
    """The `api_keys` table; one connection shared under a lock."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._db = open_state(self.path, _SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise ApiKeyError(f"API keys in {self.path}: cannot open: {exc}; check that "
                            "service.spool names a writable file") from None
        self._lock = threading.Lock()

    def create(self, name: str, scopes: tuple[str, ...], expires_ns: int | None,
               now_ns: int | None = None) -> tuple[ApiKey, str]:
        """A new key and its text (shown once, stored only hashed)."""
        now = now_ns or time.time_ns()
        if any(k.name == name and k.status(now) == "active" for k in self.all()):
            raise ApiKeyError(f"an active key is already named {name!r}: names identify keys in "
                            "the logs; choose another name or revoke that key first")
        key_id = secrets.token_hex(6)
        text = f"cw_{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id, name, scopes, now, expires_ns, None)
        self._execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, NULL)",
                      (key_id, name, key.scope, _HASHER.hash(text), now, expires_ns))
        return key, text

    def revoke(self, name: str, now_ns: int | None = None) -> list[ApiKey]:
        """Revoke every active key of that name; ApiKeyError when there is none."""
        now = now_ns or time.time_ns()
        active = [k for k in self.all() if k.name == name and k.status(now) == "active"]
        if not active:
            known = sorted({k.name for k in self.all() if k.status(now) == "active"})
            raise ApiKeyError(f"no active key named {name!r}; active keys: "
                            f"{', '.join(known) or 'none'} (see civicwatt apikey list)")
        for key in active:
            self._execute("UPDATE api_keys SET revoked_ns = ? WHERE id = ?", (now, key.id))
        return active

    def all(self) -> list[ApiKey]:
        return [key for key, _ in self.records().values()]

    def records(self) -> dict[str, tuple[ApiKey, str]]:
        """id → (key, argon2 hash)."""
        with self._lock:
            try:
                rows = self._db.execute("SELECT id, name, scope, created_ns, expires_ns, "
                                        "revoked_ns, hash FROM api_keys ORDER BY created_ns"
                                        ).fetchall()
            except sqlite3.Error as exc:
                raise ApiKeyError(f"API keys in {self.path}: {exc}") from None
        return {r[0]: (ApiKey(r[0], r[1], tuple(r[2].split()), r[3], r[4], r[5]), r[6])
                for r in rows}

    def _execute(self, sql: str, args: tuple) -> None:
        with self._lock:
            try:
                self._db.execute(sql, args)
            except sqlite3.Error as exc:
                raise ApiKeyError(f"API keys in {self.path}: {exc}") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass(frozen=True)
class Outcome:
    """What a presented key turned out to be: `key` when it may be used, else why not."""

    key: ApiKey | None
    reason: str  # "ok", "malformed", "unknown", "wrong secret", "revoked", "expired"


class Verifier:
    """Presented key text → Outcome; argon2 once per key and process (see the module doc)."""

    #: an unknown key re-reads the table at once (a key `apikey create` just made), at most this
    #: often: unknown keys are also bounded by `api.auth_failures_per_min`
    UNKNOWN_REFRESH_S = 0.05

    def __init__(self, store: KeyStore, refresh_s: float = 1.0, clock=time.time_ns) -> None:
        self.store, self.refresh_s, self.clock = store, refresh_s, clock
        self._records: dict[str, tuple[ApiKey, str]] = {}
        self._digests: dict[str, bytes] = {}  # key id → SHA-256 of the verified key text
        self._loaded = -float("inf")
        self._lock = threading.Lock()
        self._hashing = threading.BoundedSemaphore(2)  # 64 MiB each: never 50 at once
        self._per_key: dict[str, threading.Lock] = {}

    def quick(self, text: str) -> Outcome | None:
        """The outcome without hashing, or None when only `verify` can tell."""
        match = KEY_PATTERN.match(text)
        if match is None:
            return Outcome(None, "malformed")
        self._refresh()
        record = self._records.get(match.group(1))
        if record is None and self._refresh(self.UNKNOWN_REFRESH_S):  # a key made just now
            record = self._records.get(match.group(1))
        if record is None:
            return Outcome(None, "unknown")
        key = record[0]
        status = key.status(self.clock())
        if status != "active":
            return Outcome(key, status)
        known = self._digests.get(key.id)
        if known is None:
            return None
        if hmac.compare_digest(known, hashlib.sha256(text.encode()).digest()):
            return Outcome(key, "ok")
        return Outcome(key, "wrong secret")

    def verify(self, text: str) -> Outcome:
        """The full check (argon2id, ~50 ms): run it off the event loop."""
        outcome = self.quick(text)
        if outcome is not None:
            return outcome
        key_id = KEY_PATTERN.match(text).group(1)
        with self._lock:
            one_at_a_time = self._per_key.setdefault(key_id, threading.Lock())
        with one_at_a_time:  # the first request of a key hashes; those waiting reuse it
            outcome = self.quick(text)
            if outcome is not None:
                return outcome
            key, hashed = self._records[key_id]
            with self._hashing:
                try:
                    _HASHER.verify(hashed, text)
                except (VerificationError, InvalidHashError):
                    return Outcome(key, "wrong secret")
            with self._lock:
                self._digests[key.id] = hashlib.sha256(text.encode()).digest()
        return Outcome(key, "ok")

    def _refresh(self, every_s: float | None = None) -> bool:
        """Re-read the table if it is older than `every_s` (default `refresh_s`)."""
        now = time.monotonic()
        if now - self._loaded < (self.refresh_s if every_s is None else every_s):
            return False
        records = self.store.records()
        with self._lock:
            self._loaded = now
            self._records = records
            at = self.clock()
            self._digests = {i: d for i, d in self._digests.items()
                             if i in records and records[i][0].status(at) == "active"}
        return True
