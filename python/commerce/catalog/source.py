"""The read model's SQL (joins across modules are allowed here and in catalog.documents, and only there): categories,
collections and the stock model's rows."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from commerce.db.rows import fetch_all

# Tables whose changes reload the categories and collections (product documents are rendered in PostgreSQL and
# invalidated one by one: catalog.documents), and the price part of the read model. Stock (inventory_quantity) is
# not among them: it has its own small model (catalog.stock), so a reservation never touches the rest.
TAXONOMY_TABLES = ("product_category", "product_collection")
PRICE_TABLES = ("price", "price_list", "price_preference", "product_variant_price_set")
# ... and the stock model (catalog.stock): inventory_level, which every reservation changes and which reloads only
# the levels, and the tables of its rarely changing structure (product_variant: manage_inventory, allow_backorder).
STOCK_STRUCTURE_TABLES = (
    "product_variant_inventory_item",
    "stock_location_sales_channel",
    "stock_location",
    "product_variant",
)
STOCK_TABLES = ("inventory_level", "inventory_level_bucket", *STOCK_STRUCTURE_TABLES)

# The prices each worker's index holds: those of price sets that are not a product variant's (shipping options).
SHARED_PRICES = """
SELECT p.id, p.price_set_id, p.price_list_id, p.currency_code, p.amount, p.min_quantity, p.max_quantity, p.rules
FROM price p JOIN price_set s ON s.id = p.price_set_id AND s.deleted_at IS NULL
WHERE p.deleted_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM product_variant_price_set l JOIN product_variant v ON v.id = l.variant_id
    WHERE l.price_set_id = p.price_set_id)
"""
CATEGORIES = """
SELECT id, name, description, handle, mpath, is_active, is_internal, rank, parent_category_id, metadata,
       created_at, updated_at, deleted_at
FROM product_category WHERE deleted_at IS NULL ORDER BY rank, created_at, id
"""
COLLECTIONS = """
SELECT id, title, handle, metadata, created_at, updated_at, deleted_at FROM product_collection
WHERE deleted_at IS NULL ORDER BY created_at, id
"""

# The stock model: the managed variants, the variants' links to live inventory items, the live stock locations
# serving each sales channel, and what each item has available at each location (stocked - reserved; below zero
# only where a backorder was reserved). Plain scans and a primary-key anti-join, joined in Python: a join order
# misjudged on tables not yet analysed (a freshly seeded store) cannot turn them into seconds.
MANAGED_VARIANTS = "SELECT id, allow_backorder FROM product_variant WHERE manage_inventory AND deleted_at IS NULL"
VARIANT_ITEMS = """
SELECT l.variant_id, l.inventory_item_id, l.required_quantity FROM product_variant_inventory_item l
WHERE NOT EXISTS (SELECT 1 FROM inventory_item i WHERE i.id = l.inventory_item_id AND i.deleted_at IS NOT NULL)
"""
CHANNEL_LOCATIONS = """
SELECT c.sales_channel_id, c.stock_location_id FROM stock_location_sales_channel c
JOIN stock_location s ON s.id = c.stock_location_id AND s.deleted_at IS NULL
"""
STOCK_LEVELS = """
SELECT inventory_item_id, location_id, stocked_quantity - reserved_quantity FROM inventory_level_total
WHERE deleted_at IS NULL
"""


async def load_taxonomy(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    """Every live category and collection."""
    return {"categories": await fetch_all(conn, CATEGORIES), "collections": await fetch_all(conn, COLLECTIONS)}


async def load_shared_prices(conn: AsyncConnection[Any]) -> list[dict[str, Any]]:
    return await fetch_all(conn, SHARED_PRICES)


async def load_stock_structure(
    conn: AsyncConnection[Any],
) -> tuple[list[tuple[str, bool]], list[tuple[str, str, int]], list[tuple[str, str]]]:
    """The stock model's rarely changing rows: (variant, allow_backorder) of the managed variants, (variant, item,
    required_quantity) links, and (channel, location)."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(MANAGED_VARIANTS)
    variants = await cur.fetchall()
    await cur.execute(VARIANT_ITEMS)
    links = await cur.fetchall()
    await cur.execute(CHANNEL_LOCATIONS)
    return variants, links, await cur.fetchall()


async def load_stock_levels(conn: AsyncConnection[Any]) -> list[tuple[str, str, int]]:
    """(item, location, available) of every live level: the one statement a reservation makes the stock re-run."""
    cur = conn.cursor(row_factory=tuple_row)
    await cur.execute(STOCK_LEVELS)
    return await cur.fetchall()
