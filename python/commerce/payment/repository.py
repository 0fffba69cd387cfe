"""The only code that runs SQL on payment_provider."""

from typing import Any

from psycopg import AsyncConnection

PROVIDERS = "SELECT id, is_enabled FROM payment_provider WHERE id = ANY(%s) AND deleted_at IS NULL"


async def providers(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, bool]:
    cur = await conn.execute(PROVIDERS, (ids,))
    return {r[0]: r[1] for r in await cur.fetchall()}
