"""Payment providers: which exist and are enabled."""

from typing import Any

from psycopg import AsyncConnection

from commerce.payment import repository as repo

SYSTEM_PROVIDER = "pp_system_default"


async def providers(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, bool]:
    """`{provider_id: is_enabled}` for the ids that exist."""
    return await repo.providers(conn, ids) if ids else {}
