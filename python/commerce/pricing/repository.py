"""The only code that runs SQL on price_set, product_variant_price_set, price, price_list, price_preference."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

PRICE_COLUMNS = (
    "p.id, p.currency_code, p.amount, p.min_quantity, p.max_quantity, p.price_list_id, p.rules, p.created_at, "
    "p.updated_at, p.deleted_at, l.variant_id"
)
LIST_COLUMNS = (
    "id, title, description, status, type, starts_at, ends_at, rules, metadata, created_at, updated_at, deleted_at"
)
LIST_ORDERABLE = frozenset({"created_at", "updated_at", "title", "starts_at", "ends_at", "status"})
LIST_UPDATABLE = ("title", "description", "status", "type", "starts_at", "ends_at", "rules", "metadata")
PREF_COLUMNS = "id, attribute, value, is_tax_inclusive, created_at, updated_at, deleted_at"

PRICE_SET_OF = "SELECT variant_id, price_set_id FROM product_variant_price_set WHERE variant_id = ANY(%s)"
INSERT_PRICE_SET = "INSERT INTO price_set (id) VALUES (%s)"
LINK_PRICE_SET = "INSERT INTO product_variant_price_set (variant_id, price_set_id) VALUES (%s, %s)"
UNLINK_VARIANTS = """
WITH gone AS (DELETE FROM product_variant_price_set WHERE variant_id = ANY(%s) RETURNING price_set_id)
UPDATE price_set SET deleted_at = now() WHERE id IN (SELECT price_set_id FROM gone)
"""
INSERT_PRICE = """
INSERT INTO price (id, price_set_id, price_list_id, currency_code, amount, min_quantity, max_quantity, rules)
VALUES (%(id)s, %(price_set_id)s, %(price_list_id)s, %(currency_code)s, %(amount)s, %(min_quantity)s,
        %(max_quantity)s, %(rules)s)
"""
DELETE_BASE_PRICES = "DELETE FROM price WHERE price_set_id = %s AND price_list_id IS NULL"
PRICES_BY_ID = f"""
SELECT {PRICE_COLUMNS} FROM price p JOIN product_variant_price_set l ON l.price_set_id = p.price_set_id
WHERE p.id = ANY(%s) AND p.deleted_at IS NULL ORDER BY p.created_at, p.id
"""
BASE_PRICES_OF_VARIANTS = f"""
SELECT {PRICE_COLUMNS} FROM price p JOIN product_variant_price_set l ON l.price_set_id = p.price_set_id
WHERE l.variant_id = ANY(%s) AND p.price_list_id IS NULL AND p.deleted_at IS NULL
ORDER BY p.currency_code, p.min_quantity NULLS FIRST, p.id
"""
PRICES_OF_LISTS = f"""
SELECT {PRICE_COLUMNS} FROM price p JOIN product_variant_price_set l ON l.price_set_id = p.price_set_id
WHERE p.price_list_id = ANY(%s) AND p.deleted_at IS NULL ORDER BY p.created_at, p.id
"""
DELETE_LIST_PRICES = "DELETE FROM price WHERE price_list_id = %s AND id = ANY(%s) RETURNING id"
INSERT_LIST = f"""
INSERT INTO price_list (id, title, description, status, type, starts_at, ends_at, rules, metadata)
VALUES (%(id)s, %(title)s, %(description)s, %(status)s, %(type)s, %(starts_at)s, %(ends_at)s, %(rules)s,
        %(metadata)s)
