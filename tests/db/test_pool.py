"""db.pool.Pool: its short way in and out (a ready connection, nobody waiting, given back idle) keeps psycopg_pool's
bookkeeping, and everything else (a transaction left open, an error, clients waiting, a closed pool) goes the way
psycopg_pool goes."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest
from psycopg_pool import PoolClosed

from commerce.db.pool import Pool, make_pool


@asynccontextmanager
async def _open(db_url: str, size: int) -> AsyncIterator[Pool]:
    pool = make_pool(db_url, size)
    await pool.open(wait=True)
    try:
        yield pool
    finally:
        await pool.close()


def test_a_ready_connection_comes_back_to_the_pool(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 2) as pool:
            seen = set()
            for _ in range(6):
                async with pool.connection() as conn:
                    seen.add(id(conn))
                    assert (await (await conn.execute("SELECT 1")).fetchone()) == (1,)
                    assert pool.get_stats()["pool_available"] == 1
            assert len(seen) <= 2 and pool.get_stats()["pool_available"] == 2
            assert pool.get_stats()["requests_num"] >= 6

    asyncio.run(work())


def test_an_open_transaction_and_an_error_end_as_psycopg_pool_ends_them(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 1) as pool:
            async with pool.connection() as conn:
                await conn.execute("CREATE TABLE pool_probe (n int)")
            async with pool.connection() as conn:  # left in a transaction: committed on the way out
                await conn.execute("BEGIN")
                await conn.execute("INSERT INTO pool_probe VALUES (1)")
            with pytest.raises(RuntimeError):
                async with pool.connection() as conn:  # an error inside one: rolled back
                    await conn.execute("BEGIN")
                    await conn.execute("INSERT INTO pool_probe VALUES (2)")
                    raise RuntimeError("boom")
            async with pool.connection() as conn:
                assert conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE
                assert await (await conn.execute("SELECT array_agg(n) FROM pool_probe")).fetchone() == ([1],)

    asyncio.run(work())


def test_waiting_clients_are_served_and_a_closed_pool_refuses(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 1) as pool:

            async def use(n: int) -> int:
                async with pool.connection() as conn:
                    await asyncio.sleep(0.01)  # the others queue for the one connection
                    row = await (await conn.execute("SELECT %s::int", (n,))).fetchone()
                    assert row is not None
                    return int(row[0])

            assert await asyncio.gather(*(use(n) for n in range(8))) == list(range(8))
            assert pool.get_stats()["pool_available"] == 1
        with pytest.raises(PoolClosed):
            async with pool.connection():
                pass

    asyncio.run(work())
