"""The only code that runs SQL on inventory_item, inventory_level, reservation_item and the link
product_variant_inventory_item."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.errors import DuplicateError, InvalidData, NotAllowed
from commerce.listing import order_by

ITEM_COLUMNS = (
    "id, sku, title, description, thumbnail, requires_shipping, weight, length, height, width, origin_country, "
    "hs_code, mid_code, material, unit_of_measure, metadata, created_at, updated_at, deleted_at"
)
ITEM_UPDATABLE = (
    "sku",
    "title",
    "description",
    "thumbnail",
    "requires_shipping",
    "weight",
    "length",
    "height",
    "width",
    "origin_country",
    "hs_code",
    "mid_code",
    "material",
    "unit_of_measure",
    "metadata",
)
ITEM_ORDERABLE = frozenset({"created_at", "updated_at", "sku", "title"})
LEVEL_COLUMNS = (
    "id, inventory_item_id, location_id, stocked_quantity, reserved_quantity, incoming_quantity, "
    "stocked_quantity - reserved_quantity AS available_quantity, metadata, created_at, updated_at, deleted_at"
)
LEVEL_ORDERABLE = frozenset({"created_at", "updated_at", "location_id", "stocked_quantity"})
RESERVATION_COLUMNS = (
    "id, line_item_id, inventory_item_id, location_id, quantity, allow_backorder, description, external_id, "
    "created_by, metadata, created_at, updated_at, deleted_at"
)
RESERVATION_ORDERABLE = frozenset({"created_at", "updated_at", "quantity"})
LINK_COLUMNS = "id, variant_id, inventory_item_id, required_quantity, created_at, updated_at"

# Constraints (commerce/migrations/0015_inventory.sql) → Medusa's messages.
UNIQUE = {
    "inventory_item_sku_unique": "Inventory item with sku: {}, already exists.",
    "inventory_level_item_location_unique": "Inventory level with inventory_item_id, location_id: {}, already exists.",
}
CHECKS = {
    "inventory_level_stocked_check": "Not enough stock: the stocked quantity cannot go below zero",
    "inventory_level_reserved_check": "The reserved quantity cannot go below zero",
}
_KEY_VALUE = re.compile(r"\)=\((.*)\) already exists")


@asynccontextmanager
async def db_errors() -> AsyncIterator[None]:
    """Unique violations → 422 duplicate_error naming the value; check violations → 400 not_allowed."""
    try:
        yield
    except errors.UniqueViolation as exc:
        template = UNIQUE.get(exc.diag.constraint_name or "", "Record with value: {}, already exists.")
        found = _KEY_VALUE.search(exc.diag.message_detail or "")
        raise DuplicateError(template.format(found.group(1) if found else "?")) from None
    except errors.CheckViolation as exc:
        raise NotAllowed(CHECKS.get(exc.diag.constraint_name or "", "A quantity is out of range")) from None
    except errors.ForeignKeyViolation:
        raise InvalidData("A referenced record does not exist") from None


async def _all(conn: AsyncConnection[Any], query: Any, params: Any = None) -> list[dict[str, Any]]:
    async with db_errors():
        return await fetch_all(conn, query, params)


async def _one(conn: AsyncConnection[Any], query: Any, params: Any = None) -> dict[str, Any] | None:
    async with db_errors():
        return await fetch_one(conn, query, params)


# --- inventory items ------------------------------------------------------------------------------
INSERT_ITEM = f"""
INSERT INTO inventory_item (id, sku, title, description, thumbnail, requires_shipping, weight, length, height, width,
                            origin_country, hs_code, mid_code, material, unit_of_measure, metadata)
VALUES (%(id)s, %(sku)s, %(title)s, %(description)s, %(thumbnail)s, %(requires_shipping)s, %(weight)s, %(length)s,
        %(height)s, %(width)s, %(origin_country)s, %(hs_code)s, %(mid_code)s, %(material)s, %(unit_of_measure)s,
        %(metadata)s)
