"""Admin routes of a product's flash-sale setting (flows.flash, inventory.holds, inventory.limits): reserve at
add-to-cart, held for `hold_seconds`, and/or at most `max_per_customer` units per buyer. GET answers
`{flash_sale: null}` for a product without one."""

from typing import Annotated

import msgspec

from commerce import product
from commerce.errors import InvalidData
from commerce.http import Request, Response, Route, json_response
from commerce.inventory import holds


class FlashSaleSetting(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Holds at add-to-cart for `hold_seconds`, and/or at most `max_per_customer` units per buyer (email)."""

    hold_seconds: Annotated[int, msgspec.Meta(ge=1, le=86400)] | None = None
    max_per_customer: Annotated[int, msgspec.Meta(ge=1)] | None = None


async def _product(req: Request) -> str:
    async with req.state.pool.connection() as conn:
        await product.service.retrieve(conn, req.params["id"], frozenset())  # 404 for an unknown product
    return req.params["id"]


async def retrieve(req: Request) -> Response:
    product_id = await _product(req)
    async with req.state.pool.connection() as conn:
        return json_response({"flash_sale": await holds.policy(conn, product_id)})


async def update(req: Request) -> Response:
    data = await req.json(FlashSaleSetting)
    if data.hold_seconds is None and data.max_per_customer is None:
        raise InvalidData("Invalid request: give hold_seconds, max_per_customer or both")
    product_id = await _product(req)
    async with req.state.pool.connection() as conn:
        setting = await holds.set_policy(conn, product_id, data.hold_seconds, data.max_per_customer)
    return json_response({"flash_sale": setting})


async def delete(req: Request) -> Response:
    product_id = await _product(req)
    async with req.state.pool.connection() as conn:
        await holds.delete_policy(conn, product_id)
    return json_response({"id": product_id, "object": "flash_sale", "deleted": True})


T = "Admin Products"
PATH = "/admin/products/:id/flash-sale"
ROUTES = [
    Route("GET", PATH, retrieve, "admin", "The product's flash-sale setting (null: none)", tag=T),
    Route(
        "POST",
        PATH,
        update,
        "admin",
        "Make the product a flash sale: holds at add-to-cart for hold_seconds, max_per_customer units per buyer",
        body=FlashSaleSetting,
        tag=T,
    ),
    Route(
        "DELETE",
        PATH,
        delete,
        "admin",
        "End the product's flash-sale setting (holds made stay until they expire)",
        tag=T,
    ),
]
