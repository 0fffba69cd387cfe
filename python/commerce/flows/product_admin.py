"""What the admin's product pages show that other modules own: a product's shipping profile (fulfillment) and its
variants' inventory items, levels and sellable quantity (inventory)."""

from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import fulfillment, inventory
from commerce.fulfillment.schemas import ShippingProfile
from commerce.http.fields import Plan, Shape
from commerce.inventory.schemas import LINK_SHAPE
from commerce.product.schemas import PRODUCT_SHAPE, VARIANT_SHAPE

PROFILE_SHAPE = Shape(tuple(f.name for f in msgspec.structs.fields(ShippingProfile)))
PRODUCT_VIEW = Shape(PRODUCT_SHAPE.ordered, {**PRODUCT_SHAPE.relations, "shipping_profile": PROFILE_SHAPE})
VARIANT_VIEW = Shape(
    (*VARIANT_SHAPE.ordered, "inventory_quantity"), {**VARIANT_SHAPE.relations, "inventory_items": LINK_SHAPE}
)


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
    if "inventory_items" not in plan and "inventory_quantity" not in plan:
        return
    links = plan.get("inventory_items")
    with_items = "inventory_quantity" in plan or (links is not None and "inventory" in links)
    found = await inventory.service.variant_inventory_items(conn, [v["id"] for v in variants], with_items)
    for v in variants:
        v["inventory_items"] = found[v["id"]]
        if "inventory_quantity" in plan and v["manage_inventory"]:
            v["inventory_quantity"] = _sellable(v["inventory_items"])


def _sellable(links: list[dict[str, Any]]) -> int:
    quantities = []
    for link in links:
        item = link.get("inventory") or {}
        available = sum(level["available_quantity"] for level in item.get("location_levels", []))
        quantities.append(max(available, 0) // max(link["required_quantity"], 1))
    return min(quantities) if quantities else 0
