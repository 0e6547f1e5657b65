"""Store errors.

    StoreError                 anything the store could not do
    ├── StoreUnavailable       the database is down or unreachable: retry later
    └── StoreRejected          the database refused the request: retrying won't help
    StoreURLError (ValueError) a store URL that can't be used: fix the config
"""


class StoreError(Exception):
    """Base class of the store's errors."""


class StoreUnavailable(StoreError):
    """The database did not answer or answered 5xx; callers retry with backoff."""


class StoreRejected(StoreError):
    """The database answered but refused the request (bad data, auth, missing bucket)."""


class StoreURLError(StoreError, ValueError):
    """A store URL that names no known backend or lacks a required part."""