RETURNING {ITEM_COLUMNS}
"""
ITEMS = f"SELECT {ITEM_COLUMNS} FROM inventory_item WHERE id = ANY(%s) AND deleted_at IS NULL"
LOCK_ITEM = "SELECT id FROM inventory_item WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
LIVE_ITEM_IDS = "SELECT id FROM inventory_item WHERE id = ANY(%s) AND deleted_at IS NULL"
ITEMS_BY_SKU = "SELECT id, sku FROM inventory_item WHERE sku = ANY(%s) AND deleted_at IS NULL"
RESERVED_ITEMS = """
SELECT DISTINCT inventory_item_id FROM reservation_item WHERE inventory_item_id = ANY(%s) AND deleted_at IS NULL
"""
SOFT_DELETE_ITEM = "UPDATE inventory_item SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
SOFT_DELETE_ITEM_LEVELS = """
UPDATE inventory_level SET deleted_at = now() WHERE inventory_item_id = %s AND deleted_at IS NULL
"""
DELETE_ITEM_LINKS = "DELETE FROM product_variant_inventory_item WHERE inventory_item_id = %s"


async def insert_item(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await _one(conn, INSERT_ITEM, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


ITEM_FIELDS = (
    "id",
    "sku",
    "title",
    "description",
    "thumbnail",
    "requires_shipping",
    "weight",
    "length",
    "height",
    "width",
    "origin_country",
    "hs_code",
    "mid_code",
    "material",
    "unit_of_measure",
    "metadata",
)
COPY_ITEMS = f"COPY inventory_item ({', '.join(ITEM_FIELDS)}) FROM STDIN"


async def copy_items(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    """Many items in one COPY (a catalog import)."""
    async with conn.cursor().copy(COPY_ITEMS) as copy:
        for row in rows:
            await copy.write_row([jsonb(row.get(f)) if f == "metadata" else row.get(f) for f in ITEM_FIELDS])


async def items(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ITEMS, (ids,))


async def lock_item(conn: AsyncConnection[Any], item_id: str) -> bool:
    return await fetch_one(conn, LOCK_ITEM, (item_id,)) is not None


async def live_item_ids(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    return {r["id"] for r in await fetch_all(conn, LIVE_ITEM_IDS, (ids,))}


async def items_by_sku(conn: AsyncConnection[Any], skus: list[str]) -> dict[str, str]:
    return {r["sku"]: r["id"] for r in await fetch_all(conn, ITEMS_BY_SKU, (skus,))}


async def update_item(conn: AsyncConnection[Any], item_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    async with db_errors():
        return await update_by_id(conn, "inventory_item", item_id, changes, ITEM_UPDATABLE, ITEM_COLUMNS)


async def reserved_item_ids(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    return {r["inventory_item_id"] for r in await fetch_all(conn, RESERVED_ITEMS, (ids,))}


async def soft_delete_item(conn: AsyncConnection[Any], item_id: str) -> bool:
    """The item, its levels and its variant links go together (the caller holds the transaction)."""
    if await fetch_one(conn, SOFT_DELETE_ITEM, (item_id,)) is None:
        return False
    await conn.execute(UNSPLIT, {"items": [item_id]})
    await conn.execute(SOFT_DELETE_ITEM_LEVELS, (item_id,))
    await conn.execute(DELETE_ITEM_LINKS, (item_id,))
    return True


async def list_items(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "sku", "origin_country", "hs_code", "mid_code", "material"))
    if filters.get("requires_shipping") is not None:
        where.append(sql.SQL("requires_shipping = %(requires_shipping)s"))
        params["requires_shipping"] = filters["requires_shipping"]
    if filters.get("location_id"):
        where.append(
            sql.SQL(
                "id IN (SELECT inventory_item_id FROM inventory_level "
                "WHERE deleted_at IS NULL AND location_id = ANY(%(location_id)s))"
            )
        )
        params["location_id"] = filters["location_id"]
    if filters.get("q"):
        where.append(sql.SQL("(sku ILIKE %(q)s OR title ILIKE %(q)s OR description ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    order_sql = order_by(order, ITEM_ORDERABLE)
    return await fetch_page(conn, "inventory_item", ITEM_COLUMNS, where, params, order_sql, limit, offset)


# --- inventory levels -----------------------------------------------------------------------------
INSERT_LEVEL = f"""
INSERT INTO inventory_level (id, inventory_item_id, location_id, stocked_quantity, incoming_quantity, metadata)
VALUES (%(id)s, %(inventory_item_id)s, %(location_id)s, %(stocked_quantity)s, %(incoming_quantity)s, %(metadata)s)
RETURNING {LEVEL_COLUMNS}
"""
LEVELS_OF_ITEMS = f"""
SELECT {LEVEL_COLUMNS} FROM inventory_level_total WHERE inventory_item_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
LEVELS_BY_ID = f"SELECT {LEVEL_COLUMNS} FROM inventory_level_total WHERE id = ANY(%s) AND deleted_at IS NULL"
LEVEL_AT = f"""
SELECT {LEVEL_COLUMNS} FROM inventory_level_total
WHERE inventory_item_id = %s AND location_id = %s AND deleted_at IS NULL
"""
UPDATE_LEVEL = f"""
UPDATE inventory_level
SET stocked_quantity = coalesce(%(stocked_quantity)s, stocked_quantity),
    incoming_quantity = coalesce(%(incoming_quantity)s, incoming_quantity),
    updated_at = now()
WHERE inventory_item_id = %(inventory_item_id)s AND location_id = %(location_id)s AND deleted_at IS NULL
RETURNING {LEVEL_COLUMNS}
"""
# One statement decides and deletes, so a reservation made meanwhile cannot slip under a level being removed.
DELETE_FREE_LEVEL = """
UPDATE inventory_level SET deleted_at = now(), updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL AND reserved_quantity = 0 AND incoming_quantity = 0
  AND (%(force)s OR stocked_quantity = 0)
RETURNING id
"""
DELETE_UNRESERVED_LEVEL = """
UPDATE inventory_level SET deleted_at = now(), updated_at = now()
WHERE id = %s AND deleted_at IS NULL AND reserved_quantity = 0
RETURNING id
"""
# What the checkout's allocation and the engine take (engine.allocate / engine.availability input shape).
STOCK = """
SELECT inventory_item_id, location_id, stocked_quantity, reserved_quantity, incoming_quantity FROM inventory_level_total
WHERE inventory_item_id = ANY(%(items)s) AND deleted_at IS NULL
  AND (%(locations)s::text[] IS NULL OR location_id = ANY(%(locations)s::text[]))
ORDER BY inventory_item_id, location_id
"""


