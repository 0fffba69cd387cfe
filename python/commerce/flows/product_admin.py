"""What the admin's product pages show that other modules own: a product's shipping profile (fulfillment) and its
variants' inventory items, levels and sellable quantity (inventory)."""

from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import fulfillment, inventory
from commerce.fulfillment.schemas import ShippingProfile
from commerce.http.fields import Plan, Shape
from commerce.inventory.schemas import ITEM_SHAPE, LINK_SHAPE
from commerce.product import service as product_service
from commerce.product.schemas import (
    OPTION_SHAPE,
    OPTION_VALUE_SHAPE,
    PRICE_SHAPE,
    PRODUCT_SCALARS,
    PRODUCT_SHAPE,
    VARIANT_SHAPE,
)

PROFILE_SHAPE = Shape(tuple(f.name for f in msgspec.structs.fields(ShippingProfile)))
PRODUCT_VIEW = Shape(PRODUCT_SHAPE.ordered, {**PRODUCT_SHAPE.relations, "shipping_profile": PROFILE_SHAPE})
# A variant's page: its option values with their option, prices with `price_rules` (Medusa's rows of a price's
# rules), `images` (a variant has none of its own here: products carry the images), inventory.
VARIANT_VIEW = Shape(
    (*VARIANT_SHAPE.ordered, "inventory_quantity"),
    {
        **VARIANT_SHAPE.relations,
        "options": Shape(OPTION_VALUE_SHAPE.ordered, {"option": Shape(OPTION_SHAPE.ordered)}),
        "prices": Shape(
            PRICE_SHAPE.ordered, {"price_rules": Shape(("id", "attribute", "operator", "value", "price_id"))}
        ),
        "images": Shape(("id", "url", "rank"), {"variants": Shape(("id",))}),
        "inventory_items": LINK_SHAPE,
        "inventory": ITEM_SHAPE,  # Medusa's variant.inventory: the linked items themselves
    },
)


async def attach_variant_details(
    conn: AsyncConnection[Any], product_id: str, variants: list[dict[str, Any]], plan: Plan
) -> None:
    """What VARIANT_VIEW adds to the product module's variants, for what the plan shows."""
    options = plan.get("options") or {}
    if "option" in options:
        found = await product_service.retrieve(conn, product_id, frozenset({"options"}))
        by_id = {o["id"]: {k: v for k, v in o.items() if k != "values"} for o in found["options"]}
        for v in variants:
            for value in v.get("options") or []:
                value["option"] = by_id.get(value["option_id"])
    for v in variants:
        for price in v.get("prices") or []:
            rules = price.get("rules") or {}
            price["price_rules"] = [
                {"id": f"{price['id']}-{k}", "attribute": k, "operator": "eq", "value": val, "price_id": price["id"]}
                for k, val in rules.items()
            ]
        v["images"] = []
    await attach_inventory(conn, variants, plan)


async def attach_profiles(conn: AsyncConnection[Any], products: list[dict[str, Any]], plan: Plan) -> None:
    """`shipping_profile` of each product, when the plan shows it (None without one)."""
    if "shipping_profile" not in plan:
        return
    found: dict[str, dict[str, Any] | None] = {}
    for profile_id in {p["shipping_profile_id"] for p in products if p.get("shipping_profile_id")}:
        found[profile_id] = await fulfillment.service.profile_view(conn, profile_id)
    for p in products:
        p["shipping_profile"] = found.get(p.get("shipping_profile_id") or "")


async def attach_inventory(conn: AsyncConnection[Any], variants: list[dict[str, Any]], plan: Plan) -> None:
    """`inventory_items` (the links, each with its `inventory` item and levels when asked) and `inventory_quantity`
    (what a managed variant can sell across every location: per item the sum of available stock over its required
    quantity, the least of them) when the plan shows them."""
    if "inventory_items" not in plan and "inventory_quantity" not in plan and "inventory" not in plan:
        return
    links = plan.get("inventory_items")
    with_items = "inventory_quantity" in plan or "inventory" in plan or (links is not None and "inventory" in links)
    found = await inventory.service.variant_inventory_items(conn, [v["id"] for v in variants], with_items)
    for v in variants:
        v["inventory_items"] = found[v["id"]]
        if "inventory" in plan:
            v["inventory"] = [link["inventory"] for link in found[v["id"]] if link.get("inventory")]
        if "inventory_quantity" in plan and v["manage_inventory"]:
            v["inventory_quantity"] = _sellable(v["inventory_items"])


def _sellable(links: list[dict[str, Any]]) -> int:
    quantities = []
    for link in links:
        item = link.get("inventory") or {}
        available = sum(level["available_quantity"] for level in item.get("location_levels", []))
        quantities.append(max(available, 0) // max(link["required_quantity"], 1))
    return min(quantities) if quantities else 0


# An inventory item's page lists the variants that use it, with their product and option values.
ITEM_VIEW = Shape(
    ITEM_SHAPE.ordered,
    {
        **ITEM_SHAPE.relations,
        "variants": Shape(VARIANT_SHAPE.ordered, {"product": Shape(PRODUCT_SCALARS), "options": OPTION_VALUE_SHAPE}),
    },
)


async def attach_item_variants(conn: AsyncConnection[Any], items: list[dict[str, Any]], plan: Plan) -> None:
    if "variants" not in plan:
        return
    linked = await inventory.service.item_variant_ids(conn, [i["id"] for i in items])
    owners = await product_service.purchasable(conn, [v for ids in linked.values() for v in ids])
    variants: dict[str, dict[str, Any]] = {}
    products: dict[str, dict[str, Any]] = {}
    for variant_id, state in owners.items():
        variant = await product_service.retrieve_variant(conn, state["product_id"], variant_id, True)
        if state["product_id"] not in products:
            products[state["product_id"]] = await product_service.retrieve(conn, state["product_id"], frozenset())
        variants[variant_id] = {**variant, "product": products[state["product_id"]]}
    for item in items:
        item["variants"] = [variants[v] for v in linked[item["id"]] if v in variants]
