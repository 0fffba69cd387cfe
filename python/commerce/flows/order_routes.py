"""Order routes: the store's (a customer's orders, an order by id) and the admin's (list, retrieve, archive,
complete, cancel, fulfilments, shipments, delivery). An order shows its payment collections and fulfillments, which
other modules own, so these routes sit beside their flow (commerce.flows.order)."""

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from psycopg import AsyncConnection

from commerce import fulfillment, inventory, payment, product
from commerce.errors import NotFound, Unauthorized
from commerce.flows import order as order_flow
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.http.fields import Shape
from commerce.inventory.schemas import ITEM_SHAPE as INVENTORY_ITEM_SHAPE
from commerce.order import service
from commerce.order.schemas import (
    ADMIN_LIST_DEFAULTS,
    ADMIN_RETRIEVE_DEFAULTS,
    FOREIGN,
    ITEM_SHAPE,
    ORDER_SHAPE,
    STORE_LIST_DEFAULTS,
    STORE_RETRIEVE_DEFAULTS,
    OrderList,
    OrderListQuery,
    OrderResponse,
    OrderRetrieveQuery,
    StoreOrderListQuery,
)

RELATED = order_flow.RELATED


class OrderAction(msgspec.Struct, kw_only=True):
    """Body of POST /admin/orders/:id/archive and /complete (Medusa's: an optional order_id, additional_data)."""

    order_id: str | None = None
    additional_data: dict[str, Any] | None = None


# The admin's order also shows, from the modules that own them: each line's variant's `manage_inventory` and
# `inventory_items` (product, inventory), the promotions its adjustments name, and each fulfillment's shipping
# option down to its fulfillment set's type (fulfillment); `refundable_total` (paid less refunded) and
# `order_change` (null: there are no order edits here).
_LINK = Shape(
    ("id", "variant_id", "inventory_item_id", "required_quantity", "created_at", "updated_at", "deleted_at"),
    {"inventory": Shape(INVENTORY_ITEM_SHAPE.ordered, INVENTORY_ITEM_SHAPE.relations)},
)
_VARIANT = ITEM_SHAPE.relations["variant"]
_ITEM = Shape(
    ITEM_SHAPE.ordered,
    {
        **ITEM_SHAPE.relations,
        "variant": Shape(
            (*_VARIANT.ordered, "manage_inventory"),
            {
                **_VARIANT.relations,
                "inventory_items": _LINK,
                "product": Shape(
                    _VARIANT.relations["product"].ordered,
                    {"shipping_profile": Shape(("id", "name", "type", "metadata", "created_at", "updated_at"))},
                ),
            },
        ),
    },
)
_FULFILLMENT = ORDER_SHAPE.relations["fulfillments"]
_SHIPPING_OPTION = Shape(
    ("id", "name"),
    {"service_zone": Shape(("id", "name"), {"fulfillment_set": Shape(("id", "name", "type"))})},
)
ADMIN_ORDER_SHAPE = Shape(
    (*ORDER_SHAPE.ordered, "refundable_total", "order_change"),
    {
        **ORDER_SHAPE.relations,
        "items": _ITEM,
        "promotions": Shape(("id", "code")),
        "fulfillments": Shape(_FULFILLMENT.ordered, {**_FULFILLMENT.relations, "shipping_option": _SHIPPING_OPTION}),
    },
)


def _plan(defaults: tuple[str, ...], requested: str | None, shape: Shape = ORDER_SHAPE) -> fields.Plan:
    plan = fields.plan(shape, defaults, requested)
    items = plan.get("items")
    if isinstance(items, dict):
        # A line's quantities live in its `detail` (Medusa's order item): an order's items always carry it there.
        items.setdefault("detail", None)
    return plan


def _admin_plan(req: Request, statuses: bool = False) -> fields.Plan:
    plan = _plan(ADMIN_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields, ADMIN_ORDER_SHAPE)
    if statuses:
        # GET /admin/orders/:id (and its preview) runs Medusa's getOrderDetailWorkflow, which adds both statuses
        # to the order whatever `fields` names.
        plan.setdefault("payment_status", None)
        plan.setdefault("fulfillment_status", None)
    return plan


