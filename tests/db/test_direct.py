"""db.direct's reader, kept on a connection's socket from one statement to the next (`_Watch`): psycopg's own waits on
the same connection in between, a NOTIFY or a server that closes the connection while it is idle, and a cancelled
statement leave no stale callback, no loop spinning on a readable socket and no lost wakeup. On asyncio's loop and on
uvloop (the server's)."""

import asyncio
import gc
import os
import time
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
import pytest
import uvloop

from commerce.db import direct

ECHO = direct.Statement("commerce_test_echo", "SELECT %(tag)s::text")
SLOW = direct.Statement("commerce_test_sleep", "SELECT pg_sleep(%(seconds)s::float8), %(tag)s::text")
LOOPS = {"asyncio": asyncio.run, "uvloop": uvloop.run}


@pytest.fixture(params=sorted(LOOPS))
def run(request: pytest.FixtureRequest) -> Callable[[Awaitable[Any]], Any]:
    return LOOPS[request.param]  # type: ignore[return-value]


async def _echo(conn: psycopg.AsyncConnection[Any], tag: str) -> None:
    async with asyncio.timeout(5):  # a lost wakeup fails here instead of hanging
        result = await ECHO.run(conn, [tag.encode()])
    assert result.get_value(0, 0) == tag.encode()


def _watch(conn: psycopg.AsyncConnection[Any]) -> direct._Watch:
    watch = direct._links[conn].watch
    assert watch is not None
    return watch


async def _cpu_while_idle(seconds: float) -> float:
    started = time.process_time()
    await asyncio.sleep(seconds)
    return time.process_time() - started


def test_direct_statements_interleaved_with_psycopg_cursors(db_url: str, run: Any) -> None:
    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            for n in range(50):
                await _echo(conn, f"direct {n}")
                await _echo(conn, f"again {n}")  # the reader kept from the last statement
                async with asyncio.timeout(5):
                    cur = await conn.execute("SELECT %s::text", (f"psycopg {n}",))
                    assert await cur.fetchone() == (f"psycopg {n}",)
            assert _watch(conn).waiter is None

    run(work())


def test_a_notify_on_an_idle_connection_neither_spins_the_loop_nor_is_lost(db_url: str, run: Any) -> None:
    async def work() -> None:
        async with (
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn,
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as other,
        ):
            heard: list[str] = []
            conn.add_notify_handler(lambda notify: heard.append(notify.payload))
            await conn.execute("LISTEN commerce_test_direct")
            await _echo(conn, "before")
            watch = _watch(conn)
            assert watch.watching
            await other.execute("NOTIFY commerce_test_direct, 'hello'")
            assert await _cpu_while_idle(0.3) < 0.1  # the readable socket took the reader off, once
            assert not watch.watching
            await _echo(conn, "after")  # reads the notification with the result, and hands it on
            assert heard == ["hello"]
            assert watch.watching

    run(work())


def test_a_connection_the_server_closes_while_idle_fails_its_next_statement(db_url: str, run: Any) -> None:
    async def work() -> None:
        async with (
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn,
            await psycopg.AsyncConnection.connect(db_url, autocommit=True) as other,
        ):
            await _echo(conn, "before")
            await other.execute("SELECT pg_terminate_backend(%s)", (conn.info.backend_pid,))
            assert await _cpu_while_idle(0.3) < 0.1
            assert not _watch(conn).watching
            for _ in range(2):
                with pytest.raises(psycopg.OperationalError):
                    await _echo(conn, "after")

    run(work())


def test_a_cancelled_statement_leaves_the_reader_usable(db_url: str, run: Any) -> None:
    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await _echo(conn, "before")
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):
                    await SLOW.run(conn, [b"5", b"cancelled"])
            assert direct.usable(conn) and _watch(conn).waiter is None
            assert await _cpu_while_idle(0.1) < 0.05
            await _echo(conn, "after")
            cur = await conn.execute("SELECT 1")
            assert await cur.fetchone() == (1,)
            await _echo(conn, "last")

    run(work())


def test_the_duplicate_descriptor_is_closed_with_the_connection(db_url: str, run: Any) -> None:
    async def work() -> int:
        conn = await psycopg.AsyncConnection.connect(db_url, autocommit=True)
        await _echo(conn, "once")
        fd = _watch(conn).fd
        await conn.close()
        await asyncio.sleep(0.2)  # the server's close makes the socket readable: the reader comes off
        del conn
        gc.collect()
        return fd

    fd = run(work())
    with pytest.raises(OSError):
        os.fstat(fd)


FAIL = direct.Statement("commerce_test_fail", "SELECT 1 / %(zero)s::int, %(tag)s::text")


