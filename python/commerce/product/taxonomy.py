"""How products are organised: the category tree (ranked siblings), collections, tags and types."""

from typing import Any

from psycopg import AsyncConnection

from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.ids import new_id
from commerce.product import repository as repo
from commerce.product import taxonomy_repository as trepo
from commerce.product.schemas import (
    UNSET,
    CategoryListQuery,
    CollectionListQuery,
    CreateCategory,
    CreateCollection,
    CreateValue,
    LinkProducts,
    UpdateCategory,
    UpdateCollection,
    UpdateValue,
    ValueListQuery,
)
from commerce.product.service import to_handle

# Larger than any sibling count: "every sibling from here on".
END = 2**31 - 1


# --- categories -----------------------------------------------------------------------------------
def _category_not_found(category_id: str) -> NotFound:
    return NotFound(f"Product category with id: {category_id} was not found")


async def create_category(conn: AsyncConnection[Any], data: CreateCategory) -> str:
    async with conn.transaction():
        parent_id = data.parent_category_id
        parent = None
        if parent_id:
            parent = await trepo.get_category(conn, parent_id, for_update=True)
            if parent is None:
                raise _category_not_found(parent_id)
        await trepo.lock_siblings(conn, [parent_id])
        category_id = new_id("pcat")
        count = await trepo.sibling_count(conn, parent_id, category_id)
        rank = count if data.rank is None else min(data.rank, count)
        await trepo.shift_siblings(conn, parent_id, category_id, rank, END, 1)
        await trepo.insert_category(
            conn,
            {
                "id": category_id,
                "name": data.name,
                "description": data.description,
                "handle": data.handle or to_handle(data.name),
                "mpath": f"{parent['mpath']}.{category_id}" if parent else category_id,
                "is_active": data.is_active,
                "is_internal": data.is_internal,
                "rank": rank,
                "parent_category_id": parent_id or None,
                "metadata": data.metadata,
            },
        )
        return category_id


async def update_category(conn: AsyncConnection[Any], category_id: str, data: UpdateCategory) -> None:
    async with conn.transaction():
        current = await trepo.get_category(conn, category_id, for_update=True)
        if current is None:
            raise _category_not_found(category_id)
        changes = {k: getattr(data, k) for k in trepo.CATEGORY_UPDATABLE if getattr(data, k) is not UNSET}
        await trepo.update_category(conn, category_id, changes)
        old_parent = current["parent_category_id"]
        new_parent = old_parent if data.parent_category_id is UNSET else (data.parent_category_id or None)
        if new_parent != old_parent:
            await _move(conn, current, new_parent, None if data.rank is UNSET else data.rank)
        elif data.rank is not UNSET and data.rank != current["rank"]:
            await _rerank(conn, current, data.rank)


async def _move(conn: AsyncConnection[Any], current: dict[str, Any], parent_id: str | None, rank: int | None) -> None:
    """Put a category (and its subtree) under another parent, at `rank` or last."""
    mpath = current["mpath"]
    new_mpath = current["id"]
    if parent_id:
        parent = await trepo.get_category(conn, parent_id, for_update=True)
        if parent is None:
            raise _category_not_found(parent_id)
        if parent["mpath"] == mpath or parent["mpath"].startswith(mpath + "."):
            raise InvalidData("A category cannot become a child of itself or of one of its descendants")
        new_mpath = f"{parent['mpath']}.{current['id']}"
    await trepo.lock_siblings(conn, [current["parent_category_id"], parent_id])
    # Close the gap among the old siblings, then make room among the new ones.
    await trepo.shift_siblings(conn, current["parent_category_id"], current["id"], current["rank"] + 1, END, -1)
    count = await trepo.sibling_count(conn, parent_id, current["id"])
    place = count if rank is None else min(rank, count)
    await trepo.shift_siblings(conn, parent_id, current["id"], place, END, 1)
    await trepo.place(conn, current["id"], parent_id, place)
    await trepo.move_subtree(conn, mpath, new_mpath)


