"""The only code that runs SQL on product, product_image, product_option(_value), product_variant(_option)
and the product links (product_tags, product_category_product, product_sales_channel)."""

import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from psycopg import AsyncConnection, errors, sql
from psycopg.rows import dict_row

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import jsonb, update_by_id
from commerce.errors import DuplicateError, InvalidData
from commerce.listing import order_by

# Unique indexes (commerce/migrations/0003_product.sql) → what Medusa names in its duplicate_error message.
UNIQUE = {
    "product_handle_unique": ("Product", "handle"),
    "product_variant_sku_unique": ("Product variant", "sku"),
    "product_variant_barcode_unique": ("Product variant", "barcode"),
    "product_variant_ean_unique": ("Product variant", "ean"),
    "product_variant_upc_unique": ("Product variant", "upc"),
    "product_option_title_unique": ("Product option", "title"),
    "product_option_shared_title_unique": ("Product option", "title"),
    "product_option_value_unique": ("Product option value", "value"),
    "product_collection_handle_unique": ("Product collection", "handle"),
    "product_category_handle_unique": ("Product category", "handle"),
    "product_tag_value_unique": ("Product tag", "value"),
    "product_type_value_unique": ("Product type", "value"),
}
_KEY_VALUE = re.compile(r"\)=\((.*)\) already exists")


@asynccontextmanager
async def db_errors() -> AsyncIterator[None]:
    """Map constraint violations to Medusa's errors: unique → 422 duplicate_error naming the value."""
    try:
        yield
    except errors.UniqueViolation as exc:
        name = exc.diag.constraint_name or ""
        label, column = UNIQUE.get(name, ("Record", "value"))
        found = _KEY_VALUE.search(exc.diag.message_detail or "")
        value = found.group(1).split(", ")[-1] if found else "?"
        raise DuplicateError(f"{label} with {column}: {value}, already exists.") from None
    except errors.ForeignKeyViolation:
        raise InvalidData("A referenced record does not exist") from None


async def fetch_rows(conn: AsyncConnection[Any], query: Any, params: Any = None) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    async with db_errors():
        await cur.execute(query, params)
    return await cur.fetchall()


async def fetch_one(conn: AsyncConnection[Any], query: Any, params: Any = None) -> dict[str, Any] | None:
    rows = await fetch_rows(conn, query, params)
    return rows[0] if rows else None


