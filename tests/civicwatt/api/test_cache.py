"""The energy answer cache: lifetime, data generation, single flight, failures, bounds."""

from __future__ import annotations

import asyncio

import pytest

from civicwatt.api.cache import ResponseCache


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def counting(body: bytes = b"doc"):
    calls = []

    async def make() -> bytes:
        calls.append(1)
        await asyncio.sleep(0.01)
        return body + str(len(calls)).encode()

    return make, calls


def test_an_entry_lives_ttl_seconds_and_only_in_its_generation():
    clock, generation = Clock(), {"g": 1}
    cache = ResponseCache(60, lambda: generation["g"], clock=clock)
    make, calls = counting()

    async def run():
        first = await cache.get("k", make)
        clock.now = 59.9
        assert await cache.get("k", make) == first  # still fresh
        clock.now = 60.0
        assert await cache.get("k", make) == b"doc2"  # expired
        generation["g"] = 2  # metering ran: stale at once
        assert await cache.get("k", make) == b"doc3"
        assert await cache.get("other", make) == b"doc4"

    asyncio.run(run())
    assert len(calls) == 4


def test_concurrent_misses_make_one_store_query():
    cache = ResponseCache(60)
    make, calls = counting()

    async def run():
        return await asyncio.gather(*(cache.get("k", make) for _ in range(50)))

    assert set(asyncio.run(run())) == {b"doc1"} and len(calls) == 1


def test_a_failure_reaches_every_waiter_and_is_not_kept():
    cache = ResponseCache(60)
    attempts = []

    async def failing() -> bytes:
        attempts.append(1)
        await asyncio.sleep(0.01)
        raise RuntimeError("store down")

    async def run():
        results = await asyncio.gather(*(cache.get("k", failing) for _ in range(3)),
                                       return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        with pytest.raises(RuntimeError):
            await cache.get("k", failing)

    asyncio.run(run())
    assert len(attempts) == 2


def test_zero_ttl_never_keeps_and_the_size_is_bounded():
    make, calls = counting()
    off = ResponseCache(0)
    small = ResponseCache(60, max_entries=2)

    async def run():
        await off.get("k", make)
        await off.get("k", make)
        for key in ("a", "b", "c", "a"):
            await small.get(key, make)

    asyncio.run(run())
    assert len(calls) == 6  # 2 uncached, then a, b, c and a again (evicted by c)
