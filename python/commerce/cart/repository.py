"""The only code that runs SQL on cart, cart_address and cart_line_item."""

import json
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

from commerce.db.rows import fetch_all, jsonb, update_by_id

COLUMNS = (
    "id, region_id, customer_id, sales_channel_id, email, currency_code, shipping_address_id, billing_address_id, "
    "metadata, completed_at, created_at, updated_at, deleted_at"
)
ADDRESS_COLUMNS = (
    "id, customer_id, company, first_name, last_name, address_1, address_2, city, country_code, province, "
    "postal_code, phone, metadata, created_at, updated_at, deleted_at"
)
ITEM_COLUMNS = (
    "id, cart_id, title, subtitle, thumbnail, quantity, variant_id, product_id, product_title, product_description, "
    "product_subtitle, product_type, product_type_id, product_collection, product_handle, variant_sku, "
    "variant_barcode, variant_title, variant_option_values, requires_shipping, is_discountable, is_tax_inclusive, "
    "is_custom_price, compare_at_unit_price, unit_price, metadata, created_at, updated_at, deleted_at"
)
UPDATABLE = (
    "region_id",
    "customer_id",
    "sales_channel_id",
    "email",
    "currency_code",
    "shipping_address_id",
    "billing_address_id",
    "metadata",
)
ITEM_INSERT_FIELDS = tuple(
    c.strip() for c in ITEM_COLUMNS.split(",") if c.strip() not in ("created_at", "updated_at", "deleted_at")
)

INSERT = f"""
INSERT INTO cart (id, region_id, customer_id, sales_channel_id, email, currency_code, metadata)
VALUES (%(id)s, %(region_id)s, %(customer_id)s, %(sales_channel_id)s, %(email)s, %(currency_code)s, %(metadata)s)
RETURNING {COLUMNS}
"""
# The lock that serialises every change to one cart: concurrent writers apply one after the other.
LOCK = f"SELECT {COLUMNS} FROM cart WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
SELECT = f"SELECT {COLUMNS} FROM cart WHERE id = %s AND deleted_at IS NULL"
ITEMS = f"SELECT {ITEM_COLUMNS} FROM cart_line_item WHERE cart_id = %s AND deleted_at IS NULL ORDER BY created_at, id"
ADDRESSES = f"SELECT {ADDRESS_COLUMNS} FROM cart_address WHERE id = ANY(%s)"
INSERT_ADDRESS = f"""
INSERT INTO cart_address (id, customer_id, company, first_name, last_name, address_1, address_2, city, country_code,
                          province, postal_code, phone, metadata)
VALUES (%(id)s, %(customer_id)s, %(company)s, %(first_name)s, %(last_name)s, %(address_1)s, %(address_2)s, %(city)s,
        %(country_code)s, %(province)s, %(postal_code)s, %(phone)s, %(metadata)s)
RETURNING {ADDRESS_COLUMNS}
"""
INSERT_ITEM = (
    f"INSERT INTO cart_line_item ({', '.join(ITEM_INSERT_FIELDS)}) VALUES ("
    + ", ".join(f"%({f})s" for f in ITEM_INSERT_FIELDS)
    + ")"
)
SET_QUANTITY = """
UPDATE cart_line_item SET quantity = %s, unit_price = %s, compare_at_unit_price = %s, is_tax_inclusive = %s,
       updated_at = now()
WHERE id = %s AND cart_id = %s AND deleted_at IS NULL RETURNING id
"""
SET_ITEM_METADATA = "UPDATE cart_line_item SET metadata = %s WHERE id = %s AND cart_id = %s AND deleted_at IS NULL"
DELETE_ITEM = "DELETE FROM cart_line_item WHERE id = %s AND cart_id = %s RETURNING id"
TOUCH = "UPDATE cart SET updated_at = now() WHERE id = %s"


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    return (await fetch_all(conn, INSERT, {**row, "metadata": jsonb(row.get("metadata"))}))[0]


async def lock(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any] | None:
    rows = await fetch_all(conn, LOCK, (cart_id,))
    return rows[0] if rows else None


async def get(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any] | None:
    rows = await fetch_all(conn, SELECT, (cart_id,))
    return rows[0] if rows else None


async def update(conn: AsyncConnection[Any], cart_id: str, changes: dict[str, Any]) -> None:
    await update_by_id(conn, "cart", cart_id, changes, UPDATABLE, "id")


async def touch(conn: AsyncConnection[Any], cart_id: str) -> None:
    await conn.execute(TOUCH, (cart_id,))


