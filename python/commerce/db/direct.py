"""A hot statement run straight through libpq: prepared under its own name on each connection that runs it, its
parameters given as the bytes PostgreSQL reads. psycopg's cursor (query conversion, a dumper looked up per
parameter, row factories, its wait machinery) costs a worker ~100-150 us per statement more than this (measured on
the cart's write: 385 -> 240 us of CPU, bench/cart_profile.py); what PostgreSQL runs is the same.

Concurrent requests' statements can share one round trip (`Batch`, `run_pipelined`: libpq's pipeline mode, each
statement its own transaction). Used only on an idle autocommit connection of a direct (not pooled through PgBouncer)
database: `usable` says when.
It relies on psycopg's lower-level pieces (`generators.execute`, `conn.wait`, `conn.lock`), which are not its
documented API: psycopg is pinned, and tests/db/test_cart_write.py and test_direct.py cover this path."""

import asyncio
import os
import re
import weakref
from typing import Any

from psycopg import AsyncConnection, generators, pq
from psycopg import errors as pg_errors

_NO_STATEMENT = b"26000"  # invalid_sql_statement_name
_IDLE = pq.TransactionStatus.IDLE


def usable(conn: AsyncConnection[Any]) -> bool:
    """Autocommit, not in a transaction, prepared statements allowed (a pooler in transaction mode sets
    prepare_threshold to None)."""
    return conn.autocommit and conn.prepare_threshold is not None and conn.pgconn.transaction_status == _IDLE


class Statement:
    """`sql` with psycopg's `%(name)s` placeholders, prepared as `name` ($1, $2, ... in the order the names first
    appear: `names`). `binary` names the parameters sent as binary (bytea); the others go as text."""

    def __init__(self, name: str, sql: str, *, binary: frozenset[str] = frozenset()) -> None:
        self.name = name.encode()
        self.names: list[str] = []

        def number(match: re.Match[str]) -> str:
            if match.group(1) not in self.names:
                self.names.append(match.group(1))
            return f"${self.names.index(match.group(1)) + 1}"

        self.sql = re.sub(r"%\((\w+)\)s", number, sql).encode()
        self.formats = [1 if n in binary else 0 for n in self.names]
        self.prepared = _PreparedOn(self.name)  # `conn in statement.prepared`

    async def run(self, conn: AsyncConnection[Any], params: list[bytes | None], *, binary: bool = False) -> Any:
        """Its result (a `psycopg.pq` PGresult: `ntuples`, `get_value(row, column)` as bytes or None); columns in
        binary when `binary`. Raises psycopg's error for a failed statement."""
        pgconn = conn.pgconn
        link = _link(conn)
        async with conn.lock:
            for attempt in range(2):
                if self.name not in link.prepared:
                    pgconn.send_prepare(self.name, self.sql)
                    prepared = await _result(conn, link)
                    if prepared.status != pq.ExecStatus.COMMAND_OK:
                        raise pg_errors.error_from_result(prepared, encoding=conn.info.encoding)
                    link.prepared.add(self.name)
                pgconn.send_query_prepared(self.name, params, param_formats=self.formats, result_format=int(binary))
                result = await _result(conn, link)
                if result.status in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
                    return result
                if attempt == 0 and result.error_field(pq.DiagnosticField.SQLSTATE) == _NO_STATEMENT:
                    link.prepared.discard(self.name)  # deallocated since (outside a transaction: nothing else lost)
                    continue
                raise pg_errors.error_from_result(result, encoding=conn.info.encoding)
        raise AssertionError("unreachable")


# A statement to run in a `Batch`: the connection of its request, its parameters, the future of its result (none for
# the run of the request that sends the batch).
_Run = tuple[AsyncConnection[Any], "Statement", list[bytes | None], "asyncio.Future[Any] | None"]