async def _rerank(conn: AsyncConnection[Any], current: dict[str, Any], rank: int) -> None:
    parent_id = current["parent_category_id"]
    await trepo.lock_siblings(conn, [parent_id])
    count = await trepo.sibling_count(conn, parent_id, current["id"])
    new, old = min(rank, count), current["rank"]
    if new > old:
        await trepo.shift_siblings(conn, parent_id, current["id"], old + 1, new, -1)
    elif new < old:
        await trepo.shift_siblings(conn, parent_id, current["id"], new, old - 1, 1)
    await trepo.place(conn, current["id"], parent_id, new)


async def delete_category(conn: AsyncConnection[Any], category_id: str) -> None:
    async with conn.transaction():
        current = await trepo.get_category(conn, category_id, for_update=True)
        if current is None:
            raise _category_not_found(category_id)
        if await trepo.has_live_child(conn, category_id):
            raise NotAllowed(f"Deleting ProductCategory ({category_id}) with category children is not allowed")
        await trepo.lock_siblings(conn, [current["parent_category_id"]])
        await trepo.soft_delete_category(conn, category_id)
        await trepo.shift_siblings(conn, current["parent_category_id"], category_id, current["rank"] + 1, END, -1)


async def category_products(conn: AsyncConnection[Any], category_id: str, data: LinkProducts) -> None:
    async with conn.transaction():
        if await trepo.get_category(conn, category_id) is None:
            raise _category_not_found(category_id)
        await _check_products(conn, data.add)
        await repo.change_links(
            conn,
            "categories",
            [(p, category_id) for p in dict.fromkeys(data.add)],
            [(p, category_id) for p in dict.fromkeys(data.remove)],
        )


async def retrieve_category(
    conn: AsyncConnection[Any], category_id: str, ancestors: bool = False, descendants: bool = False
) -> dict[str, Any]:
    row = await trepo.get_category(conn, category_id)
    if row is None:
        raise _category_not_found(category_id)
    return (await _with_family(conn, [row], ancestors, descendants))[0]


