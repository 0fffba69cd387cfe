"""Cached: reloaded after a change, once for concurrent requests (which wait for a reload in flight), and, with
min_interval, at most that often."""

import asyncio
from typing import Any

from commerce.db.changes import Cached, ChangeFeed


class Loader:
    def __init__(self) -> None:
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, pool: Any) -> int:
        self.calls += 1
        await self.gate.wait()
        return self.calls


def _feed() -> ChangeFeed:
    feed = ChangeFeed("postgresql://unused")  # never started: the test plays its NOTIFYs
    feed.connected = True
    return feed


def test_a_change_reloads_once_and_requests_during_a_reload_wait_for_it() -> None:
    async def run() -> None:
        load = Loader()
        cached = Cached(_feed(), ("t",), load)
        assert await cached.get(None) == 1  # type: ignore[arg-type]
        assert await cached.get(None) == 1  # type: ignore[arg-type]
        cached.invalidate()
        load.gate.clear()
        first = asyncio.create_task(cached.get(None))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        second = asyncio.create_task(cached.get(None))  # type: ignore[arg-type]
        await asyncio.sleep(0)
        assert not second.done(), "a request during a reload waits for its result"
        load.gate.set()
        assert (await first, await second) == (2, 2)
        assert load.calls == 2

    asyncio.run(run())


def test_min_interval_keeps_the_value_until_it_has_passed() -> None:
    async def run() -> None:
        load = Loader()
        cached = Cached(_feed(), ("t",), load, min_interval=3600)
        assert await cached.get(None) == 1  # type: ignore[arg-type]
        cached.invalidate()
        assert await cached.get(None) == 1, "within the interval a change waits"  # type: ignore[arg-type]
        cached._loaded_at -= 3600  # the interval has passed
        assert await cached.get(None) == 2  # type: ignore[arg-type]

    asyncio.run(run())
