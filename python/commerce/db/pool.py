"""The connection pools of a worker. Connections are autocommit: reads are one round trip, writes open an explicit
`conn.transaction()` — and nothing else lives in a session, so the pool may sit behind a transaction pooler."""

import asyncio
from time import monotonic
from typing import Any

from psycopg import AsyncConnection, OperationalError
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from commerce.db.connect import behind_pooler, session_kwargs


def make_pool(
    database_url: str, size: int, *, pooled: bool = False, name: str = "commerce", timeout: float = 5.0
) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """`pooled`: the URL is a transaction pooler (PgBouncer), see `connect.session_kwargs`. `timeout`: seconds a
    caller waits for a free connection before PoolTimeout (the app answers 503): a full pool or a database that is
    away makes requests fail fast instead of queueing without end."""
    kwargs: dict[str, Any] = session_kwargs(pooled)
    return AsyncConnectionPool(
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
