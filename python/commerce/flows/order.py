"""Order flows (Medusa's order workflows): the order as the API shows it (with its payment collections and
fulfillments from their modules), cancel, and fulfilments: create from a stock location, ship, mark delivered,
cancel. Each runs in one transaction on one connection, and each state change is a conditional UPDATE in its module,
so two operators acting at once cannot both win."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
from psycopg import AsyncConnection

from commerce import customer, events, fulfillment, inventory, order, payment, region, sales_channel
from commerce.customer.schemas import CustomerListQuery
from commerce.errors import InvalidData, NotAllowed, NotFound
from commerce.region.schemas import RegionListQuery
from commerce.sales_channel.schemas import SalesChannelListQuery


async def _customers(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    found, _ = await customer.service.list_customers(conn, CustomerListQuery(id=ids, limit=len(ids)))
    return [msgspec.to_builtins(c) for c in found]


async def _channels(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    found, _ = await sales_channel.service.list_channels(conn, SalesChannelListQuery(id=ids, limit=len(ids)))
    return [msgspec.to_builtins(c) for c in found]


async def _regions(conn: AsyncConnection[Any], ids: list[str]) -> list[dict[str, Any]]:
    found, _ = await region.service.list_regions(conn, RegionListQuery(id=ids, limit=len(ids)))
    return [msgspec.to_builtins(r) for r in found]


# What an order shows of the modules it links to, fetched once per page of orders.
RELATED = order.service.Related(
    payment_collections=payment.service.collections,
    fulfillments=fulfillment.service.fulfillments,
    customer=_customers,
    sales_channel=_channels,
    region=_regions,
)


async def view(conn: AsyncConnection[Any], order_id: str, relations: set[str] | None = None) -> dict[str, Any]:
    """The order in Medusa's shape, its payment collections and fulfillments included."""
    return await order.service.retrieve(conn, order_id, RELATED, relations=relations)


async def cancel(conn: AsyncConnection[Any], order_id: str) -> None:
    """Medusa's cancelOrderWorkflow: refused while a fulfillment stands; every reservation is released, authorized
    payments are voided and captured ones refunded, and the order is canceled (`order.canceled`)."""
    async with conn.transaction():
        await _order(conn, order_id)
        standing = [f for f in await _fulfillments(conn, order_id) if f["canceled_at"] is None]
        if standing:
            raise NotAllowed("All fulfillments must be canceled before canceling an order")
        await order.service.set_canceled(conn, order_id)
        await inventory.service.release(conn, [i["id"] for i in await order.service.items(conn, order_id)])
        for collection_id in await order.service.payment_collection_ids(conn, order_id):
            await payment.service.cancel_collection(conn, collection_id)


