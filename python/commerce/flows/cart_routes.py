"""Store cart routes (Medusa v2): create, retrieve, update, line items, promotions, taxes, shipping methods,
customer takeover; and the store's shipping options for a cart."""

from commerce import customer, fulfillment
from commerce.cart.schemas import (
    AddShippingMethod,
    CartQuery,
    CreateCart,
    ItemInput,
    PromoCodes,
    UpdateCart,
    UpdateItem,
)
from commerce.errors import NotAllowed, Unauthorized
from commerce.flows import cart as service
from commerce.fulfillment.schemas import (
    CalculateBody,
    ShippingOptionResponse,
    StoreOptionQuery,
    StoreShippingOptionList,
)
from commerce.http import Request, Response, Route, json_response
from commerce.store import service as store_service


def _customer(req: Request) -> str | None:
    return req.actor.id if req.actor is not None and req.actor.type == "customer" else None


async def create(req: Request) -> Response:
    data = await req.json(CreateCart)
    reads = await service.reads_for(req, stock=True)
    async with req.state.pool.connection() as conn:
        # The store's default region only matters (and is read) when the body names none.
        shop = await store_service.default_store(conn) if data.region_id is None else None
        cart = await service.create(
            conn, reads, data, req.sales_channel_ids, _customer(req), shop.default_region_id if shop else None
        )
    return json_response({"cart": cart})


async def retrieve(req: Request) -> Response:
    if req.query_string:  # (an empty one is always valid: no need to decode it)
        req.query(CartQuery)
    async with req.state.pool.connection() as conn:
        cart = await service.retrieve_rendered(conn, req, req.params["id"])
    return json_response({"cart": cart})


async def update(req: Request) -> Response:
    data = await req.json(UpdateCart)
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.update(conn, reads, req.params["id"], data, req.sales_channel_ids)
    return json_response({"cart": cart})


async def add_item(req: Request) -> Response:
    data = await req.json(ItemInput)
    reads = await service.reads_for(req, stock=True)
    async with req.state.pool.connection() as conn:
        cart = await service.add_item(conn, reads, req.params["id"], data)
    return json_response({"cart": cart})


async def update_item(req: Request) -> Response:
    data = await req.json(UpdateItem)
    reads = await service.reads_for(req, stock=True)
    async with req.state.pool.connection() as conn:
        cart = await service.update_item(conn, reads, req.params["id"], req.params["line_id"], data)
    return json_response({"cart": cart})


async def delete_item(req: Request) -> Response:
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.delete_item(conn, reads, req.params["id"], req.params["line_id"])
    return json_response({"id": req.params["line_id"], "object": "line-item", "deleted": True, "parent": cart})


async def set_customer(req: Request) -> Response:
    customer_id = _customer(req)
    if customer_id is None:
        raise Unauthorized("Unauthorized")
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        profile = await customer.service.retrieve(conn, customer_id)
        cart = await service.set_customer(conn, reads, req.params["id"], customer_id, profile.email)
    return json_response({"cart": cart})


async def add_promotions(req: Request) -> Response:
    data = await req.json(PromoCodes)
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.add_promotions(conn, reads, req.params["id"], data.promo_codes)
    return json_response({"cart": cart})


async def remove_promotions(req: Request) -> Response:
    data = await req.json(PromoCodes)
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.remove_promotions(conn, reads, req.params["id"], data.promo_codes)
    return json_response({"cart": cart})


async def calculate_taxes(req: Request) -> Response:
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.calculate_taxes(conn, reads, req.params["id"])
    return json_response({"cart": cart})


async def add_shipping_method(req: Request) -> Response:
    data = await req.json(AddShippingMethod)
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        cart = await service.add_shipping_method(conn, reads, req.params["id"], data.option_id, data.data)
    return json_response({"cart": cart})


# --- shipping options for a cart ---------------------------------------------------------------------------------


async def store_list(req: Request) -> Response:
    query = req.query(StoreOptionQuery)
    if not query.cart_id:
        raise NotAllowed("You must provide the cart_id to list shipping options")
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        the_cart = await service.retrieve(conn, reads, query.cart_id)
        options = await fulfillment.service.list_for_cart(conn, reads, the_cart, is_return=bool(query.is_return))
    return json_response({"shipping_options": options})


async def store_calculate(req: Request) -> Response:
    data = await req.json(CalculateBody)
    reads = await service.reads_for(req)
    async with req.state.pool.connection() as conn:
        the_cart = await service.retrieve(conn, reads, data.cart_id)
        option = await fulfillment.service.calculate(conn, reads, req.params["id"], the_cart, data.data)
    return json_response({"shipping_option": option})


T = "Store Carts"
ROUTES = [
    Route("POST", "/store/carts", create, "store_optional_customer", "Create a cart", body=CreateCart, tag=T),
    Route("GET", "/store/carts/:id", retrieve, "store", "Get a cart with its totals", query=CartQuery, tag=T),
    Route(
        "POST",
        "/store/carts/:id",
        update,
        "store",
        "Update a cart (region change re-prices it)",
        body=UpdateCart,
        tag=T,
    ),
    Route("POST", "/store/carts/:id/line-items", add_item, "store", "Add a line item", body=ItemInput, tag=T),
    Route(
        "POST",
        "/store/carts/:id/line-items/:line_id",
        update_item,
        "store",
        "Change a line item's quantity (0 removes it)",
        body=UpdateItem,
        tag=T,
    ),
    Route("DELETE", "/store/carts/:id/line-items/:line_id", delete_item, "store", "Remove a line item", tag=T),
    Route(
        "POST",
        "/store/carts/:id/shipping-methods",
        add_shipping_method,
        "store",
        "Choose a shipping option",
        body=AddShippingMethod,
        tag=T,
    ),
    Route("POST", "/store/carts/:id/taxes", calculate_taxes, "store", "Calculate the cart's taxes", tag=T),
    Route(
        "POST", "/store/carts/:id/promotions", add_promotions, "store", "Apply promotion codes", body=PromoCodes, tag=T
    ),
    Route(
        "DELETE",
        "/store/carts/:id/promotions",
        remove_promotions,
        "store",
        "Remove promotion codes",
        body=PromoCodes,
        tag=T,
    ),
    Route(
        "POST", "/store/carts/:id/customer", set_customer, "customer", "The logged-in customer takes the cart", tag=T
    ),
    Route(
        "GET",
        "/store/shipping-options",
        store_list,
        "store",
        "The shipping options that serve a cart, with their price for it",
        query=StoreOptionQuery,
        response=StoreShippingOptionList,
        tag="Store Shipping Options",
    ),
    Route(
        "POST",
        "/store/shipping-options/:id/calculate",
        store_calculate,
        "store",
        "Calculate a calculated shipping option's price for a cart",
        body=CalculateBody,
        response=ShippingOptionResponse,
        tag="Store Shipping Options",
    ),
]
