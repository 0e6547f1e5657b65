"""What every router of /api/v1 shares: the site, the store, the key check, the dependencies."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from starlette.responses import Response

from civicwatt.api.auth import Guard
from civicwatt.api.cache import ResponseCache
from civicwatt.api.ids import Deps, Vocabulary
from civicwatt.api.keys import KeyStore, Verifier
from civicwatt.config import SiteConfig
from store import Store

#: device id → True (online), False (offline) or None (not polled yet), from the running poller
DeviceStates = Callable[[], dict[str, bool | None]]


@dataclass
class Api:
    site: SiteConfig
    store: Store
    keys: KeyStore
    devices: DeviceStates | None = None
    #: changes whenever the service rewrote data (its metering and forecast runs)
    generation: Callable[[], Hashable] = lambda: None
    clock: Callable[[], int] = time.time_ns
    vocabulary: Vocabulary = field(init=False)
    guard: Guard = field(init=False)
    deps: Deps = field(init=False)
    pool: ThreadPoolExecutor = field(init=False)
    cache: ResponseCache = field(init=False)

    def __post_init__(self) -> None:
        settings = self.site.api
        self.vocabulary = Vocabulary.of(self.site)
        self.guard = Guard(Verifier(self.keys), settings)
        self.deps = Deps(self.vocabulary, self.guard)
        # store queries in flight at once: the database's share, and the HTTP pool's size
        self.pool = ThreadPoolExecutor(settings.store_concurrency, "api-store")
        self.cache = ResponseCache(settings.cache_s, self.generation)

    async def run(self, fn: Callable, *args, **kwargs):
        """Run a blocking store read on the API's bounded pool."""
        return await asyncio.get_running_loop().run_in_executor(
            self.pool, partial(fn, *args, **kwargs))

    @staticmethod
    def json(document: dict | bytes, status: int = 200) -> Response:
        body = document if isinstance(document, bytes) else encode(document)
        return Response(body, status, media_type="application/json")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def encode(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
