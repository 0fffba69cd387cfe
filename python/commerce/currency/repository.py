"""The only code that runs SQL on currency."""

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import fetch_page, like
from commerce.listing import order_by

COLUMNS = "code, symbol, symbol_native, name, decimal_digits, rounding, created_at, updated_at, deleted_at"
ORDERABLE = frozenset({"code", "name", "created_at"})
SELECT_ONE = f"SELECT {COLUMNS} FROM currency WHERE code = %s AND deleted_at IS NULL"
EXISTING = "SELECT code FROM currency WHERE code = ANY(%s) AND deleted_at IS NULL"
ALL = f"SELECT {COLUMNS} FROM currency WHERE deleted_at IS NULL ORDER BY code"


async def get(conn: AsyncConnection[Any], code: str) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE, (code,))
    return await cur.fetchone()


async def existing(conn: AsyncConnection[Any], codes: list[str]) -> set[str]:
    cur = await conn.execute(EXISTING, (codes,))
    return {r[0] for r in await cur.fetchall()}


async def all_currencies(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(ALL)
    return await cur.fetchall()


async def list_currencies(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("code"):
        where.append(sql.SQL("code = ANY(%(code)s)"))
        params["code"] = [c.lower() for c in filters["code"]]
    if filters.get("q"):
        where.append(sql.SQL("(code ILIKE %(q)s OR name ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "currency", COLUMNS, where, params, order_by(order, ORDERABLE, "code", "code"), limit, offset
    )
