"""Checkout, Medusa's complete-cart: one transaction on one connection, holding the cart's row lock, that validates
the cart, creates the order from it, reserves the order's stock, counts its promotions against their budgets,
authorizes the payment (the one step that talks to the outside, so it comes last) and marks the cart completed. Any
failure rolls every step back; completing a completed cart answers its order (the cart → order link is unique)."""

from contextlib import nullcontext
from decimal import Decimal
from typing import Any

from psycopg import AsyncConnection

from commerce import engine, fulfillment, inventory, order, payment, product, promotion, stock_location
from commerce.cart import service as carts
from commerce.errors import InvalidData, NotAllowed, from_engine
from commerce.flows import cart as cart_flow
from commerce.flows import flash
from commerce.inventory import holds, limits

RESERVE_ATTEMPTS = 3
SHIPPING_UNMET = "The cart items require shipping profiles that are not satisfied by the current shipping methods"


async def complete(conn: AsyncConnection[Any], reads: cart_flow.Reads, cart_id: str) -> str:
    """The id of the cart's order, placing it now unless it was placed before."""
    # A sold-out variant is refused from memory (flows.flash), before the transaction and its locks.
    found = await carts.read(conn, cart_id)
    lines = found["items"] if found is not None else []
    try:
        await flash.refuse_sold_out(str(i["variant_id"]) for i in lines if i.get("variant_id"))
    except NotAllowed:
        # A placed cart answers its order; a flash-sale product's line answers for its hold (taken, or expired).
        placed = await order.service.by_cart(conn, cart_id)
        if placed is None and not any(str(i["product_id"]) in reads.holds for i in lines):
            raise
    async with conn.transaction():
        cart = await cart_flow.retrieve(conn, reads, cart_id, lock=True)  # NotFound without one
        # The order and the cart's completion are written in one transaction: an open cart has no order.
        placed = await order.service.by_cart(conn, cart_id) if cart["completed_at"] is not None else None
        if placed is not None:
            return placed
        variants = await validate(conn, reads, cart)
        collection = payment_collection(cart)
        order_id = await order.service.create(conn, cart, collection["id"], _promotion_ids(cart))
        policies = {p: reads.holds[p] for p in {str(i["product_id"]) for i in cart["items"]} if p in reads.holds}
        await _count_limited(conn, cart, policies)
        await reserve(conn, cart, order_id, variants, policies)
        await promotion.service.register_usage(conn, _adjustments(cart), cart["currency_code"])
        await payment.service.authorize_collection(
            conn, collection["id"], cart["total"], {"cart_id": cart_id, "order_id": order_id, "email": cart["email"]}
        )
        await carts.complete(conn, cart_id)
    return order_id


async def validate(conn: AsyncConnection[Any], reads: cart_flow.Reads, cart: dict[str, Any]) -> dict[str, Any]:
    """Refuse a cart that cannot become an order (Medusa's messages where it has them); returns what the product
    module knows of each line's variant."""
    items = cart["items"]
    if not items:
        raise InvalidData("Cannot complete a cart with no items")
    if not cart.get("email"):
        raise InvalidData("The cart needs an email to be completed")
    variant_ids = sorted({str(i["variant_id"]) for i in items if i.get("variant_id")})
    variants = await product.service.purchasable(conn, variant_ids)
    await reads.catalog.load(conn, variant_ids)
    for item in items:
        vid = str(item.get("variant_id") or "")
        found = variants.get(vid)
        listed = reads.catalog.variants.get(vid)
        in_channel = listed is not None and (
            not cart["sales_channel_id"] or cart["sales_channel_id"] in listed[0].channel_ids
        )
        if found is None or found["status"] != "published" or not in_channel:
            raise InvalidData(f"Variant {vid} of line item {item['id']} ({item['title']}) is no longer available")
    await _check_shipping(conn, cart, variants)
    return variants


async def _check_shipping(conn: AsyncConnection[Any], cart: dict[str, Any], variants: dict[str, Any]) -> None:
    shipped = [i for i in cart["items"] if i.get("requires_shipping", True)]
    if not shipped:
        return
    if not cart.get("shipping_address"):
        raise InvalidData("The cart needs a shipping address to be completed")
    methods = cart.get("shipping_methods") or []
    if not methods:
        raise InvalidData(SHIPPING_UNMET)
    served = set((await fulfillment.service.option_profiles(conn, [m["shipping_option_id"] for m in methods])).values())
    for item in shipped:
        profile = variants[str(item["variant_id"])]["shipping_profile_id"]
        if profile is not None and profile not in served:
            raise InvalidData(SHIPPING_UNMET)


def payment_collection(cart: dict[str, Any]) -> dict[str, Any]:
    """The cart's payment collection (in the cart view), with a session to authorize. Its amount need not match the
    cart's total: authorizing brings it to the total."""
    collection = cart.get("payment_collection")
    if collection is None:
        raise InvalidData("Payment collection has not been initiated for cart")
    live = [s for s in collection.get("payment_sessions") or [] if s["status"] in ("pending", "requires_more")]
    if not live:
        raise InvalidData("Payment sessions are required to complete cart")
    return dict(collection)


