"""The only code that runs SQL on the order tables (order, order_address, order_line_item, order_item, their
adjustments and tax lines, order_shipping_method and its, and the order link tables)."""

import json
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

import psycopg
from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads

from commerce.db.paging import any_of, date_ranges, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb
from commerce.errors import DuplicateError
from commerce.listing import order_by
from commerce.order.build import OrderDraft
from commerce.order.schemas import ADDRESS_FIELDS

COLUMNS = (
    "id, display_id, version, status, is_draft_order, region_id, customer_id, sales_channel_id, email, "
    "currency_code, shipping_address_id, billing_address_id, no_notification, metadata, canceled_at, created_at, "
    "updated_at, deleted_at"
)
ORDERABLE = frozenset({"created_at", "updated_at", "display_id", "status", "email", "id"})
ADDRESS_COLUMNS = (
    "id, customer_id, company, first_name, last_name, address_1, address_2, city, country_code, province, "
    "postal_code, phone, metadata, created_at, updated_at"
)
ITEM_COLUMNS = (
    "id, order_id, title, subtitle, thumbnail, variant_id, product_id, product_title, product_description, "
    "product_subtitle, product_type, product_type_id, product_collection, product_handle, variant_sku, "
    "variant_barcode, variant_title, variant_option_values, requires_shipping, is_discountable, is_tax_inclusive, "
    "is_custom_price, compare_at_unit_price, unit_price, quantity, metadata, position, created_at, updated_at"
)
DETAIL_COLUMNS = (
    "id, order_id, item_id, version, quantity, fulfilled_quantity, shipped_quantity, delivered_quantity, "
    "return_requested_quantity, return_received_quantity, return_dismissed_quantity, written_off_quantity, "
    "metadata, created_at, updated_at"
)
ADJUSTMENT_COLUMNS = (
    "id, {owner}, amount, code, description, promotion_id, provider_id, is_tax_inclusive, created_at, updated_at"
)
TAX_LINE_COLUMNS = "id, {owner}, rate, code, description, tax_rate_id, provider_id, created_at, updated_at"
METHOD_COLUMNS = (
    "id, order_id, name, description, amount, is_tax_inclusive, is_custom_amount, shipping_option_id, data, "
    "metadata, position, created_at, updated_at"
)


def _insert(table: str, fields: tuple[str, ...]) -> str:
    """An INSERT of the named fields (constants of this file, never input)."""
    return f'INSERT INTO "{table}" ({", ".join(fields)}) VALUES ({", ".join(f"%({f})s" for f in fields)})'


INSERT_ORDER = _insert(
    "order",
    (
        "id",
        "display_id",
        "status",
        "region_id",
        "customer_id",
        "sales_channel_id",
        "email",
        "currency_code",
        "shipping_address_id",
        "billing_address_id",
        "no_notification",
        "metadata",
    ),
)
# A draft without a display id takes the next one from the sequence (the column's default).
INSERT_ORDER_NEXT_DISPLAY_ID = INSERT_ORDER.replace("%(display_id)s", "nextval('order_display_id_seq')")
INSERT_ADDRESS = _insert("order_address", ("id", *ADDRESS_FIELDS))
INSERT_ITEM = _insert(
    "order_line_item",
    tuple(c.strip() for c in ITEM_COLUMNS.split(",") if c.strip() not in ("created_at", "updated_at")),
)
INSERT_DETAIL = _insert("order_item", ("id", "order_id", "item_id", "quantity"))
_ADJUSTMENT_FIELDS = ("id", "amount", "code", "description", "promotion_id", "provider_id", "is_tax_inclusive")
_TAX_LINE_FIELDS = ("id", "rate", "code", "description", "tax_rate_id", "provider_id")
INSERT_ADJUSTMENT = _insert("order_line_item_adjustment", (*_ADJUSTMENT_FIELDS, "item_id"))
INSERT_TAX_LINE = _insert("order_line_item_tax_line", (*_TAX_LINE_FIELDS, "item_id"))
INSERT_METHOD = _insert(
    "order_shipping_method",
    tuple(c.strip() for c in METHOD_COLUMNS.split(",") if c.strip() not in ("created_at", "updated_at")),
)
INSERT_METHOD_ADJUSTMENT = _insert("order_shipping_method_adjustment", (*_ADJUSTMENT_FIELDS, "shipping_method_id"))
INSERT_METHOD_TAX_LINE = _insert("order_shipping_method_tax_line", (*_TAX_LINE_FIELDS, "shipping_method_id"))
LINK_CART = "INSERT INTO order_cart (order_id, cart_id) VALUES (%s, %s)"
LINK_PAYMENT_COLLECTION = """
INSERT INTO order_payment_collection (order_id, payment_collection_id) VALUES (%s, %s) ON CONFLICT DO NOTHING
"""
LINK_PROMOTION = "INSERT INTO order_promotion (order_id, promotion_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
LINK_FULFILLMENT = "INSERT INTO order_fulfillment (order_id, fulfillment_id) VALUES (%s, %s) ON CONFLICT DO NOTHING"
CART_CONSTRAINT = "order_cart_cart_key"