async def create_fulfillment(
    conn: AsyncConnection[Any],
    order_id: str,
    quantities: dict[str, int],
    location_id: str | None,
    *,
    requires_shipping: bool = True,
    metadata: dict[str, Any] | None = None,
    created_by: str | None = None,
    no_notification: bool = False,
    shipping_option_id: str | None = None,
) -> str:
    """Fulfil these quantities of the order's lines from a stock location (by default the one the order's shipping
    option ships from), through that option's fulfillment provider: the reserved units leave stock; a
    `shipping_option_id` (Medusa's) ships through that option instead of the order's. Returns the fulfillment's id
    (`order.fulfillment_created`)."""
    if not quantities:
        raise InvalidData("Invalid request: items must name at least one line item and quantity")
    async with conn.transaction():
        found = await _order(conn, order_id)
        if found["status"] == "canceled":
            raise NotAllowed(f"Order with id {order_id} has been canceled.")
        lines = {i["id"]: i for i in await order.service.items(conn, order_id)}
        unknown = [i for i in quantities if i not in lines]
        if unknown:
            raise InvalidData(f"Items with ids {', '.join(unknown)} does not exist in order with id {order_id}.")
        origin = await _origin(conn, found, shipping_option_id)
        location_id = location_id or origin["location_id"]
        if not location_id:
            raise InvalidData(f"Order {order_id} has no shipping method that names a stock location: pass location_id")
        # The quantities first: a line fulfilled past what was ordered fails here, before stock moves.
        await order.service.record_fulfilled(conn, order_id, quantities)
        links = await inventory.service.variant_links(
            conn, sorted({str(lines[i]["variant_id"]) for i in quantities if lines[i]["variant_id"]})
        )
        rows = []
        for line_id, quantity in quantities.items():
            line = lines[line_id]
            linked = links.get(str(line["variant_id"]), [])
            for link in linked:
                await inventory.service.fulfil(
                    conn, line_id, location_id, quantity * link["required_quantity"], link["inventory_item_id"]
                )
            rows.append(
                {
                    "line_item_id": line_id,
                    "inventory_item_id": linked[0]["inventory_item_id"] if len(linked) == 1 else None,
                    "title": line["title"],
                    "sku": line["variant_sku"],
                    "barcode": line["variant_barcode"],
                    "quantity": quantity,
                }
            )
        made = await fulfillment.service.create_fulfillment(
            conn,
            location_id,
            origin["provider_id"],
            rows,
            found["shipping_address"],
            {"id": order_id, "display_id": found["display_id"], "email": found["email"]},
            metadata=metadata,
            shipping_option_id=origin["shipping_option_id"],
            created_by=created_by,
            requires_shipping=requires_shipping,
            packed_at=datetime.now(UTC),  # Medusa's fulfilled state: packed, not yet shipped
        )
        await order.service.link_fulfillment(conn, order_id, made["id"])
        await events.enqueue(
            conn,
            "order.fulfillment_created",
            {"order_id": order_id, "fulfillment_id": made["id"], "no_notification": no_notification},
        )
    return str(made["id"])


async def create_shipment(
    conn: AsyncConnection[Any],
    order_id: str,
    fulfillment_id: str,
    labels: list[dict[str, Any]],
    *,
    shipped_by: str | None = None,
    no_notification: bool = False,
) -> None:
    """The fulfillment leaves with these labels (tracking number, URLs): its lines count as shipped
    (`shipment.created`)."""
    async with conn.transaction():
        made = await _order_fulfillment(conn, order_id, fulfillment_id)
        await fulfillment.service.create_shipment(conn, fulfillment_id, labels, shipped_by)
        await order.service.record_shipped(conn, order_id, _line_quantities(made))
        await events.enqueue(conn, "shipment.created", {"id": fulfillment_id, "no_notification": no_notification})


async def mark_delivered(conn: AsyncConnection[Any], order_id: str, fulfillment_id: str) -> None:
    """The fulfillment arrived: its lines count as delivered (`delivery.created`)."""
    async with conn.transaction():
        made = await _order_fulfillment(conn, order_id, fulfillment_id)
        await fulfillment.service.mark_delivered(conn, fulfillment_id)
        await order.service.record_delivered(conn, order_id, _line_quantities(made))
        await events.enqueue(conn, "delivery.created", {"id": fulfillment_id})


async def cancel_fulfillment(conn: AsyncConnection[Any], order_id: str, fulfillment_id: str) -> None:
    """Undo an unshipped fulfillment: the units go back to stock, reserved for their lines again, and the lines count
    as unfulfilled (`order.fulfillment_canceled`). Refused once shipped."""
    async with conn.transaction():
        made = await _order_fulfillment(conn, order_id, fulfillment_id)
        await fulfillment.service.cancel_fulfillment(conn, fulfillment_id)
        quantities = _line_quantities(made)
        lines = {i["id"]: i for i in await order.service.items(conn, order_id)}
        links = await inventory.service.variant_links(
            conn, sorted({str(lines[i]["variant_id"]) for i in quantities if lines[i]["variant_id"]})
        )
        for line_id, quantity in quantities.items():
            for link in links.get(str(lines[line_id]["variant_id"]), []):
                await inventory.service.unfulfil(
                    conn, line_id, link["inventory_item_id"], made["location_id"], quantity * link["required_quantity"]
                )
        await order.service.record_unfulfilled(conn, order_id, quantities)
        await events.enqueue(
            conn, "order.fulfillment_canceled", {"order_id": order_id, "fulfillment_id": fulfillment_id}
        )