RETURNING {LIST_COLUMNS}
"""
SELECT_LIST = f"SELECT {LIST_COLUMNS} FROM price_list WHERE id = %s AND deleted_at IS NULL"
SOFT_DELETE_LIST = "UPDATE price_list SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
DELETE_PRICES_OF_LIST = "DELETE FROM price WHERE price_list_id = %s"
INSERT_PREF = f"""
INSERT INTO price_preference (id, attribute, value, is_tax_inclusive) VALUES (%s, %s, %s, %s)
RETURNING {PREF_COLUMNS}
"""
SELECT_PREF = f"SELECT {PREF_COLUMNS} FROM price_preference WHERE id = %s AND deleted_at IS NULL"
SOFT_DELETE_PREF = "UPDATE price_preference SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"

# What the engine's price index is built from: every live price with its set, every live list, every preference.
ALL_PRICES = """
SELECT p.id, p.price_set_id, p.price_list_id, p.currency_code, p.amount, p.min_quantity, p.max_quantity, p.rules
FROM price p JOIN price_set s ON s.id = p.price_set_id AND s.deleted_at IS NULL
WHERE p.deleted_at IS NULL
"""
# A page's or a cart's prices (catalog.prices reads them per request, so a worker does not hold them all).
SET_PRICES = ALL_PRICES + " AND p.price_set_id = ANY(%s)"
ALL_LISTS = f"SELECT {LIST_COLUMNS} FROM price_list WHERE deleted_at IS NULL"
ALL_PREFS = f"SELECT {PREF_COLUMNS} FROM price_preference WHERE deleted_at IS NULL"
ALL_VARIANT_SETS = "SELECT variant_id, price_set_id FROM product_variant_price_set"


async def price_sets_of(conn: AsyncConnection[Any], variant_ids: list[str]) -> dict[str, str]:
    return {r["variant_id"]: r["price_set_id"] for r in await fetch_all(conn, PRICE_SET_OF, (variant_ids,))}


async def create_price_set(conn: AsyncConnection[Any], price_set_id: str, variant_id: str) -> None:
    await conn.execute(INSERT_PRICE_SET, (price_set_id,))
    await conn.execute(LINK_PRICE_SET, (variant_id, price_set_id))


async def unlink_variants(conn: AsyncConnection[Any], variant_ids: list[str]) -> None:
    await conn.execute(UNLINK_VARIANTS, (variant_ids,))


async def insert_price(conn: AsyncConnection[Any], row: dict[str, Any]) -> None:
    await conn.execute(INSERT_PRICE, {**row, "rules": jsonb(row.get("rules") or {})})


async def delete_base_prices(conn: AsyncConnection[Any], price_set_id: str) -> None:
    await conn.execute(DELETE_BASE_PRICES, (price_set_id,))


async def prices_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PRICES_BY_ID, (ids,))


async def base_prices_of_variants(conn: AsyncConnection[Any], variant_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, BASE_PRICES_OF_VARIANTS, (variant_ids,))


async def prices_of_lists(conn: AsyncConnection[Any], list_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, PRICES_OF_LISTS, (list_ids,))


async def update_price(conn: AsyncConnection[Any], price_id: str, list_id: str, changes: dict[str, Any]) -> bool:
    row = await update_by_id(
        conn,
        "price",
        price_id,
        changes,
        ("currency_code", "amount", "min_quantity", "max_quantity", "rules"),
        "id",
        also={"price_list_id": list_id},
        json_columns=frozenset({"rules"}),
    )
    return row is not None


async def delete_list_prices(conn: AsyncConnection[Any], list_id: str, ids: list[str]) -> list[str]:
    cur = await conn.execute(DELETE_LIST_PRICES, (list_id, ids))
    return [r[0] for r in await cur.fetchall()]


async def insert_list(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(
        conn, INSERT_LIST, {**row, "rules": jsonb(row["rules"]), "metadata": jsonb(row["metadata"])}
    )
    assert result is not None
    return result


async def get_list(conn: AsyncConnection[Any], list_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_LIST, (list_id,))


async def update_list(conn: AsyncConnection[Any], list_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(
        conn,
        "price_list",
        list_id,
        changes,
        LIST_UPDATABLE,
        LIST_COLUMNS,
        json_columns=frozenset({"rules", "metadata"}),
    )


async def soft_delete_list(conn: AsyncConnection[Any], list_id: str) -> bool:
    if await fetch_one(conn, SOFT_DELETE_LIST, (list_id,)) is None:
        return False
    await conn.execute(DELETE_PRICES_OF_LIST, (list_id,))
    return True


async def list_lists(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "status"))
    if filters.get("q"):
        where.append(sql.SQL("(title ILIKE %(q)s OR description ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "price_list", LIST_COLUMNS, where, params, order_by(order, LIST_ORDERABLE), limit, offset
    )


async def insert_preference(conn: AsyncConnection[Any], row: tuple[str, str, str, bool]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_PREF, row)
    assert result is not None
    return result


async def get_preference(conn: AsyncConnection[Any], pref_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_PREF, (pref_id,))


async def update_preference(conn: AsyncConnection[Any], pref_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(
        conn, "price_preference", pref_id, changes, ("attribute", "value", "is_tax_inclusive"), PREF_COLUMNS
    )


async def soft_delete_preference(conn: AsyncConnection[Any], pref_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_PREF, (pref_id,)) is not None


async def list_preferences(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "attribute", "value"))
    return await fetch_page(
        conn,
        "price_preference",
        PREF_COLUMNS,
        where,
        params,
        order_by(order, frozenset({"created_at", "attribute", "value"})),
        limit,
        offset,
    )


async def index_source(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    """Everything the engine's price index needs, in four queries."""
    return {
        "prices": await fetch_all(conn, ALL_PRICES),
        "lists": await fetch_all(conn, ALL_LISTS),
        "preferences": await fetch_all(conn, ALL_PREFS),
        "variant_sets": await fetch_all(conn, ALL_VARIANT_SETS),
    }


