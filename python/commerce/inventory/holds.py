"""Flash-sale holds (migrations/0042): which products reserve at add-to-cart and for how long (inventory_hold_policy),
and the life of a hold, a reservation of a cart line with an `expires_at`: made by flows.flash, turned into the
order's reservation by the checkout, released by the sweeper when it expires."""

from typing import Any

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from commerce.db.rows import fetch_all, fetch_one
from commerce.errors import NotFound
from commerce.inventory import repository as repo

POLICY_COLUMNS = "product_id, hold_seconds, max_per_customer, created_at, updated_at"
SET_POLICY = f"""
INSERT INTO inventory_hold_policy (product_id, hold_seconds, max_per_customer)
VALUES (%(product_id)s, %(hold_seconds)s, %(max_per_customer)s)
ON CONFLICT (product_id) DO UPDATE
SET hold_seconds = EXCLUDED.hold_seconds, max_per_customer = EXCLUDED.max_per_customer, updated_at = now()
RETURNING {POLICY_COLUMNS}
"""
TABLE = "inventory_hold_policy"
ALL_POLICIES = f"SELECT {POLICY_COLUMNS} FROM inventory_hold_policy"
POLICY = f"SELECT {POLICY_COLUMNS} FROM inventory_hold_policy WHERE product_id = %s"
DELETE_POLICY = f"DELETE FROM inventory_hold_policy WHERE product_id = %s RETURNING {POLICY_COLUMNS}"
HELD = """
SELECT line_item_id, coalesce(sum(quantity), 0)::integer AS quantity FROM reservation_item
WHERE line_item_id = ANY(%s) AND deleted_at IS NULL AND expires_at > now()
GROUP BY line_item_id
"""
# The cart line's live holds become the order line's reservations; an expired one (swept or not yet) is not taken.
# The rows are locked: a sweeper holding one makes this wait, then skip it (it is released by then).
CONVERT = """
UPDATE reservation_item
SET line_item_id = %(order_line)s, external_id = %(order_id)s, description = %(description)s, expires_at = NULL,
    created_by = 'checkout', updated_at = now()
WHERE line_item_id = %(cart_line)s AND deleted_at IS NULL AND expires_at > now()
RETURNING quantity
"""
# Expired holds, claimed by one sweeper at a time (SKIP LOCKED: another worker's sweep, or a checkout converting
# them, holds the rows it has; each expired hold is released exactly once).
CLAIM_EXPIRED = """
SELECT id, inventory_item_id FROM reservation_item
WHERE expires_at < now() AND deleted_at IS NULL
ORDER BY expires_at LIMIT %s
FOR UPDATE SKIP LOCKED
"""
SWEEP_BATCH = 500


async def set_policy(
    conn: AsyncConnection[Any], product_id: str, hold_seconds: int | None, max_per_customer: int | None
) -> dict[str, Any]:
    """The product's flash-sale setting: holds of `hold_seconds` at add-to-cart (None: none), at most
    `max_per_customer` units per buyer (None: no limit; inventory.limits)."""
    params = {"product_id": product_id, "hold_seconds": hold_seconds, "max_per_customer": max_per_customer}
    row = await fetch_one(conn, SET_POLICY, params)
    assert row is not None
    return row


async def load_policies(pool: AsyncConnectionPool[Any]) -> dict[str, dict[str, Any]]:
    """Every product's flash-sale setting, by product id: a worker's read model (few rows: the products on sale)."""
    async with pool.connection() as conn:
        return {r["product_id"]: r for r in await fetch_all(conn, ALL_POLICIES)}


async def policy(conn: AsyncConnection[Any], product_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, POLICY, (product_id,))


async def delete_policy(conn: AsyncConnection[Any], product_id: str) -> dict[str, Any]:
    row = await fetch_one(conn, DELETE_POLICY, (product_id,))
    if row is None:
        raise NotFound(f"Product {product_id} has no flash-sale setting")
    return row


async def held(conn: AsyncConnection[Any], line_ids: list[str]) -> dict[str, int]:
    """Units held (live, unexpired) per cart line."""
    return {r["line_item_id"]: r["quantity"] for r in await fetch_all(conn, HELD, (line_ids,))} if line_ids else {}


async def convert(conn: AsyncConnection[Any], cart_line: str, order_line: str, order_id: str) -> int:
    """Turn the cart line's live holds into the order line's reservations (the caller's transaction); the units."""
    params = {
        "cart_line": cart_line,
        "order_line": order_line,
        "order_id": order_id,
        "description": f"Order {order_id}",
    }
    return sum(r["quantity"] for r in await fetch_all(conn, CONVERT, params))


async def sweep(conn: AsyncConnection[Any]) -> int:
    """Release one batch of expired holds (their own transaction); how many were released."""
    async with conn.transaction():
        claimed = await fetch_all(conn, CLAIM_EXPIRED, (SWEEP_BATCH,))
        if not claimed:
            return 0
        await repo.release_reservations(conn, claimed)  # split levels folded (their units may sit in buckets)
    return len(claimed)
