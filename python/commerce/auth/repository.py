"""The only code that runs SQL on auth_identity and provider_identity."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

INSERT_IDENTITY = "INSERT INTO auth_identity (id, app_metadata) VALUES (%s, %s)"
INSERT_PROVIDER = """
INSERT INTO provider_identity (id, entity_id, provider, auth_identity_id, provider_metadata)
VALUES (%s, %s, %s, %s, %s)
"""
# One row: the provider identity for an email and the app metadata of its auth identity.
FIND = """
SELECT a.id, a.app_metadata, p.provider_metadata
FROM provider_identity p JOIN auth_identity a ON a.id = p.auth_identity_id
WHERE p.provider = %s AND p.entity_id = %s
"""
SET_APP_METADATA = "UPDATE auth_identity SET app_metadata = app_metadata || %s, updated_at = now() WHERE id = %s"
SET_PROVIDER_METADATA = """
UPDATE provider_identity SET provider_metadata = %s, updated_at = now() WHERE provider = %s AND entity_id = %s
"""


async def insert(
    conn: AsyncConnection[Any],
    identity_id: str,
    provider_identity_id: str,
    provider: str,
    entity_id: str,
    app_metadata: dict[str, Any],
    provider_metadata: dict[str, Any],
) -> None:
    await conn.execute(INSERT_IDENTITY, (identity_id, Jsonb(app_metadata)))
    await conn.execute(
        INSERT_PROVIDER, (provider_identity_id, entity_id, provider, identity_id, Jsonb(provider_metadata))
    )


async def find(
    conn: AsyncConnection[Any], provider: str, entity_id: str
) -> tuple[str, dict[str, Any], dict[str, Any]] | None:
    cur = await conn.execute(FIND, (provider, entity_id))
    row = await cur.fetchone()
    return (row[0], row[1], row[2] or {}) if row else None


async def merge_app_metadata(conn: AsyncConnection[Any], identity_id: str, values: dict[str, Any]) -> None:
    await conn.execute(SET_APP_METADATA, (Jsonb(values), identity_id))


async def set_provider_metadata(
    conn: AsyncConnection[Any], provider: str, entity_id: str, metadata: dict[str, Any]
) -> None:
    await conn.execute(SET_PROVIDER_METADATA, (Jsonb(metadata), provider, entity_id))
