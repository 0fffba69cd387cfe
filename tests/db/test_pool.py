"""db.pool.Pool: its short way in and out (a ready connection, nobody waiting, given back idle) keeps psycopg_pool's
bookkeeping, and everything else (a transaction left open, an error, clients waiting, a closed pool) goes the way
psycopg_pool goes."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
import pytest
from psycopg_pool import PoolClosed, PoolTimeout

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


def test_a_full_pool_queues_callers_on_its_own_and_hands_connections_over_in_order(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 2) as pool:
            async with pool.connection(), pool.connection():  # grown to its full size
                pass
            order: list[int] = []

            async def use(n: int) -> None:
                async with pool.connection() as conn:
                    order.append(n)
                    await asyncio.sleep(0.005)
                    assert (await (await conn.execute("SELECT %s::int", (n,))).fetchone()) == (n,)

            await asyncio.gather(*(use(n) for n in range(12)))
            assert order == list(range(12))  # first come, first served
            assert pool._queued is not None and not pool._queued and not pool._waiting  # our queue, not psycopg's
            assert pool.get_stats()["pool_available"] == 2

    asyncio.run(work())


def test_a_queued_caller_times_out_or_is_cancelled_without_losing_a_connection(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 1) as pool:
            async with pool.connection() as held:
                with pytest.raises(PoolTimeout):
                    async with pool.connection(timeout=0.05):
                        pass
                waiting = asyncio.ensure_future(pool.connection().__aenter__())
                await asyncio.sleep(0.01)
                waiting.cancel()
            # the connection went back (to nobody: the queued callers gave up) and serves the next caller
            async with pool.connection() as again:
                assert again is held
            assert pool.get_stats()["pool_available"] == 1

    asyncio.run(work())


def test_a_connection_returned_by_psycopg_pools_path_wakes_a_queued_caller(db_url: str) -> None:
    async def work() -> None:
        async with _open(db_url, 1) as pool:
            got: list[int] = []

            async def queued() -> None:
                async with pool.connection() as conn:
                    got.append((await (await conn.execute("SELECT 7")).fetchone())[0])

            with pytest.raises(RuntimeError):
                async with pool.connection() as conn:
                    task = asyncio.ensure_future(queued())
                    await asyncio.sleep(0.01)
                    await conn.execute("BEGIN")
                    raise RuntimeError("boom")  # rolled back and returned the long way
            await asyncio.wait_for(task, 2)
            assert got == [7]

    asyncio.run(work())


def test_a_closed_pool_fails_its_queued_callers(db_url: str) -> None:
    async def work() -> None:
        pool = make_pool(db_url, 1)
        await pool.open(wait=True)
        conn = await pool.connection().__aenter__()
        waiting = asyncio.ensure_future(pool.connection().__aenter__())
        await asyncio.sleep(0.01)
        await pool.close()
        with pytest.raises(PoolClosed):
            await waiting
        del conn

    asyncio.run(work())
