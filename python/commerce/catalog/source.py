"""The read model's SQL: everything the storefront shows, in one query per relation (joins across modules are
allowed here and only here), and the stock model's."""

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import tuple_row

from commerce.db.rows import fetch_all

# Tables whose changes rebuild the product part / the price part of the read model. Stock (inventory_quantity) is
# not among them: it has its own small model (catalog.stock), so a reservation never rebuilds the products.
PRODUCT_TABLES = (
    "product",
    "product_image",
    "product_option",
    "product_option_value",
    "product_variant",
    "product_variant_option",
    "product_tags",
    "product_category_product",
    "product_sales_channel",
    "product_category",
    "product_collection",
    "product_tag",
    "product_type",
)
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

PRODUCTS = """
SELECT id, title, handle, subtitle, description, is_giftcard, status, thumbnail, weight, length, height, width,
       origin_country, hs_code, mid_code, material, collection_id, type_id, discountable, external_id, metadata,
       created_at, updated_at, deleted_at
FROM product WHERE deleted_at IS NULL AND status = 'published'
ORDER BY created_at, id
"""
PUBLISHED = "(SELECT id FROM product WHERE deleted_at IS NULL AND status = 'published')"
IMAGES = f"""
SELECT id, product_id, url, rank, metadata, created_at, updated_at, deleted_at FROM product_image
WHERE deleted_at IS NULL AND product_id IN {PUBLISHED} ORDER BY product_id, rank, id
"""
OPTIONS = f"""
SELECT id, product_id, title, metadata, created_at, updated_at, deleted_at FROM product_option
WHERE deleted_at IS NULL AND product_id IN {PUBLISHED} ORDER BY product_id, created_at, id
"""
VALUES = f"""
SELECT v.id, v.option_id, v.value, v.metadata, v.created_at, v.updated_at, v.deleted_at
FROM product_option_value v JOIN product_option o ON o.id = v.option_id AND o.deleted_at IS NULL
WHERE v.deleted_at IS NULL AND o.product_id IN {PUBLISHED} ORDER BY v.option_id, v.rank, v.id
"""
VARIANTS = f"""
SELECT v.id, v.product_id, v.title, v.sku, v.barcode, v.ean, v.upc, v.allow_backorder, v.manage_inventory,
       v.hs_code, v.origin_country, v.mid_code, v.material, v.weight, v.length, v.height, v.width, v.variant_rank,
       v.thumbnail, v.metadata, v.created_at, v.updated_at, v.deleted_at, ps.price_set_id
FROM product_variant v LEFT JOIN product_variant_price_set ps ON ps.variant_id = v.id
WHERE v.deleted_at IS NULL AND v.product_id IN {PUBLISHED} ORDER BY v.product_id, v.variant_rank, v.created_at, v.id
"""
VARIANT_OPTIONS = f"""
SELECT vo.variant_id, vo.option_value_id
FROM product_variant_option vo JOIN product_variant v ON v.id = vo.variant_id AND v.deleted_at IS NULL
WHERE v.product_id IN {PUBLISHED}
"""
TAGS = f"""
SELECT pt.product_id, t.id, t.value, t.metadata, t.created_at, t.updated_at, t.deleted_at
FROM product_tags pt JOIN product_tag t ON t.id = pt.product_tag_id AND t.deleted_at IS NULL
WHERE pt.product_id IN {PUBLISHED} ORDER BY t.value, t.id
"""
PRODUCT_CATEGORIES = f"""
SELECT product_id, product_category_id FROM product_category_product WHERE product_id IN {PUBLISHED}
"""
PRODUCT_CHANNELS = f"""
SELECT product_id, sales_channel_id FROM product_sales_channel WHERE product_id IN {PUBLISHED}
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
TYPES = "SELECT id, value, metadata, created_at, updated_at, deleted_at FROM product_type WHERE deleted_at IS NULL"

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


async def load_products(conn: AsyncConnection[Any]) -> dict[str, list[dict[str, Any]]]:
    """All published products and their relations, in one repeatable-read snapshot."""
    async with conn.transaction():
        await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        return {
            "products": await fetch_all(conn, PRODUCTS),
            "images": await fetch_all(conn, IMAGES),
            "options": await fetch_all(conn, OPTIONS),
            "values": await fetch_all(conn, VALUES),
            "variants": await fetch_all(conn, VARIANTS),
            "variant_options": await fetch_all(conn, VARIANT_OPTIONS),
            "tags": await fetch_all(conn, TAGS),
            "product_categories": await fetch_all(conn, PRODUCT_CATEGORIES),
            "product_channels": await fetch_all(conn, PRODUCT_CHANNELS),
            "categories": await fetch_all(conn, CATEGORIES),
            "collections": await fetch_all(conn, COLLECTIONS),
            "types": await fetch_all(conn, TYPES),
        }


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
