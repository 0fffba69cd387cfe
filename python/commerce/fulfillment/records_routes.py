"""Medusa's standalone admin fulfillment routes: create a fulfillment, cancel it, create its shipment. (The order's
routes, /admin/orders/:id/fulfillments..., are order flows built on the same service.)"""

from typing import Any

import msgspec

from commerce.fulfillment import records
from commerce.fulfillment.schemas import (
    FULFILLMENT_DEFAULTS,
    FULFILLMENT_SHAPE,
    CreateFulfillment,
    CreateShipment,
    FulfillmentResponse,
    RetrieveQuery,
)
from commerce.http import Request, Response, Route, fields, json_response


def _respond(req: Request, fulfillment: dict[str, Any]) -> Response:
    plan = fields.plan(FULFILLMENT_SHAPE, FULFILLMENT_DEFAULTS, req.query(RetrieveQuery).fields)
    return json_response({"fulfillment": fields.apply(plan, fulfillment)})


def _user(req: Request) -> str | None:
    return req.actor.id if req.actor is not None and req.actor.type == "user" else None


async def create(req: Request) -> Response:
    data = await req.json(CreateFulfillment)
    order = data.order if data.order is not None else ({"id": data.order_id} if data.order_id else None)
    async with req.state.pool.connection() as conn:
        fulfillment = await records.create_fulfillment(
            conn,
            data.location_id,
            data.provider_id,
            [msgspec.structs.asdict(i) for i in data.items],
            msgspec.structs.asdict(data.delivery_address),
            order,
            [msgspec.structs.asdict(label) for label in data.labels],
            data.metadata,
            data.shipping_option_id,
            _user(req),
            data=data.data,
            packed_at=data.packed_at,
            shipped_at=data.shipped_at,
            delivered_at=data.delivered_at,
            canceled_at=data.canceled_at,
        )
    return _respond(req, fulfillment)


async def cancel(req: Request) -> Response:
    async with req.state.pool.connection() as conn:
        return _respond(req, await records.cancel_fulfillment(conn, req.params["id"]))


async def create_shipment(req: Request) -> Response:
    data = await req.json(CreateShipment)
    labels = [msgspec.structs.asdict(label) for label in data.labels]
    async with req.state.pool.connection() as conn:
        return _respond(req, await records.create_shipment(conn, req.params["id"], labels, _user(req)))


TAG = "Admin Fulfillments"
ROUTES = [
    Route(
        "POST",
        "/admin/fulfillments",
        create,
        "admin",
        "Create a fulfillment through a provider linked to the stock location",
        body=CreateFulfillment,
        query=RetrieveQuery,
        response=FulfillmentResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/fulfillments/:id/cancel",
        cancel,
        "admin",
        "Cancel a fulfillment that has not been shipped",
        query=RetrieveQuery,
        response=FulfillmentResponse,
        tag=TAG,
    ),
    Route(
        "POST",
        "/admin/fulfillments/:id/shipment",
        create_shipment,
        "admin",
        "Mark a fulfillment shipped, with its shipment labels",
        body=CreateShipment,
        query=RetrieveQuery,
        response=FulfillmentResponse,
        tag=TAG,
    ),
]
