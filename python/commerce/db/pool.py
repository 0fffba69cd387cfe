"""The connection pools of a worker. Connections are autocommit: reads are one round trip, writes open an explicit
`conn.transaction()` — and nothing else lives in a session, so the pool may sit behind a transaction pooler."""

import asyncio
from contextlib import AbstractAsyncContextManager
from time import monotonic
from types import TracebackType
from typing import Any

from psycopg import AsyncConnection, OperationalError, pq
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from commerce.db.connect import behind_pooler, session_kwargs

_IDLE = pq.TransactionStatus.IDLE
Conn = AsyncConnection[TupleRow]


class Pool(AsyncConnectionPool[Conn]):
    """psycopg_pool's pool with a short way in and out when nothing is in the way: a connection ready in the pool
    and nobody waiting for one, then given back idle and within its lifetime. That is the pool's own bookkeeping
    (its deque, counters and the ShrinkPool minimum) without its lock, logging, connection-check and reset hooks and
    the connection's own context (a commit, a lock and a wait, with nothing to commit on an idle autocommit
    connection): 258 k -> 197 k worker instructions per GET /store/customers/me (callgrind, in process). Anything
    else takes psycopg_pool's path. It relies on psycopg_pool's private attributes (pinned: 3.3.3);
    tests/db/test_pool.py covers both paths."""

    def connection(self, timeout: float | None = None) -> "_Lease":  # type: ignore[override]
        return _Lease(self, timeout)

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
        conn = self._pool._take()
        if conn is None:
            self._slow = AsyncConnectionPool.connection(self._pool, self._timeout)
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
