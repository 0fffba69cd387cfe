"""Products meet inventory: a new variant that manages inventory gets its inventory item (Medusa's create-products
workflow), and the admin routes that link variants to inventory items
(/admin/products/:id/variants/:variant_id/inventory-items)."""

from collections.abc import Callable
from typing import Any

from psycopg import AsyncConnection

from commerce import inventory, product
from commerce.http import Request, Response, Route, fields, json_response
from commerce.http.fields import Plan, Shape
from commerce.ids import new_id
from commerce.inventory.schemas import (
    LINK_SHAPE,
    CreateInventoryItem,
    CreateVariantInventoryItem,
    RetrieveQuery,
    UpdateVariantInventoryItem,
    VariantLinkDeleted,
    VariantResponse,
)
from commerce.product.schemas import VARIANT_DEFAULTS, VARIANT_SHAPE

VARIANTS = frozenset({"variants"})


# --- a variant's own inventory item -----------------------------------------------------------------
async def variant_states(conn: AsyncConnection[Any], product_ids: list[str]) -> dict[str, bool]:
    """`{variant_id: manage_inventory}` of the products' live variants. Taken before a product change, it tells
    `add_inventory_items` which variants the change created (or switched to managed inventory)."""
    if not product_ids:
        return {}
    products = await product.service.retrieve_many(conn, product_ids, VARIANTS)
    return {v["id"]: v["manage_inventory"] for p in products for v in p["variants"]}


async def add_inventory_items(conn: AsyncConnection[Any], product_ids: list[str], before: dict[str, bool]) -> None:
    """Each variant of these products that manages inventory, did not before (`variant_states`) and has no
    inventory item gets one: its SKU, title and measures, linked with required_quantity 1. A live item that already
    has the SKU is linked instead of a second one (a SKU names one good: a product re-created after a delete finds
    its stock again). Run it in the transaction that changed the products."""
    variants = await _new_managed_variants(conn, product_ids, before)
    if not variants:
        return
    await inventory.service.link_variants(conn, await _give_items(conn, variants))


def new_variant_items(
    variants: list[dict[str, Any]], existing: dict[str, str], ids: Callable[[str], str] = new_id
) -> tuple[list[dict[str, Any]], list[tuple[str, str, str, int]]]:
    """`add_inventory_items` for variants this transaction has just created, given with their columns (a bulk
    import, ids from `ids`): the items to make and the links to write (`write_new_variant_items`), built without
    reading anything. `existing`: `{sku: item id}` of the live items (inventory.service.items_by_sku)."""
    items, links = _items_for([v for v in variants if v["manage_inventory"]], existing, ids)
    return items, inventory.service.new_link_rows(links, ids)


async def write_new_variant_items(
    conn: AsyncConnection[Any], items: list[dict[str, Any]], links: list[tuple[str, str, str, int]]
) -> None:
    await inventory.service.copy_items(conn, items)
    await inventory.service.copy_links(conn, links)


