"""The only code that runs SQL on customer, customer_address, customer_group and customer_group_customer."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db import direct
from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, fetch_one, jsonb, update_by_id
from commerce.listing import order_by

COLUMNS = (
    "id, email, company_name, first_name, last_name, phone, has_account, metadata, created_by, created_at, "
    "updated_at, deleted_at"
)
ORDERABLE = frozenset({"created_at", "updated_at", "email", "first_name", "last_name", "company_name"})
UPDATABLE = ("email", "company_name", "first_name", "last_name", "phone", "metadata")
ADDRESS_COLUMNS = (
    "id, address_name, is_default_shipping, is_default_billing, customer_id, company, first_name, last_name, "
    "address_1, address_2, city, country_code, province, postal_code, phone, metadata, created_at, updated_at"
)
ADDRESS_UPDATABLE = (
    "address_name",
    "is_default_shipping",
    "is_default_billing",
    "company",
    "first_name",
    "last_name",
    "address_1",
    "address_2",
    "city",
    "country_code",
    "province",
    "postal_code",
    "phone",
    "metadata",
)
ADDRESS_ORDERABLE = frozenset({"created_at", "updated_at", "city", "country_code", "address_name"})
GROUP_COLUMNS = "id, name, metadata, created_by, created_at, updated_at, deleted_at"
GROUP_ORDERABLE = frozenset({"created_at", "updated_at", "name"})

INSERT = f"""
INSERT INTO customer (id, email, company_name, first_name, last_name, phone, has_account, metadata, created_by)
VALUES (%(id)s, %(email)s, %(company_name)s, %(first_name)s, %(last_name)s, %(phone)s, %(has_account)s,
        %(metadata)s, %(created_by)s)
RETURNING {COLUMNS}
"""
SOFT_DELETE = "UPDATE customer SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
EXISTING = "SELECT id FROM customer WHERE id = ANY(%s) AND deleted_at IS NULL"

INSERT_ADDRESS = f"""
INSERT INTO customer_address ({ADDRESS_COLUMNS.replace(", created_at, updated_at", "")})
VALUES (%(id)s, %(address_name)s, %(is_default_shipping)s, %(is_default_billing)s, %(customer_id)s, %(company)s,
        %(first_name)s, %(last_name)s, %(address_1)s, %(address_2)s, %(city)s, %(country_code)s, %(province)s,
        %(postal_code)s, %(phone)s, %(metadata)s)
RETURNING {ADDRESS_COLUMNS}
"""
SELECT_ADDRESS = f"""
SELECT {ADDRESS_COLUMNS} FROM customer_address WHERE id = %s AND customer_id = %s AND deleted_at IS NULL
"""
SOFT_DELETE_ADDRESS = """
UPDATE customer_address SET deleted_at = now(), is_default_shipping = false, is_default_billing = false
WHERE id = %s AND customer_id = %s AND deleted_at IS NULL RETURNING id
"""
# Clearing the other defaults first keeps the one-default partial unique indexes satisfied.
CLEAR_DEFAULT_SHIPPING = """
UPDATE customer_address SET is_default_shipping = false, updated_at = now()
WHERE customer_id = %s AND id <> %s AND is_default_shipping AND deleted_at IS NULL
"""
CLEAR_DEFAULT_BILLING = """
UPDATE customer_address SET is_default_billing = false, updated_at = now()
WHERE customer_id = %s AND id <> %s AND is_default_billing AND deleted_at IS NULL
"""

INSERT_GROUP = f"""
INSERT INTO customer_group (id, name, metadata, created_by) VALUES (%(id)s, %(name)s, %(metadata)s, %(created_by)s)
RETURNING {GROUP_COLUMNS}
"""
SELECT_GROUP = f"SELECT {GROUP_COLUMNS} FROM customer_group WHERE id = %s AND deleted_at IS NULL"
SOFT_DELETE_GROUP = "UPDATE customer_group SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
DELETE_GROUP_LINKS = "DELETE FROM customer_group_customer WHERE customer_group_id = %s"
EXISTING_GROUPS = "SELECT id FROM customer_group WHERE id = ANY(%s) AND deleted_at IS NULL"
GROUPS_OF = """
SELECT l.customer_id, g.id, g.name FROM customer_group_customer l
JOIN customer_group g ON g.id = l.customer_group_id AND g.deleted_at IS NULL
WHERE l.customer_id = ANY(%s) ORDER BY g.name, g.id
"""
LINK = """
INSERT INTO customer_group_customer (id, customer_id, customer_group_id, created_by) VALUES (%s, %s, %s, %s)
ON CONFLICT (customer_id, customer_group_id) DO NOTHING
"""
UNLINK = "DELETE FROM customer_group_customer WHERE customer_id = %s AND customer_group_id = %s"

# A customer whole, in the row that carries it: its live addresses (oldest first) and live groups (by name) as JSON
# text (decoded by the service with msgspec, timestamps to datetimes). `customer.id` is the outer row's, so the same
# columns serve a SELECT, a page of the list and an UPDATE's RETURNING.
WHOLE_COLUMNS = f"""{COLUMNS},
(SELECT coalesce(json_agg(a ORDER BY a.created_at, a.id), '[]')::text
 FROM (SELECT {ADDRESS_COLUMNS} FROM customer_address
       WHERE customer_id = customer.id AND deleted_at IS NULL) a) AS addresses,
