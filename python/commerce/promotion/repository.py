"""The only code that runs SQL on promotion and promotion_campaign."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import fetch_all, jsonb, update_by_id
from commerce.listing import order_by

COLUMNS = (
    "id, code, type, is_automatic, status, campaign_id, application_method, rules, metadata, created_at, "
    "updated_at, deleted_at"
)
CAMPAIGN_COLUMNS = (
    "id, name, description, campaign_identifier, starts_at, ends_at, budget_type, budget_currency_code, "
    "budget_limit, budget_used, created_at, updated_at, deleted_at"
)
UPDATABLE = ("code", "is_automatic", "status", "campaign_id", "application_method", "rules", "metadata")
CAMPAIGN_UPDATABLE = (
    "name",
    "description",
    "campaign_identifier",
    "starts_at",
    "ends_at",
    "budget_type",
    "budget_currency_code",
    "budget_limit",
)
JSON = frozenset({"application_method", "rules", "metadata"})

INSERT = f"""
INSERT INTO promotion (id, code, type, is_automatic, status, campaign_id, application_method, rules, metadata)
VALUES (%(id)s, %(code)s, %(type)s, %(is_automatic)s, %(status)s, %(campaign_id)s, %(application_method)s,
        %(rules)s, %(metadata)s)
RETURNING {COLUMNS}
"""
SELECT = f"SELECT {COLUMNS} FROM promotion WHERE id = %s AND deleted_at IS NULL"
LOCK = f"SELECT {COLUMNS} FROM promotion WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
SOFT_DELETE = "UPDATE promotion SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
LIVE = f"SELECT {COLUMNS} FROM promotion WHERE deleted_at IS NULL"
INSERT_CAMPAIGN = f"""
INSERT INTO promotion_campaign (id, name, description, campaign_identifier, starts_at, ends_at, budget_type,
                                budget_currency_code, budget_limit)
VALUES (%(id)s, %(name)s, %(description)s, %(campaign_identifier)s, %(starts_at)s, %(ends_at)s, %(budget_type)s,
        %(budget_currency_code)s, %(budget_limit)s)
RETURNING {CAMPAIGN_COLUMNS}
"""
SELECT_CAMPAIGNS = f"SELECT {CAMPAIGN_COLUMNS} FROM promotion_campaign WHERE id = ANY(%s) AND deleted_at IS NULL"
LIVE_CAMPAIGNS = f"SELECT {CAMPAIGN_COLUMNS} FROM promotion_campaign WHERE deleted_at IS NULL"
SOFT_DELETE_CAMPAIGN = """
UPDATE promotion_campaign SET deleted_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""
DETACH = "UPDATE promotion SET campaign_id = NULL, updated_at = now() WHERE campaign_id = %s"


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    params = {k: (jsonb(v) if k in JSON else v) for k, v in row.items()}
    return (await fetch_all(conn, INSERT, params))[0]


async def get(conn: AsyncConnection[Any], promotion_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    rows = await fetch_all(conn, LOCK if for_update else SELECT, (promotion_id,))
    return rows[0] if rows else None


async def update(conn: AsyncConnection[Any], promotion_id: str, changes: dict[str, Any]) -> None:
    await update_by_id(conn, "promotion", promotion_id, changes, UPDATABLE, "id", json_columns=JSON)


async def soft_delete(conn: AsyncConnection[Any], promotion_id: str) -> bool:
    return bool(await fetch_all(conn, SOFT_DELETE, (promotion_id,)))


async def live(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LIVE)


async def list_promotions(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "code", "campaign_id", "status"))
    if filters.get("q"):
        where.append(sql.SQL("code ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    order_sql = order_by(order, frozenset({"created_at", "updated_at", "code", "status"}))
    return await fetch_page(conn, "promotion", COLUMNS, where, params, order_sql, limit, offset)


async def insert_campaign(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    return (await fetch_all(conn, INSERT_CAMPAIGN, row))[0]


async def campaigns(conn: AsyncConnection[Any], ids: list[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in await fetch_all(conn, SELECT_CAMPAIGNS, (ids,))} if ids else {}


async def live_campaigns(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    return await fetch_all(conn, LIVE_CAMPAIGNS)


async def update_campaign(conn: AsyncConnection[Any], campaign_id: str, changes: dict[str, Any]) -> bool:
    row = await update_by_id(
        conn, "promotion_campaign", campaign_id, changes, CAMPAIGN_UPDATABLE, "id", json_columns=frozenset()
    )
    return row is not None


async def soft_delete_campaign(conn: AsyncConnection[Any], campaign_id: str) -> bool:
    if not await fetch_all(conn, SOFT_DELETE_CAMPAIGN, (campaign_id,)):
        return False
    await conn.execute(DETACH, (campaign_id,))
    return True


async def list_campaigns(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    if filters.get("q"):
        where.append(sql.SQL("(name ILIKE %(q)s OR campaign_identifier ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    order_sql = order_by(order, frozenset({"created_at", "updated_at", "name"}))
    return await fetch_page(conn, "promotion_campaign", CAMPAIGN_COLUMNS, where, params, order_sql, limit, offset)


BUDGETS_OF = """
SELECT p.id AS promotion_id, p.code, c.id AS campaign_id, c.budget_type, c.budget_currency_code
FROM promotion p JOIN promotion_campaign c ON c.id = p.campaign_id AND c.deleted_at IS NULL
WHERE p.id = ANY(%s) AND c.budget_type IS NOT NULL
"""
# One statement: the budget never goes past its limit, whatever runs at the same time.
USE_BUDGET = """
UPDATE promotion_campaign SET budget_used = budget_used + %(amount)s, updated_at = now()
WHERE id = %(id)s AND (budget_limit IS NULL OR budget_used + %(amount)s <= budget_limit)
RETURNING id
"""


async def budgets_of(conn: AsyncConnection[Any], promotion_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_all(conn, BUDGETS_OF, (promotion_ids,))


async def use_budget(conn: AsyncConnection[Any], campaign_id: str, amount: Any) -> bool:
    cur = await conn.execute(USE_BUDGET, {"id": campaign_id, "amount": amount})
    return await cur.fetchone() is not None