async def insert_level(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await _one(conn, INSERT_LEVEL, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


COPY_LEVELS = (
    "COPY inventory_level (id, inventory_item_id, location_id, stocked_quantity, incoming_quantity) FROM STDIN"
)


async def copy_levels(conn: AsyncConnection[Any], rows: list[tuple[str, str, str, int, int]]) -> None:
    """Many levels `(id, inventory_item_id, location_id, stocked_quantity, incoming_quantity)` in one COPY (a
    catalog import); a second live level of an item at a location is a DuplicateError."""
    async with db_errors():
        async with conn.cursor().copy(COPY_LEVELS) as copy:
            for row in rows:
                await copy.write_row(row)


async def levels_of_items(conn: AsyncConnection[Any], item_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LEVELS_OF_ITEMS, (item_ids,)) if item_ids else []


async def levels_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LEVELS_BY_ID, (ids,)) if ids else []


async def level_at(conn: AsyncConnection[Any], item_id: str, location_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, LEVEL_AT, (item_id, location_id))


async def update_level(
    conn: AsyncConnection[Any], item_id: str, location_id: str, stocked: int | None, incoming: int | None
) -> dict[str, Any] | None:
    params = {
        "inventory_item_id": item_id,
        "location_id": location_id,
        "stocked_quantity": stocked,
        "incoming_quantity": incoming,
    }
    async with folded(conn, [item_id]):
        await _one(conn, UPDATE_LEVEL, params)
    return await fetch_one(conn, LEVEL_AT, (item_id, location_id))  # the totals, buckets included


async def delete_free_level(conn: AsyncConnection[Any], level_id: str, force: bool) -> bool:
    async with folded(conn, await _items_of_levels(conn, [level_id])):
        return await fetch_one(conn, DELETE_FREE_LEVEL, {"id": level_id, "force": force}) is not None


async def delete_unreserved_level(conn: AsyncConnection[Any], level_id: str) -> bool:
    async with folded(conn, await _items_of_levels(conn, [level_id])):
        return await fetch_one(conn, DELETE_UNRESERVED_LEVEL, (level_id,)) is not None


async def _items_of_levels(conn: AsyncConnection[Any], level_ids: list[str]) -> list[str]:
    return [r["inventory_item_id"] for r in await fetch_all(conn, ITEMS_OF_LEVELS, (level_ids,))]


async def stock(
    conn: AsyncConnection[Any], item_ids: list[str], location_ids: list[str] | None
) -> list[dict[str, Any]]:
    return await fetch_all(conn, STOCK, {"items": item_ids, "locations": location_ids})


async def list_levels(
    conn: AsyncConnection[Any], item_id: str, location_ids: list[str] | None, order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL"), sql.SQL("inventory_item_id = %(item)s")]
    params: dict[str, Any] = {"item": item_id}
    if location_ids:
        where.append(sql.SQL("location_id = ANY(%(location_id)s)"))
        params["location_id"] = location_ids
    order_sql = order_by(order, LEVEL_ORDERABLE)
    return await fetch_page(conn, "inventory_level_total", LEVEL_COLUMNS, where, params, order_sql, limit, offset)


# --- reservations: the stock operations ------------------------------------------------------------
# One statement per reservation: the conditional UPDATE of its level (the `OR` is allow_backorder) and, only if it
# matched, the reservation row. No read-modify-write: concurrent checkouts serialise on the level's row lock and
# each re-checks the condition on the row as the previous one left it.
RESERVE = f"""
WITH pick AS (
    -- A split level (buckets > 0): a bucket with enough available, picked at random among those no other
    -- transaction holds, so concurrent buyers of one SKU take different rows.
    SELECT b.level_id, b.bucket FROM inventory_level_bucket b
    JOIN inventory_level l ON l.id = b.level_id
    WHERE l.inventory_item_id = %(inventory_item_id)s AND l.location_id = %(location_id)s AND l.deleted_at IS NULL
      AND l.buckets > 0 AND b.stocked_quantity - b.reserved_quantity >= %(quantity)s
    ORDER BY random() LIMIT 1
    FOR UPDATE OF b SKIP LOCKED
), in_bucket AS (
    UPDATE inventory_level_bucket b SET reserved_quantity = b.reserved_quantity + %(quantity)s
    FROM pick
    WHERE b.level_id = pick.level_id AND b.bucket = pick.bucket
      AND b.stocked_quantity - b.reserved_quantity >= %(quantity)s
    RETURNING b.level_id
), level AS (
    UPDATE inventory_level
    SET reserved_quantity = reserved_quantity + %(quantity)s, updated_at = now()
    WHERE inventory_item_id = %(inventory_item_id)s AND location_id = %(location_id)s AND deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM in_bucket)
      AND (%(allow_backorder)s OR stocked_quantity - reserved_quantity >= %(quantity)s)
    RETURNING id
)
INSERT INTO reservation_item (id, line_item_id, inventory_item_id, location_id, quantity, allow_backorder,
                              description, external_id, created_by, metadata, expires_at)
SELECT %(id)s::text, %(line_item_id)s::text, %(inventory_item_id)s::text, %(location_id)s::text,
       %(quantity)s::integer, %(allow_backorder)s::boolean, %(description)s::text, %(external_id)s::text,
       %(created_by)s::text, %(metadata)s::jsonb, %(expires_at)s::timestamptz
FROM (SELECT level_id FROM in_bucket UNION ALL SELECT id FROM level) taken
RETURNING {RESERVATION_COLUMNS}
"""
# The end of both folds: the deleted buckets (`gone`) added back into their level rows.
_ADD_BACK = """, sums AS (
    SELECT level_id, sum(stocked_quantity)::integer AS stocked, sum(reserved_quantity)::integer AS reserved
    FROM gone GROUP BY level_id
)
UPDATE inventory_level l
SET stocked_quantity = l.stocked_quantity + sums.stocked, reserved_quantity = l.reserved_quantity + sums.reserved
FROM sums WHERE l.id = sums.level_id
"""

# The rarer writes of a split level fold its buckets back into its row (UNSPLIT), change the row, and spread its
# available units over fresh buckets again (SPLIT), in one transaction: totals never change by folding.
UNSPLIT = (
    """
WITH lv AS (
    SELECT id FROM inventory_level
    WHERE inventory_item_id = ANY(%(items)s) AND buckets > 0 AND deleted_at IS NULL
    FOR UPDATE
), gone AS (
    DELETE FROM inventory_level_bucket b USING lv WHERE b.level_id = lv.id
    RETURNING b.level_id, b.stocked_quantity, b.reserved_quantity
)"""
    + _ADD_BACK
)
SPLIT = """
WITH lv AS (
    SELECT id, buckets, greatest(stocked_quantity - reserved_quantity, 0) AS free FROM inventory_level
    WHERE inventory_item_id = ANY(%(items)s) AND buckets > 0 AND deleted_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM inventory_level_bucket b WHERE b.level_id = inventory_level.id)
    FOR UPDATE
), made AS (
    INSERT INTO inventory_level_bucket (level_id, bucket, stocked_quantity)
    SELECT lv.id, n, lv.free / lv.buckets + CASE WHEN n < lv.free %% lv.buckets THEN 1 ELSE 0 END
    FROM lv CROSS JOIN LATERAL generate_series(0, lv.buckets - 1) AS n
    RETURNING level_id, stocked_quantity
)
UPDATE inventory_level l SET stocked_quantity = l.stocked_quantity - m.total
FROM (SELECT level_id, sum(stocked_quantity)::integer AS total FROM made GROUP BY level_id) m
WHERE l.id = m.level_id
"""
LOCK_SPLIT = """
SELECT id FROM inventory_level WHERE inventory_item_id = ANY(%(items)s) AND deleted_at IS NULL ORDER BY id FOR UPDATE
"""
SET_BUCKETS = """
UPDATE inventory_level SET buckets = %(buckets)s, updated_at = now()
WHERE inventory_item_id = %(item)s AND location_id = %(location)s AND deleted_at IS NULL
RETURNING id
"""
ITEMS_OF_LINES = """
SELECT DISTINCT inventory_item_id FROM reservation_item WHERE line_item_id = ANY(%s) AND deleted_at IS NULL
"""
ITEM_OF_RESERVATION = "SELECT inventory_item_id FROM reservation_item WHERE id = %s AND deleted_at IS NULL"
ITEMS_OF_LEVELS = "SELECT DISTINCT inventory_item_id FROM inventory_level WHERE id = ANY(%s)"


@asynccontextmanager
async def folded(conn: AsyncConnection[Any], item_ids: list[str]) -> AsyncIterator[None]:
    """The levels of these items as single rows for the duration (split ones folded, then split again after), in
    the caller's transaction or one of its own."""
    own = conn.info.transaction_status == TransactionStatus.IDLE
    async with conn.transaction() if own else _nothing():
        if item_ids:
            # The level rows first, in a statement of their own: once a fold holds them no other fold can be midway,
            # and UNSPLIT's own snapshot (taken after) sees the buckets the last fold made.
            await conn.execute(LOCK_SPLIT, {"items": item_ids})
            await conn.execute(UNSPLIT, {"items": item_ids})
        yield
        if item_ids:
            await conn.execute(SPLIT, {"items": item_ids})


@asynccontextmanager
async def _nothing() -> AsyncIterator[None]:
    yield


async def set_buckets(conn: AsyncConnection[Any], item_id: str, location_id: str, buckets: int) -> bool:
    """Split the level into `buckets` buckets (0: one row again); False when there is no such level."""
    async with folded(conn, [item_id]):
        return (
            await fetch_one(conn, SET_BUCKETS, {"item": item_id, "location": location_id, "buckets": buckets})
            is not None
        )


def _release(key: str) -> str:
    """Soft-delete the reservations whose `key` is among %s and give their quantity back to each level, in one
    statement (by order line: a cancel; by reservation id: the flash-sale sweeper's expired holds)."""
    return f"""
WITH gone AS (
    UPDATE reservation_item SET deleted_at = now(), updated_at = now()
    WHERE {key} = ANY(%s) AND deleted_at IS NULL
    RETURNING inventory_item_id, location_id, quantity
), per_level AS (
    SELECT inventory_item_id, location_id, sum(quantity)::integer AS quantity FROM gone
    GROUP BY inventory_item_id, location_id
)
UPDATE inventory_level l SET reserved_quantity = l.reserved_quantity - p.quantity, updated_at = now()
FROM per_level p
WHERE l.inventory_item_id = p.inventory_item_id AND l.location_id = p.location_id AND l.deleted_at IS NULL
"""


RELEASE = _release("line_item_id")
RELEASE_RESERVATIONS = _release("id")

LINE_RESERVATIONS = f"""
SELECT {RESERVATION_COLUMNS} FROM reservation_item
WHERE line_item_id = %(line)s AND location_id = %(location)s AND deleted_at IS NULL
  AND (%(item)s::text IS NULL OR inventory_item_id = %(item)s::text)
ORDER BY created_at, id
FOR UPDATE
"""
SHRINK_RESERVATION = """
UPDATE reservation_item
SET quantity = quantity - %(by)s, updated_at = now(),
    deleted_at = CASE WHEN quantity - %(by)s = 0 THEN now() END
WHERE id = %(id)s AND deleted_at IS NULL
"""
GROW_RESERVATION = """
UPDATE reservation_item SET quantity = quantity + %(by)s, updated_at = now()
WHERE id = %(id)s AND deleted_at IS NULL
"""
# Goods leave: stocked and reserved both drop (fulfil); or come back (unfulfil).
SHIP = """
UPDATE inventory_level
SET stocked_quantity = stocked_quantity - %(q)s, reserved_quantity = reserved_quantity - %(q)s, updated_at = now()
WHERE inventory_item_id = %(item)s AND location_id = %(location)s AND deleted_at IS NULL
RETURNING id
"""
RESTOCK = """
UPDATE inventory_level
SET stocked_quantity = stocked_quantity + %(q)s, reserved_quantity = reserved_quantity + %(q)s, updated_at = now()
WHERE inventory_item_id = %(item)s AND location_id = %(location)s AND deleted_at IS NULL
RETURNING id
"""
# An admin reservation's change of quantity: more needs that much available (unless backordered), less never fails.
ADJUST_RESERVED = """
UPDATE inventory_level SET reserved_quantity = reserved_quantity + %(delta)s, updated_at = now()
WHERE inventory_item_id = %(item)s AND location_id = %(location)s AND deleted_at IS NULL
  AND (%(delta)s <= 0 OR %(allow_backorder)s OR stocked_quantity - reserved_quantity >= %(delta)s)
RETURNING id
"""
INSERT_RESERVATION = f"""
INSERT INTO reservation_item (id, line_item_id, inventory_item_id, location_id, quantity, allow_backorder,
                              description, external_id, created_by, metadata)
VALUES (%(id)s, %(line_item_id)s, %(inventory_item_id)s, %(location_id)s, %(quantity)s, %(allow_backorder)s,
        %(description)s, %(external_id)s, %(created_by)s, %(metadata)s)
RETURNING {RESERVATION_COLUMNS}
"""
RESERVATIONS = f"SELECT {RESERVATION_COLUMNS} FROM reservation_item WHERE id = ANY(%s) AND deleted_at IS NULL"
LOCK_RESERVATION = f"SELECT {RESERVATION_COLUMNS} FROM reservation_item WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
# Soft-delete one reservation and give its quantity back, in one statement.
DELETE_RESERVATION = """
WITH gone AS (
    UPDATE reservation_item SET deleted_at = now(), updated_at = now()
    WHERE id = %s AND deleted_at IS NULL
    RETURNING id, inventory_item_id, location_id, quantity
), level AS (
    UPDATE inventory_level l SET reserved_quantity = l.reserved_quantity - g.quantity, updated_at = now()
    FROM gone g
    WHERE l.inventory_item_id = g.inventory_item_id AND l.location_id = g.location_id AND l.deleted_at IS NULL
)
SELECT id FROM gone
"""
RESERVATION_UPDATABLE = ("location_id", "quantity", "description", "metadata")


def _reservation_params(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "line_item_id": None,
        "allow_backorder": False,
        "description": None,
        "external_id": None,
        "created_by": None,
        "expires_at": None,
        **row,
        "metadata": jsonb(row.get("metadata")),
    }


async def reserve(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> list[dict[str, Any] | None]:
    """Run RESERVE for each row, pipelined (one round trip); per row the reservation made, or None where the level
    was missing or short."""
    cur = conn.cursor(row_factory=dict_row)
    params = [_reservation_params(r) for r in rows]
    async with db_errors():
        await cur.executemany(RESERVE, params, returning=True)
    out: list[dict[str, Any] | None] = []
    while True:
        out.append(await cur.fetchone() if cur.rowcount == 1 else None)
        if not cur.nextset():
            break
    for n, made in enumerate(out):
        if made is None and await _split_has(conn, params[n]):
            # No free bucket had the units, yet the level has them (held by other buyers now, or spread thinner
            # than asked): fold the buckets nobody holds into the level's row and take them from there. Never wait
            # for a held bucket: a failed pick can leave this transaction holding bucket locks it did not use, and
            # two such waiters deadlock (seen with 200 buyers on 8 buckets).
            async with db_errors():
                await conn.execute(LOCK_LEVEL, params[n])
                await conn.execute(UNSPLIT_FREE, params[n])
                out[n] = await fetch_one(conn, RESERVE, params[n])
                await conn.execute(SPLIT, {"items": [params[n]["inventory_item_id"]]})
    return out


LOCK_LEVEL = """
SELECT id FROM inventory_level
WHERE inventory_item_id = %(inventory_item_id)s AND location_id = %(location_id)s AND deleted_at IS NULL FOR UPDATE
"""
# The buckets of the level that no transaction holds, folded into its row (SPLIT spreads them again once every
# bucket is folded; until then buyers who miss a bucket reserve on the row).
UNSPLIT_FREE = (
    """
WITH free AS (
    SELECT b.level_id, b.bucket FROM inventory_level_bucket b
    JOIN inventory_level l ON l.id = b.level_id
    WHERE l.inventory_item_id = %(inventory_item_id)s AND l.location_id = %(location_id)s AND l.deleted_at IS NULL
    FOR UPDATE OF b SKIP LOCKED
), gone AS (
    DELETE FROM inventory_level_bucket b USING free WHERE b.level_id = free.level_id AND b.bucket = free.bucket
    RETURNING b.level_id, b.stocked_quantity, b.reserved_quantity
)"""
    + _ADD_BACK
)


SPLIT_HAS = """
SELECT 1 FROM inventory_level_total
WHERE inventory_item_id = %(inventory_item_id)s AND location_id = %(location_id)s AND deleted_at IS NULL
  AND buckets > 0 AND stocked_quantity - reserved_quantity >= %(quantity)s
"""


async def _split_has(conn: AsyncConnection[Any], row: dict[str, Any]) -> bool:
    """The row's level is split and has the units in total (as of now, held ones included)."""
    return not row["allow_backorder"] and await fetch_one(conn, SPLIT_HAS, row) is not None


async def release(conn: AsyncConnection[Any], line_item_ids: list[str]) -> None:
    items = [r["inventory_item_id"] for r in await fetch_all(conn, ITEMS_OF_LINES, (line_item_ids,))]
    async with db_errors(), folded(conn, items):
        await conn.execute(RELEASE, (line_item_ids,))


async def release_reservations(conn: AsyncConnection[Any], reservations: list[dict[str, Any]]) -> None:
    """Release these reservations (rows with id and inventory_item_id), split levels folded for it."""
    async with folded(conn, sorted({r["inventory_item_id"] for r in reservations})):
        await conn.execute(RELEASE_RESERVATIONS, ([r["id"] for r in reservations],))


async def line_reservations(
    conn: AsyncConnection[Any], line_item_id: str, location_id: str, item_id: str | None
) -> list[dict[str, Any]]:
    return await fetch_all(conn, LINE_RESERVATIONS, {"line": line_item_id, "location": location_id, "item": item_id})


async def shrink_reservation(conn: AsyncConnection[Any], reservation_id: str, by: int) -> None:
    await conn.execute(SHRINK_RESERVATION, {"id": reservation_id, "by": by})


async def grow_reservation(conn: AsyncConnection[Any], reservation_id: str, by: int) -> None:
    await conn.execute(GROW_RESERVATION, {"id": reservation_id, "by": by})


async def ship(conn: AsyncConnection[Any], item_id: str, location_id: str, quantity: int) -> bool:
    params = {"item": item_id, "location": location_id, "q": quantity}
    async with folded(conn, [item_id]):
        return await _one(conn, SHIP, params) is not None


async def restock(conn: AsyncConnection[Any], item_id: str, location_id: str, quantity: int) -> bool:
    params = {"item": item_id, "location": location_id, "q": quantity}
    async with folded(conn, [item_id]):
        return await _one(conn, RESTOCK, params) is not None


async def adjust_reserved(
    conn: AsyncConnection[Any], item_id: str, location_id: str, delta: int, allow_backorder: bool
) -> bool:
    params = {"item": item_id, "location": location_id, "delta": delta, "allow_backorder": allow_backorder}
    async with folded(conn, [item_id]):
        return await _one(conn, ADJUST_RESERVED, params) is not None


async def insert_reservation(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await _one(conn, INSERT_RESERVATION, _reservation_params(row))
    assert result is not None
    return result


async def reservations(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, RESERVATIONS, (ids,))


async def lock_reservation(conn: AsyncConnection[Any], reservation_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, LOCK_RESERVATION, (reservation_id,))


async def update_reservation(conn: AsyncConnection[Any], reservation_id: str, changes: dict[str, Any]) -> None:
    async with db_errors():
        await update_by_id(
            conn, "reservation_item", reservation_id, changes, RESERVATION_UPDATABLE, RESERVATION_COLUMNS
        )


async def delete_reservation(conn: AsyncConnection[Any], reservation_id: str) -> bool:
    found = await fetch_one(conn, ITEM_OF_RESERVATION, (reservation_id,))
    async with folded(conn, [found["inventory_item_id"]] if found else []):
        return await _one(conn, DELETE_RESERVATION, (reservation_id,)) is not None


async def list_reservations(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "location_id", "inventory_item_id", "line_item_id", "created_by"))
    if filters.get("q"):
        where.append(sql.SQL("description ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    order_sql = order_by(order, RESERVATION_ORDERABLE)
    return await fetch_page(conn, "reservation_item", RESERVATION_COLUMNS, where, params, order_sql, limit, offset)


# --- link: product variant <-> inventory item ------------------------------------------------------
LINKS_OF_VARIANTS = """
SELECT l.id, l.variant_id, l.inventory_item_id, l.required_quantity, l.created_at, l.updated_at
FROM product_variant_inventory_item l
JOIN inventory_item i ON i.id = l.inventory_item_id AND i.deleted_at IS NULL
WHERE l.variant_id = ANY(%s)
ORDER BY l.variant_id, l.created_at, l.inventory_item_id
"""
LINKED_VARIANTS = "SELECT DISTINCT variant_id FROM product_variant_inventory_item WHERE variant_id = ANY(%s)"
INSERT_LINK = f"""
INSERT INTO product_variant_inventory_item (id, variant_id, inventory_item_id, required_quantity)
VALUES (%(id)s, %(variant_id)s, %(inventory_item_id)s, %(required_quantity)s)
ON CONFLICT (variant_id, inventory_item_id)
DO UPDATE SET required_quantity = EXCLUDED.required_quantity, updated_at = now()
RETURNING {LINK_COLUMNS}
"""
INSERT_LINKS = """
INSERT INTO product_variant_inventory_item (id, variant_id, inventory_item_id, required_quantity)
SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::int[])
ON CONFLICT (variant_id, inventory_item_id)
DO UPDATE SET required_quantity = EXCLUDED.required_quantity, updated_at = now()
"""
UPDATE_LINK = f"""
UPDATE product_variant_inventory_item SET required_quantity = %(required_quantity)s, updated_at = now()
WHERE variant_id = %(variant_id)s AND inventory_item_id = %(inventory_item_id)s
RETURNING {LINK_COLUMNS}
"""
DELETE_LINK = f"""
DELETE FROM product_variant_inventory_item WHERE variant_id = %s AND inventory_item_id = %s RETURNING {LINK_COLUMNS}
"""


async def links_of_variants(conn: AsyncConnection[Any], variant_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LINKS_OF_VARIANTS, (variant_ids,)) if variant_ids else []


VARIANTS_OF_ITEMS = f"SELECT {LINK_COLUMNS} FROM product_variant_inventory_item WHERE inventory_item_id = ANY(%s)"


async def links_of_items(conn: AsyncConnection[Any], item_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, VARIANTS_OF_ITEMS, (item_ids,)) if item_ids else []


async def linked_variants(conn: AsyncConnection[Any], variant_ids: list[str]) -> set[str]:
    return {r["variant_id"] for r in await fetch_all(conn, LINKED_VARIANTS, (variant_ids,))} if variant_ids else set()


async def insert_links(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    """Many links in one statement (a catalog import links thousands); the last of a repeated pair wins."""
    unique = list({(r["variant_id"], r["inventory_item_id"]): r for r in rows}.values())
    if unique:
        async with db_errors():
            await conn.execute(
                INSERT_LINKS,
                [[r[f] for r in unique] for f in ("id", "variant_id", "inventory_item_id", "required_quantity")],
            )


COPY_LINKS = "COPY product_variant_inventory_item (id, variant_id, inventory_item_id, required_quantity) FROM STDIN"


async def copy_links(conn: AsyncConnection[Any], rows: list[tuple[str, str, str, int]]) -> None:
    """New links (id, variant_id, inventory_item_id, required_quantity) in one COPY (a catalog import)."""
    async with db_errors(), conn.cursor().copy(COPY_LINKS) as copy:
        for row in rows:
            await copy.write_row(row)


async def upsert_link(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await _one(conn, INSERT_LINK, row)
    assert result is not None
    return result


async def update_link(
    conn: AsyncConnection[Any], variant_id: str, item_id: str, required_quantity: int
) -> dict[str, Any] | None:
    params = {"variant_id": variant_id, "inventory_item_id": item_id, "required_quantity": required_quantity}
    return await _one(conn, UPDATE_LINK, params)


async def delete_link(conn: AsyncConnection[Any], variant_id: str, item_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, DELETE_LINK, (variant_id, item_id))
