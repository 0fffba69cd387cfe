"""The only code that runs SQL on "user"."""

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import update_by_id
from commerce.listing import order_by

COLUMNS = "id, email, first_name, last_name, avatar_url, metadata, created_at, updated_at, deleted_at"
INSERT = f"""
INSERT INTO "user" (id, email, first_name, last_name) VALUES (%s, %s, %s, %s) RETURNING {COLUMNS}
"""
SELECT_ONE = f'SELECT {COLUMNS} FROM "user" WHERE id = %s AND deleted_at IS NULL'
ORDERABLE = frozenset({"created_at", "updated_at", "email", "first_name", "last_name"})
UPDATABLE = ("first_name", "last_name", "avatar_url", "metadata")
BY_EMAIL = f'SELECT {COLUMNS} FROM "user" WHERE lower(email) = lower(%s) AND deleted_at IS NULL'


async def insert(conn: AsyncConnection[Any], row: tuple[str, str, str | None, str | None]) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(INSERT, row)
    result = await cur.fetchone()
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], user_id: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE, (user_id,))
    return await cur.fetchone()


async def by_email(conn: AsyncConnection[Any], email: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(BY_EMAIL, (email,))
    return await cur.fetchone()


async def list_users(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "email", "first_name", "last_name"))
    if filters.get("q"):
        where.append(sql.SQL("(email ILIKE %(q)s OR first_name ILIKE %(q)s OR last_name ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "user", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)


async def update(conn: AsyncConnection[Any], user_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "user", user_id, changes, UPDATABLE, COLUMNS)
