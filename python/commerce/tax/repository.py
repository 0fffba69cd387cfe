"""The only code that runs SQL on tax_provider, tax_region, tax_rate and tax_rate_rule."""

from typing import Any, Literal

from psycopg import AsyncConnection, sql

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

REGION_COLUMNS = (
    "id, country_code, province_code, parent_id, provider_id, metadata, created_by, created_at, updated_at, deleted_at"
)
REGION_ORDERABLE = frozenset({"created_at", "updated_at", "country_code", "province_code"})
REGION_UPDATABLE = ("province_code", "provider_id", "metadata")
RATE_COLUMNS = (
    "id, rate, code, name, tax_region_id, is_default, is_combinable, metadata, created_by, created_at, updated_at, "
    "deleted_at"
)
RATE_ORDERABLE = frozenset({"created_at", "updated_at", "name", "code", "rate"})
RATE_UPDATABLE = ("rate", "code", "name", "is_default", "is_combinable", "metadata")
RULE_COLUMNS = "id, tax_rate_id, reference, reference_id, metadata, created_by, created_at, updated_at, deleted_at"
PROVIDER_COLUMNS = "id, is_enabled"

# Constraint names the service maps to errors.
REGION_UNIQUE = "tax_region_country_province_unique"
ONE_DEFAULT = "tax_rate_one_default"
RULE_UNIQUE = "tax_rate_rule_unique_reference"

INSERT_REGION = f"""
INSERT INTO tax_region (id, country_code, province_code, parent_id, provider_id, metadata, created_by)
VALUES (%(id)s, %(country_code)s, %(province_code)s, %(parent_id)s, %(provider_id)s, %(metadata)s, %(created_by)s)
RETURNING {REGION_COLUMNS}
"""
SELECT_REGION = f"SELECT {REGION_COLUMNS} FROM tax_region WHERE id = %s AND deleted_at IS NULL"
# Writes under a region (its rates, its provinces) hold this share lock, so a concurrent delete either
# waits for them or makes them see the region gone.
LOCK_REGION = f"SELECT {REGION_COLUMNS} FROM tax_region WHERE id = %s AND deleted_at IS NULL FOR SHARE"
# An update of the region itself takes the row lock up front: two share-locked updaters would deadlock.
LOCK_REGION_UPDATE = f"SELECT {REGION_COLUMNS} FROM tax_region WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
COUNTRY_REGION = f"""
SELECT {REGION_COLUMNS} FROM tax_region
WHERE country_code = %s AND province_code IS NULL AND deleted_at IS NULL FOR SHARE
"""
REGIONS_BY_ID = f"SELECT {REGION_COLUMNS} FROM tax_region WHERE id = ANY(%s) AND deleted_at IS NULL"
CHILDREN_OF = f"""
SELECT {REGION_COLUMNS} FROM tax_region WHERE parent_id = ANY(%s) AND deleted_at IS NULL
ORDER BY province_code, id
"""
# A region goes with its provinces, their rates and the rates' rules, in one statement.
SOFT_DELETE_REGION = """
WITH regions AS (
    UPDATE tax_region SET deleted_at = now()
    WHERE (id = %(id)s OR parent_id = %(id)s) AND deleted_at IS NULL
    RETURNING id
), rates AS (
    UPDATE tax_rate SET deleted_at = now()
    WHERE tax_region_id IN (SELECT id FROM regions) AND deleted_at IS NULL
    RETURNING id
), rules AS (
    UPDATE tax_rate_rule SET deleted_at = now()
    WHERE tax_rate_id IN (SELECT id FROM rates) AND deleted_at IS NULL
)
SELECT id FROM regions WHERE id = %(id)s
"""