BY_CART = """
SELECT c.order_id FROM order_cart c JOIN "order" o ON o.id = c.order_id AND o.deleted_at IS NULL WHERE c.cart_id = %s
"""
STATUS = 'SELECT id, status FROM "order" WHERE id = %s AND deleted_at IS NULL'
# Status changes are one conditional statement each: the row changes only from a status that allows it.
SET_STATUS = """
UPDATE "order" SET status = %(status)s, updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND status = ANY(%(from)s)
RETURNING id
"""
CANCEL = """
UPDATE "order" SET status = 'canceled', canceled_at = now(), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND status <> 'canceled'
RETURNING id
"""
PAYMENT_COLLECTION_IDS = """
SELECT payment_collection_id FROM order_payment_collection WHERE order_id = %s
ORDER BY created_at, payment_collection_id
"""
FULFILLMENT_IDS = "SELECT fulfillment_id FROM order_fulfillment WHERE order_id = %s ORDER BY created_at, fulfillment_id"
ORDER_OF_FULFILLMENT = "SELECT order_id FROM order_fulfillment WHERE fulfillment_id = %s"
ORDER_OF_PAYMENT_COLLECTION = "SELECT order_id FROM order_payment_collection WHERE payment_collection_id = %s"
ITEMS = f"""
SELECT {", ".join(f"i.{c.strip()}" for c in ITEM_COLUMNS.split(","))},
       d.fulfilled_quantity, d.shipped_quantity, d.delivered_quantity, d.return_requested_quantity,
       d.return_received_quantity, d.return_dismissed_quantity, d.written_off_quantity
FROM order_line_item i JOIN order_item d ON d.item_id = i.id
WHERE i.order_id = %s AND i.deleted_at IS NULL ORDER BY i.position, i.id
"""

# The quantity counters a fulfilment moves, and the bound each must stay within. One statement per call for all
# the lines: a line whose bound would break is not updated and not returned, so the caller sees which failed.
_MOVES = {
    "fulfilled": ("fulfilled_quantity", "d.fulfilled_quantity + q.qty <= d.quantity"),
    "shipped": ("shipped_quantity", "d.shipped_quantity + q.qty <= d.fulfilled_quantity"),
    "delivered": ("delivered_quantity", "d.delivered_quantity + q.qty <= d.fulfilled_quantity"),
    "unfulfilled": (
        "fulfilled_quantity",
        "d.fulfilled_quantity - q.qty >= greatest(d.shipped_quantity, d.delivered_quantity)",
    ),
}
MOVE = {
    kind: f"""
UPDATE order_item d SET {column} = d.{column} {"-" if kind == "unfulfilled" else "+"} q.qty, updated_at = now()
FROM unnest(%(item_ids)s::text[], %(quantities)s::integer[]) AS q(item_id, qty), "order" o
WHERE d.order_id = %(order_id)s AND d.item_id = q.item_id AND o.id = d.order_id AND o.deleted_at IS NULL
  AND o.status <> 'canceled' AND {bound}
RETURNING d.item_id
"""
    for kind, (column, bound) in _MOVES.items()
}
ITEM_IDS_OF = "SELECT item_id FROM order_item WHERE order_id = %s AND item_id = ANY(%s)"