class Batch:
    """Statements of concurrent requests sent together: the first to `run` waits one pass of the event loop, in which
    the requests ready then reach their own statements and join it; it then sends them all in one round trip on its
    own connection (`run_pipelined`: each its own transaction, as alone). Under load a worker's requests come in
    bursts, and a statement costs PostgreSQL as much in the round trip (its backend woken, a read, a send, asleep
    again) as in its work: one backend running a cart's UPDATE, ~80 us of its CPU per statement one at a time, ~50
    pipelined by 4 or 8 (bench/RESULTS.md, http-carts). Alone, a statement runs as `Statement.run` runs it, after
    that one pass. A waiting request that is cancelled still waits for the round trip its statement is in (the
    connection it is on may be its own)."""

    __slots__ = ("joined", "loop", "sizes")
    # Statements per round trip at most: they run one after another on one backend while their requests wait, each
    # holding its pooled connection idle, so a batch never takes all of a worker's connections (10 by default).
    # PostgreSQL's CPU per statement is at its lowest from 4-8 (bench/cart_pipeline.py); under wrk at 2 workers,
    # batches of up to 10 left PostgreSQL 68-72 us per add, of up to 4 80-98 us.
    MOST = 8

    def __init__(self) -> None:
        self.joined: list[_Run] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.sizes = [0, 0]  # statements run, round trips (what the tests look at)

    async def run(self, conn: AsyncConnection[Any], statement: Statement, params: list[bytes | None]) -> Any:
        """`statement.run(conn, params)`, maybe in one round trip with others (then on another's connection)."""
        loop = asyncio.get_running_loop()
        joined = self.joined
        if joined is not None and self.loop is loop and len(joined) < self.MOST - 1:
            done: asyncio.Future[Any] = loop.create_future()
            joined.append((conn, statement, params, done))
            return await _outcome(done)
        joined = self.joined = []  # (a full batch gathers no more: the next statements gather their own)
        self.loop = loop
        try:
            await asyncio.sleep(0)  # one pass of the loop: the requests ready now reach their statements and join
        except BaseException:
            if self.joined is joined:
                self.joined = None
            if joined:  # (cancelled meanwhile: those that joined go on their own, on the first one's connection)
                task = loop.create_task(self._send(joined[0][0], joined))
                _sending.add(task)  # (a task the loop holds only weakly)
                task.add_done_callback(_sending.discard)
            raise
        if self.joined is joined:
            self.joined = None
        if not joined:
            self.sizes[0] += 1
            self.sizes[1] += 1
            return await statement.run(conn, params)
        return await _outcome(loop.create_task(self._send(conn, [(conn, statement, params, None), *joined])))

    async def _send(self, conn: AsyncConnection[Any], runs: list["_Run"]) -> Any:
        """The first run's result (or its error raised); the others' set on their futures."""
        self.sizes[0] += len(runs)
        self.sizes[1] += 1
        try:
            results = await run_pipelined(conn, [(statement, params) for _, statement, params, _ in runs])
        except BaseException as exc:
            for _, _, _, done in runs:
                if done is not None and not done.done():
                    done.set_exception(pg_errors.OperationalError(f"the batched statement was not run: {exc!r}"))
            raise
        for (_, _, _, done), result in zip(runs, results, strict=True):
            if done is not None and not done.done():
                if isinstance(result, Exception):
                    done.set_exception(result)
                else:
                    done.set_result(result)
        if runs[0][3] is None and isinstance(results[0], Exception):
            raise results[0]
        return results[0]


_sending: set["asyncio.Task[Any]"] = set()


async def _outcome(waited: "asyncio.Future[Any]") -> Any:
    try:
        return await asyncio.shield(waited)
    except asyncio.CancelledError:
        if not waited.done():
            await asyncio.wait([waited])  # (its statement is out, maybe on this request's connection)
        raise


