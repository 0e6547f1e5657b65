"""Energy documents by request, so fifty portals asking for last month cost one store query.

An entry lives `api.cache_s` seconds and only while the service's data generation is the one
it was made in: `civicwatt run` passes the metering and forecast jobs' last successes, so a
re-metered day is never served stale from this process; writers in other processes (a
`civicwatt meter --config` run) are seen within `cache_s`. Concurrent misses of one request
wait for a single store query (single flight). Bounded: the oldest entries go first.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable


class ResponseCache:
    def __init__(self, ttl_s: float, generation: Callable[[], Hashable] = lambda: None,
                 max_entries: int = 2048, clock=time.monotonic) -> None:
        self.ttl_s, self.generation, self.max_entries, self.clock = (
            ttl_s, generation, max_entries, clock)
        self._entries: OrderedDict[Hashable, tuple[float, Hashable, bytes]] = OrderedDict()
        self._flying: dict[Hashable, asyncio.Future] = {}

    async def get(self, key: Hashable, make: Callable[[], Awaitable[bytes]]) -> bytes:
        if self.ttl_s <= 0:
            return await make()
        generation = self.generation()
        entry = self._entries.get(key)
        if entry is not None and entry[1] == generation and self.clock() - entry[0] < self.ttl_s:
            return entry[2]
        flying = self._flying.get(key)
        if flying is not None:
            return await asyncio.shield(flying)
        future = asyncio.get_running_loop().create_future()
        self._flying[key] = future
        try:
            body = await make()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiting requests get it, nobody else must
            raise
        finally:
            del self._flying[key]
        future.set_result(body)
        self._entries[key] = (self.clock(), generation, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)
        return body