async def _order(conn: AsyncConnection[Any], order_id: str) -> dict[str, Any]:
    return await order.service.retrieve(conn, order_id, relations=set())


async def _fulfillments(conn: AsyncConnection[Any], order_id: str) -> list[dict[str, Any]]:
    return await fulfillment.service.fulfillments(conn, await order.service.fulfillment_ids(conn, order_id))


async def _order_fulfillment(conn: AsyncConnection[Any], order_id: str, fulfillment_id: str) -> dict[str, Any]:
    if await order.service.order_of_fulfillment(conn, fulfillment_id) != order_id:
        await _order(conn, order_id)  # 404 for an unknown order first
        raise NotFound(f"Fulfillment with id: {fulfillment_id} was not found in order {order_id}")
    return await fulfillment.service.retrieve_fulfillment(conn, fulfillment_id)


async def _origin(conn: AsyncConnection[Any], found: dict[str, Any], option_id: str | None = None) -> dict[str, Any]:
    """The provider, location and option of the option asked for, else of the order's shipping method (the manual
    provider without one)."""
    if option_id:
        origin = await fulfillment.service.option_origin(conn, option_id)
        if origin is None:
            raise NotFound(f"Shipping option with id: {option_id} was not found")
        return {**origin, "shipping_option_id": option_id}
    for method in found.get("shipping_methods") or []:
        option_id = method.get("shipping_option_id")
        origin = await fulfillment.service.option_origin(conn, option_id) if option_id else None
        if origin is not None:
            return {**origin, "shipping_option_id": option_id}
    return {"provider_id": "manual_manual", "location_id": None, "shipping_option_id": None}


def _line_quantities(made: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in made["items"]:
        if item.get("line_item_id"):
            out[item["line_item_id"]] = out.get(item["line_item_id"], 0) + int(item["quantity"])
    return out


async def create_payment_collection(conn: AsyncConnection[Any], order_id: str, amount: Decimal | None) -> str:
    """A payment collection for what the order still owes (or `amount`), linked to it (Medusa's
    createOrderPaymentCollectionWorkflow)."""
    async with conn.transaction():
        found = await view(conn, order_id, {"payment_collections"})
        if found["status"] == "canceled":
            raise NotAllowed(f"Order with id {order_id} has been canceled.")
        owed = Decimal(str(found["summary"]["pending_difference"]))
        amount = owed if amount is None else amount
        if amount <= 0:
            raise InvalidData(f"Order {order_id} owes nothing: a payment collection needs an amount above 0")
        made = await payment.service.create_collection(conn, amount, found["currency_code"], found["region_id"])
        await order.service.link_payment_collection(conn, order_id, made["id"])
    return str(made["id"])


async def mark_as_paid(conn: AsyncConnection[Any], order_id: str, collection_id: str, by: str | None) -> None:
    """Record an order's collection as paid outside any provider (cash, bank transfer): authorized and captured in
    full through the system provider (Medusa's markPaymentCollectionAsPaid)."""
    async with conn.transaction():
        if collection_id not in await order.service.payment_collection_ids(conn, order_id):
            await _order(conn, order_id)
            raise NotFound(f"Payment collection with id: {collection_id} was not found in order {order_id}")
        collection = await payment.service.retrieve_collection(conn, collection_id)
        if collection["status"] != "not_paid":
            raise NotAllowed(f"Payment collection {collection_id} is {collection['status']}: it cannot be marked paid")
        await payment.service.create_session(conn, collection_id, payment.service.SYSTEM_PROVIDER)
        paid = await payment.service.authorize_collection(
            conn, collection_id, Decimal(str(collection["amount"])), {"order_id": order_id}
        )
        await payment.service.capture(conn, paid["id"], None, by)


async def delete_payment_collection(conn: AsyncConnection[Any], collection_id: str) -> None:
    """An operator removes a collection nothing was paid into."""
    await payment.service.delete_collection(conn, collection_id)
