"""A worker's database start, importable without the rest of the app: pending migrations applied, whether the URL is a
transaction pooler, the pool opened with one working connection.

It needs psycopg and commerce.db only, so commerce.boot runs it on the event loop while the rest of commerce.app is
still being imported in a thread: the round trips (connections made, migrations read) wait beside the import instead
of after it. App.startup runs it itself when it is not given one (`granian commerce.app:create_app`, tests)."""

import asyncio
import os
from dataclasses import dataclass

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

from commerce.db.connect import plain_when_local
from commerce.db.migrate import apply_pending
from commerce.db.pool import make_pool, transaction_pooled
from commerce.settings import Settings


@dataclass
class Database:
    url: str  # DATABASE_URL (sslmode=disable when local, see connect.plain_when_local)
    pooled: bool  # a transaction pooler: no prepared statements, LISTEN elsewhere
    applied: list[str]  # migrations this start applied
    pool: AsyncConnectionPool[AsyncConnection[TupleRow]]


def database_url(settings: Settings) -> str:
    """The URL a worker serves from: the one `commerce serve` hands its workers (an embedded server's), else
    DATABASE_URL; empty when neither is set."""
    return os.environ.get("COMMERCE_DATABASE_URL") or settings.database_url or ""


async def start(settings: Settings, url: str) -> Database:
    """Migrations first (under their advisory lock: workers and `commerce serve`'s own setup may race to it, one
    applies them), beside the pooler detection: no request is answered on an old schema. Then the pool, opened: it
    fills in the background (App.startup waits for its first connection)."""
    url = plain_when_local(url)  # no TLS to a database on this machine (db/connect.py says why)
    direct = plain_when_local(settings.database_direct_url or url)
    pooled, applied = await asyncio.gather(transaction_pooled(settings.database_pooling, url), apply_pending(direct))
    pool = make_pool(url, settings.pool_size, pooled=pooled, timeout=settings.pool_timeout)
    await pool.open(wait=False)
    return Database(url, pooled, applied, pool)
