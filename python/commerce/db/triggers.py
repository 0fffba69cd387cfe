"""Bulk writes without per-row triggers: a bulk import's rows fire no foreign-key check (one index lookup and row lock
per row and reference) and no statement trigger, and the writer does their work itself, once, set-based."""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from psycopg import AsyncConnection

# Triggers (foreign keys' included) fire in the `origin` role only. Setting it needs a superuser, or (PostgreSQL 15+)
# `GRANT SET ON PARAMETER session_replication_role`; LOCAL: it ends with the transaction at the latest.
REPLICA = "SET LOCAL session_replication_role = replica"
ORIGIN = "SET LOCAL session_replication_role = origin"
# What each table's commerce_notify_change trigger (migration 0001) sends, once per table.
NOTIFY_CHANGES = "SELECT pg_notify('commerce_changes', t) FROM unnest(%s::text[]) t"
NOTIFY = "SELECT pg_notify(%s, %s)"


@asynccontextmanager
async def on(conn: AsyncConnection[Any]) -> AsyncIterator[None]:
    """Inside an `off` block that turned them off: triggers on again for this block's writes."""
    await conn.execute(ORIGIN)
    yield
    await conn.execute(REPLICA)


@asynccontextmanager
async def off(
    conn: AsyncConnection[Any], tables: Sequence[str], notify: Sequence[tuple[str, str]] = ()
) -> AsyncIterator[bool]:
    """In the caller's transaction, turn triggers off for the block's writes when this role may (yields True), else
    leave them on (yields False: the same rows, written slower). With them off, the block does what they would
    have done: check and lock (FOR KEY SHARE) the existing rows it refers to, keep the references between its own
    rows right by construction, and the caller renders the catalog documents of its products after the block
    (`catalog_render_many`, so that catalog_product's own triggers fire).
    Afterwards `commerce_changes` is told of `tables`, as their triggers would have told it, and each (channel,
    payload) of `notify` is sent (what the tables' other notifying triggers would have sent)."""
    try:
        async with conn.transaction():  # a savepoint: a refused SET leaves the caller's transaction usable
            await conn.execute(REPLICA)
    except psycopg.errors.InsufficientPrivilege:
        yield False
        return
    yield True
    await conn.execute(ORIGIN)
    await conn.execute(NOTIFY_CHANGES, (list(tables),))
    for channel, payload in notify:
        await conn.execute(NOTIFY, (channel, payload))
