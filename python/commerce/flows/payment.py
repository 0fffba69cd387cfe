"""Store payment routes that span the cart, region and payment modules (Medusa's store payment-collections and
payment-providers): a cart's payment collection for its current total, and a provider session on it, for a provider
the cart's region offers."""

from typing import Any

from psycopg import AsyncConnection

from commerce import payment
from commerce.errors import InvalidData, NotAllowed
from commerce.flows import cart as cart_flow
from commerce.http import Request, Response, Route, fields, json_response, page
from commerce.payment.schemas import (
    COLLECTION_SHAPE,
    STORE_COLLECTION_DEFAULTS,
    CreatePaymentCollection,
    CreatePaymentSession,
    PaymentCollectionResponse,
    PaymentProviderList,
    SelectQuery,
    StoreProviderQuery,
)


async def _refresh_for_cart(conn: AsyncConnection[Any], reads: cart_flow.Reads, cart_id: str) -> dict[str, Any]:
    """The cart's payment collection with the amount, currency and region of the cart as it is now."""
    cart = await cart_flow.retrieve(conn, reads, cart_id)
    return await payment.service.collection_for_cart(
        conn, cart["id"], cart["total"], cart["currency_code"], cart["region_id"]
    )


def _enabled_providers(regions: Any, region_id: str | None) -> list[dict[str, Any]]:
    region = regions.by_id.get(region_id or "")
    if region is None:
        return []
    return [{"id": p.id, "is_enabled": p.is_enabled} for p in region.payment_providers if p.is_enabled]


def _respond(req: Request, collection: dict[str, Any]) -> Response:
    plan = fields.plan(COLLECTION_SHAPE, STORE_COLLECTION_DEFAULTS, req.query(SelectQuery).fields)
    return json_response({"payment_collection": fields.apply(plan, collection)})


async def list_providers(req: Request) -> Response:
    """GET /store/payment-providers?region_id=: the enabled providers of the region (from the region read model)."""
    query = req.query(StoreProviderQuery)
    if not query.region_id:
        raise NotAllowed("You must provide the region_id to list payment providers")
    regions = await req.state.regions.get(req.state.pool)
    found = _enabled_providers(regions, query.region_id)
    plan = fields.plan(payment.schemas.PROVIDER_SHAPE, payment.schemas.PROVIDER_DEFAULTS, query.fields)
    body = [fields.apply(plan, p) for p in found[query.offset : query.offset + query.limit]]
    return page("payment_providers", body, len(found), query.offset, query.limit)


async def create_collection(req: Request) -> Response:
    """POST /store/payment-collections {cart_id}: the cart's collection (created the first time) for its total."""
    data = await req.json(CreatePaymentCollection)
    reads = await cart_flow.reads_for(req)
    async with req.state.pool.connection() as conn:
        collection = await _refresh_for_cart(conn, reads, data.cart_id)
    return _respond(req, collection)


async def create_session(req: Request) -> Response:
    """POST /store/payment-collections/:id/payment-sessions {provider_id, data?}: replaces the collection's open
    sessions with one at this provider, which the collection's region must offer (else 400)."""
    body = await req.json(CreatePaymentSession)
    collection_id = req.params["id"]
    reads = await cart_flow.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart_id = await payment.service.cart_of_collection(conn, collection_id)
        if cart_id is not None:
            collection = await _refresh_for_cart(conn, reads, cart_id)
        else:
            collection = await payment.service.retrieve_collection(conn, collection_id)
        offered = {p["id"] for p in _enabled_providers(reads.regions, collection["region_id"])}
        if body.provider_id not in offered:
            raise InvalidData(f"Payment provider {body.provider_id} is not enabled in region {collection['region_id']}")
        context = {**(body.context or {}), "cart_id": cart_id}
        if req.actor is not None and req.actor.type == "customer":
            context["customer_id"] = req.actor.id
        collection = await payment.service.create_session(conn, collection_id, body.provider_id, body.data, context)
    return _respond(req, collection)


T = "Store Payment Collections"
ROUTES = [
    Route(
        "GET",
        "/store/payment-providers",
        list_providers,
        "store",
        "List the payment providers of a region",
        query=StoreProviderQuery,
        response=PaymentProviderList,
        tag="Store Payment Providers",
    ),
    Route(
        "POST",
        "/store/payment-collections",
        create_collection,
        "store_optional_customer",
        "Create (or get) the payment collection of a cart",
        body=CreatePaymentCollection,
        query=SelectQuery,
        response=PaymentCollectionResponse,
        tag=T,
    ),
    Route(
        "POST",
        "/store/payment-collections/:id/payment-sessions",
        create_session,
        "store_optional_customer",
        "Initialize a payment session of a payment collection",
        body=CreatePaymentSession,
        query=SelectQuery,
        response=PaymentCollectionResponse,
        tag=T,
    ),
]
