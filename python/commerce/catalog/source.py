"""The read model's SQL (joins across modules are allowed here, in catalog.documents and catalog.stock, and only
there): categories, collections and the prices every worker shares."""

from typing import Any

from psycopg import AsyncConnection

from commerce.db.rows import fetch_all

# Tables whose changes reload the categories and collections (product documents are rendered in PostgreSQL and
# invalidated one by one: catalog.documents), and the price part of the read model. Stock (inventory_quantity) is
# not among them: it is read per variant (catalog.stock), so a reservation never touches the rest.
TAXONOMY_TABLES = ("product_category", "product_collection")
PRICE_TABLES = ("price", "price_list", "price_preference", "product_variant_price_set")
# The prices each worker's index holds: those of price sets that are not a product variant's (shipping options).
# The prices a worker keeps: those of shipping options' price sets (variants' are read per page and per cart). Named
# through shipping_option, an index lookup per set, not an anti-join over every price (2 s at 1.5M prices).
SHARED_PRICES = """
SELECT p.id, p.price_set_id, p.price_list_id, p.currency_code, p.amount, p.min_quantity, p.max_quantity, p.rules
FROM price p JOIN price_set s ON s.id = p.price_set_id AND s.deleted_at IS NULL
WHERE p.deleted_at IS NULL
  AND p.price_set_id IN (SELECT price_set_id FROM shipping_option WHERE price_set_id IS NOT NULL)
"""
CATEGORIES = """
SELECT id, name, description, handle, mpath, is_active, is_internal, rank, parent_category_id, metadata,
       created_at, updated_at, deleted_at
FROM product_category WHERE deleted_at IS NULL ORDER BY rank, created_at, id
"""
# The documents of these products, rendered now (migration 0060; what the deferred flush does at commit for writers
# that leave the product tables' triggers on).
RENDER = "SELECT catalog_render_many(%s::text[])"
COLLECTIONS = """
SELECT id, title, handle, metadata, created_at, updated_at, deleted_at FROM product_collection
WHERE deleted_at IS NULL ORDER BY created_at, id
"""


async def load_taxonomy(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every live category and collection."""
    return {"categories": await fetch_all(conn, CATEGORIES), "collections": await fetch_all(conn, COLLECTIONS)}


async def load_shared_prices(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    return await fetch_all(conn, SHARED_PRICES)


async def render(conn: AsyncConnection[Any], product_ids: list[str]) -> None:
    """Render these products' documents (and NOTIFY `commerce_catalog`) in the caller's transaction: for a bulk
    writer that has turned the product tables' triggers off (commerce.db.triggers)."""
    if product_ids:
        await conn.execute(RENDER, (product_ids,))
