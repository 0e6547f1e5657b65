"""One lock per spool connection: SQLite transactions on one connection must not interleave."""

from __future__ import annotations

import functools


def locked(method):
    """Run a method of an object with a `_lock` under that lock."""

    @functools.wraps(method)
    def run(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return run