async def index_rules(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    """The price lists and preferences (no prices)."""
    return {"lists": await fetch_all(conn, ALL_LISTS), "preferences": await fetch_all(conn, ALL_PREFS)}


async def prices_of_sets(conn: AsyncConnection[Any], set_ids: list[str]) -> list[dict[str, Any]]:
    """The live prices (base and price lists') of these price sets."""
    return await fetch_all(conn, SET_PRICES, (set_ids,))


# --- bulk (CSV import / export) -----------------------------------------------------------------------------------
COPY_PRICE_SETS = "COPY price_set (id) FROM STDIN"
COPY_VARIANT_PRICE_SETS = "COPY product_variant_price_set (variant_id, price_set_id) FROM STDIN"
COPY_PRICES = "COPY price (id, price_set_id, currency_code, amount) FROM STDIN"
# Currencies of the base prices a CSV can carry: no list, no rules, no quantity range.
PLAIN_BASE_CURRENCIES = """
SELECT DISTINCT p.currency_code FROM price p JOIN product_variant_price_set l ON l.price_set_id = p.price_set_id
WHERE p.price_list_id IS NULL AND p.deleted_at IS NULL AND p.rules = '{}'::jsonb
  AND p.min_quantity IS NULL AND p.max_quantity IS NULL
ORDER BY 1
"""


async def copy_base_prices(
    conn: AsyncConnection[Any], sets: list[tuple[str, str]], prices: list[tuple[str, str, str, Any]]
) -> None:
    """New price sets `(variant_id, price_set_id)` and their base prices `(id, price_set_id, currency, amount)`,
    by COPY."""
    async with conn.cursor().copy(COPY_PRICE_SETS) as copy:
        for _, price_set_id in sets:
            await copy.write_row((price_set_id,))
    async with conn.cursor().copy(COPY_VARIANT_PRICE_SETS) as copy:
        for row in sets:
            await copy.write_row(row)
    async with conn.cursor().copy(COPY_PRICES) as copy:
        for price in prices:
            await copy.write_row(price)


async def plain_base_currencies(conn: AsyncConnection[Any]) -> list[str]:
    cur = await conn.execute(PLAIN_BASE_CURRENCIES)
    return [r[0] for r in await cur.fetchall()]


COPY_PRICE_ROWS = (
    "COPY price (id, price_set_id, price_list_id, currency_code, amount, min_quantity, max_quantity, rules) FROM STDIN"
)


async def copy_prices(conn: AsyncConnection[Any], rows: list[dict[str, Any]]) -> None:
    """Prices (every column of INSERT_PRICE) in one COPY: a catalog's quantity tiers or a price list's prices."""
    async with conn.cursor().copy(COPY_PRICE_ROWS) as copy:
        for r in rows:
            await copy.write_row(
                (
                    r["id"],
                    r["price_set_id"],
                    r["price_list_id"],
                    r["currency_code"],
                    r["amount"],
                    r["min_quantity"],
                    r["max_quantity"],
                    jsonb(r.get("rules") or {}),
                )
            )
