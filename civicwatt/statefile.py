"""The site's state file (`service.spool`, docs/growth.md §5): one way to open it for a table set.

Tables of different owners (the platform outbox, the API keys) share the spool's SQLite file;
each opens its own autocommit connection in WAL mode with FULL sync (a committed ack or key
survives a power cut) and creates its tables if they are missing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_state(path: Path, schema: str) -> sqlite3.Connection:
    """An autocommit connection to the state file with `schema` created; raises sqlite3.Error
    or OSError for the caller to name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db
