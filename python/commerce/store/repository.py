"""The only code that runs SQL on store and store_currency."""

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import update_by_id
from commerce.listing import order_by

COLUMNS = (
    "id, name, default_sales_channel_id, default_region_id, default_location_id, metadata, created_at, updated_at, "
    "deleted_at"
)
CURRENCY_COLUMNS = "id, currency_code, is_default, store_id, created_at, updated_at, deleted_at"
ORDERABLE = frozenset({"created_at", "updated_at", "name"})
UPDATABLE = ("name", "default_sales_channel_id", "default_region_id", "default_location_id", "metadata")

INSERT = f"""
INSERT INTO store (id, name, default_sales_channel_id, default_region_id, metadata)
VALUES (%(id)s, %(name)s, %(default_sales_channel_id)s, %(default_region_id)s, NULL)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM store WHERE id = %s AND deleted_at IS NULL"
FIRST = f"SELECT {COLUMNS} FROM store WHERE deleted_at IS NULL ORDER BY created_at, id LIMIT 1"
CURRENCIES_OF = f"""
SELECT {CURRENCY_COLUMNS} FROM store_currency
WHERE store_id = ANY(%s) AND deleted_at IS NULL ORDER BY is_default DESC, currency_code
"""
DELETE_CURRENCIES = "DELETE FROM store_currency WHERE store_id = %s"
ADD_CURRENCY = """
INSERT INTO store_currency (id, store_id, currency_code, is_default) VALUES (%s, %s, %s, %s)
"""


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(INSERT, row)
    result = await cur.fetchone()
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], store_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE + (" FOR UPDATE" if for_update else ""), (store_id,))
    return await cur.fetchone()


async def first(conn: AsyncConnection[Any]) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(FIRST)
    return await cur.fetchone()


async def update(conn: AsyncConnection[Any], store_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "store", store_id, changes, UPDATABLE, COLUMNS)


async def currencies_of(conn: AsyncConnection[Any], store_ids: list[str]) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(CURRENCIES_OF, (store_ids,))
    return await cur.fetchall()


async def set_currencies(conn: AsyncConnection[Any], store_id: str, currencies: list[tuple[str, str, bool]]) -> None:
    """Replace the store's currencies with `(id, code, is_default)` rows."""
    await conn.execute(DELETE_CURRENCIES, (store_id,))
    for row_id, code, is_default in currencies:
        await conn.execute(ADD_CURRENCY, (row_id, store_id, code, is_default))


async def list_stores(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "name"))
    if filters.get("q"):
        where.append(sql.SQL("name ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "store", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)