async def reserve(
    conn: AsyncConnection[Any],
    cart: dict[str, Any],
    order_id: str,
    variants: dict[str, Any],
    policies: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Reserve the order's stock at the locations serving its sales channel: the engine plans where each unit comes
    from, and each reservation is one conditional UPDATE of its level, so concurrent orders never oversell. Lines of
    a flash-sale product take over the holds made at add-to-cart instead (flows.flash)."""
    managed = {vid: v for vid, v in variants.items() if v["manage_inventory"]}
    if not managed:
        return
    ordered = await order.service.items(conn, order_id)
    lines = await _take_holds(conn, cart, ordered, order_id, policies or {})
    rows = [
        {"id": i["id"], "variant_id": i["variant_id"], "quantity": i["quantity"]}
        for i in lines
        if i.get("variant_id") in managed
    ]
    extra = {"description": f"Order {order_id}", "external_id": order_id, "created_by": "checkout"}
    await reserve_lines(conn, cart["sales_channel_id"], rows, managed, extra)


async def _take_holds(
    conn: AsyncConnection[Any],
    cart: dict[str, Any],
    ordered: list[dict[str, Any]],
    order_id: str,
    policies: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """The order lines still to reserve: a line of a product that holds at add-to-cart takes over its cart line's
    live holds (order lines are in cart order), and fails when they expired (the units went back on sale)."""
    held_products = {p for p, policy in policies.items() if policy["hold_seconds"] is not None}
    if not held_products:
        return ordered
    rest = []
    for item, line in zip(cart["items"], ordered, strict=False):
        if str(item["product_id"]) not in held_products:
            rest.append(line)
            continue
        taken = await holds.convert(conn, str(item["id"]), str(line["id"]), order_id)
        if taken < line["quantity"]:
            raise NotAllowed(
                f"The hold on {item['title']} in this cart expired and its units went back on sale: remove it and "
                "add it to the cart again",
                code="hold_expired",
            )
    return rest


async def reserve_lines(
    conn: AsyncConnection[Any],
    channel: str | None,
    lines: list[dict[str, Any]],
    managed: dict[str, Any],
    extra: dict[str, Any],
) -> None:
    """Reserve these lines (`id`, `variant_id`, `quantity`) of managed variants at the channel's locations, each
    reservation row carrying `extra` (description, external_id, created_by, expires_at)."""
    if not lines:
        return
    locations = await stock_location.service.locations_for_channel(conn, channel) if channel else []
    links = await inventory.service.variant_links(conn, sorted(managed))
    spec = [
        {
            "id": vid,
            "manage_inventory": True,
            "allow_backorder": v["allow_backorder"],
            "inventory_items": links.get(vid, []),
        }
        for vid, v in managed.items()
    ]
    item_ids = sorted({link["inventory_item_id"] for found in links.values() for link in found})
    for attempt in range(1, RESERVE_ATTEMPTS + 1):
        levels = await inventory.service.levels(conn, item_ids, locations) if item_ids else []
        rows = _plan(lines, spec, levels, locations, extra)
        if not rows:
            return
        try:
            # Several levels: a savepoint, so a lost race undoes the rows already taken before planning again.
            async with conn.transaction() if len(rows) > 1 else nullcontext():
                await inventory.service.reserve(conn, rows)
            return
        except NotAllowed as exc:
            # Another order took the units this plan counted on: plan again from the levels as they are now (a
            # true shortage fails in the plan itself).
            if exc.code != "insufficient_inventory" or attempt == RESERVE_ATTEMPTS:
                raise


def _plan(
    lines: list[dict[str, Any]],
    spec: list[dict[str, Any]],
    levels: list[dict[str, Any]],
    locations: list[str],
    extra: dict[str, Any],
) -> list[dict[str, Any]]:
    """The reservation rows the engine plans for these lines at these levels."""
    try:
        plan = engine.allocate(lines, spec, levels, locations)
    except engine.CommerceEngineError as exc:
        raise from_engine(exc) or exc from None
    rows = [
        {**_reservation(a, extra), "location_id": a["location_id"], "allow_backorder": False}
        for a in plan["allocations"]
    ]
    for b in plan["backorders"]:
        # A backordered unit is reserved where the item is stocked at all (it goes below what is on hand).
        where = next((lvl["location_id"] for lvl in levels if lvl["inventory_item_id"] == b["inventory_item_id"]), None)
        if where is not None:
            rows.append({**_reservation(b, extra), "location_id": where, "allow_backorder": True})
    return rows


def _reservation(planned: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "line_item_id": planned["line_id"],
        "inventory_item_id": planned["inventory_item_id"],
        "quantity": planned["quantity"],
        **extra,
    }


async def _count_limited(conn: AsyncConnection[Any], cart: dict[str, Any], policies: dict[str, dict[str, Any]]) -> None:
    """Count the order's units of products with a per-customer limit against its buyer (inventory.limits)."""
    limited = {p: policy["max_per_customer"] for p, policy in policies.items() if policy["max_per_customer"]}
    if not limited:
        return
    units: dict[str, int] = {}
    titles: dict[str, str] = {}
    for item in cart["items"]:
        if item.get("product_id"):
            units[str(item["product_id"])] = units.get(str(item["product_id"]), 0) + int(item["quantity"])
            titles[str(item["product_id"])] = str(item.get("product_title") or item.get("title") or "")
    await limits.count(conn, str(cart["email"]), {p: u for p, u in units.items() if p in limited}, limited, titles)


def _adjustments(cart: dict[str, Any]) -> list[dict[str, Any]]:
    found = [a for i in cart["items"] for a in i.get("adjustments") or []]
    found += [a for m in cart.get("shipping_methods") or [] for a in m.get("adjustments") or []]
    return [{"promotion_id": a.get("promotion_id"), "amount": Decimal(a["amount"])} for a in found]


def _promotion_ids(cart: dict[str, Any]) -> list[str]:
    return sorted({str(a["promotion_id"]) for a in _adjustments(cart) if a["promotion_id"]})
