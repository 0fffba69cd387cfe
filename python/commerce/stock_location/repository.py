"""The only code that runs SQL on stock_location, stock_location_address and the location link tables."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

COLUMNS = "id, name, address_id, metadata, created_at, updated_at, deleted_at"
ORDERABLE = frozenset({"created_at", "updated_at", "name"})
ADDRESS_COLUMNS = (
    "id, address_1, address_2, company, city, country_code, phone, province, postal_code, metadata, created_at, "
    "updated_at, deleted_at"
)

INSERT = f"""
INSERT INTO stock_location (id, name, address_id, metadata) VALUES (%(id)s, %(name)s, %(address_id)s, %(metadata)s)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM stock_location WHERE id = %s AND deleted_at IS NULL"
LOCK = "SELECT id FROM stock_location WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
SOFT_DELETE = "UPDATE stock_location SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
INSERT_ADDRESS = f"""
INSERT INTO stock_location_address (id, address_1, address_2, company, city, country_code, phone, province,
                                    postal_code, metadata)
VALUES (%(id)s, %(address_1)s, %(address_2)s, %(company)s, %(city)s, %(country_code)s, %(phone)s, %(province)s,
        %(postal_code)s, %(metadata)s)
RETURNING {ADDRESS_COLUMNS}
"""
ADDRESS_EXISTS = "SELECT id FROM stock_location_address WHERE id = %s AND deleted_at IS NULL"
ADDRESSES = f"SELECT {ADDRESS_COLUMNS} FROM stock_location_address WHERE id = ANY(%s)"
CHANNELS_OF = """
SELECT stock_location_id, sales_channel_id FROM stock_location_sales_channel
WHERE stock_location_id = ANY(%s) ORDER BY created_at, sales_channel_id
"""
PROVIDERS_OF = """
SELECT l.stock_location_id, p.id, p.is_enabled FROM stock_location_fulfillment_provider l
JOIN fulfillment_provider p ON p.id = l.fulfillment_provider_id AND p.deleted_at IS NULL
WHERE l.stock_location_id = ANY(%s) ORDER BY p.id
"""
SETS_OF = """
SELECT stock_location_id, fulfillment_set_id FROM stock_location_fulfillment_set
WHERE stock_location_id = ANY(%s) ORDER BY created_at, fulfillment_set_id
"""
LINK_CHANNEL = """
INSERT INTO stock_location_sales_channel (stock_location_id, sales_channel_id) VALUES (%s, %s)
ON CONFLICT DO NOTHING
"""
UNLINK_CHANNEL = "DELETE FROM stock_location_sales_channel WHERE stock_location_id = %s AND sales_channel_id = %s"
LINK_PROVIDER = """
INSERT INTO stock_location_fulfillment_provider (stock_location_id, fulfillment_provider_id) VALUES (%s, %s)
ON CONFLICT DO NOTHING
"""
UNLINK_PROVIDER = """
DELETE FROM stock_location_fulfillment_provider WHERE stock_location_id = %s AND fulfillment_provider_id = %s
"""
LINK_SET = "INSERT INTO stock_location_fulfillment_set (stock_location_id, fulfillment_set_id) VALUES (%s, %s)"
UNLINK_ALL = [
    "DELETE FROM stock_location_sales_channel WHERE stock_location_id = %s",
    "DELETE FROM stock_location_fulfillment_provider WHERE stock_location_id = %s",
    "DELETE FROM stock_location_fulfillment_set WHERE stock_location_id = %s",
]
# What the store's shipping options hang from: the fulfillment sets of live locations serving a channel.
SETS_FOR_CHANNEL = """
SELECT f.fulfillment_set_id FROM stock_location_sales_channel c
JOIN stock_location l ON l.id = c.stock_location_id AND l.deleted_at IS NULL
JOIN stock_location_fulfillment_set f ON f.stock_location_id = l.id
WHERE c.sales_channel_id = %s
"""
LOCATION_OF_SET = """
SELECT f.stock_location_id FROM stock_location_fulfillment_set f
JOIN stock_location l ON l.id = f.stock_location_id AND l.deleted_at IS NULL
WHERE f.fulfillment_set_id = %s
"""
PROVIDER_IDS_OF = """
SELECT fulfillment_provider_id FROM stock_location_fulfillment_provider WHERE stock_location_id = %s
"""


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], location_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_ONE, (location_id,))