(SELECT coalesce(json_agg(json_build_object('id', g.id, 'name', g.name) ORDER BY g.name, g.id), '[]')::text
 FROM customer_group_customer l JOIN customer_group g ON g.id = l.customer_group_id AND g.deleted_at IS NULL
 WHERE l.customer_id = customer.id) AS "groups"
"""
SELECT_WHOLE = f"SELECT {WHOLE_COLUMNS} FROM customer WHERE id = %s AND deleted_at IS NULL"


def _json_time(column: str) -> str:
    """A timestamptz as the API writes a UTC datetime (msgspec): `...T12:00:00.120000Z`, no fraction at 0 us."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"to_char({utc}, CASE WHEN mod(extract(microseconds FROM {utc}), 1000000) = 0 "
        """THEN 'YYYY-MM-DD"T"HH24:MI:SS"Z"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"' END)"""
    )


# `{"customer": ...}` as GET /store/customers/me answers with the default `fields` (customer/schemas.py's
# STORE_DEFAULTS; addresses whole, in Address's field order, oldest first), rendered by PostgreSQL (row_to_json and
# array_to_json write no spaces): the request sends these bytes as they come. Only `metadata` reads differently
# (jsonb's text, `{"a": 1}`): the same JSON. tests/api/test_customers.py checks it against the general path.
STORE_JSON = f"""
SELECT '{{"customer":' || row_to_json(r)::text || '}}'
FROM customer c,
LATERAL (
  SELECT array_to_json(array_agg(row_to_json(ra) ORDER BY ca.created_at, ca.id)) AS list,
         (array_agg(ca.id ORDER BY ca.created_at, ca.id) FILTER (WHERE ca.is_default_billing))[1] AS billing,
         (array_agg(ca.id ORDER BY ca.created_at, ca.id) FILTER (WHERE ca.is_default_shipping))[1] AS shipping
  FROM customer_address ca,
  LATERAL (SELECT ca.id, ca.address_name, ca.is_default_shipping, ca.is_default_billing, ca.customer_id, ca.company,
                  ca.first_name, ca.last_name, ca.address_1, ca.address_2, ca.city, ca.country_code, ca.province,
                  ca.postal_code, ca.phone, ca.metadata, {_json_time("ca.created_at")} AS created_at,
                  {_json_time("ca.updated_at")} AS updated_at) ra
  WHERE ca.customer_id = c.id AND ca.deleted_at IS NULL) a,
LATERAL (SELECT c.id, c.email, c.company_name, c.first_name, c.last_name, c.phone, c.metadata, c.has_account,
                {_json_time("c.deleted_at")} AS deleted_at, {_json_time("c.created_at")} AS created_at,
                {_json_time("c.updated_at")} AS updated_at, a.billing AS default_billing_address_id,
                a.shipping AS default_shipping_address_id, coalesce(a.list, '[]') AS addresses) r
WHERE c.id = %(id)s AND c.deleted_at IS NULL
"""
STORE_JSON_DIRECT = direct.Statement("commerce_customer_store_json", STORE_JSON)


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_whole(conn: AsyncConnection[Any], customer_id: str) -> dict[str, Any] | None:
    """The live customer with `addresses` and `groups` (JSON text), in one statement."""
    return await fetch_one(conn, SELECT_WHOLE, (customer_id,))


async def store_json(conn: AsyncConnection[Any], customer_id: str) -> bytes | None:
    """STORE_JSON's bytes for a live customer, else None: on an idle autocommit connection through libpq (a
    prepared statement, the text as it comes), else through psycopg."""
    if direct.usable(conn):
        result = await STORE_JSON_DIRECT.run(conn, [customer_id.encode()])
        return result.get_value(0, 0) if result.ntuples else None
    cur = await conn.execute(STORE_JSON, {"id": customer_id})
    row = await cur.fetchone()
    return None if row is None else str(row[0]).encode()


