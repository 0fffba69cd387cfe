"""Per-worker caches of PostgreSQL data, refreshed when PostgreSQL NOTIFYs that a table changed.

Triggers (migrations) send the table name on channel `commerce_changes`; other channels carry row ids (the
catalog's `commerce_catalog`: the products a commit changed), handed to whoever listens to them. Several processes or
machines stay coherent without a cache server. While the listener is not connected, caches
reload on every read, so a lost notification can never leave a worker serving stale data.

LISTEN needs a session of its own, so the feed connects to DATABASE_LISTEN_URL (a direct connection when the app's
URL is a transaction pooler, where a LISTEN would be left behind on whichever server connection ran it). With no
URL to listen on, the feed never connects and caches read through: slower, never stale. With a read replica, a
cache reloads from it only once the replica shows the change that invalidated the cache (`Replica.source`).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from time import monotonic
from typing import Any, Generic, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool

from commerce.db.replica import Replica
from commerce.db.replica import read as replica_read

log = logging.getLogger("commerce.changes")
T = TypeVar("T")
CHANNEL = "commerce_changes"


def listen_url(listen: str | None, database_url: str, pooled: bool) -> str | None:
    """Where the feed LISTENs: DATABASE_LISTEN_URL, else the app's URL unless it is a transaction pooler (None)."""
    if listen:
        return listen
    if pooled:
        log.warning("DATABASE_URL is a transaction pooler and DATABASE_LISTEN_URL is unset: caches read through")
        return None
    return database_url


class ChangeFeed:
    def __init__(self, database_url: str | None, replica: Replica | None = None) -> None:
        self._database_url = database_url
        self.replica = replica
        self._watchers: dict[str, list[Callable[[], None]]] = {}
        self._all: list[Callable[[], None]] = []
        self._channels: dict[str, list[Callable[[str], None]]] = {}
        self._connection: list[Callable[[bool], None]] = []
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def watch(self, tables: Iterable[str], invalidate: Callable[[], None]) -> None:
        for table in tables:
            self._watchers.setdefault(table, []).append(invalidate)
        self._all.append(invalidate)

    def listen(self, channel: str, on_payload: Callable[[str], None], on_connection: Callable[[bool], None]) -> None:
        """Hand each payload on `channel` to `on_payload`; `on_connection(connected)` is told when the feed connects
        (anything cached before may have missed a change) and when it is lost."""
        self._channels.setdefault(channel, []).append(on_payload)
        self._connection.append(on_connection)

    def _connected(self, connected: bool) -> None:
        self.connected = connected
        for tell in self._connection:
            tell(connected)

    async def start(self) -> None:
        if self._database_url is None:
            return
        self._task = asyncio.create_task(self._run(), name="commerce-change-feed")
        # Wait briefly for LISTEN so the first requests are served from the cache; if the database is slow
        # to answer, requests simply read through until it is.
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=5)
        except TimeoutError:
            log.warning("change feed not connected yet; caches read through")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def _invalidate_all(self) -> None:
        for invalidate in self._all:
            invalidate()

    async def _run(self) -> None:
        assert self._database_url is not None
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(self._database_url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    for channel in self._channels:
                        await conn.execute(f"LISTEN {channel}")
                    # Anything cached before LISTEN may have missed a change.
                    self._invalidate_all()
                    self._connected(True)
                    self._ready.set()
                    async for notify in conn.notifies():
                        if notify.channel == CHANNEL:
                            for invalidate in self._watchers.get(notify.payload, ()):
                                invalidate()
                        else:
                            for on_payload in self._channels.get(notify.channel, ()):
                                on_payload(notify.payload)
            except asyncio.CancelledError:
                self._connected(False)
                raise
            except Exception as exc:  # any connection failure: read through, then reconnect
                self._connected(False)
                self._invalidate_all()
                log.warning("change feed lost (%s); reconnecting", exc)
                await asyncio.sleep(0.5)


class Cached(Generic[T]):
    """A value loaded from the database, reloaded after a change to one of its tables. With `min_interval` (seconds)
    a value that changes all the time (stock under checkout traffic) is reloaded at most that often: what it shows
    may be that much behind, so it must be a display, never the check that decides (checkout decides in SQL)."""

    def __init__(
        self,
        feed: ChangeFeed,
        tables: Iterable[str],
        load: Callable[[AsyncConnectionPool[Any]], Awaitable[T]],
        *,
        min_interval: float = 0.0,
    ) -> None:
        self._feed = feed
        self._load = load
        self._value: T | None = None
        self._stale = True
        self._lock = asyncio.Lock()
        self._min_interval = min_interval
        self._loaded_at = 0.0
        self._refresh: asyncio.Task[T] | None = None
        self._invalidated_at = monotonic()
        feed.watch(tables, self.invalidate)

    def invalidate(self) -> None:
        self._stale = True
        self._invalidated_at = monotonic()

    async def _load_fresh(self, pool: AsyncConnectionPool[Any]) -> T:
        """Load from the replica when it already shows the change that made this value stale, else the primary."""
        return await replica_read(self._feed.replica, pool, self._invalidated_at, self._load)

    def peek(self, pool: AsyncConnectionPool[Any]) -> T | None:
        """The value as this worker holds it now, without waiting: for a caller that already holds a connection of
        `pool` (awaiting `get` there could wait for a second one while every connection waits the same way). A stale
        value is reloaded in the background, for the next caller."""
        if (self._value is None or self._stale or not self._feed.connected) and (
            self._refresh is None or self._refresh.done()
        ):
            self._refresh = asyncio.get_running_loop().create_task(self.get(pool), name="commerce-cache-refresh")
            self._refresh.add_done_callback(_quiet)
        return self._value

    def expire(self) -> None:
        """Stale now, whatever `min_interval` says: the next `get` reloads (a change that must show at once)."""
        self._stale = True
        self._loaded_at = 0.0

    async def get(self, pool: AsyncConnectionPool[Any], *, fresh: bool = False) -> T:
        """The value; `fresh` ignores `min_interval` (it reloads if a change was notified since the last load)."""
        if not self._feed.connected:
            return await self._load(pool)
        if (
            not fresh
            and self._value is not None
            and self._min_interval
            and monotonic() - self._loaded_at < self._min_interval
        ):
            return self._value
        # A request that arrives while a reload runs waits for it: the change it may follow is in that reload.
        if self._stale or self._value is None or self._lock.locked():
            async with self._lock:
                if self._stale or self._value is None:
                    # Clear first: a change notified while loading marks it stale again.
                    self._stale = False
                    try:
                        self._value = await self._load_fresh(pool)
                        self._loaded_at = monotonic()
                    except BaseException:
                        self._stale = True
                        raise
        return self._value


def _quiet(task: "asyncio.Task[Any]") -> None:
    """A background reload that failed is retried by the next reader; logged, never raised into the loop."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("background reload failed: %s", task.exception())