async def lock(conn: AsyncConnection[Any], location_id: str) -> bool:
    return await fetch_one(conn, LOCK, (location_id,)) is not None


async def update(conn: AsyncConnection[Any], location_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "stock_location", location_id, changes, ("name", "address_id", "metadata"), COLUMNS)


async def soft_delete(conn: AsyncConnection[Any], location_id: str) -> bool:
    if await fetch_one(conn, SOFT_DELETE, (location_id,)) is None:
        return False
    for statement in UNLINK_ALL:
        await conn.execute(statement, (location_id,))
    return True


async def insert_address(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_ADDRESS, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def address_exists(conn: AsyncConnection[Any], address_id: str) -> bool:
    return await fetch_one(conn, ADDRESS_EXISTS, (address_id,)) is not None


async def addresses(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in await fetch_all(conn, ADDRESSES, (ids,))}


async def channels_of(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, CHANNELS_OF, (ids,))


async def providers_of(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PROVIDERS_OF, (ids,))


async def sets_of(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, SETS_OF, (ids,))


async def link_channel(conn: AsyncConnection[Any], location_id: str, channel_id: str) -> None:
    await conn.execute(LINK_CHANNEL, (location_id, channel_id))


async def unlink_channel(conn: AsyncConnection[Any], location_id: str, channel_id: str) -> None:
    await conn.execute(UNLINK_CHANNEL, (location_id, channel_id))


async def link_provider(conn: AsyncConnection[Any], location_id: str, provider_id: str) -> None:
    await conn.execute(LINK_PROVIDER, (location_id, provider_id))


async def unlink_provider(conn: AsyncConnection[Any], location_id: str, provider_id: str) -> None:
    await conn.execute(UNLINK_PROVIDER, (location_id, provider_id))


async def link_set(conn: AsyncConnection[Any], location_id: str, set_id: str) -> None:
    await conn.execute(LINK_SET, (location_id, set_id))


async def sets_for_channel(conn: AsyncConnection[Any], channel_id: str) -> list[str]:
    return [r["fulfillment_set_id"] for r in await fetch_all(conn, SETS_FOR_CHANNEL, (channel_id,))]


async def location_of_set(conn: AsyncConnection[Any], set_id: str) -> str | None:
    row = await fetch_one(conn, LOCATION_OF_SET, (set_id,))
    return None if row is None else str(row["stock_location_id"])


async def provider_ids_of(conn: AsyncConnection[Any], location_id: str) -> set[str]:
    return {r["fulfillment_provider_id"] for r in await fetch_all(conn, PROVIDER_IDS_OF, (location_id,))}


async def list_locations(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "name"))
    if filters.get("sales_channel_id"):
        where.append(
            sql.SQL(
                "id IN (SELECT stock_location_id FROM stock_location_sales_channel "
                "WHERE sales_channel_id = ANY(%(sales_channel_id)s))"
            )
        )
        params["sales_channel_id"] = filters["sales_channel_id"]
    if filters.get("q"):
        where.append(sql.SQL("name ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "stock_location", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)


LOCATIONS_FOR_CHANNEL = """
SELECT c.stock_location_id FROM stock_location_sales_channel c
JOIN stock_location l ON l.id = c.stock_location_id AND l.deleted_at IS NULL
WHERE c.sales_channel_id = %s ORDER BY c.created_at, c.stock_location_id
"""


async def locations_for_channel(conn: AsyncConnection[Any], channel_id: str) -> list[str]:
    return [r["stock_location_id"] for r in await fetch_all(conn, LOCATIONS_FOR_CHANNEL, (channel_id,))]
