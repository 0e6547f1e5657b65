"""Store errors, and why the store failed (the `cause` every caller reports the same way).

    StoreError                 anything the store could not do
    ├── StoreUnavailable       the store cannot take the request now: keep the data, retry
    │                          later; `cause` says why (credentials, missing database, ...)
    └── StoreRejected          the store refused the data itself (a 400 naming a bad line):
                               retrying the same bytes won't help
    StoreURLError (ValueError) a store URL that can't be used: fix the config

Only `StoreRejected` may ever move a reading to the dead-letter table. Everything an operator
can fix without touching the data (a rotated password, a deleted database, a quota, a
restart) is `StoreUnavailable`, so the readings wait in the spool and land once it is fixed.
"""

from __future__ import annotations

#: cause → what it means and what to do (the health endpoint and the logs show it)
CAUSES: dict[str, str] = {
    "auth": "the store refused the credentials (HTTP 401/403): fix the user and password or "
            "the token in store.url / its environment variable; readings wait in the spool",
    "database_missing": "the database or bucket does not exist (HTTP 404) and could not be "
                        "created: create it or grant the user the right to",
    "rate_limited": "the store asks to slow down (HTTP 429): writes resume after its "
                    "Retry-After or the backoff",
    "server_error": "the store answered with a server error (HTTP 5xx): check its log and "
                    "disk; writes resume when it recovers",
    "network": "the store did not answer (connection refused, timeout, DNS): check that it "
               "runs and the host and port in store.url",
    "refused": "the store refused the request for a reason that is not about one reading: "
               "see the error; readings wait in the spool",
    "local": "the local store file cannot be written (disk full, permissions, locked)",
}


class StoreError(Exception):
    """Base class of the store's errors."""


class StoreUnavailable(StoreError):
    """The store cannot take the request now; callers keep the data and retry with backoff.

    `cause` is a key of `CAUSES`; `retry_after` (seconds) is the store's own hint, if any.
    """

    def __init__(self, message: str, cause: str = "network",
                 retry_after: float | None = None) -> None:
        super().__init__(message)
        self.cause = cause if cause in CAUSES else "refused"
        self.retry_after = retry_after


class StoreRejected(StoreError):
    """The store refused the data (a line it cannot parse or a field type conflict)."""


class StoreURLError(StoreError, ValueError):
    """A store URL that names no known backend or lacks a required part."""
