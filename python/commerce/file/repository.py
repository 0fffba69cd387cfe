"""The only code that runs SQL on file."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

INSERT = "INSERT INTO file (id, filename, mime_type, size, content) VALUES (%s, %s, %s, %s, %s)"
EXISTS = "SELECT id FROM file WHERE id = %s"
CONTENT = "SELECT filename, mime_type, content FROM file WHERE id = %s"
DELETE = "DELETE FROM file WHERE id = %s"


async def insert(conn: AsyncConnection[Any], file_id: str, filename: str, mime_type: str, content: bytes) -> None:
    await conn.execute(INSERT, (file_id, filename, mime_type, len(content), content))


async def exists(conn: AsyncConnection[Any], file_id: str) -> bool:
    cur = await conn.execute(EXISTS, (file_id,))
    return await cur.fetchone() is not None


async def content(conn: AsyncConnection[Any], file_id: str) -> tuple[str, str, bytes] | None:
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(CONTENT, (file_id,))
    row = await cur.fetchone()
    return (row[0], row[1], bytes(row[2])) if row else None


async def delete(conn: AsyncConnection[Any], file_id: str) -> None:
    await conn.execute(DELETE, (file_id,))