async def _give_items(conn: AsyncConnection[Any], variants: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """An item for each variant whose SKU names no live item; the (variant id, item id, 1) links to write."""
    existing = await inventory.service.items_by_sku(conn, [v["sku"] for v in variants if v["sku"]])
    items, links = _items_for(variants, existing)
    await inventory.service.copy_items(conn, items)
    return links


def _items_for(
    variants: list[dict[str, Any]], existing: dict[str, str], ids: Callable[[str], str] = new_id
) -> tuple[list[dict[str, Any]], list[tuple[str, str, int]]]:
    """The items to make, one per variant whose SKU names no live item (`existing`: `{sku: item id}`), and the
    (variant id, item id, 1) links of every variant."""
    new = [v for v in variants if not (v["sku"] and v["sku"] in existing)]
    items = inventory.service.item_rows([_item_for(v) for v in new], ids)
    made = dict(zip((v["id"] for v in new), (i["id"] for i in items), strict=True))
    return items, [(v["id"], made.get(v["id"]) or existing[v["sku"]], 1) for v in variants]


async def _new_managed_variants(
    conn: AsyncConnection[Any], product_ids: list[str], before: dict[str, bool]
) -> list[dict[str, Any]]:
    products = await product.service.retrieve_many(conn, list(dict.fromkeys(product_ids)), VARIANTS)
    candidates = [
        v for p in products for v in p["variants"] if v["manage_inventory"] and not before.get(v["id"], False)
    ]
    linked = await inventory.service.linked_variant_ids(conn, [v["id"] for v in candidates])
    return [v for v in candidates if v["id"] not in linked]


def _item_for(variant: dict[str, Any]) -> CreateInventoryItem:
    """The inventory item Medusa's create-products workflow makes for a variant."""
    return CreateInventoryItem(
        sku=variant["sku"],
        title=variant["title"],
        description=variant["title"],
        hs_code=variant["hs_code"],
        origin_country=variant["origin_country"],
        mid_code=variant["mid_code"],
        material=variant["material"],
        weight=variant["weight"],
        length=variant["length"],
        height=variant["height"],
        width=variant["width"],
    )


# --- admin: a variant's inventory items -------------------------------------------------------------
# The admin variant with its `inventory_items` links (each with its `inventory` item on request).
VARIANT_WITH_ITEMS = Shape(VARIANT_SHAPE.ordered, {**VARIANT_SHAPE.relations, "inventory_items": LINK_SHAPE})
VARIANT_WITH_ITEMS_DEFAULTS = (*VARIANT_DEFAULTS, "*inventory_items")


def _plan(req: Request) -> Plan:
    return fields.plan(VARIANT_WITH_ITEMS, VARIANT_WITH_ITEMS_DEFAULTS, req.query(RetrieveQuery).fields)


async def _variant(conn: AsyncConnection[Any], product_id: str, variant_id: str, plan: Plan) -> dict[str, Any]:
    variant = await product.service.retrieve_variant(conn, product_id, variant_id, "options" in plan)
    links = plan.get("inventory_items", {})
    if "inventory_items" in plan:
        with_items = links is not None and "inventory" in links
        found = await inventory.service.variant_inventory_items(conn, [variant_id], with_items)
        variant["inventory_items"] = found[variant_id]
    return fields.apply(plan, variant)


async def link_inventory_item(req: Request) -> Response:
    data = await req.json(CreateVariantInventoryItem)
    plan = _plan(req)
    product_id, variant_id = req.params["id"], req.params["variant_id"]
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            await product.service.retrieve_variant(conn, product_id, variant_id, False)
            await inventory.service.link_variants(conn, [(variant_id, data.inventory_item_id, data.required_quantity)])
        return json_response({"variant": await _variant(conn, product_id, variant_id, plan)})


async def update_inventory_link(req: Request) -> Response:
    data = await req.json(UpdateVariantInventoryItem)
    plan = _plan(req)
    product_id, variant_id = req.params["id"], req.params["variant_id"]
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            await product.service.retrieve_variant(conn, product_id, variant_id, False)
            await inventory.service.update_variant_link(
                conn, variant_id, req.params["inventory_item_id"], data.required_quantity
            )
        return json_response({"variant": await _variant(conn, product_id, variant_id, plan)})


async def unlink_inventory_item(req: Request) -> Response:
    plan = _plan(req)
    product_id, variant_id, item_id = req.params["id"], req.params["variant_id"], req.params["inventory_item_id"]
    async with req.state.pool.connection() as conn:
        async with conn.transaction():
            await product.service.retrieve_variant(conn, product_id, variant_id, False)
            await inventory.service.unlink_variant(conn, variant_id, item_id)
        parent = await _variant(conn, product_id, variant_id, plan)
    # Medusa answers with the dismissed link definition as `id`.
    link = {"product": {"variant_id": variant_id}, "inventory": {"inventory_item_id": item_id}}
    return json_response({"id": link, "object": "variant-inventory-item-link", "deleted": True, "parent": parent})


T = "Admin Products"
LINKS = "/admin/products/:id/variants/:variant_id/inventory-items"
ROUTES = [
    Route(
        "POST",
        LINKS,
        link_inventory_item,
        "admin",
        "Link an inventory item to a variant (required_quantity of it per unit sold)",
        body=CreateVariantInventoryItem,
        query=RetrieveQuery,
        response=VariantResponse,
        tag=T,
    ),
    Route(
        "POST",
        f"{LINKS}/:inventory_item_id",
        update_inventory_link,
        "admin",
        "Change how many of an inventory item one unit of the variant needs",
        body=UpdateVariantInventoryItem,
        query=RetrieveQuery,
        response=VariantResponse,
        tag=T,
    ),
    Route(
        "DELETE",
        f"{LINKS}/:inventory_item_id",
        unlink_inventory_item,
        "admin",
        "Unlink an inventory item from a variant",
        query=RetrieveQuery,
        response=VariantLinkDeleted,
        tag=T,
    ),
]
