"""The only code that runs SQL on product_category, product_collection, product_tag and product_type."""

from typing import Any

from psycopg import AsyncConnection, sql

from commerce.db.paging import any_of, fetch_page, like
from commerce.db.rows import jsonb
from commerce.listing import order_by
from commerce.product.repository import db_errors, fetch_one, fetch_rows, update_row

# --- categories -----------------------------------------------------------------------------------
CATEGORY_COLUMNS = (
    "id, name, description, handle, mpath, is_active, is_internal, rank, parent_category_id, metadata, "
    "created_at, updated_at, deleted_at"
)
CATEGORY_UPDATABLE = ("name", "description", "handle", "is_active", "is_internal", "metadata")
CATEGORY_ORDERABLE = frozenset({"created_at", "updated_at", "name", "handle", "rank"})
INSERT_CATEGORY = f"""
INSERT INTO product_category
    (id, name, description, handle, mpath, is_active, is_internal, rank, parent_category_id, metadata)
VALUES (%(id)s, %(name)s, %(description)s, %(handle)s, %(mpath)s, %(is_active)s, %(is_internal)s, %(rank)s,
        %(parent_category_id)s, %(metadata)s)
RETURNING {CATEGORY_COLUMNS}
"""
SELECT_CATEGORY = f"SELECT {CATEGORY_COLUMNS} FROM product_category WHERE id = %s AND deleted_at IS NULL"
LOCK_CATEGORY = SELECT_CATEGORY + " FOR UPDATE"
CATEGORIES_BY_ID = f"SELECT {CATEGORY_COLUMNS} FROM product_category WHERE id = ANY(%s) AND deleted_at IS NULL"
CHILDREN_OF = f"""
SELECT {CATEGORY_COLUMNS} FROM product_category WHERE parent_category_id = ANY(%s) AND deleted_at IS NULL
ORDER BY rank, id
"""
# Every live descendant of the given categories (their mpath prefixes, as `LIKE` patterns).
DESCENDANTS_OF = f"""
SELECT {CATEGORY_COLUMNS} FROM product_category WHERE mpath LIKE ANY(%s) AND deleted_at IS NULL
ORDER BY rank, id
"""
SIBLING_COUNT = """
SELECT count(*) FROM product_category
WHERE parent_category_id IS NOT DISTINCT FROM %s AND deleted_at IS NULL AND id <> %s
"""
# Siblings at or after a rank move one step to make room, or back to close a gap.
SHIFT_SIBLINGS = """
UPDATE product_category SET rank = rank + %(step)s
WHERE parent_category_id IS NOT DISTINCT FROM %(parent)s AND deleted_at IS NULL AND id <> %(id)s
  AND rank >= %(from)s AND rank <= %(to)s
"""
PLACE = "UPDATE product_category SET rank = %s, parent_category_id = %s, updated_at = now() WHERE id = %s"
# Moving a subtree rewrites the mpath of the category and of every descendant.
MOVE_SUBTREE = """
UPDATE product_category SET mpath = %(new)s || substr(mpath, length(%(old)s) + 1)
WHERE mpath = %(old)s OR mpath LIKE %(old_like)s
"""
# Rank changes among one parent's children queue up on a transaction lock per parent (roots share one).
LOCK_SIBLINGS = "SELECT pg_advisory_xact_lock(hashtext('product_category:' || COALESCE(%s, '')))"
LIVE_CHILD = "SELECT 1 FROM product_category WHERE parent_category_id = %s AND deleted_at IS NULL LIMIT 1"
SOFT_DELETE_CATEGORY = """
UPDATE product_category SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""
UNLINK_CATEGORY = "DELETE FROM product_category_product WHERE product_category_id = %s"
LIVE_CATEGORY_IDS = "SELECT id FROM product_category WHERE id = ANY(%s) AND deleted_at IS NULL"


def subtree_pattern(mpath: str) -> str:
    return mpath.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + ".%"


async def insert_category(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_CATEGORY, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_category(
    conn: AsyncConnection[Any], category_id: str, *, for_update: bool = False
) -> dict[str, Any] | None:
    return await fetch_one(conn, LOCK_CATEGORY if for_update else SELECT_CATEGORY, (category_id,))


async def categories_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, CATEGORIES_BY_ID, (ids,))


async def children_of(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, CHILDREN_OF, (ids,))


async def descendants_of(conn: AsyncConnection[Any], mpaths: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, DESCENDANTS_OF, ([subtree_pattern(m) for m in mpaths],))


async def live_category_ids(conn: AsyncConnection[Any], ids: list[str]) -> set[str]:
    cur = await conn.execute(LIVE_CATEGORY_IDS, (ids,))
    return {r[0] for r in await cur.fetchall()}


async def sibling_count(conn: AsyncConnection[Any], parent_id: str | None, exclude_id: str) -> int:
    cur = await conn.execute(SIBLING_COUNT, (parent_id, exclude_id))
    row = await cur.fetchone()
    return int(row[0]) if row else 0


async def shift_siblings(
    conn: AsyncConnection[Any], parent_id: str | None, exclude_id: str, start: int, end: int, step: int
) -> None:
    params = {"parent": parent_id, "id": exclude_id, "from": start, "to": end, "step": step}
    await conn.execute(SHIFT_SIBLINGS, params)


async def lock_siblings(conn: AsyncConnection[Any], parent_ids: list[str | None]) -> None:
    # Always in the same order, so two moves between the same parents cannot deadlock.
    for parent_id in sorted({p or "" for p in parent_ids}):
        await conn.execute(LOCK_SIBLINGS, (parent_id or None,))


async def place(conn: AsyncConnection[Any], category_id: str, parent_id: str | None, rank: int) -> None:
    await conn.execute(PLACE, (rank, parent_id, category_id))


async def move_subtree(conn: AsyncConnection[Any], old: str, new: str) -> None:
    await conn.execute(MOVE_SUBTREE, {"old": old, "new": new, "old_like": subtree_pattern(old)})


async def update_category(conn: AsyncConnection[Any], category_id: str, changes: dict[str, Any]) -> None:
    await update_row(conn, "product_category", "id", CATEGORY_UPDATABLE, category_id, changes)


async def has_live_child(conn: AsyncConnection[Any], category_id: str) -> bool:
    cur = await conn.execute(LIVE_CHILD, (category_id,))
    return await cur.fetchone() is not None


async def soft_delete_category(conn: AsyncConnection[Any], category_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE_CATEGORY, (category_id,))
    if await cur.fetchone() is None:
        return False
    await conn.execute(UNLINK_CATEGORY, (category_id,))
    return True


async def list_categories(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "handle", "description"))
    for key in ("is_active", "is_internal"):
        if filters.get(key) is not None:
            where.append(sql.SQL("{} = {}").format(sql.Identifier(key), sql.Placeholder(key)))
            params[key] = filters[key]
    parents = filters.get("parent_category_id")
    if parents:
        ids = [p for p in parents if p != "null"]
        roots = len(ids) < len(parents)
        where.append(
            sql.SQL("(parent_category_id = ANY(%(parent_ids)s) OR (%(roots)s AND parent_category_id IS NULL))")
        )
        params["parent_ids"] = ids
        params["roots"] = roots
    if filters.get("q"):
        where.append(sql.SQL("(name ILIKE %(q)s OR handle ILIKE %(q)s OR description ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn, "product_category", CATEGORY_COLUMNS, where, params, order_by(order, CATEGORY_ORDERABLE), limit, offset
    )


# --- collections ----------------------------------------------------------------------------------
COLLECTION_COLUMNS = "id, title, handle, metadata, created_at, updated_at, deleted_at"
COLLECTION_UPDATABLE = ("title", "handle", "metadata")
COLLECTION_ORDERABLE = frozenset({"created_at", "updated_at", "title", "handle"})
INSERT_COLLECTION = f"""
INSERT INTO product_collection (id, title, handle, metadata) VALUES (%(id)s, %(title)s, %(handle)s, %(metadata)s)
RETURNING {COLLECTION_COLUMNS}
"""
SELECT_COLLECTION = f"SELECT {COLLECTION_COLUMNS} FROM product_collection WHERE id = %s AND deleted_at IS NULL"
COLLECTIONS_BY_ID = f"SELECT {COLLECTION_COLUMNS} FROM product_collection WHERE id = ANY(%s) AND deleted_at IS NULL"
SOFT_DELETE_COLLECTION = """
UPDATE product_collection SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id
"""
DETACH_COLLECTION = "UPDATE product SET collection_id = NULL, updated_at = now() WHERE collection_id = %s"
SET_COLLECTION = """
UPDATE product SET collection_id = %(collection_id)s, updated_at = now()
WHERE id = ANY(%(ids)s) AND deleted_at IS NULL
"""
UNSET_COLLECTION = """
UPDATE product SET collection_id = NULL, updated_at = now()
WHERE id = ANY(%(ids)s) AND collection_id = %(collection_id)s
"""


async def insert_collection(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    result = await fetch_one(conn, INSERT_COLLECTION, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_collection(conn: AsyncConnection[Any], collection_id: str) -> dict[str, Any] | None:
    return await fetch_one(conn, SELECT_COLLECTION, (collection_id,))


async def collections_by_id(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, COLLECTIONS_BY_ID, (ids,))


PRODUCTS_OF_COLLECTIONS = """
SELECT id, collection_id, title, handle, status, thumbnail, created_at, updated_at
FROM product WHERE collection_id = ANY(%s) AND deleted_at IS NULL ORDER BY created_at, id
"""


async def products_of_collections(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    return await fetch_rows(conn, PRODUCTS_OF_COLLECTIONS, (ids,))


async def update_collection(
    conn: AsyncConnection[Any], collection_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    return await update_row(
        conn, "product_collection", COLLECTION_COLUMNS, COLLECTION_UPDATABLE, collection_id, changes
    )


async def soft_delete_collection(conn: AsyncConnection[Any], collection_id: str) -> bool:
    cur = await conn.execute(SOFT_DELETE_COLLECTION, (collection_id,))
    if await cur.fetchone() is None:
        return False
    await conn.execute(DETACH_COLLECTION, (collection_id,))
    return True


async def collection_products(
    conn: AsyncConnection[Any], collection_id: str, add: list[str], remove: list[str]
) -> None:
    if add:
        await conn.execute(SET_COLLECTION, {"collection_id": collection_id, "ids": add})
    if remove:
        await conn.execute(UNSET_COLLECTION, {"collection_id": collection_id, "ids": remove})


async def list_collections(
    conn: AsyncConnection[Any], filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "title", "handle"))
    if filters.get("q"):
        where.append(sql.SQL("(title ILIKE %(q)s OR handle ILIKE %(q)s)"))
        params["q"] = like(filters["q"])
    return await fetch_page(
        conn,
        "product_collection",
        COLLECTION_COLUMNS,
        where,
        params,
        order_by(order, COLLECTION_ORDERABLE),
        limit,
        offset,
    )


# --- tags and types: the same shape in two tables ---------------------------------------------------
VALUE_TABLES = ("product_tag", "product_type")
VALUE_COLUMNS = "id, value, metadata, created_at, updated_at, deleted_at"
VALUE_ORDERABLE = frozenset({"created_at", "updated_at", "value"})
# What goes when a tag or type is deleted: its links to products.
DETACH_VALUE = {
    "product_tag": "DELETE FROM product_tags WHERE product_tag_id = %s",
    "product_type": "UPDATE product SET type_id = NULL, updated_at = now() WHERE type_id = %s",
}


def _table(table: str) -> sql.Identifier:
    assert table in VALUE_TABLES
    return sql.Identifier(table)


async def insert_value(conn: AsyncConnection[Any], table: str, row: dict[str, Any]) -> dict[str, Any]:
    query = sql.SQL(
        "INSERT INTO {} (id, value, metadata) VALUES (%(id)s, %(value)s, %(metadata)s) RETURNING {}"
    ).format(_table(table), sql.SQL(VALUE_COLUMNS))
    result = await fetch_one(conn, query, {**row, "metadata": jsonb(row.get("metadata"))})
    assert result is not None
    return result


async def get_value(conn: AsyncConnection[Any], table: str, value_id: str) -> dict[str, Any] | None:
    query = sql.SQL("SELECT {} FROM {} WHERE id = %s AND deleted_at IS NULL").format(
        sql.SQL(VALUE_COLUMNS), _table(table)
    )
    return await fetch_one(conn, query, (value_id,))


async def values_by_id(conn: AsyncConnection[Any], table: str, ids: list[str]) -> list[dict[str, Any]]:
    query = sql.SQL("SELECT {} FROM {} WHERE id = ANY(%s) AND deleted_at IS NULL").format(
        sql.SQL(VALUE_COLUMNS), _table(table)
    )
    return await fetch_rows(conn, query, (ids,))


async def update_value(
    conn: AsyncConnection[Any], table: str, value_id: str, changes: dict[str, Any]
) -> dict[str, Any] | None:
    _table(table)
    return await update_row(conn, table, VALUE_COLUMNS, ("value", "metadata"), value_id, changes)


async def soft_delete_value(conn: AsyncConnection[Any], table: str, value_id: str) -> bool:
    query = sql.SQL(
        "UPDATE {} SET deleted_at = now(), updated_at = now() WHERE id = %s AND deleted_at IS NULL RETURNING id"
    ).format(_table(table))
    async with db_errors():
        cur = await conn.execute(query, (value_id,))
    if await cur.fetchone() is None:
        return False
    await conn.execute(DETACH_VALUE[table], (value_id,))
    return True


async def list_values(
    conn: AsyncConnection[Any], table: str, filters: dict[str, Any], order: str | None, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    where: list[sql.Composable] = [sql.SQL("deleted_at IS NULL")]
    params: dict[str, Any] = {}
    any_of(where, params, filters, ("id", "value"))
    if filters.get("q"):
        where.append(sql.SQL("value ILIKE %(q)s"))
        params["q"] = like(filters["q"])
    _table(table)
    return await fetch_page(conn, table, VALUE_COLUMNS, where, params, order_by(order, VALUE_ORDERABLE), limit, offset)