async def _admin_extras(conn: AsyncConnection[Any], orders: list[dict[str, Any]], plan: fields.Plan) -> None:
    """What ADMIN_ORDER_SHAPE adds, for the orders the plan asks it of."""
    for o in orders:
        if "refundable_total" in plan:
            summary = o["summary"]
            o["refundable_total"] = max(summary["paid_total"] - summary["refunded_total"], 0)
        o["order_change"] = None
        if "promotions" in plan:
            named = [a for i in o["items"] for a in i["adjustments"]]
            named += [a for m in o["shipping_methods"] for a in m["adjustments"]]
            found = {a["promotion_id"]: a["code"] for a in named if a.get("promotion_id")}
            o["promotions"] = [{"id": pid, "code": code} for pid, code in found.items()]
    variant = ((plan.get("items") or {}).get("variant")) or {}
    product_plan = variant.get("product") or {}
    if "manage_inventory" in variant or "inventory_items" in variant or "shipping_profile" in product_plan:
        await _variant_inventory(conn, [i for o in orders for i in o["items"]], variant)
    fulfillment = plan.get("fulfillments") or {}
    if "shipping_option" in fulfillment:
        await _fulfillment_options(conn, [f for o in orders for f in o["fulfillments"]])


async def _variant_inventory(conn: AsyncConnection[Any], items: list[dict[str, Any]], plan: fields.Plan) -> None:
    ids = [i["variant_id"] for i in items if i.get("variant_id")]
    states = await product.service.purchasable(conn, ids)
    links = plan.get("inventory_items")
    with_items = links is not None and "inventory" in links
    found = await inventory.service.variant_inventory_items(conn, ids, with_items) if ids else {}
    profiles: dict[str, dict[str, Any] | None] = {}
    if "shipping_profile" in (plan.get("product") or {}):
        for profile_id in {s["shipping_profile_id"] for s in states.values() if s["shipping_profile_id"]}:
            profiles[profile_id] = await fulfillment.service.profile_view(conn, profile_id)
    for item in items:
        variant = item.get("variant")
        if variant is None:
            continue
        state = states.get(variant["id"])
        variant["manage_inventory"] = state["manage_inventory"] if state else False
        variant["inventory_items"] = found.get(variant["id"], [])
        if variant.get("product") is not None:
            profile_id = state["shipping_profile_id"] if state else None
            variant["product"] = {**variant["product"], "shipping_profile": profiles.get(profile_id or "")}


async def _fulfillment_options(conn: AsyncConnection[Any], found: list[dict[str, Any]]) -> None:
    for f in found:
        f["shipping_option"] = None
        if not f.get("shipping_option_id"):
            continue
        try:
            option = await fulfillment.service.retrieve_option(conn, f["shipping_option_id"])
        except NotFound:
            continue  # the option was deleted since
        zone = option["service_zone"] or {}
        sets = await fulfillment.service.sets_view(conn, [zone["fulfillment_set_id"]]) if zone else []
        f["shipping_option"] = {
            "id": option["id"],
            "name": option["name"],
            "service_zone": {
                "id": zone.get("id"),
                "name": zone.get("name"),
                "fulfillment_set": {k: sets[0][k] for k in ("id", "name", "type")} if sets else None,
            },
        }


def relations_for(plan: fields.Plan) -> set[str]:
    """The foreign relations a plan needs fetched: those it shows, and those the statuses and summary read."""
    wanted = {name for name in FOREIGN if name in plan}
    if "payment_status" in plan or "summary" in plan:
        wanted.add("payment_collections")
    if "fulfillment_status" in plan:
        wanted.add("fulfillments")
    return wanted


async def _one(conn: AsyncConnection[Any], order_id: str, plan: fields.Plan) -> dict[str, Any]:
    order = await service.retrieve(conn, order_id, RELATED, relations=relations_for(plan))
    await _admin_extras(conn, [order], plan)
    return fields.apply(plan, order)


async def _list(
    req: Request,
    query: OrderListQuery,
    defaults: tuple[str, ...],
    customer_id: str | None,
    shape: Shape = ORDER_SHAPE,
) -> Response:
    plan = _plan(defaults, query.fields, shape)
    async with req.state.pool.connection() as conn:
        orders, count = await service.list_orders(
            conn, query, RELATED, customer_id=customer_id, relations=relations_for(plan)
        )
        await _admin_extras(conn, orders, plan)
    return page("orders", [fields.apply(plan, o) for o in orders], count, query.offset, query.limit)


