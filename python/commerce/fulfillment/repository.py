"""The only code that runs SQL on fulfillment_provider, fulfillment_set, service_zone, geo_zone, shipping_profile,
shipping_option and shipping_option_rule."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db.paging import fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

SET_COLUMNS = "id, name, type, metadata, created_at, updated_at, deleted_at"
ZONE_COLUMNS = "id, name, fulfillment_set_id, metadata, created_at, updated_at, deleted_at"
GEO_COLUMNS = (
    "id, service_zone_id, type, country_code, province_code, city, postal_expression, metadata, created_at, "
    "updated_at, deleted_at"
)
PROFILE_COLUMNS = "id, name, type, metadata, created_at, updated_at, deleted_at"
PROFILE_ORDERABLE = frozenset({"created_at", "updated_at", "name", "type"})
OPTION_COLUMNS = (
    "id, name, price_type, service_zone_id, shipping_profile_id, provider_id, price_set_id, data, metadata, type_id, "
    "type_label, type_description, type_code, created_at, updated_at, deleted_at"
)
OPTION_ORDERABLE = frozenset({"created_at", "updated_at", "name"})
OPTION_UPDATABLE = (
    "name",
    "price_type",
    "shipping_profile_id",
    "provider_id",
    "price_set_id",
    "data",
    "metadata",
    "type_label",
    "type_description",
    "type_code",
)
RULE_COLUMNS = "id, shipping_option_id, attribute, operator, value, created_at, updated_at, deleted_at"

PROVIDERS = "SELECT id, is_enabled FROM fulfillment_provider WHERE deleted_at IS NULL AND id = ANY(%s)"
ALL_PROVIDERS = "SELECT id, is_enabled FROM fulfillment_provider WHERE deleted_at IS NULL ORDER BY id"

INSERT_SET = f"""
INSERT INTO fulfillment_set (id, name, type, metadata) VALUES (%(id)s, %(name)s, %(type)s, %(metadata)s)
RETURNING {SET_COLUMNS}
"""
SETS = f"SELECT {SET_COLUMNS} FROM fulfillment_set WHERE id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id"
LOCK_SET = "SELECT id FROM fulfillment_set WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
SOFT_DELETE_SETS = (
    "UPDATE fulfillment_set SET deleted_at = now() WHERE id = ANY(%s) AND deleted_at IS NULL RETURNING id"
)
ZONE_IDS_OF_SETS = "SELECT id FROM service_zone WHERE fulfillment_set_id = ANY(%s) AND deleted_at IS NULL"

INSERT_ZONE = f"""
INSERT INTO service_zone (id, name, fulfillment_set_id, metadata) VALUES (%(id)s, %(name)s, %(set_id)s, %(metadata)s)
RETURNING {ZONE_COLUMNS}
"""
ZONE = f"SELECT {ZONE_COLUMNS} FROM service_zone WHERE id = %s AND deleted_at IS NULL"
ZONES_OF_SETS = f"""
SELECT {ZONE_COLUMNS} FROM service_zone WHERE fulfillment_set_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
ZONES = f"SELECT {ZONE_COLUMNS} FROM service_zone WHERE id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE_ZONES = "UPDATE service_zone SET deleted_at = now() WHERE id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE_ZONE_GEOS = "UPDATE geo_zone SET deleted_at = now() WHERE service_zone_id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE_ZONE_OPTIONS = """
UPDATE shipping_option SET deleted_at = now() WHERE service_zone_id = ANY(%s) AND deleted_at IS NULL
RETURNING id
"""

INSERT_GEO = f"""
INSERT INTO geo_zone (id, service_zone_id, type, country_code, province_code, city, postal_expression, metadata)
VALUES (%(id)s, %(service_zone_id)s, %(type)s, %(country_code)s, %(province_code)s, %(city)s, %(postal_expression)s,
        %(metadata)s)
RETURNING {GEO_COLUMNS}
"""
GEOS_OF_ZONES = f"""
SELECT {GEO_COLUMNS} FROM geo_zone WHERE service_zone_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
SOFT_DELETE_OTHER_GEOS = """
UPDATE geo_zone SET deleted_at = now() WHERE service_zone_id = %s AND NOT (id = ANY(%s)) AND deleted_at IS NULL
"""

INSERT_PROFILE = f"""
INSERT INTO shipping_profile (id, name, type, metadata) VALUES (%(id)s, %(name)s, %(type)s, %(metadata)s)
RETURNING {PROFILE_COLUMNS}
"""
PROFILE = f"SELECT {PROFILE_COLUMNS} FROM shipping_profile WHERE id = %s AND deleted_at IS NULL"
PROFILE_IN_USE = "SELECT 1 FROM shipping_option WHERE shipping_profile_id = %s AND deleted_at IS NULL LIMIT 1"
SOFT_DELETE_PROFILE = "UPDATE shipping_profile SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"

