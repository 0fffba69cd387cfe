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


INSERT_RESET = """
INSERT INTO auth_reset_token (token_hash, auth_identity_id, provider, entity_id, actor_type, expires_at)
VALUES (%s, %s, %s, %s, %s, now() + make_interval(secs => %s))
"""
# Single use: the UPDATE that marks it used is the check, so two concurrent uses cannot both pass.
USE_RESET = """
UPDATE auth_reset_token SET used_at = now()
WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()
RETURNING auth_identity_id, provider, entity_id, actor_type
"""
INSERT_SESSION = """
INSERT INTO auth_session (id_hash, auth_context, expires_at) VALUES (%s, %s, now() + make_interval(secs => %s))
"""
GET_SESSION = "SELECT auth_context FROM auth_session WHERE id_hash = %s AND expires_at > now()"
DELETE_SESSION = "DELETE FROM auth_session WHERE id_hash = %s"
# Each attempt is counted before its password is checked, in one statement for all its keys: concurrent attempts
# increment one after the other (the row lock of ON CONFLICT), so no more than the limit can ever be checked.
THROTTLE_CLAIM = """
INSERT INTO auth_throttle AS t (key, failures, window_start)
SELECT k, 1, now() FROM unnest(%(keys)s::text[]) AS k
ON CONFLICT (key) DO UPDATE SET
    failures = CASE WHEN t.window_start <= now() - make_interval(secs => %(window)s) THEN 1 ELSE t.failures + 1 END,
    window_start = CASE WHEN t.window_start <= now() - make_interval(secs => %(window)s) THEN now()
                        ELSE t.window_start END
RETURNING key, failures
"""
THROTTLE_FORGET = "DELETE FROM auth_throttle WHERE key = %s"
THROTTLE_UNCOUNT = "UPDATE auth_throttle SET failures = greatest(failures - 1, 0) WHERE key = ANY(%s)"


async def insert_reset(
    conn: AsyncConnection[Any],
    token_hash: str,
    identity_id: str,
    provider: str,
    entity_id: str,
    actor_type: str,
    ttl: int,
) -> None:
    await conn.execute(INSERT_RESET, (token_hash, identity_id, provider, entity_id, actor_type, ttl))


async def use_reset(conn: AsyncConnection[Any], token_hash: str) -> tuple[str, str, str, str] | None:
    cur = await conn.execute(USE_RESET, (token_hash,))
    row = await cur.fetchone()
    return (row[0], row[1], row[2], row[3]) if row else None


async def insert_session(conn: AsyncConnection[Any], id_hash: str, context: dict[str, Any], ttl: int) -> None:
    await conn.execute(INSERT_SESSION, (id_hash, Jsonb(context), ttl))


async def get_session(conn: AsyncConnection[Any], id_hash: str) -> dict[str, Any] | None:
    cur = await conn.execute(GET_SESSION, (id_hash,))
    row = await cur.fetchone()
    return dict(row[0]) if row else None


async def delete_session(conn: AsyncConnection[Any], id_hash: str) -> None:
    await conn.execute(DELETE_SESSION, (id_hash,))


async def throttle_claim(conn: AsyncConnection[Any], keys: list[str], window: int) -> dict[str, int]:
    cur = await conn.execute(THROTTLE_CLAIM, {"keys": keys, "window": window})
    return {r[0]: r[1] for r in await cur.fetchall()}


async def throttle_forget(conn: AsyncConnection[Any], key: str) -> None:
    await conn.execute(THROTTLE_FORGET, (key,))


async def throttle_uncount(conn: AsyncConnection[Any], keys: list[str]) -> None:
    await conn.execute(THROTTLE_UNCOUNT, (keys,))


APP_METADATA = "SELECT app_metadata FROM auth_identity WHERE id = %s"


async def app_metadata(
    conn: AsyncConnection[Any], identity_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    cur = await conn.execute(APP_METADATA + (" FOR UPDATE" if for_update else ""), (identity_id,))
    row = await cur.fetchone()
    return dict(row[0]) if row else None


ACTOR_PROVIDERS = """
SELECT DISTINCT p.provider FROM provider_identity p JOIN auth_identity a ON a.id = p.auth_identity_id
WHERE a.app_metadata ->> %(key)s = %(actor_id)s ORDER BY p.provider
"""


async def actor_providers(conn: AsyncConnection[Any], actor_type: str, actor_id: str) -> list[str]:
    cur = await conn.execute(ACTOR_PROVIDERS, {"key": f"{actor_type}_id", "actor_id": actor_id})
    return [str(r[0]) for r in await cur.fetchall()]