async def update(conn: AsyncConnection[Any], customer_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """The updated customer, whole (as get_whole)."""
    return await update_by_id(conn, "customer", customer_id, changes, UPDATABLE, WHOLE_COLUMNS)


async def soft_delete(conn: AsyncConnection[Any], customer_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE, (customer_id,)) is not None


async def existing(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    return {r["id"] for r in await fetch_all(conn, EXISTING, (ids,))}


GUEST_BY_EMAIL = "SELECT id FROM customer WHERE lower(email) = lower(%s) AND NOT has_account AND deleted_at IS NULL"


async def guest_by_email(conn: AsyncConnection[Any], email: str) -> str | None:
    cur = await conn.execute(GUEST_BY_EMAIL, (email,))
    row = await cur.fetchone()
    return str(row[0]) if row else None


async def list_customers(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("email"):
        where.append(sql.SQL("lower(email) = ANY(%(email)s)"))
        params["email"] = [e.lower() for e in filters["email"]]
    if filters.get("has_account") is not None:
        where.append(sql.SQL("has_account = %(has_account)s"))
        params["has_account"] = filters["has_account"]
    if filters.get("groups"):
        where.append(
            sql.SQL("id IN (SELECT customer_id FROM customer_group_customer WHERE customer_group_id = ANY(%(groups)s))")
        )
        params["groups"] = filters["groups"]
    if filters.get("q"):
        where.append(
            sql.SQL(
                "(email ILIKE %(q)s OR first_name ILIKE %(q)s OR last_name ILIKE %(q)s OR company_name ILIKE %(q)s)"
            )
        )
        params["q"] = like(filters["q"])
    # Whole customers (addresses and groups included): a page is one statement.
    return await fetch_page(conn, "customer", WHOLE_COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)


async def insert_address(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_ADDRESS, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_address(conn: AsyncConnection[Any], customer_id: str, address_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_ADDRESS, (address_id, customer_id))


async def update_address(
    conn: AsyncConnection[Any], customer_id: str, address_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    return await update_by_id(
        conn,
        "customer_address",
        address_id,
        changes,
        ADDRESS_UPDATABLE,
        ADDRESS_COLUMNS,
        also={"customer_id": customer_id},
    )


async def soft_delete_address(conn: AsyncConnection[Any], customer_id: str, address_id: str) -> bool:
    return await fetch_one(conn, SOFT_DELETE_ADDRESS, (address_id, customer_id)) is not None


async def clear_other_defaults(
    conn: AsyncConnection[Any], customer_id: str, keep_id: str, shipping: bool, billing: bool
) -> None:
    if shipping:
        await conn.execute(CLEAR_DEFAULT_SHIPPING, (customer_id, keep_id))
    if billing:
        await conn.execute(CLEAR_DEFAULT_BILLING, (customer_id, keep_id))


async def list_addresses(
    conn: AsyncConnection[Any], customer_id: str, filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL"), sql.SQL("customer_id = %(customer_id)s")]
    params: dict[str, Any] = {"customer_id": customer_id}
    any_of(where, params, filters, ("country_code", "city"))
    if filters.get("q"):
        where.append(
            sql.SQL(
                "(address_name ILIKE %(q)s OR address_1 ILIKE %(q)s OR city ILIKE %(q)s OR postal_code ILIKE %(q)s)"
            )
        )
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "customer_address", ADDRESS_COLUMNS, where, params, order_by(order, ADDRESS_ORDERABLE), limit, offset
    )


async def insert_group(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_GROUP, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_group(conn: AsyncConnection[Any], group_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_GROUP, (group_id,))


async def update_group(conn: AsyncConnection[Any], group_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_by_id(conn, "customer_group", group_id, changes, ("name", "metadata"), GROUP_COLUMNS)


async def soft_delete_group(conn: AsyncConnection[Any], group_id: str) -> bool:
    if await fetch_one(conn, SOFT_DELETE_GROUP, (group_id,)) is None:
        return False
    await conn.execute(DELETE_GROUP_LINKS, (group_id,))
    return True


async def existing_groups(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    return {r["id"] for r in await fetch_all(conn, EXISTING_GROUPS, (ids,))}


async def groups_of(conn: AsyncConnection[Any], customer_ids: list[str]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for r in await fetch_all(conn, GROUPS_OF, (customer_ids,)):
        out.setdefault(r["customer_id"], []).append((r["id"], r["name"]))
    return out


async def link(conn: AsyncConnection[Any], row_id: str, customer_id: str, group_id: str, by: str | None) -> None:
    await conn.execute(LINK, (row_id, customer_id, group_id, by))


async def unlink(conn: AsyncConnection[Any], customer_id: str, group_id: str) -> None:
    await conn.execute(UNLINK, (customer_id, group_id))


async def list_groups(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "name"))
    if filters.get("q"):
        where.append(sql.SQL("name ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "customer_group", GROUP_COLUMNS, where, params, order_by(order, GROUP_ORDERABLE), limit, offset
    )


# Who a cart or a price belongs to, in one read: the customer and the ids of their groups.
SUMMARY = """
SELECT c.id, c.email, c.has_account,
       coalesce(array_agg(g.id ORDER BY g.name, g.id) FILTER (WHERE g.id IS NOT NULL), '{}') AS group_ids
FROM customer c
LEFT JOIN customer_group_customer l ON l.customer_id = c.id
LEFT JOIN customer_group g ON g.id = l.customer_group_id AND g.deleted_at IS NULL
WHERE c.id = %s AND c.deleted_at IS NULL
GROUP BY c.id
"""


async def summary(conn: AsyncConnection[Any], customer_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SUMMARY, (customer_id,))
