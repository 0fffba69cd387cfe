"""Order routes: the store's (a customer's orders, an order by id) and the admin's (list, retrieve, archive,
complete, cancel, fulfilments, shipments, delivery). An order shows its payment collections and fulfillments, which
other modules own, so these routes sit beside their flow (commerce.flows.order)."""

from decimal import Decimal
from typing import Annotated, Any

import msgspec
from psycopg import AsyncConnection

from commerce import payment
from commerce.errors import Unauthorized
from commerce.flows import order as order_flow
from commerce.http import Request, Response, Route, deleted, fields, json_response, page
from commerce.order import service
from commerce.order.schemas import (
    ADMIN_LIST_DEFAULTS,
    ADMIN_RETRIEVE_DEFAULTS,
    FOREIGN,
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


def _plan(defaults: tuple[str, ...], requested: str | None) -> fields.Plan:
    return fields.plan(ORDER_SHAPE, defaults, requested)


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
    return fields.apply(plan, order)


async def _list(req: Request, query: OrderListQuery, defaults: tuple[str, ...], customer_id: str | None) -> Response:
    plan = _plan(defaults, query.fields)
    async with req.state.pool.connection() as conn:
        orders, count = await service.list_orders(
            conn, query, RELATED, customer_id=customer_id, relations=relations_for(plan)
        )
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
    return await _list(req, req.query(OrderListQuery), ADMIN_LIST_DEFAULTS, None)


async def admin_retrieve(req: Request) -> Response:
    plan = _plan(ADMIN_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields)
    async with req.state.pool.connection() as conn:
        return json_response({"order": await _one(conn, req.params["id"], plan)})


async def archive(req: Request) -> Response:
    await req.json(OrderAction)
    plan = _plan(ADMIN_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields)
    async with req.state.pool.connection() as conn:
        await service.archive(conn, req.params["id"])
        return json_response({"order": await _one(conn, req.params["id"], plan)})


async def complete(req: Request) -> Response:
    await req.json(OrderAction)
    plan = _plan(ADMIN_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields)
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
    plan = _plan(ADMIN_RETRIEVE_DEFAULTS, req.query(OrderRetrieveQuery).fields)
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