async def store_list(req: Request) -> Response:
    if req.actor is None:
        raise Unauthorized("Unauthorized")
    asked = req.query(StoreOrderListQuery)
    query = OrderListQuery(
        limit=asked.limit, offset=asked.offset, order=asked.order, fields=asked.fields, id=asked.id, status=asked.status
    )
    return await _list(req, query, STORE_LIST_DEFAULTS, req.actor.id)


async def store_order(req: Request, conn: AsyncConnection[Any], order_id: str) -> dict[str, Any]:
    """The order as the store shows it, with the request's `fields`."""
    plan = _plan(STORE_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields)
    return await _one(conn, order_id, plan)


async def store_retrieve(req: Request) -> Response:
    # Anyone holding an order's id may read it, as in Medusa (the id is the secret).
    async with req.state.pool.connection() as conn:
        return json_response({"order": await store_order(req, conn, req.params["id"])})


async def admin_list(req: Request) -> Response:
    return await _list(req, req.query(OrderListQuery), ADMIN_LIST_DEFAULTS, None, ADMIN_ORDER_SHAPE)


async def admin_retrieve(req: Request) -> Response:
    plan = _admin_plan(req, statuses=True)
    async with req.state.pool.connection() as conn:
        return json_response({"order": await _one(conn, req.params["id"], plan)})


async def preview(req: Request) -> Response:
    """Medusa's order preview: the order with its pending order change applied. There are no order changes
    (edits, returns, claims, exchanges) here, so the preview is the order as it stands."""
    plan = _admin_plan(req, statuses=True)
    async with req.state.pool.connection() as conn:
        return json_response({"order": await _one(conn, req.params["id"], plan)})


async def archive(req: Request) -> Response:
    await req.json(OrderAction)
    plan = _admin_plan(req)
    async with req.state.pool.connection() as conn:
        await service.archive(conn, req.params["id"])
        return json_response({"order": await _one(conn, req.params["id"], plan)})


async def complete(req: Request) -> Response:
    await req.json(OrderAction)
    plan = _admin_plan(req)
    async with req.state.pool.connection() as conn:
        await service.complete(conn, req.params["id"])
        return json_response({"order": await _one(conn, req.params["id"], plan)})


class FulfilItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=100_000)]


