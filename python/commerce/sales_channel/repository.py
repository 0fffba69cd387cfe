"""The only code that runs SQL on sales_channel."""

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import jsonb, update_by_id
from commerce.listing import order_by

COLUMNS = "id, name, description, is_disabled, metadata, created_at, updated_at, deleted_at"
ORDERABLE = frozenset({"created_at", "updated_at", "name"})
UPDATABLE = ("name", "description", "is_disabled", "metadata")

INSERT = f"""
INSERT INTO sales_channel (id, name, description, is_disabled, metadata)
VALUES (%(id)s, %(name)s, %(description)s, %(is_disabled)s, %(metadata)s)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM sales_channel WHERE id = %s AND deleted_at IS NULL"
SOFT_DELETE = "UPDATE sales_channel SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
EXISTING = "SELECT id FROM sales_channel WHERE id = ANY(%s) AND deleted_at IS NULL"
HOLD = "SELECT 1 FROM sales_channel WHERE id = ANY(%s) FOR KEY SHARE"
NAMES = "SELECT id, name FROM sales_channel WHERE id = ANY(%s) AND deleted_at IS NULL"


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(INSERT, {**row, "metadata": jsonb(row.get("metadata"))})
    result = await cur.fetchone()
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], channel_id: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE, (channel_id,))
    return await cur.fetchone()


async def update(conn: AsyncConnection[Any], channel_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "sales_channel", channel_id, changes, UPDATABLE, COLUMNS)


async def soft_delete(conn: AsyncConnection[Any], channel_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE, (channel_id,))
    return await cur.fetchone() is not None


async def hold(conn: AsyncConnection[Any], ids: list[str]) -> None:
    await conn.execute(HOLD, (ids,))


async def existing(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    cur = await conn.execute(EXISTING, (ids,))
    return {r[0] for r in await cur.fetchall()}


async def names(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, str]:
    cur = await conn.execute(NAMES, (ids,))
    return {r[0]: r[1] for r in await cur.fetchall()}


async def list_channels(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "name"))
    if filters.get("is_disabled") is not None:
        where.append(sql.SQL("is_disabled = %(is_disabled)s"))
        params["is_disabled"] = filters["is_disabled"]
    if filters.get("q"):
        where.append(sql.SQL("(name ILIKE %(q)s OR description ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "sales_channel", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)
