"""The one connection pool per worker. Connections are autocommit: reads are one round trip,
writes open an explicit `conn.transaction()`."""

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool


def make_pool(database_url: str, size: int, timeout: float = 30.0) -> AsyncConnectionPool[AsyncConnection[TupleRow]]:
    """`timeout`: how long a request waits for a free connection before PoolTimeout (answered 503 + Retry-After)."""
    return AsyncConnectionPool(
        database_url,
        min_size=min(2, size),
        max_size=size,
        timeout=timeout,
        open=False,
        # UTC on the wire: timestamps come back as UTC datetimes and encode with a Z.
        kwargs={"autocommit": True, "options": "-c TimeZone=UTC"},
        name="commerce",
    )