INSERT_OPTION = f"""
INSERT INTO shipping_option (id, name, price_type, service_zone_id, shipping_profile_id, provider_id, price_set_id,
                             data, metadata, type_id, type_label, type_description, type_code)
VALUES (%(id)s, %(name)s, %(price_type)s, %(service_zone_id)s, %(shipping_profile_id)s, %(provider_id)s,
        %(price_set_id)s, %(data)s, %(metadata)s, %(type_id)s, %(type_label)s, %(type_description)s, %(type_code)s)
RETURNING {OPTION_COLUMNS}
"""
OPTION = f"SELECT {OPTION_COLUMNS} FROM shipping_option WHERE id = %s AND deleted_at IS NULL"
LOCK_OPTION = f"SELECT {OPTION_COLUMNS} FROM shipping_option WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
SOFT_DELETE_OPTION = """
UPDATE shipping_option SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""
OPTIONS_OF_ZONES = f"""
SELECT {OPTION_COLUMNS} FROM shipping_option WHERE service_zone_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""

INSERT_RULE = f"""
INSERT INTO shipping_option_rule (id, shipping_option_id, attribute, operator, value)
VALUES (%(id)s, %(shipping_option_id)s, %(attribute)s, %(operator)s, %(value)s)
RETURNING {RULE_COLUMNS}
"""
RULES_OF = f"""
SELECT {RULE_COLUMNS} FROM shipping_option_rule WHERE shipping_option_id = ANY(%s) AND deleted_at IS NULL
ORDER BY created_at, id
"""
RULES_BY_ID = f"SELECT {RULE_COLUMNS} FROM shipping_option_rule WHERE id = ANY(%s) AND deleted_at IS NULL"
DELETE_RULES = """
UPDATE shipping_option_rule SET deleted_at = now()
WHERE shipping_option_id = %s AND id = ANY(%s) AND deleted_at IS NULL RETURNING id
"""
DELETE_OTHER_RULES = """
UPDATE shipping_option_rule SET deleted_at = now()
WHERE shipping_option_id = %s AND NOT (id = ANY(%s)) AND deleted_at IS NULL
"""


# --- providers --------------------------------------------------------------------------------------------------


async def providers(conn: AsyncConnection[Any], ids: list[str] | None) -> list[dict[str, Any]]:
    return await (fetch_all(conn, ALL_PROVIDERS) if ids is None else fetch_all(conn, PROVIDERS, (ids,)))


# --- fulfillment sets and service zones -------------------------------------------------------------------------


