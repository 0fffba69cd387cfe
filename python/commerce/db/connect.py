"""One-off connections for the CLI, tests and benchmarks (the server itself uses the pool)."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

T = TypeVar("T")


def with_dbname(url: str, dbname: str) -> str:
    """The same server, another database."""
    params = conninfo_to_dict(url)
    params["dbname"] = dbname
    return make_conninfo("", **params)


def run_with_conn(url: str, work: Callable[[psycopg.AsyncConnection[Any]], Awaitable[T]]) -> T:
    """Run `work(conn)` on one autocommit async connection, in UTC like the pool's connections."""

    async def main() -> T:
        async with await psycopg.AsyncConnection.connect(url, autocommit=True, options="-c TimeZone=UTC") as conn:
            return await work(conn)

    return asyncio.run(main())