async def items(conn: AsyncConnection[Any], cart_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, ITEMS, (cart_id,))


async def addresses(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in await fetch_all(conn, ADDRESSES, (ids,))} if ids else {}


async def insert_address(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    return (await fetch_all(conn, INSERT_ADDRESS, {**row, "metadata": jsonb(row.get("metadata"))}))[0]


async def insert_item(conn: AsyncConnection[Any], row: dict[str, Any]) -> None:
    await conn.execute(
        INSERT_ITEM,
        {
            **row,
            "metadata": jsonb(row.get("metadata")),
            "variant_option_values": jsonb(row.get("variant_option_values")),
        },
    )


async def set_quantity(
    conn: AsyncConnection[Any], cart_id: str, item_id: str, quantity: int, price: dict[str, Any]
) -> bool:
    cur = await conn.execute(
        SET_QUANTITY,
        (quantity, price["unit_price"], price["compare_at_unit_price"], price["is_tax_inclusive"], item_id, cart_id),
    )
    return await cur.fetchone() is not None


async def set_item_metadata(conn: AsyncConnection[Any], cart_id: str, item_id: str, metadata: Any) -> None:
    await conn.execute(SET_ITEM_METADATA, (jsonb(metadata), item_id, cart_id))


async def delete_item(conn: AsyncConnection[Any], cart_id: str, item_id: str) -> bool:
    cur = await conn.execute(DELETE_ITEM, (item_id, cart_id))
    return await cur.fetchone() is not None


CODES = "SELECT code FROM cart_promotion WHERE cart_id = %s ORDER BY created_at, code"
ADD_CODE = "INSERT INTO cart_promotion (cart_id, code) VALUES (%s, %s) ON CONFLICT DO NOTHING"
REMOVE_CODES = "DELETE FROM cart_promotion WHERE cart_id = %s AND code = ANY(%s)"
ADJUSTMENTS = """
SELECT id, item_id, amount, code, promotion_id, is_tax_inclusive FROM cart_line_item_adjustment
WHERE cart_id = %s ORDER BY item_id, promotion_id, id
"""
CLEAR_ADJUSTMENTS = "DELETE FROM cart_line_item_adjustment WHERE cart_id = %s"
INSERT_ADJUSTMENT = """
INSERT INTO cart_line_item_adjustment (id, cart_id, item_id, amount, code, promotion_id, is_tax_inclusive)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""


async def codes(conn: AsyncConnection[Any], cart_id: str) -> list[str]:
    cur = await conn.execute(CODES, (cart_id,))
    return [r[0] for r in await cur.fetchall()]


async def add_codes(conn: AsyncConnection[Any], cart_id: str, new: list[str]) -> None:
    for code in new:
        await conn.execute(ADD_CODE, (cart_id, code))


async def remove_codes(conn: AsyncConnection[Any], cart_id: str, gone: list[str]) -> None:
    await conn.execute(REMOVE_CODES, (cart_id, gone))


async def adjustments(conn: AsyncConnection[Any], cart_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, ADJUSTMENTS, (cart_id,))


async def replace_adjustments(conn: AsyncConnection[Any], cart_id: str, rows: list[tuple[Any, ...]]) -> None:
    """Swap the cart's adjustments for the rows of one fresh evaluation: (id, item_id, amount, code, promotion_id,
    is_tax_inclusive)."""
    await conn.execute(CLEAR_ADJUSTMENTS, (cart_id,))
    for row in rows:
        await conn.execute(INSERT_ADJUSTMENT, (row[0], cart_id, *row[1:]))


TAX_LINES = """
SELECT id, item_id, rate, code, name, tax_rate_id, provider_id FROM cart_line_item_tax_line
WHERE cart_id = %s ORDER BY item_id, id
"""
CLEAR_TAX_LINES = "DELETE FROM cart_line_item_tax_line WHERE cart_id = %s"
INSERT_TAX_LINE = """
INSERT INTO cart_line_item_tax_line (id, cart_id, item_id, rate, code, name, tax_rate_id, provider_id)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
"""


async def tax_lines(conn: AsyncConnection[Any], cart_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, TAX_LINES, (cart_id,))


async def replace_tax_lines(conn: AsyncConnection[Any], cart_id: str, rows: list[tuple[Any, ...]]) -> None:
    """Swap the cart's tax lines: (id, item_id, rate, code, name, tax_rate_id, provider_id)."""
    await conn.execute(CLEAR_TAX_LINES, (cart_id,))
    for row in rows:
        await conn.execute(INSERT_TAX_LINE, (row[0], cart_id, *row[1:]))