class CreateOrderFulfillment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of POST /admin/orders/:id/fulfillments (Medusa's AdminCreateOrderFulfillment)."""

    items: Annotated[list[FulfilItem], msgspec.Meta(min_length=1, max_length=1000)]
    location_id: str | None = None
    shipping_option_id: str | None = None
    requires_shipping: bool = True
    no_notification: bool = False
    metadata: dict[str, Any] | None = None


class Label(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    tracking_number: Annotated[str, msgspec.Meta(max_length=1000)]
    tracking_url: Annotated[str, msgspec.Meta(max_length=2000)]
    label_url: Annotated[str, msgspec.Meta(max_length=2000)]


class CreateShipment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of POST /admin/orders/:id/fulfillments/:fulfillment_id/shipments (the fulfillment's items ship whole)."""

    items: list[FulfilItem] = []
    labels: Annotated[list[Label], msgspec.Meta(max_length=100)] = []
    no_notification: bool = False
    metadata: dict[str, Any] | None = None


class NoNotification(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    no_notification: bool = False


def _merged(items: list[FulfilItem]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item.id] = out.get(item.id, 0) + item.quantity
    return out


def _by(req: Request) -> str | None:
    return req.actor.id if req.actor is not None else None


async def _answer(req: Request, conn: AsyncConnection[Any]) -> Response:
    plan = _admin_plan(req)
    return json_response({"order": await _one(conn, req.params["id"], plan)})


async def cancel(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await order_flow.cancel(conn, req.params["id"])
        return await _answer(req, conn)


async def create_fulfillment(req: Request) -> Response:
    data = await req.json(CreateOrderFulfillment)
    async with req.state.pool.connection() as conn:
        await order_flow.create_fulfillment(
            conn,
            req.params["id"],
            _merged(data.items),
            data.location_id,
            requires_shipping=data.requires_shipping,
            metadata=data.metadata,
            created_by=_by(req),
            no_notification=data.no_notification,
            shipping_option_id=data.shipping_option_id,
        )
        return await _answer(req, conn)


async def create_shipment(req: Request) -> Response:
    data = await req.json(CreateShipment)
    labels = [msgspec.structs.asdict(label) for label in data.labels]
    async with req.state.pool.connection() as conn:
        await order_flow.create_shipment(
            conn,
            req.params["id"],
            req.params["fulfillment_id"],
            labels,
            shipped_by=_by(req),
            no_notification=data.no_notification,
        )
        return await _answer(req, conn)


async def mark_delivered(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await order_flow.mark_delivered(conn, req.params["id"], req.params["fulfillment_id"])
        return await _answer(req, conn)


async def cancel_fulfillment(req: Request) -> Response:
    await req.json(NoNotification)
    async with req.state.pool.connection() as conn:
        await order_flow.cancel_fulfillment(conn, req.params["id"], req.params["fulfillment_id"])
        return await _answer(req, conn)


class CreatePaymentCollection(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Body of POST /admin/payment-collections (Medusa's: the order, and an amount that defaults to what it owes)."""

    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
    amount: Decimal | None = None  # checked by the flow: above 0, within the engine's range


class MarkAsPaid(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=255)]


async def _collection(conn: AsyncConnection[Any], collection_id: str) -> Response:
    return json_response({"payment_collection": await payment.service.retrieve_collection(conn, collection_id)})


async def create_payment_collection(req: Request) -> Response:
    data = await req.json(CreatePaymentCollection)
    async with req.state.pool.connection() as conn:
        made = await order_flow.create_payment_collection(conn, data.order_id, data.amount)
        return await _collection(conn, made)


async def mark_as_paid(req: Request) -> Response:
    data = await req.json(MarkAsPaid)
    async with req.state.pool.connection() as conn:
        await order_flow.mark_as_paid(conn, data.order_id, req.params["id"], _by(req))
        return await _collection(conn, req.params["id"])


async def delete_payment_collection(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        await order_flow.delete_payment_collection(conn, req.params["id"])
    return deleted(req.params["id"], "payment-collection")


S, A = "Store Orders", "Admin Orders"
ROUTES = [
    Route(
        "GET",
        "/store/orders",
        store_list,
        "customer",
        "List the logged-in customer's orders",
        query=StoreOrderListQuery,
        response=OrderList,
        tag=S,
    ),
    Route(
        "GET",
        "/store/orders/:id",
        store_retrieve,
        "store",
        "Get an order by id",
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=S,
    ),
    Route("GET", "/admin/orders", admin_list, "admin", "List orders", query=OrderListQuery, response=OrderList, tag=A),
    Route(
        "GET",
        "/admin/orders/:id/preview",
        preview,
        "admin",
        "The order with its pending change applied (none here: the order)",
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "GET",
        "/admin/orders/:id",
        admin_retrieve,
        "admin",
        "Get an order",
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/archive",
        archive,
        "admin",
        "Archive a completed, canceled or draft order",
        body=OrderAction,
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/complete",
        complete,
        "admin",
        "Mark an order completed",
        body=OrderAction,
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/cancel",
        cancel,
        "admin",
        "Cancel an order: reservations released, payments voided or refunded",
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/fulfillments",
        create_fulfillment,
        "admin",
        "Fulfil order lines from a stock location",
        body=CreateOrderFulfillment,
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/fulfillments/:fulfillment_id/shipments",
        create_shipment,
        "admin",
        "Ship a fulfillment with tracking labels",
        body=CreateShipment,
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/fulfillments/:fulfillment_id/mark-as-delivered",
        mark_delivered,
        "admin",
        "Mark a fulfillment delivered",
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/orders/:id/fulfillments/:fulfillment_id/cancel",
        cancel_fulfillment,
        "admin",
        "Cancel an unshipped fulfillment (its units go back to stock, reserved)",
        body=NoNotification,
        query=OrderRetrieveQuery,
        response=OrderResponse,
        tag=A,
    ),
    Route(
        "POST",
        "/admin/payment-collections",
        create_payment_collection,
        "admin",
        "A payment collection for what an order still owes",
        body=CreatePaymentCollection,
        tag="Admin Payment Collections",
    ),
    Route(
        "POST",
        "/admin/payment-collections/:id/mark-as-paid",
        mark_as_paid,
        "admin",
        "Record an order's payment collection as paid (outside any provider)",
        body=MarkAsPaid,
        tag="Admin Payment Collections",
    ),
    Route(
        "DELETE",
        "/admin/payment-collections/:id",
        delete_payment_collection,
        "admin",
        "Delete a payment collection nothing was paid into",
        tag="Admin Payment Collections",
    ),
]
