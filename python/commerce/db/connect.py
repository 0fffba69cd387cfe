"""Connection arguments for the app's connections, and one-off connections for the CLI, tests and benchmarks (the
server itself uses the pool)."""

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

T = TypeVar("T")
UTC_OPTIONS = "-c TimeZone=UTC"
SERVER_PORT = "SELECT inet_server_port()"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def with_dbname(url: str, dbname: str) -> str:
    """The same server, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def plain_when_local(url: str) -> str:
    """`url` with `sslmode=disable` when every host it names is this machine (a Unix socket or loopback) and neither
    the URL nor PGSSLMODE chooses an sslmode; else `url` as it is.

    libpq's default, `prefer`, encrypts whenever the server offers TLS, and a local PostgreSQL often does. Over
    loopback TLS protects nothing (whoever could read that traffic is root on the database's host), and it costs a
    handshake per connection and ~5 MB of OpenSSL state in every process that connects (measured here: a worker's
    RSS 55 -> 50 MB). A remote host keeps libpq's default; an explicit sslmode always wins."""
    if os.environ.get("PGSSLMODE"):
        return url
    params = conninfo_to_dict(url)
    if params.get("sslmode") or params.get("requiressl"):
        return url
    hosts = str(
        params.get("hostaddr") or params.get("host") or os.environ.get("PGHOSTADDR") or os.environ.get("PGHOST", "")
    )
    if all(not host or host.startswith("/") or host in LOOPBACK for host in hosts.split(",")):
        return make_conninfo("", **params, sslmode="disable")
    return url


def session_kwargs(pooled: bool) -> dict[str, Any]:
    """psycopg connect arguments: autocommit, in UTC (timestamps come back as UTC datetimes and encode with a Z).

    Direct: UTC by the `options` startup parameter, and psycopg prepares a statement after its fifth run (measured
    here: a third faster per primary-key SELECT). Through a transaction pooler (PgBouncer 1.18) neither works: the
    next transaction may run on another server connection, where the prepared statement does not exist, and
    PgBouncer refuses `options`. So no prepared statements, and UTC by PGTZ, which libpq sends as the `timezone`
    startup parameter: one PgBouncer tracks and sets on whichever server connection serves the transaction."""
    if pooled:
        os.environ["PGTZ"] = "UTC"  # this process's libpq connections all want UTC
        return {"autocommit": True, "prepare_threshold": None}
    return {"autocommit": True, "options": UTC_OPTIONS}


async def behind_pooler(url: str) -> bool:
    """Whether `url` reaches PostgreSQL through a pooler, so its connections keep no session between transactions:
    the `options` startup parameter is refused or not applied, or the server listens on another port than the one
    connected to. A pooler taken for a direct connection breaks (prepared statements vanish); the other mistake
    only costs speed, so anything in between counts as a pooler. DATABASE_POOLING overrides the guess."""
    try:
        conn = await psycopg.AsyncConnection.connect(url, autocommit=True, options=UTC_OPTIONS, connect_timeout=10)
    except psycopg.OperationalError as exc:
        if "unsupported startup parameter" in str(exc):
            return True
        raise
    async with conn:
        if conn.info.parameter_status("TimeZone") != "UTC":
            return True
        row = await (await conn.execute(SERVER_PORT)).fetchone()
        port = row[0] if row else None  # None over a Unix socket
        return port is not None and port != conn.info.port


def run_with_conn(url: str, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    """Run `work(conn)` on one autocommit async connection, in UTC like the pool's connections."""

    async def main() -> T:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True, options=UTC_OPTIONS) as conn:
            return await work(conn)

    return asyncio.run(main())
