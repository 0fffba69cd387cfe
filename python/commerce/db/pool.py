"""The one connection pool per worker. Connections are autocommit: reads are one round trip,
writes open an explicit `conn.transaction()`."""

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool


def make_pool(database_url: str, size: int, timeout: float = 5.0) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """`timeout`: seconds a caller waits for a free connection before PoolTimeout (the app answers 503): a full
    pool or a database that is away makes requests fail fast instead of queueing without end."""
    return AsyncConnectionPool(
        database_url,
        min_size=min(2, size),
        max_size=size,
        open=False,
        timeout=timeout,
        # UTC on the wire: timestamps come back as UTC datetimes and encode with a Z.
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
        name="commerce",
    )