def test_statements_pipelined_each_commit_or_fail_alone(db_url: str, run: Any) -> None:
    """One round trip, each statement its own transaction: a failing one fails alone, with its own error; statements
    not yet prepared on the connection are prepared in the same pipeline; one deallocated since runs again alone."""

    async def work() -> None:
        async with await psycopg.AsyncConnection.connect(db_url, autocommit=True) as conn:
            await conn.execute("CREATE TEMP TABLE pipelined (n int PRIMARY KEY)")
            insert = direct.Statement("commerce_test_insert", "INSERT INTO pipelined VALUES (%(n)s) RETURNING n")
            for attempt in range(2):  # first unprepared, then deallocated (prepared by the first)
                async with asyncio.timeout(5):
                    results = await direct.run_pipelined(
                        conn,
                        [
                            (insert, [b"%d" % (10 * attempt + 1)]),
                            (FAIL, [b"0", b"boom"]),
                            (insert, [b"%d" % (10 * attempt + 1)]),  # a duplicate key: fails, the first stays
                            (ECHO, [b"after"]),
                            (insert, [b"%d" % (10 * attempt + 2)]),
                        ],
                    )
                assert results[0].get_value(0, 0) == b"%d" % (10 * attempt + 1)
                assert isinstance(results[1], psycopg.errors.DivisionByZero)
                assert isinstance(results[2], psycopg.errors.UniqueViolation)
                assert results[3].get_value(0, 0) == b"after"
                assert results[4].get_value(0, 0) == b"%d" % (10 * attempt + 2)
                assert conn.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
                await _echo(conn, f"alone {attempt}")  # the connection is as it was
                assert (await FAIL.run(conn, [b"1", b"ok"])).get_value(0, 1) == b"ok"  # its failure left it prepared
                if attempt == 0:
                    await conn.execute("DEALLOCATE ALL")
            cur = await conn.execute("SELECT array_agg(n ORDER BY n) FROM pipelined")
            assert await cur.fetchone() == ([1, 2, 11, 12],)

    run(work())


def test_a_batch_sends_concurrent_statements_in_one_round_trip(db_url: str, run: Any) -> None:
    """Requests reaching their statements in the same pass of the loop share round trips (up to Batch.MOST in each),
    each answered its own result or error; a request cancelled while it gathers the others does not strand them."""

    async def work() -> None:
        conns = [await psycopg.AsyncConnection.connect(db_url, autocommit=True) for _ in range(6)]
        try:
            batch = direct.Batch()

            async def one(n: int) -> Any:
                statement, params = (FAIL, [b"0", b"x"]) if n == 3 else (ECHO, [b"req %d" % n])
                try:
                    result = await batch.run(conns[n], statement, params)
                except psycopg.errors.DivisionByZero:
                    return "failed"
                return result.get_value(0, 0)

            async with asyncio.timeout(5):
                got = await asyncio.gather(*(one(n) for n in range(6)))
            assert got == [b"req 0", b"req 1", b"req 2", "failed", b"req 4", b"req 5"]
            assert batch.sizes == [6, 1]  # six statements, one round trip

            async with asyncio.timeout(5):
                assert await one(0) == b"req 0"  # alone: as Statement.run
            assert batch.sizes == [7, 2]

            async with asyncio.timeout(5):
                got = await asyncio.gather(*(one(n % 6) for n in range(10)))  # more than Batch.MOST at once
            assert got.count("failed") == 2 and batch.sizes == [17, 4]  # ten statements, two round trips (8 + 2)

            # The one gathering the others is cancelled while it waits for them: they go on without it.
            leader, *followers = (asyncio.ensure_future(one(n)) for n in range(3))
            await asyncio.sleep(0)  # the first waits for the loop's next pass; the two others join it
            leader.cancel()
            async with asyncio.timeout(5):
                assert await asyncio.gather(*followers) == [b"req 1", b"req 2"]
                await asyncio.wait([leader])
            assert leader.cancelled()
            # Cancelled once its round trip is out: it waits for the round trip (its connection is in it), then ends.
            leader, *followers = (asyncio.ensure_future(one(n)) for n in range(3))
            for _ in range(3):
                await asyncio.sleep(0)
            leader.cancel()
            async with asyncio.timeout(5):
                assert await asyncio.gather(*followers) == [b"req 1", b"req 2"]
                await asyncio.wait([leader])
            assert leader.cancelled()
            assert batch.sizes == [22, 6]
            for conn in conns:
                await _echo(conn, "still usable")
        finally:
            for conn in conns:
                await conn.close()

    run(work())