METHODS = """
SELECT id, cart_id, shipping_option_id, name, amount, is_tax_inclusive, data, tax_lines, created_at, updated_at
FROM cart_shipping_method WHERE cart_id = %s ORDER BY created_at, id
"""
CLEAR_METHODS = "DELETE FROM cart_shipping_method WHERE cart_id = %s"
INSERT_METHOD = """
INSERT INTO cart_shipping_method (id, cart_id, shipping_option_id, name, amount, is_tax_inclusive, data)
VALUES (%s, %s, %s, %s, %s, %s, %s)
"""
SET_METHOD_TAXES = "UPDATE cart_shipping_method SET tax_lines = %s WHERE id = %s AND cart_id = %s"


async def methods(conn: AsyncConnection[Any], cart_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, METHODS, (cart_id,))


async def replace_methods(conn: AsyncConnection[Any], cart_id: str, rows: list[tuple[Any, ...]]) -> None:
    """The cart's shipping methods become `rows`: (id, shipping_option_id, name, amount, is_tax_inclusive, data)."""
    await conn.execute(CLEAR_METHODS, (cart_id,))
    for row in rows:
        await conn.execute(INSERT_METHOD, (row[0], cart_id, *row[1:5], jsonb(row[5] or {})))


async def set_method_taxes(conn: AsyncConnection[Any], cart_id: str, method_id: str, lines: list[Any]) -> None:
    await conn.execute(SET_METHOD_TAXES, (jsonb(lines), method_id, cart_id))


# The whole cart in one statement (one snapshot, one round trip): its row and each relation as JSON.
WHOLE = f"""
SELECT row_to_json(c) AS cart,
  (SELECT coalesce(json_agg(row_to_json(i) ORDER BY i.created_at, i.id), '[]')
     FROM (SELECT {ITEM_COLUMNS} FROM cart_line_item WHERE cart_id = c.id AND deleted_at IS NULL) i) AS items,
  (SELECT coalesce(json_agg(row_to_json(a) ORDER BY a.item_id, a.promotion_id, a.id), '[]')
     FROM (SELECT id, item_id, amount, code, promotion_id, is_tax_inclusive FROM cart_line_item_adjustment
           WHERE cart_id = c.id) a) AS adjustments,
  (SELECT coalesce(json_agg(row_to_json(t) ORDER BY t.item_id, t.id), '[]')
     FROM (SELECT id, item_id, rate, code, name, tax_rate_id, provider_id FROM cart_line_item_tax_line
           WHERE cart_id = c.id) t) AS tax_lines,
  (SELECT coalesce(json_agg(row_to_json(m) ORDER BY m.created_at, m.id), '[]')
     FROM (SELECT id, cart_id, shipping_option_id, name, amount, is_tax_inclusive, data, tax_lines, created_at,
                  updated_at FROM cart_shipping_method WHERE cart_id = c.id) m) AS methods,
  (SELECT coalesce(json_agg(row_to_json(ad)), '[]')
     FROM (SELECT {ADDRESS_COLUMNS} FROM cart_address
           WHERE id IN (c.shipping_address_id, c.billing_address_id)) ad) AS addresses
FROM (SELECT {COLUMNS} FROM cart WHERE id = %s AND deleted_at IS NULL) c
"""
_EXACT_JSON = partial(json.loads, parse_float=Decimal)  # money stays exact: no float on the way


async def whole(conn: AsyncConnection[Any], cart_id: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    set_json_loads(_EXACT_JSON, cur)
    await cur.execute(WHOLE, (cart_id,))
    row = await cur.fetchone()
    if row is None:
        return None
    for key in ("cart", "items", "methods", "addresses"):
        row[key] = _times(row[key])
    return row


_TIMES = ("created_at", "updated_at", "deleted_at", "completed_at")


def _times(value: Any) -> Any:
    """JSON gives timestamps as text: back to datetimes, so they encode like every other row's."""
    if isinstance(value, list):
        return [_times(v) for v in value]
    for key in _TIMES:
        if isinstance(value.get(key), str):
            value[key] = datetime.fromisoformat(value[key])
    return value


COMPLETE = (
    "UPDATE cart SET completed_at = now(), updated_at = now() WHERE id = %s AND completed_at IS NULL RETURNING id"
)


async def complete(conn: AsyncConnection[Any], cart_id: str) -> bool:
    """Mark the cart completed (once: False when it already was)."""
    cur = await conn.execute(COMPLETE, (cart_id,))
    return await cur.fetchone() is not None