def _json_rows(select: str, order: str) -> str:
    return f"(SELECT coalesce(json_agg(row_to_json(r) ORDER BY {order}), '[]') FROM ({select}) r)"


def _prefixed(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


_ITEMS_OF = f"SELECT {ITEM_COLUMNS} FROM order_line_item WHERE order_id = o.id AND deleted_at IS NULL"
_DETAILS_OF = f"SELECT {DETAIL_COLUMNS} FROM order_item WHERE order_id = o.id"
_ADJUSTMENTS_OF = f"""
SELECT {_prefixed(ADJUSTMENT_COLUMNS.format(owner="item_id"), "a")}
FROM order_line_item_adjustment a JOIN order_line_item i ON i.id = a.item_id WHERE i.order_id = o.id
"""
_TAX_LINES_OF = f"""
SELECT {_prefixed(TAX_LINE_COLUMNS.format(owner="item_id"), "t")}
FROM order_line_item_tax_line t JOIN order_line_item i ON i.id = t.item_id WHERE i.order_id = o.id
"""
_METHODS_OF = f"SELECT {METHOD_COLUMNS} FROM order_shipping_method WHERE order_id = o.id AND deleted_at IS NULL"
_METHOD_ADJUSTMENTS_OF = f"""
SELECT {_prefixed(ADJUSTMENT_COLUMNS.format(owner="shipping_method_id"), "a")}
FROM order_shipping_method_adjustment a JOIN order_shipping_method m ON m.id = a.shipping_method_id
WHERE m.order_id = o.id
"""
_METHOD_TAX_LINES_OF = f"""
SELECT {_prefixed(TAX_LINE_COLUMNS.format(owner="shipping_method_id"), "t")}
FROM order_shipping_method_tax_line t JOIN order_shipping_method m ON m.id = t.shipping_method_id
WHERE m.order_id = o.id
"""
_ADDRESSES_OF = f"SELECT {ADDRESS_COLUMNS} FROM order_address WHERE id IN (o.shipping_address_id, o.billing_address_id)"
# Whole orders in one statement (one snapshot, one round trip): each row and its relations as JSON.
WHOLE = f"""
SELECT row_to_json(o) AS "order",
  {_json_rows(_ITEMS_OF, "r.position, r.id")} AS items,
  {_json_rows(_DETAILS_OF, "r.item_id")} AS details,
  {_json_rows(_ADJUSTMENTS_OF, "r.item_id, r.id")} AS adjustments,
  {_json_rows(_TAX_LINES_OF, "r.item_id, r.id")} AS tax_lines,
  {_json_rows(_METHODS_OF, "r.position, r.id")} AS methods,
  {_json_rows(_METHOD_ADJUSTMENTS_OF, "r.shipping_method_id, r.id")} AS method_adjustments,
  {_json_rows(_METHOD_TAX_LINES_OF, "r.shipping_method_id, r.id")} AS method_tax_lines,
  {_json_rows(_ADDRESSES_OF, "r.id")} AS addresses,
  (SELECT coalesce(json_agg(payment_collection_id ORDER BY created_at, payment_collection_id), '[]')
     FROM order_payment_collection WHERE order_id = o.id) AS payment_collection_ids,
  (SELECT coalesce(json_agg(fulfillment_id ORDER BY created_at, fulfillment_id), '[]')
     FROM order_fulfillment WHERE order_id = o.id) AS fulfillment_ids,
  (SELECT coalesce(json_agg(promotion_id ORDER BY created_at, promotion_id), '[]')
     FROM order_promotion WHERE order_id = o.id) AS promotion_ids,
  (SELECT cart_id FROM order_cart WHERE order_id = o.id LIMIT 1) AS cart_id
FROM (SELECT {COLUMNS} FROM "order" WHERE id = ANY(%s) AND deleted_at IS NULL) o
"""
_EXACT_JSON = partial(json.loads, parse_float=Decimal)  # money stays exact: no float on the way
_TIMES = ("created_at", "updated_at", "deleted_at", "canceled_at")
_MONEY = ("unit_price", "compare_at_unit_price", "amount", "rate")


async def insert(
    conn: AsyncConnection[Any], draft: OrderDraft, payment_collection_id: str | None, promotion_ids: list[str]
) -> None:
    """Insert every row of a draft and its links, pipelined (one round trip whatever the size of the order).
    DuplicateError when the cart already has an order."""
    order = {**draft.order, "metadata": jsonb(draft.order.get("metadata"))}
    statement = INSERT_ORDER if order.get("display_id") is not None else INSERT_ORDER_NEXT_DISPLAY_ID
    try:
        async with conn.pipeline():
            cur = conn.cursor()
            if draft.addresses:
                await cur.executemany(
                    INSERT_ADDRESS, [{**a, "metadata": jsonb(a.get("metadata"))} for a in draft.addresses]
                )
            await cur.execute(statement, order)
            await cur.execute(LINK_CART, (order["id"], draft.cart_id))
            if draft.items:
                await cur.executemany(
                    INSERT_ITEM,
                    [
                        {
                            **i,
                            "metadata": jsonb(i.get("metadata")),
                            "variant_option_values": jsonb(i.get("variant_option_values")),
                        }
                        for i in draft.items
                    ],
                )
                await cur.executemany(INSERT_DETAIL, draft.details)
            for statement, rows in (
                (INSERT_ADJUSTMENT, draft.adjustments),
                (INSERT_TAX_LINE, draft.tax_lines),
            ):
                if rows:
                    await cur.executemany(statement, rows)
            if draft.shipping_methods:
                await cur.executemany(
                    INSERT_METHOD,
                    [
                        {**m, "data": jsonb(m.get("data")), "metadata": jsonb(m.get("metadata"))}
                        for m in draft.shipping_methods
                    ],
                )
            for statement, rows in (
                (INSERT_METHOD_ADJUSTMENT, draft.shipping_method_adjustments),
                (INSERT_METHOD_TAX_LINE, draft.shipping_method_tax_lines),
            ):
                if rows:
                    await cur.executemany(statement, rows)
            if payment_collection_id:
                await cur.execute(LINK_PAYMENT_COLLECTION, (order["id"], payment_collection_id))
            if promotion_ids:
                await cur.executemany(LINK_PROMOTION, [(order["id"], p) for p in promotion_ids])
    except psycopg.errors.UniqueViolation as exc:
        if exc.diag.constraint_name == CART_CONSTRAINT:
            raise DuplicateError(f"Cart {draft.cart_id} has already been made into an order") from None
        raise


async def link_payment_collection(conn: AsyncConnection[Any], order_id: str, collection_id: str) -> None:
    await conn.execute(LINK_PAYMENT_COLLECTION, (order_id, collection_id))


async def link_fulfillment(conn: AsyncConnection[Any], order_id: str, fulfillment_id: str) -> None:
    await conn.execute(LINK_FULFILLMENT, (order_id, fulfillment_id))


async def by_cart(conn: AsyncConnection[Any], cart_id: str) -> str | None:
    row = await fetch_one(conn, BY_CART, (cart_id,))
    return None if row is None else str(row["order_id"])


async def status(conn: AsyncConnection[Any], order_id: str) -> str | None:
    row = await fetch_one(conn, STATUS, (order_id,))
    return None if row is None else str(row["status"])


async def set_status(conn: AsyncConnection[Any], order_id: str, to: str, allowed_from: tuple[str, ...]) -> bool:
    return await fetch_one(conn, SET_STATUS, {"id": order_id, "status": to, "from": list(allowed_from)}) is not None


async def cancel(conn: AsyncConnection[Any], order_id: str) -> bool:
    return await fetch_one(conn, CANCEL, (order_id,)) is not None


async def payment_collection_ids(conn: AsyncConnection[Any], order_id: str) -> list[str]:
    return [r["payment_collection_id"] for r in await fetch_all(conn, PAYMENT_COLLECTION_IDS, (order_id,))]


async def fulfillment_ids(conn: AsyncConnection[Any], order_id: str) -> list[str]:
    return [r["fulfillment_id"] for r in await fetch_all(conn, FULFILLMENT_IDS, (order_id,))]


async def order_of_fulfillment(conn: AsyncConnection[Any], fulfillment_id: str) -> str | None:
    row = await fetch_one(conn, ORDER_OF_FULFILLMENT, (fulfillment_id,))
    return None if row is None else str(row["order_id"])


async def order_of_payment_collection(conn: AsyncConnection[Any], collection_id: str) -> str | None:
    row = await fetch_one(conn, ORDER_OF_PAYMENT_COLLECTION, (collection_id,))
    return None if row is None else str(row["order_id"])


async def items(conn: AsyncConnection[Any], order_id: str) -> list[dict[str, Any]]:
    return await fetch_all(conn, ITEMS, (order_id,))


async def move(conn: AsyncConnection[Any], kind: str, order_id: str, quantities: dict[str, int]) -> set[str]:
    """Move one quantity counter of these lines; returns the item ids that moved (the others would have broken
    their bound, are not in the order, or the order is canceled)."""
    rows = await fetch_all(
        conn,
        MOVE[kind],
        {"order_id": order_id, "item_ids": list(quantities), "quantities": list(quantities.values())},
    )
    return {r["item_id"] for r in rows}


async def item_ids_of(conn: AsyncConnection[Any], order_id: str, item_ids: list[str]) -> set[str]:
    return {r["item_id"] for r in await fetch_all(conn, ITEM_IDS_OF, (order_id, item_ids))}


async def whole(conn: AsyncConnection[Any], order_ids: list[str]) -> list[dict[str, Any]]:
    """Each live order of `order_ids` (in no particular order) with its relations."""
    if not order_ids:
        return []
    cur = conn.cursor(row_factory=dict_row)
    set_json_loads(_EXACT_JSON, cur)
    await cur.execute(WHOLE, (order_ids,))
    rows = await cur.fetchall()
    for row in rows:
        for key, value in row.items():
            if key != "cart_id" and not key.endswith("_ids"):
                row[key] = _decoded(value)
    return rows


def _decoded(value: Any) -> Any:
    """JSON gives timestamps as text and whole numbers as int: back to datetimes and Decimals, so the rows encode
    like every other row and money stays Decimal."""
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    for key in _TIMES:
        if isinstance(value.get(key), str):
            value[key] = datetime.fromisoformat(value[key])
    for key in _MONEY:
        if isinstance(value.get(key), int | float):
            value[key] = Decimal(str(value[key]))
    return value


async def page(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[str], int]:
    """The ids of one page of live orders matching `filters`, and the count of all that match."""
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL"), sql.SQL("NOT is_draft_order")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "status", "customer_id", "region_id", "sales_channel_id"))
    if filters.get("q"):
        text = str(filters["q"]).strip()
        params["q"] = like(text)
        params["q_id"] = text
        condition = "email ILIKE %(q)s OR id = %(q_id)s"
        if text.lstrip("#").isdigit() and len(text) < 10:
            params["q_display"] = int(text.lstrip("#"))
            condition += " OR display_id = %(q_display)s"
        where.append(sql.SQL(f"({condition})"))
    date_ranges(where, params, filters.get("ranges", ()))
    rows, count = await fetch_page(
        conn, "order", "id", where, params, order_by(order, ORDERABLE, default="-created_at"), limit, offset
    )
    return [r["id"] for r in rows], count
