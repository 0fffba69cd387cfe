"""Per-customer purchase limits of flash-sale products (migrations/0043): `max_per_customer` units of a product per
buyer (the order's email, lower case), counted by the checkout in the order's transaction with one conditional
upsert, so concurrent checkouts of one buyer cannot pass the limit together. A cancelled order does not give its
units back to the count."""

from typing import Any

from psycopg import AsyncConnection

from commerce.db.rows import fetch_one
from commerce.errors import NotAllowed

# Raise the buyer's count by `units` only while it stays within the limit; no row back: over the limit.
COUNT = """
INSERT INTO inventory_purchase_count AS c (product_id, buyer, units)
SELECT %(product)s, %(buyer)s, %(units)s WHERE %(units)s <= %(max)s
ON CONFLICT (product_id, buyer) DO UPDATE SET units = c.units + EXCLUDED.units, updated_at = now()
WHERE c.units + EXCLUDED.units <= %(max)s
RETURNING units
"""


async def count(
    conn: AsyncConnection[Any], email: str, units: dict[str, int], found: dict[str, int], titles: dict[str, str]
) -> None:
    """Count `units` per product against the buyer's limits `found` ({product id: max per buyer}, from the
    product's setting) in the caller's transaction; NotAllowed (code purchase_limit) when one would pass."""
    buyer = email.strip().lower()
    for product_id in sorted(units):
        params = {"product": product_id, "buyer": buyer, "units": units[product_id], "max": found[product_id]}
        if await fetch_one(conn, COUNT, params) is None:
            raise NotAllowed(
                f"{titles.get(product_id, product_id)} is limited to {found[product_id]} per customer",
                code="purchase_limit",
            )
