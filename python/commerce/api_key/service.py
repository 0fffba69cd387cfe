"""API keys: publishable keys (public, scoped to sales channels) and secret keys (stored as a hash)."""

import hashlib
import secrets
from datetime import UTC, datetime
from typing import Any

import msgspec
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce import sales_channel
from commerce.api_key import repository as repo
from commerce.api_key.schemas import ApiKey, ApiKeyListQuery, CreateApiKey, SalesChannelRef
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.ids import new_id

PREFIX = {"publishable": "pk", "secret": "sk"}
MISSING_KEY = (
    "Publishable API key required in the request header: x-publishable-api-key. "
    "You can manage your keys in settings in the dashboard."
)
INVALID_KEY = "A valid publishable key is required to proceed with the request"


def hash_secret(token: str) -> str:
    # Secret tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def redact(token: str) -> str:
    return f"{token[:6]}***{token[-3:]}"


class PublishableKey(msgspec.Struct, frozen=True):
    id: str
    revoked_at: datetime | None
    sales_channel_ids: tuple[str, ...]


async def load_publishable(pool: AsyncConnectionPool[Any]) -> dict[str, PublishableKey]:
    async with pool.connection() as conn:
        rows = await repo.publishable_keys(conn)
    return {token: PublishableKey(key_id, revoked_at, tuple(channels)) for token, key_id, revoked_at, channels in rows}


def check_publishable(keys: dict[str, PublishableKey], token: str | None) -> PublishableKey:
    """The key for a store request, or Medusa's not_allowed errors for a missing, unknown or revoked key."""
    if not token:
        raise NotAllowed(MISSING_KEY)
    key = keys.get(token)
    if key is None or (key.revoked_at is not None and key.revoked_at <= datetime.now(UTC)):
        raise NotAllowed(INVALID_KEY)
    return key


async def authenticate_secret(conn: AsyncConnection[Any], token: str) -> str | None:
    """The id of the live secret key with this token, or None."""
    if not token.startswith("sk_"):
        return None
    found = await repo.secret_by_hash(conn, hash_secret(token))
    if found is None:
        return None
    await repo.touch(conn, found[0])
    return found[0]


async def create(conn: AsyncConnection[Any], data: CreateApiKey, created_by: str) -> ApiKey:
    """Create a key; the returned object carries the full token, which is never shown again for secret keys."""
    token = f"{PREFIX[data.type]}_{secrets.token_hex(32)}"
    async with conn.transaction():
        if data.type == "secret":
            # Serialise secret-key creation so two concurrent calls cannot both pass the check.
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext('api_key:secret'))")
            if await repo.active_secret_exists(conn):
                raise InvalidData(
                    "You can only have one active secret key a time. "
                    "Revoke or delete your existing key before creating a new one."
                )
        row = await repo.insert(
            conn,
            {
                "id": new_id("apk"),
                "token": hash_secret(token) if data.type == "secret" else token,
                "redacted": redact(token),
                "title": data.title,
                "type": data.type,
                "created_by": created_by,
            },
        )
    row["token"] = token
    return _to_key(row, [])


async def retrieve(conn: AsyncConnection[Any], key_id: str) -> ApiKey:
    row = await repo.get(conn, key_id)
    if row is None:
        raise NotFound(f"ApiKey with id: {key_id} was not found")
    return (await _with_channels(conn, [row]))[0]


async def update_title(conn: AsyncConnection[Any], key_id: str, title: str) -> ApiKey:
    row = await repo.update_title(conn, key_id, title)
    if row is None:
        raise NotFound(f"ApiKey with id: {key_id} was not found")
    return (await _with_channels(conn, [row]))[0]


async def revoke(conn: AsyncConnection[Any], key_id: str, revoke_in: int | None, revoked_by: str) -> ApiKey:
    row = await repo.revoke(conn, key_id, revoke_in or 0, revoked_by)
    if row is None:
        raise NotFound(f"ApiKey with id: {key_id} was not found")
    return (await _with_channels(conn, [row]))[0]


async def delete(conn: AsyncConnection[Any], key_id: str) -> None:
    async with conn.transaction():
        if not await repo.soft_delete(conn, key_id):
            raise NotFound(f"ApiKey with id: {key_id} was not found")


async def list_keys(conn: AsyncConnection[Any], query: ApiKeyListQuery) -> tuple[list[ApiKey], int]:
    filters = {"id": query.id, "title": query.title, "type": query.type, "q": query.q, "revoked": query.revoked}
    rows, count = await repo.list_keys(conn, filters, query.order, query.limit, query.offset)
    return await _with_channels(conn, rows), count


async def link_sales_channels(conn: AsyncConnection[Any], key_id: str, add: list[str], remove: list[str]) -> ApiKey:
    async with conn.transaction():
        row = await repo.get(conn, key_id)
        if row is None:
            raise NotFound(f"ApiKey with id: {key_id} was not found")
        if row["type"] != "publishable":
            raise InvalidData("Sales channels can only be associated with publishable API keys")
        missing = await sales_channel.service.missing_ids(conn, add)
        if missing:
            raise InvalidData(f"Sales channels with IDs {', '.join(missing)} do not exist")
        for channel_id in dict.fromkeys(add):
            await repo.add_link(conn, key_id, channel_id)
        for channel_id in dict.fromkeys(remove):
            await repo.remove_link(conn, key_id, channel_id)
    return await retrieve(conn, key_id)


async def _with_channels(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[ApiKey]:
    links = await repo.links_of(conn, [r["id"] for r in rows])
    channel_ids = sorted({c for ids in links.values() for c in ids})
    names = await sales_channel.service.names(conn, channel_ids)
    return [
        _to_key(row, [SalesChannelRef(id=c, name=names[c]) for c in links.get(row["id"], []) if c in names])
        for row in rows
    ]


def _to_key(row: dict[str, Any], channels: list[SalesChannelRef]) -> ApiKey:
    if row["type"] == "secret" and not row["token"].startswith("sk_"):
        # Only the hash is stored: reads show the redacted form in its place.
        row = {**row, "token": row["redacted"]}
    return ApiKey(**row, sales_channels=channels)