async def update_row(
    conn: AsyncConnection[Any], table: str, columns: str, updatable: Iterable[str], row_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    """update_by_id with this module's constraint names turned into duplicate_error / invalid_data."""
    async with db_errors():
        return await update_by_id(conn, table, row_id, changes, updatable, columns)


# --- product --------------------------------------------------------------------------------------
COLUMNS = (
    "id, title, handle, subtitle, description, is_giftcard, status, thumbnail, weight, length, height, width, "
    "origin_country, hs_code, mid_code, material, collection_id, type_id, discountable, external_id, metadata, "
    "shipping_profile_id, created_at, updated_at, deleted_at"
)
UPDATABLE = (
    "title",
    "handle",
    "subtitle",
    "description",
    "is_giftcard",
    "status",
    "thumbnail",
    "weight",
    "length",
    "height",
    "width",
    "origin_country",
    "hs_code",
    "mid_code",
    "material",
    "collection_id",
    "type_id",
    "discountable",
    "external_id",
    "metadata",
    "shipping_profile_id",
)
ORDERABLE = frozenset({"created_at", "updated_at", "title", "handle", "status"})

INSERT = f"""
INSERT INTO product (id, {", ".join(UPDATABLE)})
VALUES (%(id)s, {", ".join(f"%({c})s" for c in UPDATABLE)})
RETURNING {COLUMNS}
"""
SELECT_ONE = f"SELECT {COLUMNS} FROM product WHERE id = %s AND deleted_at IS NULL"
SELECT_MANY = f"SELECT {COLUMNS} FROM product WHERE id = ANY(%s) AND deleted_at IS NULL"
LOCK = "SELECT id FROM product WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
LIVE_IDS = "SELECT id FROM product WHERE id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE = """
UPDATE product SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""
# A deleted product takes its variants, options, values and images with it; its links go.
SOFT_DELETE_CHILDREN = [
    "UPDATE product_variant SET deleted_at = now() WHERE product_id = %(id)s AND deleted_at IS NULL",
    """UPDATE product_option_value SET deleted_at = now()
       WHERE option_id IN (SELECT id FROM product_option WHERE product_id = %(id)s) AND deleted_at IS NULL""",
    "UPDATE product_option SET deleted_at = now() WHERE product_id = %(id)s AND deleted_at IS NULL",
    "UPDATE product_image SET deleted_at = now() WHERE product_id = %(id)s AND deleted_at IS NULL",
    "DELETE FROM product_tags WHERE product_id = %(id)s",
    "DELETE FROM product_category_product WHERE product_id = %(id)s",
    "DELETE FROM product_sales_channel WHERE product_id = %(id)s",
]


async def insert(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    params = {c: row.get(c) for c in UPDATABLE}
    result = await fetch_one(conn, INSERT, {**params, "id": row["id"], "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get(conn: AsyncConnection[Any], product_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_ONE, (product_id,))


async def get_many(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    by_id = {r["id"]: r for r in await fetch_rows(conn, SELECT_MANY, (ids,))}
    return [by_id[i] for i in ids if i in by_id]


async def lock(conn: AsyncConnection[Any], product_id: str) -> bool:
    """Lock a live product for the transaction: writes to one product's variants and options queue up here."""
    cur = await conn.execute(LOCK, (product_id,))
    return await cur.fetchone() is not None


async def live_ids(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    cur = await conn.execute(LIVE_IDS, (ids,))
    return {r[0] for r in await cur.fetchall()}


async def update(conn: AsyncConnection[Any], product_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    return await update_row(conn, "product", COLUMNS, UPDATABLE, product_id, changes)


async def soft_delete(conn: AsyncConnection[Any], product_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE, (product_id,))
    if await cur.fetchone() is None:
        return False
    for statement in SOFT_DELETE_CHILDREN:
        await conn.execute(statement, {"id": product_id})
    return True


# The list's filters through a link table: the product ids whose link matches any of the values given.
LINK_FILTERS = {
    "tag_id": "product_tags WHERE product_tag_id = ANY(%(tag_id)s)",
    "category_id": "product_category_product WHERE product_category_id = ANY(%(category_id)s)",
    "sales_channel_id": "product_sales_channel WHERE sales_channel_id = ANY(%(sales_channel_id)s)",
    "option_id": "product_option WHERE id = ANY(%(option_id)s) AND deleted_at IS NULL AND product_id IS NOT NULL",
}


async def list_products(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "title", "handle", "status", "external_id", "collection_id", "type_id"))
    if filters.get("is_giftcard") is not None:
        where.append(sql.SQL("is_giftcard = %(is_giftcard)s"))
        params["is_giftcard"] = filters["is_giftcard"]
    for name, link in LINK_FILTERS.items():
        if filters.get(name):
            where.append(sql.SQL(f"id IN (SELECT product_id FROM {link})"))
            params[name] = filters[name]
    if filters.get("q"):
        where.append(
            sql.SQL(
                "(title ILIKE %(q)s OR subtitle ILIKE %(q)s OR description ILIKE %(q)s OR handle ILIKE %(q)s "
                "OR id IN (SELECT product_id FROM product_variant "
                "WHERE deleted_at IS NULL AND (title ILIKE %(q)s OR sku ILIKE %(q)s)))"
            )
        )
        params["q"] = like(filters["q"])
    return await fetch_page(conn, "product", COLUMNS, where, params, order_by(order, ORDERABLE), limit, offset)


# --- images ---------------------------------------------------------------------------------------
IMAGE_COLUMNS = "id, product_id, url, rank, metadata, created_at, updated_at, deleted_at"
IMAGES_OF = f"""
SELECT {IMAGE_COLUMNS} FROM product_image WHERE product_id = ANY(%s) AND deleted_at IS NULL ORDER BY rank, id
"""
INSERT_IMAGE = "INSERT INTO product_image (id, product_id, url, rank) VALUES (%s, %s, %s, %s)"
DROP_IMAGES = "DELETE FROM product_image WHERE product_id = %s"


async def images_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, IMAGES_OF, (product_ids,))


async def set_images(conn: AsyncConnection[Any], product_id: str, images: list[tuple[str, str]]) -> None:
    """Replace the product's images by `(id, url)` pairs, ranked in the order given."""
    await conn.execute(DROP_IMAGES, (product_id,))
    if images:
        cur = conn.cursor()
        await cur.executemany(INSERT_IMAGE, [(i, product_id, url, rank) for rank, (i, url) in enumerate(images)])


# --- options and values ---------------------------------------------------------------------------
# An option of one product is Medusa's `is_exclusive`; a shared one (/admin/product-options) has no product_id.
OPTION_COLUMNS = (
    "id, product_id, title, product_id IS NOT NULL AS is_exclusive, metadata, created_at, updated_at, deleted_at"
)
VALUE_COLUMNS = "id, option_id, value, rank, metadata, created_at, updated_at, deleted_at"
OPTION_ORDERABLE = frozenset({"created_at", "updated_at", "title"})
OPTIONS_OF = f"""
SELECT {OPTION_COLUMNS} FROM product_option WHERE product_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""
VALUES_OF = f"""
SELECT {VALUE_COLUMNS} FROM product_option_value WHERE option_id = ANY(%s) AND deleted_at IS NULL
ORDER BY rank, created_at, id
"""
INSERT_OPTION = f"""
INSERT INTO product_option (id, product_id, title) VALUES (%s, %s, %s) RETURNING {OPTION_COLUMNS}
"""
INSERT_VALUE = "INSERT INTO product_option_value (id, option_id, value, rank) VALUES (%s, %s, %s, %s)"
SELECT_OPTION = f"SELECT {OPTION_COLUMNS} FROM product_option WHERE id = %s AND product_id = %s AND deleted_at IS NULL"
RENAME_OPTION = "UPDATE product_option SET title = %s, updated_at = now() WHERE id = %s"
# Values dropped from an option (or the option itself) leave the variants that used them.
UNLINK_VALUES = """
DELETE FROM product_variant_option
WHERE option_value_id IN (
    SELECT id FROM product_option_value WHERE option_id = %(option_id)s AND NOT (value = ANY(%(keep)s))
)
"""
DROP_VALUES = """
UPDATE product_option_value SET deleted_at = now()
WHERE option_id = %(option_id)s AND deleted_at IS NULL AND NOT (value = ANY(%(keep)s))
"""
RERANK_VALUES = "UPDATE product_option_value SET rank = %s WHERE option_id = %s AND value = %s AND deleted_at IS NULL"
SOFT_DELETE_OPTION = """
UPDATE product_option SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""


async def options_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, OPTIONS_OF, (product_ids,))


async def values_of(conn: AsyncConnection[Any], option_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, VALUES_OF, (option_ids,))


async def get_option(conn: AsyncConnection[Any], product_id: str, option_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_OPTION, (option_id, product_id))


async def insert_option(conn: AsyncConnection[Any], option_id: str, product_id: str, title: str) -> None:
    async with db_errors():
        await conn.execute(INSERT_OPTION, (option_id, product_id, title))


async def rename_option(conn: AsyncConnection[Any], option_id: str, title: str) -> None:
    async with db_errors():
        await conn.execute(RENAME_OPTION, (title, option_id))


async def set_values(
    conn: AsyncConnection[Any], option_id: str, values: list[str], existing: set[str], new_id: Any
) -> None:
    """Make the option's live values exactly `values` (in that order); `existing` are the live ones now."""
    await conn.execute(UNLINK_VALUES, {"option_id": option_id, "keep": values})
    await conn.execute(DROP_VALUES, {"option_id": option_id, "keep": values})
    cur = conn.cursor()
    fresh = [(new_id(), option_id, v, rank) for rank, v in enumerate(values) if v not in existing]
    if fresh:
        async with db_errors():
            await cur.executemany(INSERT_VALUE, fresh)
    kept = [(rank, option_id, v) for rank, v in enumerate(values) if v in existing]
    if kept:
        await cur.executemany(RERANK_VALUES, kept)


async def soft_delete_option(conn: AsyncConnection[Any], option_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE_OPTION, (option_id,))
    if await cur.fetchone() is None:
        return False
    await conn.execute(UNLINK_VALUES, {"option_id": option_id, "keep": []})
    await conn.execute(DROP_VALUES, {"option_id": option_id, "keep": []})
    return True


SELECT_ANY_OPTION = f"""
SELECT {OPTION_COLUMNS} FROM product_option o
WHERE id = %s AND deleted_at IS NULL
  AND (product_id IS NULL OR EXISTS (SELECT 1 FROM product p WHERE p.id = o.product_id AND p.deleted_at IS NULL))
"""
# A shared option, or one of a live product.
LIVE_OR_SHARED = sql.SQL(
    "(product_id IS NULL OR EXISTS "
    "(SELECT 1 FROM product p WHERE p.id = product_option.product_id AND p.deleted_at IS NULL))"
)
LOCK_OPTION = "SELECT id FROM product_option WHERE id = %s AND deleted_at IS NULL FOR UPDATE"
INSERT_SHARED_OPTION = "INSERT INTO product_option (id, product_id, title, metadata) VALUES (%s, NULL, %s, %s)"
SET_OPTION_METADATA = "UPDATE product_option SET metadata = %s, updated_at = now() WHERE id = %s"
SET_VALUE_RANK = """
UPDATE product_option_value SET rank = %s, updated_at = now() WHERE option_id = %s AND value = %s AND deleted_at IS NULL
"""


async def get_any_option(conn: AsyncConnection[Any], option_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_ANY_OPTION, (option_id,))


async def list_options(
    conn: AsyncConnection[Any],
    product_id: str | None,
    filters: dict[str, Any],
    order: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """A product's options; with no `product_id`, the shared ones and those of every live product
    (/admin/product-options)."""
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    if product_id is None:
        where.append(LIVE_OR_SHARED)
    else:
        where.append(sql.SQL("product_id = %(product_id)s"))
        params["product_id"] = product_id
    if filters.get("is_exclusive") is not None:
        where.append(sql.SQL("product_id IS NOT NULL") if filters["is_exclusive"] else sql.SQL("product_id IS NULL"))
    any_of(where, params, filters, ("id", "title"))
    if filters.get("q"):
        where.append(sql.SQL("title ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "product_option", OPTION_COLUMNS, where, params, order_by(order, OPTION_ORDERABLE), limit, offset
    )


async def lock_option(conn: AsyncConnection[Any], option_id: str) -> bool:
    cur = await conn.execute(LOCK_OPTION, (option_id,))
    return await cur.fetchone() is not None


async def insert_shared_option(conn: AsyncConnection[Any], option_id: str, title: str, metadata: Any) -> None:
    async with db_errors():
        await conn.execute(INSERT_SHARED_OPTION, (option_id, title, jsonb(metadata)))


async def set_option_metadata(conn: AsyncConnection[Any], option_id: str, metadata: Any) -> None:
    await conn.execute(SET_OPTION_METADATA, (jsonb(metadata), option_id))


async def set_value_ranks(conn: AsyncConnection[Any], option_id: str, ranks: dict[str, int]) -> None:
    """Medusa's `ranks` ({value: rank}) over the option's live values; unnamed values keep theirs."""
    if ranks:
        await conn.cursor().executemany(SET_VALUE_RANK, [(r, option_id, v) for v, r in ranks.items()])


# --- variants -------------------------------------------------------------------------------------
VARIANT_COLUMNS = (
    "id, product_id, title, sku, barcode, ean, upc, allow_backorder, manage_inventory, hs_code, origin_country, "
    "mid_code, material, weight, length, height, width, variant_rank, thumbnail, metadata, "
    "created_at, updated_at, deleted_at"
)
VARIANT_UPDATABLE = (
    "title",
    "sku",
    "barcode",
    "ean",
    "upc",
    "allow_backorder",
    "manage_inventory",
    "hs_code",
    "origin_country",
    "mid_code",
    "material",
    "weight",
    "length",
    "height",
    "width",
    "variant_rank",
    "thumbnail",
    "metadata",
)
VARIANT_ORDERABLE = frozenset({"created_at", "updated_at", "title", "sku", "variant_rank"})
INSERT_VARIANT = f"""
INSERT INTO product_variant (id, product_id, {", ".join(VARIANT_UPDATABLE)})
VALUES (%(id)s, %(product_id)s, {", ".join(f"%({c})s" for c in VARIANT_UPDATABLE)})
RETURNING {VARIANT_COLUMNS}
"""
VARIANTS_OF = f"""
SELECT {VARIANT_COLUMNS} FROM product_variant WHERE product_id = ANY(%s) AND deleted_at IS NULL
ORDER BY variant_rank, created_at, id
"""
SELECT_VARIANT = f"""
SELECT {VARIANT_COLUMNS} FROM product_variant WHERE id = %s AND product_id = %s AND deleted_at IS NULL
"""
VARIANT_VALUES = f"""
SELECT vo.variant_id, {", ".join("v." + c.strip() for c in VALUE_COLUMNS.split(","))}
FROM product_variant_option vo
JOIN product_option_value v ON v.id = vo.option_value_id AND v.deleted_at IS NULL
JOIN product_option o ON o.id = v.option_id AND o.deleted_at IS NULL
WHERE vo.variant_id = ANY(%s)
ORDER BY o.created_at, o.id
"""
# Every live variant of a product with its option value ids: the combination check reads this.
COMBINATIONS = """
SELECT pv.id, pv.title,
       COALESCE(array_agg(v.id ORDER BY v.id) FILTER (WHERE v.id IS NOT NULL), '{}')
FROM product_variant pv
LEFT JOIN product_variant_option vo ON vo.variant_id = pv.id
LEFT JOIN product_option_value v ON v.id = vo.option_value_id AND v.deleted_at IS NULL
WHERE pv.product_id = %s AND pv.deleted_at IS NULL
GROUP BY pv.id, pv.title
"""
LIVE_VARIANT_IDS = """
SELECT v.id FROM product_variant v JOIN product p ON p.id = v.product_id AND p.deleted_at IS NULL
WHERE v.id = ANY(%s) AND v.deleted_at IS NULL
"""
DROP_VARIANT_VALUES = "DELETE FROM product_variant_option WHERE variant_id = %s"
ADD_VARIANT_VALUE = "INSERT INTO product_variant_option (variant_id, option_value_id) VALUES (%s, %s)"
SOFT_DELETE_VARIANTS = """
UPDATE product_variant SET deleted_at = now(), updated_at = now()
WHERE product_id = %s AND id = ANY(%s) AND deleted_at IS NULL RETURNING id
"""


async def insert_variant(conn: AsyncConnection[Any], row: dict[str, Any]) -> None:
    params = {c: row.get(c) for c in VARIANT_UPDATABLE}
    async with db_errors():
        await conn.execute(
            INSERT_VARIANT,
            {**params, "id": row["id"], "product_id": row["product_id"], "metadata": jsonb(row.get("metadata"))},
        )


async def update_variant(conn: AsyncConnection[Any], variant_id: str, changes: dict[str, Any]) -> None:
    if any(k in changes for k in VARIANT_UPDATABLE):
        await update_row(conn, "product_variant", "id", VARIANT_UPDATABLE, variant_id, changes)


async def variants_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, VARIANTS_OF, (product_ids,))


async def get_variant(conn: AsyncConnection[Any], product_id: str, variant_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_VARIANT, (variant_id, product_id))


async def variant_values(conn: AsyncConnection[Any], variant_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, VARIANT_VALUES, (variant_ids,))


async def live_variant_ids(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    cur = await conn.execute(LIVE_VARIANT_IDS, (ids,))
    return {r[0] for r in await cur.fetchall()}


async def combinations(conn: AsyncConnection[Any], product_id: str) -> list[tuple[str, str, frozenset[str]]]:
    cur = await conn.execute(COMBINATIONS, (product_id,))
    return [(r[0], r[1], frozenset(r[2])) for r in await cur.fetchall()]


async def set_variant_values(conn: AsyncConnection[Any], variant_id: str, value_ids: list[str]) -> None:
    await conn.execute(DROP_VARIANT_VALUES, (variant_id,))
    if value_ids:
        cur = conn.cursor()
        await cur.executemany(ADD_VARIANT_VALUE, [(variant_id, v) for v in value_ids])


async def soft_delete_variants(conn: AsyncConnection[Any], product_id: str, variant_ids: list[str]) -> list[str]:
    cur = await conn.execute(SOFT_DELETE_VARIANTS, (product_id, variant_ids))
    return [r[0] for r in await cur.fetchall()]


async def list_variants(
    conn: AsyncConnection[Any], product_id: str, filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL"), sql.SQL("product_id = %(product_id)s")]
    params: dict[str, Any] = {"product_id": product_id}
    if filters.get("id"):
        where.append(sql.SQL("id = ANY(%(id)s)"))
        params["id"] = filters["id"]
    for key in ("manage_inventory", "allow_backorder"):
        if filters.get(key) is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(key), sql.Placeholder(key)))
            params[key] = filters[key]
    if filters.get("q"):
        where.append(
            sql.SQL(
                "(title ILIKE %(q)s OR sku ILIKE %(q)s OR barcode ILIKE %(q)s OR ean ILIKE %(q)s OR upc ILIKE %(q)s)"
            )
        )
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn,
        "product_variant",
        VARIANT_COLUMNS,
        where,
        params,
        order_by(order, VARIANT_ORDERABLE, default="variant_rank"),
        limit,
        offset,
    )


# --- links: tags, categories, sales channels ------------------------------------------------------
TAGS_OF = """
SELECT l.product_id, t.id, t.value, t.metadata, t.created_at, t.updated_at, t.deleted_at
FROM product_tags l JOIN product_tag t ON t.id = l.product_tag_id AND t.deleted_at IS NULL
WHERE l.product_id = ANY(%s) ORDER BY t.value, t.id
"""
CATEGORIES_OF = """
SELECT l.product_id, c.id, c.name, c.description, c.handle, c.mpath, c.is_active, c.is_internal, c.rank,
       c.parent_category_id, c.metadata, c.created_at, c.updated_at, c.deleted_at
FROM product_category_product l JOIN product_category c ON c.id = l.product_category_id AND c.deleted_at IS NULL
WHERE l.product_id = ANY(%s) ORDER BY c.rank, c.id
"""
CHANNELS_OF = """
SELECT product_id, sales_channel_id FROM product_sales_channel
WHERE product_id = ANY(%s) ORDER BY created_at, sales_channel_id
"""
LINKS: dict[str, tuple[str, str]] = {
    "tags": ("product_tags", "product_tag_id"),
    "categories": ("product_category_product", "product_category_id"),
    "sales_channels": ("product_sales_channel", "sales_channel_id"),
}


async def tags_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, TAGS_OF, (product_ids,))


async def categories_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, CATEGORIES_OF, (product_ids,))


async def channels_of(conn: AsyncConnection[Any], product_ids: list[str]) -> list[tuple[str, str]]:
    cur = await conn.execute(CHANNELS_OF, (product_ids,))
    return [(r[0], r[1]) for r in await cur.fetchall()]


async def set_links(conn: AsyncConnection[Any], link: str, product_id: str, ids: list[str]) -> None:
    """Make the product's links of one kind exactly `ids`."""
    table, _ = LINKS[link]
    await conn.execute(sql.SQL("DELETE FROM {} WHERE product_id = %s").format(sql.Identifier(table)), (product_id,))
    await change_links(conn, link, [(product_id, i) for i in ids], [])


async def change_links(
    conn: AsyncConnection[Any], link: str, add: list[tuple[str, str]], remove: list[tuple[str, str]]
) -> None:
    """Add and remove `(product_id, other_id)` links of one kind."""
    table, column = LINKS[link]
    cur = conn.cursor()
    if add:
        await cur.executemany(
            sql.SQL("INSERT INTO {} (product_id, {}) VALUES (%s, %s) ON CONFLICT DO NOTHING").format(
                sql.Identifier(table), sql.Identifier(column)
            ),
            add,
        )
    if remove:
        await cur.executemany(
            sql.SQL("DELETE FROM {} WHERE product_id = %s AND {} = %s").format(
                sql.Identifier(table), sql.Identifier(column)
            ),
            remove,
        )


# What checkout needs of the variants it sells: live variants of live products, with their stock flags and the
# product's shipping profile.
PURCHASABLE = """
SELECT v.id, v.product_id, v.manage_inventory, v.allow_backorder, p.shipping_profile_id, p.status
FROM product_variant v JOIN product p ON p.id = v.product_id
WHERE v.id = ANY(%s) AND v.deleted_at IS NULL AND p.deleted_at IS NULL
"""


async def purchasable(conn: AsyncConnection[Any], variant_ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, PURCHASABLE, (variant_ids,))