async def list_categories(conn: AsyncConnection[Any], query: CategoryListQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {
        "q": query.q,
        "id": query.id,
        "handle": query.handle,
        "description": query.description,
        "parent_category_id": query.parent_category_id,
        "is_active": query.is_active,
        "is_internal": query.is_internal,
    }
    rows, count = await trepo.list_categories(conn, filters, query.order, query.limit, query.offset)
    rows = await _with_family(conn, rows, query.include_ancestors_tree, query.include_descendants_tree)
    return rows, count


async def _with_family(
    conn: AsyncConnection[Any], rows: list[dict[str, Any]], ancestors: bool, descendants: bool
) -> list[dict[str, Any]]:
    """Each category with `parent_category` and `category_children`: one level, or the whole chain / subtree."""
    if not rows:
        return rows
    if ancestors:
        ids = sorted({a for r in rows for a in r["mpath"].split(".")[:-1]})
    else:
        ids = sorted({r["parent_category_id"] for r in rows if r["parent_category_id"]})
    parents = {p["id"]: p for p in await trepo.categories_by_id(conn, ids)} if ids else {}
    if descendants:
        below = await trepo.descendants_of(conn, [r["mpath"] for r in rows])
    else:
        below = await trepo.children_of(conn, [r["id"] for r in rows])
    children: dict[str, list[dict[str, Any]]] = {}
    for child in below:
        children.setdefault(child["parent_category_id"], []).append(child)

    def chain(category_id: str | None) -> dict[str, Any] | None:
        parent = parents.get(category_id or "")
        if parent is None:
            return None
        return {**parent, "parent_category": chain(parent["parent_category_id"]) if ancestors else None}

    def subtree(category_id: str) -> list[dict[str, Any]]:
        return [
            {**c, "category_children": subtree(c["id"]) if descendants else []} for c in children.get(category_id, [])
        ]

    for row in rows:
        row["parent_category"] = chain(row["parent_category_id"])
        row["category_children"] = subtree(row["id"])
    return rows


# --- collections ----------------------------------------------------------------------------------
def _collection_not_found(collection_id: str) -> NotFound:
    return NotFound(f"Product collection with id: {collection_id} was not found")


async def create_collection(conn: AsyncConnection[Any], data: CreateCollection) -> dict[str, Any]:
    row = {"id": new_id("pcol"), "title": data.title, "handle": data.handle or to_handle(data.title)}
    return await trepo.insert_collection(conn, {**row, "metadata": data.metadata})


async def retrieve_collection(conn: AsyncConnection[Any], collection_id: str) -> dict[str, Any]:
    row = await trepo.get_collection(conn, collection_id)
    if row is None:
        raise _collection_not_found(collection_id)
    return row


async def update_collection(conn: AsyncConnection[Any], collection_id: str, data: UpdateCollection) -> dict[str, Any]:
    changes = {k: getattr(data, k) for k in trepo.COLLECTION_UPDATABLE if getattr(data, k) is not UNSET}
    row = await trepo.update_collection(conn, collection_id, changes)
    if row is None:
        raise _collection_not_found(collection_id)
    return row


async def delete_collection(conn: AsyncConnection[Any], collection_id: str) -> None:
    async with conn.transaction():
        if not await trepo.soft_delete_collection(conn, collection_id):
            raise _collection_not_found(collection_id)


async def collection_products(conn: AsyncConnection[Any], collection_id: str, data: LinkProducts) -> dict[str, Any]:
    async with conn.transaction():
        row = await trepo.get_collection(conn, collection_id)
        if row is None:
            raise _collection_not_found(collection_id)
        await _check_products(conn, data.add)
        await trepo.collection_products(conn, collection_id, list(dict.fromkeys(data.add)), data.remove)
        return row


async def list_collections(conn: AsyncConnection[Any], query: CollectionListQuery) -> tuple[list[dict[str, Any]], int]:
    filters = {"q": query.q, "id": query.id, "title": query.title, "handle": query.handle}
    return await trepo.list_collections(conn, filters, query.order, query.limit, query.offset)


async def attach_products(conn: AsyncConnection[Any], collections: list[dict[str, Any]]) -> None:
    """Each collection's live `products` (Medusa's collection.products relation, as `fields=+products.id` asks)."""
    by_collection: dict[str, list[dict[str, Any]]] = {c["id"]: [] for c in collections}
    for row in await trepo.products_of_collections(conn, list(by_collection)) if collections else []:
        by_collection[row.pop("collection_id")].append(row)
    for collection in collections:
        collection["products"] = by_collection[collection["id"]]


async def _check_products(conn: AsyncConnection[Any], ids: list[str]) -> None:
    live = await repo.live_ids(conn, ids) if ids else set()
    missing = [i for i in dict.fromkeys(ids) if i not in live]
    if missing:
        raise NotFound(f"Products with ids: {', '.join(missing)} were not found")


# --- tags and types -------------------------------------------------------------------------------
LABELS = {"product_tag": ("ptag", "Product tag"), "product_type": ("ptyp", "Product type")}


async def create_value(conn: AsyncConnection[Any], table: str, data: CreateValue) -> dict[str, Any]:
    prefix, _ = LABELS[table]
    return await trepo.insert_value(conn, table, {"id": new_id(prefix), "value": data.value, "metadata": data.metadata})


async def retrieve_value(conn: AsyncConnection[Any], table: str, value_id: str) -> dict[str, Any]:
    row = await trepo.get_value(conn, table, value_id)
    if row is None:
        raise NotFound(f"{LABELS[table][1]} with id: {value_id} was not found")
    return row


async def update_value(conn: AsyncConnection[Any], table: str, value_id: str, data: UpdateValue) -> dict[str, Any]:
    changes = {k: getattr(data, k) for k in ("value", "metadata") if getattr(data, k) is not UNSET}
    row = await trepo.update_value(conn, table, value_id, changes)
    if row is None:
        raise NotFound(f"{LABELS[table][1]} with id: {value_id} was not found")
    return row


async def delete_value(conn: AsyncConnection[Any], table: str, value_id: str) -> None:
    async with conn.transaction():
        if not await trepo.soft_delete_value(conn, table, value_id):
            raise NotFound(f"{LABELS[table][1]} with id: {value_id} was not found")


async def list_values(
    conn: AsyncConnection[Any], table: str, query: ValueListQuery
) -> tuple[list[dict[str, Any]], int]:
    filters = {"q": query.q, "id": query.id, "value": query.value}
    return await trepo.list_values(conn, table, filters, query.order, query.limit, query.offset)