INSERT_RATE = f"""
INSERT INTO tax_rate (id, tax_region_id, rate, code, name, is_default, is_combinable, metadata, created_by)
VALUES (%(id)s, %(tax_region_id)s, %(rate)s, %(code)s, %(name)s, %(is_default)s, %(is_combinable)s, %(metadata)s,
        %(created_by)s)
RETURNING {RATE_COLUMNS}
"""
SELECT_RATE = f"SELECT {RATE_COLUMNS} FROM tax_rate WHERE id = %s AND deleted_at IS NULL"
LOCK_RATE = f"SELECT {RATE_COLUMNS} FROM tax_rate WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
RATES_OF_REGIONS = f"""
SELECT {RATE_COLUMNS} FROM tax_rate WHERE tax_region_id = ANY(%s) AND deleted_at IS NULL
ORDER BY is_default DESC, created_at, id
"""
SOFT_DELETE_RATE = """
WITH rate AS (
    UPDATE tax_rate SET deleted_at = now() WHERE id = %(id)s AND deleted_at IS NULL RETURNING id
), rules AS (
    UPDATE tax_rate_rule SET deleted_at = now() WHERE tax_rate_id IN (SELECT id FROM rate) AND deleted_at IS NULL
)
SELECT id FROM rate
"""

INSERT_RULE = f"""
INSERT INTO tax_rate_rule (id, tax_rate_id, reference, reference_id, created_by)
VALUES (%(id)s, %(tax_rate_id)s, %(reference)s, %(reference_id)s, %(created_by)s)
RETURNING {RULE_COLUMNS}
"""
RULES_OF_RATES = f"""
SELECT {RULE_COLUMNS} FROM tax_rate_rule WHERE tax_rate_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
SOFT_DELETE_RULES_OF_RATE = """
UPDATE tax_rate_rule SET deleted_at = now() WHERE tax_rate_id = %s AND deleted_at IS NULL
"""
SOFT_DELETE_RULE = """
UPDATE tax_rate_rule SET deleted_at = now() WHERE id = %s AND tax_rate_id = %s AND deleted_at IS NULL RETURNING id
"""

SELECT_PROVIDER = f"SELECT {PROVIDER_COLUMNS} FROM tax_provider WHERE id = %s"

# Everything tax-line selection needs for one address, in one round trip: the country's region and the
# province's (if any), each rate of theirs with its rules. A region without rates still comes back (rate
# columns NULL): a country region with no rates taxes nothing but still exists.
CANDIDATES = """
SELECT g.id AS region_id, g.province_code, g.parent_id, g.provider_id,
       r.id AS rate_id, r.rate, r.code, r.name, r.is_default, r.is_combinable,
       coalesce((SELECT json_agg(json_build_array(u.reference, u.reference_id)) FROM tax_rate_rule u
                 WHERE u.tax_rate_id = r.id AND u.deleted_at IS NULL), '[]'::json) AS rules
FROM tax_region g
LEFT JOIN tax_rate r ON r.tax_region_id = g.id AND r.deleted_at IS NULL
WHERE g.deleted_at IS NULL AND g.country_code = %(country_code)s
  AND (g.province_code IS NULL OR g.province_code = %(province_code)s)
ORDER BY r.created_at, r.id
"""


# Every live region with its rates and rules (the per-worker read model of tax_lines; CANDIDATES for all countries).
ALL_CANDIDATES = """
SELECT g.country_code, g.id AS region_id, g.province_code, g.parent_id, g.provider_id,
       r.id AS rate_id, r.rate, r.code, r.name, r.is_default, r.is_combinable,
       coalesce((SELECT json_agg(json_build_array(u.reference, u.reference_id)) FROM tax_rate_rule u
                 WHERE u.tax_rate_id = r.id AND u.deleted_at IS NULL), '[]'::json) AS rules
