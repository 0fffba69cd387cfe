"""The only code that runs SQL on fulfillment, fulfillment_address, fulfillment_item and fulfillment_label.
State changes (ship, deliver, cancel) are single conditional UPDATEs, so of two concurrent requests only one wins."""

from typing import Any

from psycopg import AsyncConnection

from commerce.db.rows import fetch_all, fetch_one, jsonb

FULFILLMENT_COLUMNS = (
    "id, location_id, provider_id, shipping_option_id, delivery_address_id, packed_at, shipped_at, marked_shipped_by, "
    "delivered_at, canceled_at, requires_shipping, data, metadata, created_by, created_at, updated_at, deleted_at"
)
ADDRESS_COLUMNS = (
    "id, company, first_name, last_name, address_1, address_2, city, country_code, province, postal_code, phone, "
    "metadata, created_at, updated_at, deleted_at"
)
ITEM_COLUMNS = (
    "id, fulfillment_id, title, sku, barcode, quantity, line_item_id, inventory_item_id, created_at, updated_at, "
    "deleted_at"
)
LABEL_COLUMNS = "id, fulfillment_id, tracking_number, tracking_url, label_url, created_at, updated_at, deleted_at"

INSERT_ADDRESS = f"""
INSERT INTO fulfillment_address (id, company, first_name, last_name, address_1, address_2, city, country_code,
                                 province, postal_code, phone, metadata)
VALUES (%(id)s, %(company)s, %(first_name)s, %(last_name)s, %(address_1)s, %(address_2)s, %(city)s, %(country_code)s,
        %(province)s, %(postal_code)s, %(phone)s, %(metadata)s)
RETURNING {ADDRESS_COLUMNS}
"""
INSERT_FULFILLMENT = f"""
INSERT INTO fulfillment (id, location_id, provider_id, shipping_option_id, delivery_address_id, packed_at, shipped_at,
                         delivered_at, canceled_at, requires_shipping, data, metadata, created_by)
VALUES (%(id)s, %(location_id)s, %(provider_id)s, %(shipping_option_id)s, %(delivery_address_id)s, %(packed_at)s,
        %(shipped_at)s, %(delivered_at)s, %(canceled_at)s, %(requires_shipping)s, %(data)s, %(metadata)s,
        %(created_by)s)
RETURNING {FULFILLMENT_COLUMNS}
"""
# Rows arrive as one jsonb array: one statement, one round trip, whatever the number of items.
INSERT_ITEMS = f"""
INSERT INTO fulfillment_item (id, fulfillment_id, title, sku, barcode, quantity, line_item_id, inventory_item_id)
SELECT i.id, %(fulfillment_id)s, i.title, i.sku, i.barcode, i.quantity, i.line_item_id, i.inventory_item_id
FROM jsonb_to_recordset(%(rows)s) AS i(id text, title text, sku text, barcode text, quantity integer,
                                       line_item_id text, inventory_item_id text)
RETURNING {ITEM_COLUMNS}
"""
INSERT_LABELS = f"""
INSERT INTO fulfillment_label (id, fulfillment_id, tracking_number, tracking_url, label_url)
SELECT l.id, %(fulfillment_id)s, l.tracking_number, l.tracking_url, l.label_url
FROM jsonb_to_recordset(%(rows)s) AS l(id text, tracking_number text, tracking_url text, label_url text)
RETURNING {LABEL_COLUMNS}
"""
SOFT_DELETE_LABELS = """
UPDATE fulfillment_label SET deleted_at = now() WHERE fulfillment_id = %s AND deleted_at IS NULL
"""

FULFILLMENTS = f"""
SELECT {FULFILLMENT_COLUMNS} FROM fulfillment WHERE id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
ADDRESSES = f"SELECT {ADDRESS_COLUMNS} FROM fulfillment_address WHERE id = ANY(%s) AND deleted_at IS NULL"
ITEMS_OF = f"""
SELECT {ITEM_COLUMNS} FROM fulfillment_item WHERE fulfillment_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
LABELS_OF = f"""
SELECT {LABEL_COLUMNS} FROM fulfillment_label WHERE fulfillment_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
PROVIDERS = "SELECT id, is_enabled FROM fulfillment_provider WHERE id = ANY(%s)"

# The state changes. Each names, in its WHERE, every state that refuses it.
SHIP = f"""
UPDATE fulfillment SET shipped_at = now(), marked_shipped_by = %(by)s, updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND canceled_at IS NULL AND shipped_at IS NULL
  AND shipping_option_id IS NOT NULL
RETURNING {FULFILLMENT_COLUMNS}
"""
DELIVER = f"""
UPDATE fulfillment SET delivered_at = now(), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND canceled_at IS NULL AND delivered_at IS NULL
RETURNING {FULFILLMENT_COLUMNS}
"""
CANCEL = f"""
UPDATE fulfillment SET canceled_at = now(), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND canceled_at IS NULL AND shipped_at IS NULL AND delivered_at IS NULL
RETURNING {FULFILLMENT_COLUMNS}
"""
STATE = """
SELECT id, shipping_option_id, shipped_at, delivered_at, canceled_at FROM fulfillment
WHERE id = %s AND deleted_at IS NULL
"""


async def insert_address(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_ADDRESS, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def insert_fulfillment(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(
        conn, INSERT_FULFILLMENT, {**row, "data": jsonb(row.get("data")), "metadata": jsonb(row.get("metadata"))}
    )
    assert result is not None
    return result


async def insert_items(conn: AsyncConnection[Any], fulfillment_id: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(INSERT_ITEMS, {"fulfillment_id": fulfillment_id, "rows": jsonb(rows)})


async def insert_labels(conn: AsyncConnection[Any], fulfillment_id: str, rows: list[dict[str, Any]]) -> None:
    if rows:
        await conn.execute(INSERT_LABELS, {"fulfillment_id": fulfillment_id, "rows": jsonb(rows)})


async def replace_labels(conn: AsyncConnection[Any], fulfillment_id: str, rows: list[dict[str, Any]]) -> None:
    """The fulfillment's labels become `rows` (the old ones are soft-deleted)."""
    await conn.execute(SOFT_DELETE_LABELS, (fulfillment_id,))
    await insert_labels(conn, fulfillment_id, rows)


async def fulfillments(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, FULFILLMENTS, (ids,))


async def addresses(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ADDRESSES, (ids,))


async def items_of(conn: AsyncConnection[Any], fulfillment_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ITEMS_OF, (fulfillment_ids,))


async def labels_of(conn: AsyncConnection[Any], fulfillment_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LABELS_OF, (fulfillment_ids,))


async def providers(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PROVIDERS, (ids,))


async def ship(conn: AsyncConnection[Any], fulfillment_id: str, by: str | None) -> dict[str, Any] | None:
    """Mark shipped, unless it is missing, canceled, already shipped or has no shipping option (then None)."""
    return await fetch_one(conn, SHIP, {"id": fulfillment_id, "by": by})


async def deliver(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any] | None:
    """Mark delivered, unless it is missing, canceled or already delivered (then None)."""
    return await fetch_one(conn, DELIVER, (fulfillment_id,))


async def cancel(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any] | None:
    """Mark canceled, unless it is missing, already canceled, shipped or delivered (then None)."""
    return await fetch_one(conn, CANCEL, (fulfillment_id,))


async def state(conn: AsyncConnection[Any], fulfillment_id: str) -> dict[str, Any] | None:
    """The state fields of a live fulfillment: why a state change was refused."""
    return await fetch_one(conn, STATE, (fulfillment_id,))