async def insert_set(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_SET, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def sets(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, SETS, (ids,))


async def lock_set(conn: AsyncConnection[Any], set_id: str) -> bool:
    return await fetch_one(conn, LOCK_SET, (set_id,)) is not None


async def soft_delete_sets(conn: AsyncConnection[Any], ids: list[str]) -> tuple[list[str], list[str]]:
    """Delete sets with their zones, geo zones and options; returns (deleted set ids, deleted option ids)."""
    deleted = [r["id"] for r in await fetch_all(conn, SOFT_DELETE_SETS, (ids,))]
    zone_ids = [r["id"] for r in await fetch_all(conn, ZONE_IDS_OF_SETS, (deleted,))]
    return deleted, await soft_delete_zones(conn, zone_ids)


async def insert_zone(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_ZONE, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def zone(conn: AsyncConnection[Any], zone_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, ZONE, (zone_id,))


async def zones(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ZONES, (ids,))


async def zones_of_sets(conn: AsyncConnection[Any], set_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, ZONES_OF_SETS, (set_ids,))


async def rename_zone(conn: AsyncConnection[Any], zone_id: str, name: str) -> None:
    await update_by_id(conn, "service_zone", zone_id, {"name": name}, ("name",), "id")


async def soft_delete_zones(conn: AsyncConnection[Any], ids: list[str]) -> list[str]:
    """Delete zones, their geo zones and options; returns the ids of the deleted options."""
    if not ids:
        return []
    await conn.execute(SOFT_DELETE_ZONES, (ids,))
    await conn.execute(SOFT_DELETE_ZONE_GEOS, (ids,))
    return [r["id"] for r in await fetch_all(conn, SOFT_DELETE_ZONE_OPTIONS, (ids,))]


async def insert_geo(conn: AsyncConnection[Any], row: dict[str, Any]) -> None:
    await conn.execute(
        INSERT_GEO,
        {**row, "postal_expression": jsonb(row.get("postal_expression")), "metadata": jsonb(row.get("metadata"))},
    )


async def update_geo(conn: AsyncConnection[Any], zone_id: str, geo_id: str, row: dict[str, Any]) -> bool:
    updated = await update_by_id(
        conn,
        "geo_zone",
        geo_id,
        row,
        ("type", "country_code", "province_code", "city", "postal_expression", "metadata"),
        "id",
        also={"service_zone_id": zone_id},
        json_columns=frozenset({"postal_expression", "metadata"}),
    )
    return updated is not None


async def soft_delete_other_geos(conn: AsyncConnection[Any], zone_id: str, keep: list[str]) -> None:
    await conn.execute(SOFT_DELETE_OTHER_GEOS, (zone_id, keep))


async def geos_of_zones(conn: AsyncConnection[Any], zone_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, GEOS_OF_ZONES, (zone_ids,))


# --- shipping profiles ------------------------------------------------------------------------------------------


async def insert_profile(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_PROFILE, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def profile(conn: AsyncConnection[Any], profile_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, PROFILE, (profile_id,))


async def update_profile(conn: AsyncConnection[Any], profile_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(
        conn, "shipping_profile", profile_id, changes, ("name", "type", "metadata"), PROFILE_COLUMNS
    )


async def profile_in_use(conn: AsyncConnection[Any], profile_id: str) -> bool:
    return await fetch_one(conn, PROFILE_IN_USE, (profile_id,)) is not None


async def soft_delete_profile(conn: AsyncConnection[Any], profile_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_PROFILE, (profile_id,)) is not None


async def list_profiles(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    for key in ("name", "type"):
        if filters.get(key):
            where.append(sql.SQL("{} = {}").format(sql.Identifier(key), sql.Placeholder(key)))
            params[key] = filters[key]
    if filters.get("q"):
        where.append(sql.SQL("(name ILIKE %(q)s OR type ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "shipping_profile", PROFILE_COLUMNS, where, params, order_by(order, PROFILE_ORDERABLE), limit, offset
    )


# --- shipping options and rules ---------------------------------------------------------------------------------


async def insert_option(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(
        conn, INSERT_OPTION, {**row, "data": jsonb(row.get("data")), "metadata": jsonb(row.get("metadata"))}
    )
    assert result is not None
    return result


async def option(conn: AsyncConnection[Any], option_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    return await fetch_one(conn, LOCK_OPTION if for_update else OPTION, (option_id,))


async def update_option(conn: AsyncConnection[Any], option_id: str, changes: dict[str, Any]) -> None:
    await update_by_id(
        conn,
        "shipping_option",
        option_id,
        changes,
        OPTION_UPDATABLE,
        "id",
        json_columns=frozenset({"data", "metadata"}),
    )


async def soft_delete_option(conn: AsyncConnection[Any], option_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_OPTION, (option_id,)) is not None


async def options_of_zones(conn: AsyncConnection[Any], zone_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, OPTIONS_OF_ZONES, (zone_ids,))


async def list_options(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    for key in ("id", "service_zone_id", "shipping_profile_id", "provider_id"):
        if filters.get(key) is not None:
            where.append(sql.SQL("{} = ANY({})").format(sql.Identifier(key), sql.Placeholder(key)))
            params[key] = filters[key]
    if filters.get("q"):
        where.append(sql.SQL("name ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "shipping_option", OPTION_COLUMNS, where, params, order_by(order, OPTION_ORDERABLE), limit, offset
    )


async def insert_rule(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_RULE, {**row, "value": jsonb(row["value"])})
    assert result is not None
    return result


async def update_rule(conn: AsyncConnection[Any], option_id: str, rule_id: str, row: dict[str, Any]) -> bool:
    updated = await update_by_id(
        conn,
        "shipping_option_rule",
        rule_id,
        row,
        ("attribute", "operator", "value"),
        "id",
        also={"shipping_option_id": option_id},
        json_columns=frozenset({"value"}),
    )
    return updated is not None


async def delete_rules(conn: AsyncConnection[Any], option_id: str, ids: list[str]) -> list[str]:
    return [r["id"] for r in await fetch_all(conn, DELETE_RULES, (option_id, ids))]


async def delete_other_rules(conn: AsyncConnection[Any], option_id: str, keep: list[str]) -> None:
    await conn.execute(DELETE_OTHER_RULES, (option_id, keep))


async def rules_of(conn: AsyncConnection[Any], option_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, RULES_OF, (option_ids,))


async def rules_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, RULES_BY_ID, (ids,))


OPTION_PROFILES = "SELECT id, shipping_profile_id FROM shipping_option WHERE id = ANY(%s)"


async def option_profiles(conn: AsyncConnection[Any], option_ids: list[str]) -> dict[str, str | None]:
    return {r["id"]: r["shipping_profile_id"] for r in await fetch_all(conn, OPTION_PROFILES, (option_ids,))}


OPTION_ANY = f"SELECT {OPTION_COLUMNS} FROM shipping_option WHERE id = %s"


async def option_any(conn: AsyncConnection[Any], option_id: str) -> dict[str, Any] | None:
    """The option, also once deleted."""
    return await fetch_one(conn, OPTION_ANY, (option_id,))
