"""The only code that runs SQL on api_key and publishable_api_key_sales_channel."""

from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import fetch_page, like
from commerce.listing import order_by

COLUMNS = (
    "id, token, redacted, title, type, last_used_at, created_by, created_at, updated_at, revoked_by, revoked_at, "
    "deleted_at"
)
ORDERABLE = frozenset({"created_at", "updated_at", "title", "type", "revoked_at", "last_used_at"})

INSERT = f"""
INSERT INTO api_key (id, token, redacted, title, type, created_by)
VALUES (%(id)s, %(token)s, %(redacted)s, %(title)s, %(type)s, %(created_by)s)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM api_key WHERE id = %s AND deleted_at IS NULL"
UPDATE_TITLE = f"""
UPDATE api_key SET title = %s, updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING {COLUMNS}
"""
# Revoking twice keeps the first revocation (its time and author).
REVOKE = f"""
UPDATE api_key
SET revoked_at = COALESCE(revoked_at, now() + make_interval(secs => %(revoke_in)s)),
    revoked_by = COALESCE(revoked_by, %(by)s),
    updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL
RETURNING {COLUMNS}
"""
SOFT_DELETE = "UPDATE api_key SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id, type"
DELETE_LINKS_OF_KEY = "DELETE FROM publishable_api_key_sales_channel WHERE publishable_key_id = %s"
LIVE_SK_EXISTS = """
SELECT EXISTS (
    SELECT 1 FROM api_key
    WHERE type = 'secret' AND deleted_at IS NULL AND (revoked_at IS NULL OR revoked_at > now())
)
"""
SK_BY_HASH = """
SELECT id, created_by FROM api_key
WHERE token = %s AND type = 'secret' AND deleted_at IS NULL AND (revoked_at IS NULL OR revoked_at > now())
"""
TOUCH_LAST_USED = "UPDATE api_key SET last_used_at = now() WHERE id = %s"
LINKS_OF = """
SELECT publishable_key_id, sales_channel_id FROM publishable_api_key_sales_channel
WHERE publishable_key_id = ANY(%s) ORDER BY created_at, sales_channel_id
"""
ADD_LINK = """
INSERT INTO publishable_api_key_sales_channel (publishable_key_id, sales_channel_id) VALUES (%s, %s)
ON CONFLICT DO NOTHING
"""
REMOVE_LINK = "DELETE FROM publishable_api_key_sales_channel WHERE publishable_key_id = %s AND sales_channel_id = %s"
# Every live publishable key with its channels: the per-worker cache behind store authentication.
PUBLISHABLE_KEYS = """
SELECT k.token, k.id, k.revoked_at,
       COALESCE(array_agg(l.sales_channel_id ORDER BY l.sales_channel_id)
                FILTER (WHERE l.sales_channel_id IS NOT NULL), '{}')
FROM api_key k
LEFT JOIN publishable_api_key_sales_channel l ON l.publishable_key_id = k.id
WHERE k.type = 'publishable' AND k.deleted_at IS NULL
GROUP BY k.id
"""


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(INSERT, row)
    result = await cur.fetchone()
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], key_id: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE, (key_id,))
    return await cur.fetchone()


async def update_title(conn: AsyncConnection[Any], key_id: str, title: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(UPDATE_TITLE, (title, key_id))
    return await cur.fetchone()


async def revoke(conn: AsyncConnection[Any], key_id: str, revoke_in: int, by: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(REVOKE, {"id": key_id, "revoke_in": revoke_in, "by": by})
    return await cur.fetchone()


async def soft_delete(conn: AsyncConnection[Any], key_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE, (key_id,))
    row = await cur.fetchone()
    if row is None:
        return False
    await conn.execute(DELETE_LINKS_OF_KEY, (key_id,))
    return True


async def active_secret_exists(conn: AsyncConnection[Any]) -> bool:
    cur = await conn.execute(LIVE_SK_EXISTS)
    row = await cur.fetchone()
    return bool(row and row[0])


async def secret_by_hash(conn: AsyncConnection[Any], token_hash: str) -> tuple[str, str] | None:
    cur = await conn.execute(SK_BY_HASH, (token_hash,))
    row = await cur.fetchone()
    return (row[0], row[1]) if row else None


async def touch(conn: AsyncConnection[Any], key_id: str) -> None:
    await conn.execute(TOUCH_LAST_USED, (key_id,))


async def links_of(conn: AsyncConnection[Any], key_ids: list[str]) -> dict[str, list[str]]:
    cur = await conn.execute(LINKS_OF, (key_ids,))
    links: dict[str, list[str]] = {}
    for key_id, channel_id in await cur.fetchall():
        links.setdefault(key_id, []).append(channel_id)
    return links


async def add_link(conn: AsyncConnection[Any], key_id: str, channel_id: str) -> None:
    await conn.execute(ADD_LINK, (key_id, channel_id))


async def remove_link(conn: AsyncConnection[Any], key_id: str, channel_id: str) -> None:
    await conn.execute(REMOVE_LINK, (key_id, channel_id))


async def publishable_keys(conn: AsyncConnection[Any]) -> list[tuple[str, str, datetime | None, list[str]]]:
    cur = await conn.execute(PUBLISHABLE_KEYS)
    return [(r[0], r[1], r[2], list(r[3])) for r in await cur.fetchall()]


async def list_keys(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("title"):
        where.append(sql.SQL("title = ANY(%(title)s)"))
        params["title"] = filters["title"]
    if filters.get("type"):
        where.append(sql.SQL("type = %(type)s"))
        params["type"] = filters["type"]
    if filters.get("q"):
        where.append(sql.SQL("(title ILIKE %(q)s OR redacted ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    if filters.get("revoked") is True:
        where.append(sql.SQL("revoked_at IS NOT NULL AND revoked_at <= now()"))
    elif filters.get("revoked") is False:
        where.append(sql.SQL("(revoked_at IS NULL OR revoked_at > now())"))
    return await fetch_page(conn, "api_key", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)
