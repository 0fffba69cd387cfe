"""The only code that runs SQL on "user"."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

COLUMNS = "id, email, first_name, last_name, avatar_url, metadata, created_at, updated_at, deleted_at"
INSERT = f"""
INSERT INTO "user" (id, email, first_name, last_name) VALUES (%s, %s, %s, %s) RETURNING {COLUMNS}
"""
SELECT_ONE = f'SELECT {COLUMNS} FROM "user" WHERE id = %s AND deleted_at IS NULL'
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
