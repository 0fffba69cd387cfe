"""The read model's SQL: everything the storefront shows, in one query per relation (joins across modules are
allowed here and only here)."""

from typing import Any

from psycopg import AsyncConnection

from commerce.db.rows import fetch_all

# Tables whose changes rebuild the product part / the price part of the read model.
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
    # inventory_quantity: stock, the variant -> inventory item links, and which locations serve which channels.
    "inventory_level",
    "product_variant_inventory_item",
    "stock_location_sales_channel",
    "stock_location",
)
PRICE_TABLES = ("price", "price_list", "price_preference", "product_variant_price_set")

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
# What the store's inventory_quantity is computed from (catalog.model): the published variants' links to live
# inventory items, those items' levels at live stock locations, and the locations serving each sales channel.
VARIANT_ITEMS = f"""
SELECT l.variant_id, l.inventory_item_id, l.required_quantity
FROM product_variant_inventory_item l
JOIN product_variant v ON v.id = l.variant_id AND v.deleted_at IS NULL
JOIN inventory_item i ON i.id = l.inventory_item_id AND i.deleted_at IS NULL
WHERE v.product_id IN {PUBLISHED}
ORDER BY l.variant_id, l.inventory_item_id
"""
STOCK_LEVELS = f"""
SELECT lv.inventory_item_id, lv.location_id, lv.stocked_quantity, lv.reserved_quantity, lv.incoming_quantity
FROM inventory_level lv JOIN stock_location s ON s.id = lv.location_id AND s.deleted_at IS NULL
WHERE lv.deleted_at IS NULL AND lv.inventory_item_id IN (
    SELECT l.inventory_item_id FROM product_variant_inventory_item l
    JOIN product_variant v ON v.id = l.variant_id AND v.deleted_at IS NULL
    WHERE v.product_id IN {PUBLISHED}
)
"""
CHANNEL_LOCATIONS = """
SELECT c.sales_channel_id, c.stock_location_id FROM stock_location_sales_channel c
JOIN stock_location s ON s.id = c.stock_location_id AND s.deleted_at IS NULL
ORDER BY c.sales_channel_id, c.stock_location_id
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
            "variant_items": await fetch_all(conn, VARIANT_ITEMS),
            "stock_levels": await fetch_all(conn, STOCK_LEVELS),
            "channel_locations": await fetch_all(conn, CHANNEL_LOCATIONS),
        }