FROM tax_region g
LEFT JOIN tax_rate r ON r.tax_region_id = g.id AND r.deleted_at IS NULL
WHERE g.deleted_at IS NULL
ORDER BY r.created_at, r.id
"""


def _any_or_null(column: str, values: list[str], params: dict[str, Any]) -> sql.Composable:
    """`column = ANY(values)`, where a value "null" selects the NULL rows."""
    parts: list[sql.Composable] = []
    concrete = [v for v in values if v != "null"]
    if concrete:
        parts.append(sql.SQL("{} = ANY({})").format(sql.Identifier(column), sql.Placeholder(column)))
        params[column] = concrete
    if len(concrete) < len(values):
        parts.append(sql.SQL("{} IS NULL").format(sql.Identifier(column)))
    return sql.SQL("({})").format(sql.SQL(" OR ").join(parts))


# --- regions ----------------------------------------------------------------------------------------------------


async def insert_region(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_REGION, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_region(
    conn: AsyncConnection[Any], region_id: str, *, lock: Literal["share", "update"] | None = None
) -> dict[str, Any] | None:
    query = {None: SELECT_REGION, "share": LOCK_REGION, "update": LOCK_REGION_UPDATE}[lock]
    return await fetch_one(conn, query, (region_id,))


async def country_region(conn: AsyncConnection[Any], country_code: str) -> dict[str, Any] | None:
    """The live top-level region of a country, share-locked (call inside a transaction)."""
    return await fetch_one(conn, COUNTRY_REGION, (country_code,))


async def regions_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, REGIONS_BY_ID, (ids,))


async def children_of(conn: AsyncConnection[Any], parent_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, CHILDREN_OF, (parent_ids,))


async def update_region(conn: AsyncConnection[Any], region_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "tax_region", region_id, changes, REGION_UPDATABLE, REGION_COLUMNS)


async def soft_delete_region(conn: AsyncConnection[Any], region_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_REGION, {"id": region_id}) is not None


async def list_regions(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "country_code", "created_by"))
    for key in ("province_code", "parent_id"):
        if filters.get(key):
            where.append(_any_or_null(key, filters[key], params))
    if filters.get("q"):
        where.append(sql.SQL("(country_code ILIKE %(q)s OR province_code ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "tax_region", REGION_COLUMNS, where, params, order_by(order, REGION_ORDERABLE), limit, offset
    )


# --- rates and rules --------------------------------------------------------------------------------------------


async def insert_rate(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_RATE, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_rate(conn: AsyncConnection[Any], rate_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    return await fetch_one(conn, LOCK_RATE if lock else SELECT_RATE, (rate_id,))


async def rates_of_regions(conn: AsyncConnection[Any], region_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, RATES_OF_REGIONS, (region_ids,))


async def update_rate(conn: AsyncConnection[Any], rate_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "tax_rate", rate_id, changes, RATE_UPDATABLE, RATE_COLUMNS)


async def soft_delete_rate(conn: AsyncConnection[Any], rate_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_RATE, {"id": rate_id}) is not None


async def list_rates(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "tax_region_id"))
    if filters.get("is_default") is not None:
        where.append(sql.SQL("is_default = %(is_default)s"))
        params["is_default"] = filters["is_default"]
    if filters.get("q"):
        where.append(sql.SQL("(name ILIKE %(q)s OR code ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "tax_rate", RATE_COLUMNS, where, params, order_by(order, RATE_ORDERABLE), limit, offset
    )


async def insert_rule(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_RULE, row)
    assert result is not None
    return result


async def rules_of_rates(conn: AsyncConnection[Any], rate_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, RULES_OF_RATES, (rate_ids,))


async def soft_delete_rules_of_rate(conn: AsyncConnection[Any], rate_id: str) -> None:
    await conn.execute(SOFT_DELETE_RULES_OF_RATE, (rate_id,))


async def soft_delete_rule(conn: AsyncConnection[Any], rate_id: str, rule_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_RULE, (rule_id, rate_id)) is not None


# --- providers and tax-line candidates --------------------------------------------------------------------------


async def get_provider(conn: AsyncConnection[Any], provider_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_PROVIDER, (provider_id,))


async def list_providers(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("is_enabled") is not None:
        where.append(sql.SQL("is_enabled = %(is_enabled)s"))
        params["is_enabled"] = filters["is_enabled"]
    return await fetch_page(
        conn,
        "tax_provider",
        PROVIDER_COLUMNS,
        where,
        params,
        order_by(order, frozenset({"id", "created_at"}), default="id"),
        limit,
        offset,
    )


async def candidates(conn: AsyncConnection[Any], country_code: str, province_code: str | None) -> list[dict[str, Any]]:
    return await fetch_all(conn, CANDIDATES, {"country_code": country_code, "province_code": province_code})


async def all_candidates(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ALL_CANDIDATES)