async def run_pipelined(
    conn: AsyncConnection[Any], runs: list[tuple[Statement, list[bytes | None]]]
) -> list[Any | Exception]:
    """Several statements in one round trip (libpq's pipeline mode), each its own transaction (a Sync after each, as
    `Statement.run` commits alone): the result of each, or the error it raised (the others run regardless). Results
    come as text. A statement found deallocated on the server is prepared and run again alone."""
    pgconn = conn.pgconn
    link = _link(conn)
    out: list[Any | Exception] = []
    async with conn.lock:
        pgconn.enter_pipeline_mode()
        try:
            for statement, params in runs:
                if statement.name not in link.prepared:
                    pgconn.send_prepare(statement.name, statement.sql)
                    link.prepared.add(statement.name)  # (dropped again below when it fails)
                pgconn.send_query_prepared(statement.name, params, param_formats=statement.formats)
                pgconn.pipeline_sync()
            groups = await _pipeline_results(conn, link, len(runs))
        finally:
            if pgconn.status == pq.ConnStatus.OK and pgconn.pipeline_status != pq.PipelineStatus.OFF:
                pgconn.exit_pipeline_mode()
    again = []
    for n, ((statement, _), results) in enumerate(zip(runs, groups, strict=True)):
        failed = next((r for r in results if r.status not in _DONE), None)
        if failed is None:
            out.append(results[-1])
            continue
        if len(results) == 2 and results[0] is failed:  # (its prepare failed: prepared again by its next run)
            link.prepared.discard(statement.name)
        elif failed.error_field(pq.DiagnosticField.SQLSTATE) == _NO_STATEMENT:
            link.prepared.discard(statement.name)  # (deallocated since, as `Statement.run` finds)
            again.append(n)
        out.append(pg_errors.error_from_result(failed, encoding=conn.info.encoding))
    for n in again:
        statement, params = runs[n]
        try:
            out[n] = await statement.run(conn, params)
        except pg_errors.Error as exc:
            out[n] = exc
    return out


_DONE = (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK)


async def _pipeline_results(conn: AsyncConnection[Any], link: "_Link", syncs: int) -> list[list[Any]]:
    """The results of a pipeline of `syncs` Sync-terminated groups, by group, read on the connection's `_Watch`."""
    pgconn = conn.pgconn
    groups: list[list[Any]] = [[] for _ in range(syncs)]
    if pgconn.flush():
        await conn.wait(generators.send(pgconn))
    watch = _watch(link, pgconn.socket)
    group = 0
    try:
        while group < syncs:
            while pgconn.is_busy():
                await watch.readable()
                pgconn.consume_input()
            result = pgconn.get_result()
            if result is None:
                continue  # (the end of one statement's results)
            if result.status == pq.ExecStatus.PIPELINE_SYNC:
                group += 1
            else:
                groups[group].append(result)
    except BaseException:
        pgconn.finish()  # (a pipeline cut short cannot be read back into step: its pool replaces the connection)
        raise
    while notify := pgconn.notifies():
        if pgconn.notify_handler:
            pgconn.notify_handler(notify)
    return groups


class _Link:
    """What this module keeps of a connection: the statements prepared on it (a psycopg DEALLOCATE ALL, after a
    rollback, drops them: a run finds its statement gone and prepares it again) and the reader on its socket."""

    __slots__ = ("prepared", "watch")

    def __init__(self) -> None:
        self.prepared: set[bytes] = set()
        self.watch: _Watch | None = None


_links: weakref.WeakKeyDictionary[AsyncConnection[Any], _Link] = weakref.WeakKeyDictionary()


def _link(conn: AsyncConnection[Any]) -> _Link:
    link = _links.get(conn)
    if link is None:
        link = _links[conn] = _Link()
    return link


class _PreparedOn:
    def __init__(self, name: bytes) -> None:
        self.name = name

    def __contains__(self, conn: AsyncConnection[Any]) -> bool:
        link = _links.get(conn)
        return link is not None and self.name in link.prepared


