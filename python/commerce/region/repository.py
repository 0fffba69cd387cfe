"""The only code that runs SQL on region, region_country and region_payment_provider."""

from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import jsonb, update_by_id
from commerce.listing import order_by

COLUMNS = "id, name, currency_code, automatic_taxes, metadata, created_at, updated_at, deleted_at"
COUNTRY_COLUMNS = "iso_2, iso_3, num_code, name, display_name, region_id, metadata, created_at, updated_at, deleted_at"
ORDERABLE = frozenset({"created_at", "updated_at", "name", "currency_code"})
UPDATABLE = ("name", "currency_code", "automatic_taxes", "metadata")

INSERT = f"""
INSERT INTO region (id, name, currency_code, automatic_taxes, metadata)
VALUES (%(id)s, %(name)s, %(currency_code)s, %(automatic_taxes)s, %(metadata)s)
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM region WHERE id = %s AND deleted_at IS NULL"
SELECT_ALL_LIVE = f"SELECT {COLUMNS} FROM region WHERE deleted_at IS NULL ORDER BY created_at, id"
SOFT_DELETE = (
    "UPDATE region SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
)
COUNTRIES_OF = f"SELECT {COUNTRY_COLUMNS} FROM region_country WHERE region_id = ANY(%s) ORDER BY iso_2"
KNOWN_COUNTRIES = "SELECT iso_2 FROM region_country WHERE iso_2 = ANY(%s)"
# Claims only free countries; the caller compares what came back with what it asked for.
CLAIM_COUNTRIES = """
UPDATE region_country SET region_id = %(region_id)s, updated_at = now()
WHERE iso_2 = ANY(%(codes)s) AND (region_id IS NULL OR region_id = %(region_id)s)
RETURNING iso_2
"""
RELEASE_COUNTRIES = """
UPDATE region_country SET region_id = NULL, updated_at = now()
WHERE region_id = %(region_id)s AND NOT (iso_2 = ANY(%(keep)s))
"""
PROVIDERS_OF = """
SELECT region_id, payment_provider_id FROM region_payment_provider
WHERE region_id = ANY(%s) ORDER BY payment_provider_id
"""
DELETE_PROVIDERS = "DELETE FROM region_payment_provider WHERE region_id = %s"
ADD_PROVIDER = "INSERT INTO region_payment_provider (region_id, payment_provider_id) VALUES (%s, %s)"


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(INSERT, {**row, "metadata": jsonb(row.get("metadata"))})
    result = await cur.fetchone()
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], region_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ONE + (" FOR UPDATE" if for_update else ""), (region_id,))
    return await cur.fetchone()


async def all_live(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(SELECT_ALL_LIVE)
    return await cur.fetchall()


async def update(conn: AsyncConnection[Any], region_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "region", region_id, changes, UPDATABLE, COLUMNS)


async def soft_delete(conn: AsyncConnection[Any], region_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE, (region_id,))
    if await cur.fetchone() is None:
        return False
    await conn.execute(RELEASE_COUNTRIES, {"region_id": region_id, "keep": []})
    await conn.execute(DELETE_PROVIDERS, (region_id,))
    return True


async def countries_of(conn: AsyncConnection[Any], region_ids: list[str]) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(COUNTRIES_OF, (region_ids,))
    return await cur.fetchall()


async def known_countries(conn: AsyncConnection[Any], codes: list[str]) -> set[str]:
    cur = await conn.execute(KNOWN_COUNTRIES, (codes,))
    return {r[0] for r in await cur.fetchall()}


async def set_countries(conn: AsyncConnection[Any], region_id: str, codes: list[str]) -> set[str]:
    """Give the region exactly `codes`; returns those it could claim (the others belong to other regions)."""
    await conn.execute(RELEASE_COUNTRIES, {"region_id": region_id, "keep": codes})
    cur = await conn.execute(CLAIM_COUNTRIES, {"region_id": region_id, "codes": codes})
    return {r[0] for r in await cur.fetchall()}


async def providers_of(conn: AsyncConnection[Any], region_ids: list[str]) -> dict[str, list[str]]:
    cur = await conn.execute(PROVIDERS_OF, (region_ids,))
    out: dict[str, list[str]] = {}
    for region_id, provider_id in await cur.fetchall():
        out.setdefault(region_id, []).append(provider_id)
    return out


async def set_providers(conn: AsyncConnection[Any], region_id: str, provider_ids: list[str]) -> None:
    await conn.execute(DELETE_PROVIDERS, (region_id,))
    for provider_id in provider_ids:
        await conn.execute(ADD_PROVIDER, (region_id, provider_id))


async def list_regions(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "name", "currency_code"))
    if filters.get("q"):
        where.append(sql.SQL("name ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "region", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)
