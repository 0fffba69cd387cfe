"""The connection pools of a worker. Connections are autocommit: reads are one round trip, writes open an explicit
`conn.transaction()` — and nothing else lives in a session, so the pool may sit behind a transaction pooler."""

import asyncio
from collections import deque
from contextlib import AbstractAsyncContextManager
from time import monotonic
from types import TracebackType
from typing import Any

from psycopg import AsyncConnection, OperationalError, pq
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool, PoolClosed, PoolTimeout

from commerce.db.connect import behind_pooler, session_kwargs

_IDLE = pq.TransactionStatus.IDLE
Conn = AsyncConnection[TupleRow]


class Pool(AsyncConnectionPool[Conn]):
    """psycopg_pool's pool with a short way in and out when nothing is in the way: a connection ready in the pool
    and nobody waiting for one, then given back idle and within its lifetime. That is the pool's own bookkeeping
    (its deque, counters and the ShrinkPool minimum) without its lock, logging, connection-check and reset hooks and
    the connection's own context (a commit, a lock and a wait, with nothing to commit on an idle autocommit
    connection): 258 k -> 197 k worker instructions per GET /store/customers/me (callgrind, in process).
    A pool at its full size with every connection out (a busy worker: under 64 connections of cart changes on one
    worker 98 % of leases found it so) queues the caller on a future of its own, and a connection given back the
    short way goes straight to the first caller queued. psycopg_pool's own queue (its lock, a condition and a timed
    wait per caller) cost ~12 % of the worker's CPU per add-to-cart there (py-spy). Anything else (a pool that may
    still grow, a connection check) takes psycopg_pool's path. It relies on psycopg_pool's private attributes
    (pinned: 3.3.3); tests/db/test_pool.py covers both paths."""

    _queued: "deque[asyncio.Future[Conn]] | None" = None

    def connection(self, timeout: float | None = None) -> "_Lease":  # type: ignore[override]
        return _Lease(self, timeout)

    def _may_queue(self) -> bool:
        """Whether a caller finding no connection ready may wait in this pool's own queue: the pool is open, at its
        full size (psycopg_pool's path would only queue it too), checks no connection and is not busy itself."""
        return not (self._closed or self._nconns < self.max_size or self._check is not None or self._lock.locked())

    async def _wait(self, timeout: float | None) -> Conn:
        if self._queued is None:
            self._queued = deque()
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Conn] = loop.create_future()
        self._queued.append(waiter)
        wait = self.timeout if timeout is None else timeout
        timer = loop.call_later(wait, _expire, waiter, wait)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                await self._give_back(waiter.result(), None)  # handed over as the caller gave up
            raise
        finally:
            timer.cancel()

    def _hand_over(self, conn: Conn) -> bool:
        """Give a connection coming back to the first caller still queued, if any (`_pool` set: it is leased)."""
        while self._queued:
            waiter = self._queued.popleft()
            if not waiter.done():
                conn._pool = self
                waiter.set_result(conn)
                return True
        return False

    def _wake(self) -> None:
        """A connection went back by psycopg_pool's path (or a new one came): the first caller queued takes it."""
        while self._queued and (conn := self._take()) is not None:
            if not self._hand_over(conn):
                conn._pool = None
                self._pool.appendleft(conn)

    async def _add_to_pool(self, conn: Conn) -> None:
        await super()._add_to_pool(conn)
        self._wake()

    async def close(self, timeout: float = 5.0) -> None:
        await super().close(timeout)
        while self._queued:
            waiter = self._queued.popleft()
            if not waiter.done():
                waiter.set_exception(PoolClosed(f"the pool {self.name!r} is already closed"))

    def _take(self) -> Conn | None:
        # One event loop: nothing runs between these lines, so the lock is needed only when a task holds it already.
        if self._closed or not self._pool or self._check is not None or self._lock.locked():
            return None
        conn = self._pool.popleft()
        if len(self._pool) < self._nconns_min:
            self._nconns_min = len(self._pool)
        self._stats[self._REQUESTS_NUM] += 1
        conn._pool = self
        return conn

    def _put_back(self, conn: Conn) -> bool:
        if (
            conn.pgconn.transaction_status != _IDLE
            or self._closed
            or self._waiting
            or self._reset is not None
            or self._pool_full_event is not None
            or self._lock.locked()
            or conn._expire_at <= monotonic()
            or conn._created_at <= self._drained_at
        ):
            return False
        if self._queued and self._hand_over(conn):
            self._stats[self._REQUESTS_NUM] += 1
            return True
        conn._pool = None
        self._pool.append(conn)
        return True

    async def _give_back(self, conn: Conn, exc: BaseException | None) -> None:
        """psycopg_pool's way out: the connection's context exit (rollback on an error), then putconn."""
        try:
            await conn.__aexit__(type(exc) if exc else None, exc, exc.__traceback__ if exc else None)
        finally:
            await self.putconn(conn)


class _Lease:
    """`Pool.connection()`: a class, not an @asynccontextmanager, whose async generator (the loop's hooks keep every
    one in a WeakSet) and wrapping cost ~1.3 us of CPU more per lease (2.25 -> 1.0 us, a lease in a loop)."""

    __slots__ = ("_conn", "_pool", "_slow", "_timeout")

    def __init__(self, pool: Pool, timeout: float | None) -> None:
        self._pool = pool
        self._timeout = timeout
        self._slow: AbstractAsyncContextManager[Conn] | None = None

    async def __aenter__(self) -> Conn:
        pool = self._pool
        conn = pool._take()
        if conn is None:
            if pool._may_queue():
                conn = await pool._wait(self._timeout)
            else:
                self._slow = AsyncConnectionPool.connection(pool, self._timeout)
                conn = await self._slow.__aenter__()
        self._conn = conn
        return conn

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._slow is not None:
            await self._slow.__aexit__(kind, exc, tb)
        elif exc is not None:
            await self._pool._give_back(self._conn, exc)
        elif not self._pool._put_back(self._conn):
            await self._pool._give_back(self._conn, None)


def _expire(waiter: "asyncio.Future[Conn]", wait: float) -> None:
    if not waiter.done():
        waiter.set_exception(PoolTimeout(f"couldn't get a connection after {wait:.2f} sec"))


def make_pool(
    database_url: str, size: int, *, pooled: bool = False, name: str = "commerce", timeout: float = 5.0
) -> Pool:
    """`pooled`: the URL is a transaction pooler (PgBouncer), see `connect.session_kwargs`. `timeout`: seconds a
    caller waits for a free connection before PoolTimeout (the app answers 503): a full pool or a database that is
    away makes requests fail fast instead of queueing without end."""
    kwargs: dict[str, Any] = session_kwargs(pooled)
    return Pool(
        database_url,
        min_size=min(2, size),
        max_size=size,
        open=False,
        kwargs=kwargs,
        name=name,
        timeout=timeout,
    )


async def transaction_pooled(setting: str, database_url: str, wait: float = 30.0) -> bool:
    """DATABASE_POOLING: "transaction" or "none" as said, "auto" as `connect.behind_pooler` finds, trying for up to
    `wait` seconds (as long as the pool waits for its first connection: the database may be starting)."""
    if setting != "auto":
        return setting == "transaction"
    deadline = monotonic() + wait
    while True:
        try:
            return await behind_pooler(database_url)
        except OperationalError:
            if monotonic() >= deadline:
                raise
            await asyncio.sleep(0.5)