async def _result(conn: AsyncConnection[Any], link: _Link) -> Any:
    """The one result of the statement just sent, waited for on the event loop itself (the connection's `_Watch`).
    psycopg's `conn.wait(generators.execute(...))` does the same through a generator and a timer per wait: ~4 us more
    of the worker's CPU per statement (callgrind: ~4 k instructions fewer per cart change). When the statement did
    not go out whole (a full socket buffer), and when the wait is interrupted (a cancelled request: the query is
    cancelled on the server, as psycopg does, so the connection goes back to its pool idle), psycopg's own machinery
    takes over."""
    pgconn = conn.pgconn
    if pgconn.flush():
        (result,) = await conn.wait(generators.execute(pgconn))
        return result
    try:
        if pgconn.is_busy():
            watch = _watch(link, pgconn.socket)
            while True:
                await watch.readable()
                pgconn.consume_input()
                if not pgconn.is_busy():
                    break
    except BaseException:
        if pgconn.transaction_status == pq.TransactionStatus.ACTIVE:
            await _abandon(conn)
        raise
    result = pgconn.get_result()
    while pgconn.get_result() is not None:  # (one statement: one result, then none)
        pass
    while notify := pgconn.notifies():
        if pgconn.notify_handler:
            pgconn.notify_handler(notify)
    return result


def _watch(link: _Link, socket: int) -> "_Watch":
    """The connection's reader, made at its first wait, or again for a connection used on another loop (the old one
    closed: its readers are gone)."""
    watch = link.watch
    if watch is None or watch.socket != socket or watch.loop.is_closed():
        if watch is not None:
            watch.stop()
        watch = link.watch = _Watch(socket)
    return watch


class _Watch:
    """A reader on the event loop for a connection's socket, kept from one statement to the next: adding and removing
    one per statement cost 8 system calls more than the statement's own 3 (send, epoll_wait, recv): libuv checks and
    sets up the descriptor each time, epoll_ctl, io_uring. A one-parameter prepared SELECT in a loop on uvloop: 13-14
    -> 9 us of process CPU per statement.
    It watches a duplicate of the socket's descriptor: psycopg's own waits add and remove a reader on the socket's
    descriptor, which would replace and drop ours, and psycopg closes that descriptor with the connection (the loop
    must never watch a closed or reused one). The socket readable with no statement waiting (a NOTIFY, the server
    closing the connection, a psycopg wait reading its own result) removes the reader, so a readable idle socket
    cannot spin the loop; the next statement adds it again."""

    __slots__ = ("__weakref__", "fd", "loop", "socket", "waiter", "watching")

    def __init__(self, socket: int) -> None:
        self.loop = asyncio.get_running_loop()
        self.socket = socket  # the connection's own descriptor
        self.fd = os.dup(socket)
        weakref.finalize(self, os.close, self.fd)  # when the connection is gone (the reader holds it while added)
        self.waiter: asyncio.Future[None] | None = None
        self.watching = False

    async def readable(self) -> None:
        waiter = self.waiter = self.loop.create_future()
        if not self.watching:
            self.loop.add_reader(self.fd, self._ready)
            self.watching = True
        try:
            await waiter
        finally:
            self.waiter = None

    def _ready(self) -> None:
        if self.waiter is None:
            self.stop()
        elif not self.waiter.done():
            self.waiter.set_result(None)

    def stop(self) -> None:
        if self.watching:
            self.watching = False
            self.loop.remove_reader(self.fd)


async def _abandon(conn: AsyncConnection[Any]) -> None:
    """A statement whose wait was interrupted: cancelled on the server and its result read (as psycopg's
    `AsyncConnection.wait` does), else the connection closed (its pool replaces it)."""
    try:
        await conn.cancel_safe(timeout=5.0)
        await conn.wait(generators.fetch_many(conn.pgconn), timeout=5.0)
    except BaseException:
        conn.pgconn.finish()
        raise
